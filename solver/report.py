"""The result contract (spec/profile.md): an Evaluation as a JSON-ready dict, with yen figures."""

from __future__ import annotations

from carekb.model import Cited

from . import yen
from .gap import Evaluation, alternatives_for
from .explain import describe_condition

ROMAN = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ"}


def short_tier(tid: str | None, lang: str = "ja") -> str:
    """Ⅱロ, Ⅴ(3), 相談支援 for the Japanese tables; the tier id itself in English."""
    if tid is None:
        return "なし" if lang == "ja" else "none"
    if lang != "ja":
        return tid
    if tid == "CONSULT":
        return "相談支援"
    if tid.startswith("V") and tid[1:].isdigit():
        return f"Ⅴ({tid[1:]})"
    base, _, suffix = tid.partition("-")
    return ROMAN.get(base, base) + {"i": "イ", "ro": "ロ", "": ""}[suffix]


def pct(rate) -> float | None:
    return float(rate.pct) if rate is not None else None


def cited(c: Cited) -> dict:
    return {"source": c.text(), "confidence": c.confidence}


def money(ev: Evaluation, rate) -> tuple[int | None, str | None]:
    """Monthly yen of the addition at this rate, or None and why not."""
    o = ev.office
    if o.monthly_units is None or o.region is None:
        return None, None
    if rate is None:
        return None, "rate unknown"
    price = ev.kb.prices.get((o.service, o.region))
    if price is None:
        return None, f"unit price unknown for {o.service} in {o.region}"
    return yen.addition_yen(o.monthly_units, rate.pct, price.yen), None


def to_dict(ev: Evaluation, alternatives: bool = True) -> dict:
    kb, o, period = ev.kb, ev.office, ev.period
    highest = ev.results.get(ev.highest) if ev.highest else None
    warnings = list(ev.warnings)
    current_yen, why = money(ev, highest.rate) if highest else (0 if o.monthly_units is not None and o.region else None, None)
    if why:
        warnings.append(f"yen for the current tier: {why}")
    targets = []
    for tid in ev.targets:
        r = ev.results[tid]
        t = {"tier": tid, "rate_pct": pct(r.rate)}
        if r.rate is None:
            warnings.append(f"rate for tier {tid} is unknown for {o.service} in {period.id}")
        if not r.reachable:
            t["reachable"] = False
            t["reason"] = unreachable_reason(ev, r)
            targets.append(t)
            continue
        t.update({
            "reachable": True,
            "missing_count": len(r.missing),
            "missing": list(r.missing),
            "alternatives": alternatives_for(ev, tid) if alternatives else {},
            "uses_pledge": r.uses_pledge,
            "effort": r.cost,
            "yen_per_month_gain": None,
        })
        y, why = money(ev, r.rate)
        if y is not None and current_yen is not None:
            t["yen_per_month_gain"] = y - current_yen
            t["yen_per_year_gain"] = 12 * (y - current_yen)
        elif why and why != "rate unknown":
            warnings.append(f"yen for tier {tid}: {why}")
        if r.exception is not None:
            t["relies_on"] = {"id": r.exception.id, "label": r.exception.label_en, **cited(r.exception.cited)}
        t["actions"] = [action_info(ev, a) for a in r.missing]
        t["rate_source"] = cited(r.rate.cited) if r.rate else None
        targets.append(t)
    out = {
        "office": o.id or o.name or None,
        "office_name": o.name or None,
        "as_of": o.as_of.isoformat(),
        "period": period.id,
        "period_label": period.label_en,
        "service": o.service,
        "service_label": kb.services[o.service].label_ja,
        "highest": ev.highest,
        "rate_pct": pct(highest.rate) if highest else None,
        "attainable": ev.attainable,
        "yen_per_month": current_yen,
        "targets": targets,
        "pledges": "counted" if ev.use_pledges else "ignored",
        "warnings": list(dict.fromkeys(warnings)),
        "kb_version": kb.version,
    }
    return out


def action_info(ev: Evaluation, action: str) -> dict:
    kb, period = ev.kb, ev.period
    info = {"id": action, "label_ja": kb.action_label(action, period, "ja"),
            "label_en": kb.action_label(action, period, "en")}
    kind, _, rest = action.partition(".")
    if kind == "workplace":
        item = kb.items[period.item_list][int(rest)]
        info["category"] = item.category
        info.update(cited(kb.item_lists[period.item_list][2]))
    elif kind == "pledge":
        p = next(p for p in kb.pledges[period.id] if p.id == rest)
        info.update(cited(p.cited))
        info["deadline"] = p.deadline.isoformat()
    else:
        info.update(cited(kb.requirements[action].cited))
    return info


def unreachable_reason(ev: Evaluation, r) -> str:
    o = ev.office
    if r.reason == "history":
        held = f"shogu={o.shogu or 'none'}, tokutei={o.tokutei or 'none'}, baseup={str(o.baseup).lower()}"
        return (f"requires the additions held in May 2024 to be: {describe_condition(r.tier.reachable_when)}; "
                f"this office: {held}")
    return "no set of actions satisfies the rules on this date (e.g. a pledge deadline has passed)"


def tiers_dict(ev: Evaluation) -> dict:
    """The `tiers` command: every tier of the service with its rate and state."""
    out = {k: v for k, v in to_dict(ev, alternatives=False).items() if k != "targets"}
    out["tiers"] = [{"tier": tid, "rate_pct": pct(r.rate), "attained": r.attained, "reachable": r.reachable,
                     "missing_count": len(r.missing) if r.reachable else None,
                     "rate_confidence": r.rate.cited.confidence if r.rate else None}
                    for tid, r in ev.results.items()]
    return out
