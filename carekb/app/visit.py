"""Visitor screening (面会): load and validate a visit request, evaluate the KB's refusal rules and
visit conditions on it.  Generic: every rule is field + operator + threshold, read from kb/guidance."""

from __future__ import annotations

import math
from pathlib import Path

from carekb.model.errors import CarekbError
from carekb.inputs.profile import read_document
from carekb.app.guidance import Guidance, Rule, Test


# read_document words its errors for profiles; these say the same of a visit request
_REWORD = {"binary file, not a profile (YAML, JSON or Turtle)": "binary file, not a visit request (YAML or JSON)",
           "a profile is a mapping of keys (version, office, as_of, ...)": "a visit request must be a mapping of fields",
           "file too large for a profile": "file too large for a visit request"}


def read_visit(path: str | Path, gd: Guidance) -> tuple[dict, str]:
    if Path(path).suffix.lower() in (".ttl", ".turtle"):
        raise CarekbError("a visit request is YAML or JSON, not Turtle", str(path))
    try:
        data, lines, source = read_document(path)
    except CarekbError as e:
        for old, new in _REWORD.items():
            e.message = e.message.replace(old, new)
        e.args = (e.message,)
        raise
    return check_visit(data, gd, source, lines), source


def check_visit(data, gd: Guidance, source: str, lines: dict | None = None) -> dict:
    lines = lines or {}

    def where(k):
        ln = lines.get((id(data), k))
        return f"{k} (line {ln})" if ln else k

    if not isinstance(data, dict):
        raise CarekbError("a visit request must be a mapping of fields", source)
    names = [f.name for f in gd.fields]
    for k in data:
        if k not in names:
            raise CarekbError(f"unknown field '{k}' (allowed: {', '.join(names)})", source, where(str(k)))
    out = {}
    for f in gd.fields:
        if f.name not in data or data[f.name] is None:
            raise CarekbError(f"missing field '{f.name}' ({f.label['en']}, {f.type})", source, f.name)
        v = data[f.name]
        if f.type == "boolean":
            if not isinstance(v, bool):
                raise CarekbError(f"expected true or false, got {v!r}", source, where(f.name))
        elif f.type in ("decimal", "integer"):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (f.type == "integer" and not isinstance(v, int)):
                raise CarekbError(f"expected {'an integer' if f.type == 'integer' else 'a number'}, got {v!r}", source, where(f.name))
            if not math.isfinite(v):  # NaN compares false with every bound and threshold: it would admit anyone
                raise CarekbError(f"expected a finite number, got {v!r}", source, where(f.name))
            if (f.min is not None and v < f.min) or (f.max is not None and v > f.max):
                raise CarekbError(f"{v} is outside {f.min}–{f.max}", source, where(f.name))
        elif f.type == "concept-list":
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise CarekbError(f"expected a list (possibly empty: []) of: {', '.join(f.values)}", source, where(f.name))
            bad = [x for x in v if x not in f.values]
            if bad:
                raise CarekbError(f"unknown value '{bad[0]}' (allowed: {', '.join(f.values)})", source, where(f.name))
        out[f.name] = v
    return out


def parse_assume(pairs, gd: Guidance) -> dict[str, float]:
    """--assume ID=VALUE overrides."""
    out = {}
    for p in pairs or ():
        k, sep, v = p.partition("=")
        if not sep or k not in gd.assumptions:
            raise CarekbError(f"expected ID=VALUE with ID one of: {', '.join(gd.assumptions)}", "--assume", p)
        try:
            out[k] = float(v)
        except ValueError:
            raise CarekbError(f"'{v}' is not a number", "--assume", p) from None
        if not math.isfinite(out[k]):
            raise CarekbError(f"'{v}' is not a finite number", "--assume", p)
    return out


def _holds(t: Test, req: dict, values: dict) -> bool:
    v = req[t.field]
    thr = values[t.assumption] if t.assumption else t.threshold
    if t.op == ">=":
        return v >= thr
    if t.op == ">":
        return v > thr
    if t.op == "true":
        return v is True
    if t.op == "not-empty":
        return bool(v)
    raise CarekbError(f"unknown operator '{t.op}'", "kb/guidance", t.field)


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
    return {"id": r.key, "text": text, "items": list(r.implements),
            "source": "; ".join(f"{gd.document.get('source', '')} §{items[i].subsection or items[i].section} {i}".lstrip()
                                for i in r.implements if i in items)}


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
            "assumptions": [{"id": k, "value": values[k], "unit": a.unit, "confidence": a.confidence,
                             "overridden": k in (overrides or {}), "note": a.note} for k, a in gd.assumptions.items()],
            "source": gd.document, "kb_version": gd.version}
