"""The result contract (docs/profile.md): an Evaluation as a JSON-ready dict, with yen figures."""

from __future__ import annotations

from carekb.model import actions
from carekb.model.types import Cited

from carekb.solver import yen
from carekb.solver.gap import Evaluation, alternatives_for
from carekb.solver.memo import per_kb
from carekb.solver.explain import describe_condition
from carekb.solver.why_needed import why_needed_all

ROMAN = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ"}
# Period OLD: a tier id names the old additions claimed together, e.g. S1+T1+B.
OLD_PARTS = {"S": "処遇", "T": "特定", "B": "ベア"}
OLD_LEVEL = {"1": "Ⅰ", "2": "Ⅱ", "3": "Ⅲ", "": ""}


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
    parts = tid.split("+")
    if all(p[:1] in OLD_PARTS and p[1:] in OLD_LEVEL for p in parts) and tid[:1] == "S":
        return "+".join(OLD_PARTS[p[0]] + OLD_LEVEL[p[1:]] for p in parts)
    base, _, suffix = tid.partition("-")
    return ROMAN.get(base, base) + {"i": "イ", "ro": "ロ", "": ""}[suffix]


def pct(rate) -> float | None:
    return float(rate.pct) if rate is not None else None


def cited(c: Cited) -> dict:
    return {"source": c.text(), "confidence": c.confidence}


def money(ev: Evaluation, rate) -> tuple[int | None, str | None]:
    """Monthly yen of the addition at this rate, or None and why not."""
    return money_at(ev.kb, ev.office, rate)


def money_at(kb, o, rate) -> tuple[int | None, str | None]:
    if o.monthly_units is None or o.region is None:
        return None, None
    if rate is None:
        return None, "rate unknown"
    price = kb.prices.get((o.service, o.region))
    if price is None:
        return None, f"unit price unknown for {o.service} in {o.region}"
    return yen.addition_yen(o.monthly_units, rate.pct, price.yen), None


def money_view(ev: Evaluation) -> tuple[int | None, list[str], dict[str, int | None]]:
    """The current monthly yen, the result's warnings (the evaluation's, then the yen and unknown-rate
    notes in target order, each once) and each reachable target's monthly gain (None: unknown).
    Shared by the JSON contract and the batch tables, so both say the same."""
    highest = ev.results.get(ev.highest) if ev.highest else None
    targets = [(tid, r.rate, r.reachable) for tid in ev.targets for r in (ev.results[tid],)]
    return money_lines(ev.kb, ev.office, ev.period.id, highest is not None, highest.rate if highest else None,
                       targets, ev.warnings)


def money_lines(kb, o, period_id: str, held: bool, held_rate, targets, warnings) -> tuple[int | None, list[str], dict]:
    """`money_view` from its parts: whether a tier is held and its rate, the targets as
    (tier id, rate, reachable), the evaluation's warnings."""
    warnings = list(warnings)
    current, why = money_at(kb, o, held_rate) if held else (0 if o.monthly_units is not None and o.region else None, None)
    if why:
        warnings.append(f"yen for the current tier: {why}")
    gains: dict[str, int | None] = {}
    for tid, rate, reachable in targets:
        if rate is None:
            warnings.append(f"rate for tier {tid} is unknown for {o.service} in {period_id}")
        if not reachable:
            continue
        y, why = money_at(kb, o, rate)
        gains[tid] = y - current if y is not None and current is not None else None
        if gains[tid] is None and why and why != "rate unknown":
            warnings.append(f"yen for tier {tid}: {why}")
    return current, list(dict.fromkeys(warnings)), gains


def to_dict(ev: Evaluation, alternatives: bool = True) -> dict:
    kb, o, period = ev.kb, ev.office, ev.period
    highest = ev.results.get(ev.highest) if ev.highest else None
    current_yen, warnings, gains = money_view(ev)
    whys = why_needed_all(ev, ev.targets)
    targets = []
    for tid in ev.targets:
        r = ev.results[tid]
        t = {"tier": tid, "rate_pct": pct(r.rate)}
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
            "yen_per_month_gain": gains[tid],
        })
        if gains[tid] is not None:
            t["yen_per_year_gain"] = 12 * gains[tid]
        if r.exception is not None:
            t["relies_on"] = {"id": r.exception.id, "label": r.exception.label_en, **cited(r.exception.cited)}
        why = whys.get(tid, {})   # the rules that bring in actions the tier does not name itself
        t["actions"] = [{**action_info(ev, a), "required_by": why.get(a, [])} for a in r.missing]
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
        "warnings": warnings,
        "kb_version": kb.version,
    }
    grants = grants_info(ev)
    if grants:
        out["grants"] = grants
    return out


