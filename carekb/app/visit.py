"""Visitor screening (面会): load and validate a visit request, evaluate the KB's refusal rules and
visit conditions on it.  Generic: every rule is field + operator + threshold, read from kb/guidance."""

from __future__ import annotations

import math
from pathlib import Path

from carekb.i18n import current_lang, t
from carekb.model.errors import CarekbError
from carekb.inputs.profile import read_document
from carekb.app.guidance import Guidance, Rule, Test


# read_document words its errors for profiles (catalogue keys err.*); these say the same of a visit request
_REWORD = {"err.binary_profile": "visit.binary", "err.not_a_mapping": "visit.not_mapping",
           "err.too_large_for_profile": "visit.too_large"}


def read_visit(path: str | Path, gd: Guidance) -> tuple[dict, str]:
    if Path(path).suffix.lower() in (".ttl", ".turtle"):
        raise CarekbError(t("visit.not_turtle"), str(path))
    try:
        data, lines, source = read_document(path)
    except CarekbError as e:
        for old, key in _REWORD.items():
            if t(old) in e.message:   # in the current language, as read_document said it
                e.message = e.message.replace(t(old), t(key))
        e.args = (e.message,)
        raise
    return check_visit(data, gd, source, lines), source


def check_visit(data, gd: Guidance, source: str, lines: dict | None = None) -> dict:
    lines = lines or {}

    def where(k):
        ln = lines.get((id(data), k))
        return t("err.place.key_line", key=k, line=ln) if ln else k

    if not isinstance(data, dict):
        raise CarekbError(t("visit.not_mapping"), source)
    names = [f.name for f in gd.fields]
    for k in data:
        if k not in names:
            raise CarekbError(t("visit.unknown_field", got=repr(k), allowed=", ".join(names)), source, where(str(k)))
    out = {}
    for f in gd.fields:
        if f.name not in data or data[f.name] is None:
            raise CarekbError(t("visit.missing_field", name=repr(f.name), label=f.label[current_lang()], type=f.type),
                              source, f.name)
        v = data[f.name]
        if f.type == "boolean":
            if not isinstance(v, bool):
                raise CarekbError(t("visit.expected_bool", got=repr(v)), source, where(f.name))
        elif f.type in ("decimal", "integer"):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (f.type == "integer" and not isinstance(v, int)):
                key = "visit.expected_integer" if f.type == "integer" else "visit.expected_number"
                raise CarekbError(t(key, got=repr(v)), source, where(f.name))
            if not math.isfinite(v):  # NaN compares false with every bound and threshold: it would admit anyone
                raise CarekbError(t("visit.expected_finite", got=repr(v)), source, where(f.name))
            if (f.min is not None and v < f.min) or (f.max is not None and v > f.max):
                raise CarekbError(t("visit.outside", got=v, lo=f"{f.min:g}", hi=f"{f.max:g}"), source, where(f.name))
        elif f.type == "concept-list":
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise CarekbError(t("visit.expected_list", allowed=", ".join(f.values)), source, where(f.name))
            bad = [x for x in v if x not in f.values]
            if bad:
                raise CarekbError(t("visit.unknown_value", got=repr(bad[0]), allowed=", ".join(f.values)), source,
                                  where(f.name))
        out[f.name] = v
    return out


def parse_assume(pairs, gd: Guidance) -> dict[str, float]:
    """--assume ID=VALUE overrides."""
    out = {}
    for p in pairs or ():
        k, sep, v = p.partition("=")
        if not sep or k not in gd.assumptions:
            raise CarekbError(t("visit.bad_assume", known=", ".join(gd.assumptions)), "--assume", p)
        try:
            out[k] = float(v)
        except ValueError:
            raise CarekbError(t("visit.not_a_number", got=repr(v)), "--assume", p) from None
        if not math.isfinite(out[k]):
            raise CarekbError(t("visit.not_finite", got=repr(v)), "--assume", p)
    return out


def _holds(test: Test, req: dict, values: dict) -> bool:
    v = req[test.field]
    thr = values[test.assumption] if test.assumption else test.threshold
    if test.op == ">=":
        return v >= thr
    if test.op == ">":
        return v > thr
    if test.op == "true":
        return v is True
    if test.op == "not-empty":
        return bool(v)
    raise CarekbError(t("visit.unknown_operator", op=repr(test.op)), "kb/guidance", test.field)


def _fmt(template: str, req: dict, values: dict, gd: Guidance, lang: str) -> str:
    subs = {}
    for k, v in req.items():
        if isinstance(v, list):
            v = ("、" if lang == "ja" else ", ").join(gd.symptom_labels.get(x, {}).get(lang, x) for x in v)
        subs[k] = v
    for k, v in values.items():
        subs[k] = f"{v:g}"
    out = template
    for k, v in subs.items():
        out = out.replace("{" + k + "}", str(v))
    return out


def _entry(r: Rule, text: str, gd: Guidance, items: dict) -> dict:
    # the items a rule implements, grouped by section: "seed 000 §V(1) V-21, V-22"
    by_section: dict[str, list[str]] = {}
    for i in r.implements:
        if i in items:
            by_section.setdefault(items[i].subsection or items[i].section, []).append(i)
    doc = gd.document.get("source", "")
    return {"id": r.key, "text": text, "items": list(r.implements),
            "source": "; ".join(f"{doc} §{sec} {', '.join(ids)}".lstrip() for sec, ids in by_section.items())}


def evaluate(req: dict, gd: Guidance, overrides: dict | None = None, lang: str = "ja") -> dict:
    values = {k: a.value for k, a in gd.assumptions.items()}
    values.update(overrides or {})
    items = {i.id: i for i in gd.items}
    reasons = [_entry(r, _fmt(r.reason[lang], req, values, gd, lang), gd, items)
               for r in gd.refusals if r.test and _holds(r.test, req, values)]
    conditions = []
    if not reasons:
        for c in gd.conditions:
            if c.only_if and not _holds(c.only_if, req, values):
                continue
            if c.unless and _holds(c.unless, req, values):
                continue
            conditions.append(_entry(c, c.label[lang], gd, items))
    return {"decision": "refuse" if reasons else "admit", "reasons": reasons, "conditions": conditions,
            "assumptions": [{"id": k, "value": values[k], "unit": a.unit["ja"], "unit_en": a.unit["en"], "label": a.label,
                             "confidence": a.confidence, "overridden": k in (overrides or {}), "note": a.note}
                            for k, a in gd.assumptions.items()],
            "source": gd.document, "kb_version": gd.version}
