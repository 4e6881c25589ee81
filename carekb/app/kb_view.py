"""What the KB says about a period, as the JSON contracts of `carekb requirements` and
`carekb services`: requirement atoms, tier expressions, workplace rules and items, pledges, the old
additions and grants, and each service's tiers and rates."""

from __future__ import annotations

import datetime as dt

from carekb.model.dates import today
from carekb.model.errors import CarekbError
from carekb.i18n import t
from carekb.model.types import KB, Period
from carekb.inputs.profile import resolve_period
from carekb.solver.explain import describe_condition
from carekb.solver.gap import rank_tiers


def select_period(kb: KB, period: str | None, as_of: dt.date | None = None) -> Period:
    """The period named, else the one in force on `as_of`, else today's."""
    if period:
        if period not in kb.periods:
            raise CarekbError(t("err.unknown_period", period=period, periods=", ".join(kb.periods)), "--period")
        return kb.periods[period]
    return resolve_period(kb, as_of or today(), "--as-of" if as_of else "today")


def expr_text(e: tuple) -> str:
    """A rule expression in one line: (cp1 & (cp2 | pledge…)), env:rule, [condition]."""
    kind = e[0]
    if kind in ("all", "any"):
        inner = (" & " if kind == "all" else " | ").join(expr_text(x) for x in e[1])
        return f"({inner})"
    if kind == "tier":
        return e[2]
    if kind == "wrule":
        return f"env:{e[1]}"
    if kind in ("act", "req"):
        return e[1]
    return f"[{describe_condition(e)}]"


def requirements_dict(kb: KB, p: Period, lang: str = "ja") -> dict:
    ja = lang == "ja"
    reqs = [{"id": r.id, "label_ja": r.label_ja, "label_en": r.label_en, "composite": r.composite,
             "satisfied_when": r.satisfied_when_ja if ja else (r.satisfied_when_en or r.satisfied_when_ja),
             "source": r.cited.text(), "confidence": r.cited.confidence}
            for r in kb.requirements.values() if not r.periods or p.id in r.periods]
    tiers = [{"tier": t.id, "label": t.label_ja if ja else t.label_en, "requires": expr_text(t.expr),
              "service_groups": sorted(t.groups), "source": t.cited.text(), "confidence": t.cited.confidence}
             for t in kb.tiers.get(p.id, {}).values()]
    rules = [{"id": r.id, "label": r.label_ja if ja else r.label_en, "source": r.cited.text(),
              "confidence": r.cited.confidence} for r in kb.rules.values() if r.period == p.id]
    items = [{"number": it.number, "category": it.category, "label_ja": it.label_ja}
             for it in kb.items[p.item_list].values()]
    pledges = [{"id": f"pledge.{x.id}", "satisfies": [expr_text(t) for t in x.targets], "deadline": x.deadline.isoformat(),
                "condition": expr_text(x.condition) if x.condition else None, "source": x.cited.text(),
                "confidence": x.cited.confidence} for x in kb.pledges.get(p.id, ())]
    data = {"period": p.id, "label": p.label_ja if ja else p.label_en, "valid_from": p.valid_from.isoformat(),
            "valid_to": p.valid_to.isoformat() if p.valid_to else None, "kb_version": kb.version,
            "requirements": reqs, "tiers": tiers, "workplace_rules": rules, "workplace_items": items, "pledges": pledges}
    old, grants = old_additions(kb, p, lang)
    if old:
        data["old_additions"] = old
    if grants:
        data["grants"] = grants
    return data


def old_additions(kb: KB, p: Period, lang: str) -> tuple[list, list]:
    """The old additions and grants in force during a period (before 2024-06 only), with per-service rates."""
    ja = lang == "ja"

    def rates(key):
        return {svc: float(r.pct) for (k, svc), r in sorted(kb.component_rates.items()) if k == key}

    old = []
    for a in kb.old_additions.values():
        if not p.overlaps(a.valid_from, a.valid_to):
            continue
        tiers = []
        for key in a.tiers:
            t = kb.old_tiers[key]
            req = kb.requirements.get(t.requirement) if t.requirement else None
            tiers.append({"key": key, "tier": t.tier, "label": t.label_ja if ja else t.label_en,
                          "valid_to": t.valid_to.isoformat() if t.valid_to else None,
                          "requires": expr_text(req.definition) if req else None,
                          "amount": f"{t.fraction} × {t.fraction_of}" if t.fraction_of else None,
                          "rates": rates(key), "source": t.cited.text(), "confidence": t.cited.confidence})
        old.append({"id": a.id, "label": a.label_ja if ja else a.label_en,
                    "valid_from": a.valid_from.isoformat() if a.valid_from else None,
                    "valid_to": a.valid_to.isoformat() if a.valid_to else None, "tiers": tiers,
                    "source": a.cited.text(), "confidence": a.cited.confidence})
    grants = [{"id": g.id, "label": g.label_ja if ja else g.label_en, "valid_from": g.valid_from.isoformat(),
               "valid_to": g.valid_to.isoformat(), "condition": g.condition_ja if ja else g.condition_en,
               "held_any": list(g.held_any), "rates": rates(g.id), "note": g.note, "source": g.cited.text(),
               "confidence": g.cited.confidence} for g in kb.grants.values() if g.overlaps(p)]
    return old, grants


def services_dict(kb: KB, p: Period) -> dict:
    data = []
    for s in kb.own_services().values():
        ranked, _ = rank_tiers(kb, p, s.id)
        data.append({"service_id": s.id, "name_ja": s.label_ja, "name_en": s.label_en, "groups": sorted(s.groups),
                     "law": s.law, "cp5_means": s.cp5_means or None,
                     "tiers": [{"tier": t.id, "rate_pct": float(kb.rates[(p.id, s.id, t.id)].pct)
                                if (p.id, s.id, t.id) in kb.rates else None} for t in ranked]})
    return {"period": p.id, "kb_version": kb.version, "services": data}