def grants_info(ev: Evaluation) -> list[dict]:
    """Grants (交付金) in force during the period: information beside the tiers, never a tier.

    Eligible when the highest attainable combination includes one of the old tiers the grant needs."""
    kb, o = ev.kb, ev.office
    highest = ev.results[ev.highest].tier if ev.highest else None
    out = []
    for g in kb.grants.values():
        if not g.overlaps(ev.period):
            continue
        rate = kb.component_rates.get((g.id, o.service))
        out.append({
            "id": g.id, "label": g.label_ja, "label_en": g.label_en,
            "valid_from": g.valid_from.isoformat(), "valid_to": g.valid_to.isoformat(),
            "rate_pct": pct(rate), "rate_source": cited(rate.cited) if rate else None,
            "condition": g.condition_ja, "condition_en": g.condition_en,
            "eligible": bool(highest and set(highest.combines) & set(g.held_any)),
            "note": g.note, **cited(g.cited),
        })
    return out


def action_info(ev: Evaluation, action: str) -> dict:
    """Labels and source of an action (a fresh dict: callers may add to it)."""
    return dict(_action_info(ev.kb, ev.period.id, action))


@per_kb
def _action_info(kb, period_id: str, action: str) -> dict:
    period = kb.periods[period_id]
    info = {"id": action, "label_ja": kb.action_label(action, period, "ja"),
            "label_en": kb.action_label(action, period, "en")}
    a = actions.parse(action)
    info.update(cited(action_cited(kb, period_id, action)))
    if a.kind == actions.WORKPLACE:
        info["category"] = kb.items[period.item_list][a.number].category
    elif a.kind == actions.PLEDGE:
        info["deadline"] = next(p for p in kb.pledges[period.id] if p.id == a.key).deadline.isoformat()
    return info


def action_cited(kb, period_id: str, action: str) -> Cited:
    """Where an action's rule comes from: its workplace list, its pledge rule or its requirement."""
    period = kb.periods[period_id]
    a = actions.parse(action)
    if a.kind == actions.WORKPLACE:
        return kb.item_lists[period.item_list][2]
    if a.kind == actions.PLEDGE:
        return next(p for p in kb.pledges[period.id] if p.id == a.key).cited
    return kb.requirements[action].cited


def unreachable_reason(ev: Evaluation, r) -> str:
    return reason_text(ev.office, r.tier, r.reason)


def reason_text(o, tier, reason: str) -> str:
    """Why a tier cannot be reached: its May-2024 history condition, or no action set works."""
    if reason == "history":
        held = f"shogu={o.shogu or 'none'}, tokutei={o.tokutei or 'none'}, baseup={str(o.baseup).lower()}"
        return f"requires the additions held in May 2024 to be: {_described(tier.reachable_when)}; this office: {held}"
    return "no set of actions satisfies the rules on this date (e.g. a pledge deadline has passed)"


_descriptions: dict[tuple, str] = {}


def _described(cond: tuple) -> str:
    if cond not in _descriptions:
        _descriptions[cond] = describe_condition(cond)
    return _descriptions[cond]


def tiers_dict(ev: Evaluation) -> dict:
    """The `tiers` command: every tier of the service with its rate and state."""
    out = {k: v for k, v in to_dict(ev, alternatives=False).items() if k != "targets"}
    out["tiers"] = [{"tier": tid, "rate_pct": pct(r.rate), "attained": r.attained, "reachable": r.reachable,
                     "missing_count": len(r.missing) if r.reachable else None,
                     "rate_confidence": r.rate.cited.confidence if r.rate else None}
                    for tid, r in ev.results.items()]
    return out
