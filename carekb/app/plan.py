"""Effort-weighted planning: which higher tier pays best within an effort budget, and in what order
to do its actions.

Options: every tier above the current one with its minimum effort (the exact solver, with the
profile's and the CSV's efforts) and its gain over the current tier — yen a month where the
office's yen can be computed, else rate points (with a warning). The chosen tier has the largest
gain among those whose minimum effort is within the budget (ties: less effort).

Next steps: the chosen plan's actions grouped into stages. Each stage is the cheapest subset of
the plan's remaining actions that reaches some tier above the one reached so far; stages are
picked greedily by the gain they add per unit of effort. A single action earns nothing until its
stage's tier is complete, so gain is credited to the stage, never split among its actions.
"""

from __future__ import annotations

from carekb.model import actions
from carekb.model.types import KB, Period
from carekb.inputs.profile import Office

from carekb.solver.gap import cost_function, evaluate
from carekb.app.report import to_dict
from carekb.app.whatif import action_field

OUTSIDE = 10 ** 9  # effort given to actions outside the plan when staging it: never chosen while the plan suffices


def gains(data: dict) -> tuple[str, dict[str, float | None]]:
    """('yen', {tier: yen a month}) when any yen gain is known, else ('rate_pct', {tier: points})."""
    targets = [t for t in data["targets"] if t.get("reachable")]
    if any(t.get("yen_per_month_gain") is not None for t in targets):
        return "yen", {t["tier"]: t.get("yen_per_month_gain") for t in targets}
    base = data["rate_pct"] if data["highest"] else 0.0
    return "rate_pct", {t["tier"]: (None if t["rate_pct"] is None or base is None else round(t["rate_pct"] - base, 4))
                        for t in targets}


def plan(kb: KB, office: Office, period: Period, budget: int | None = None, use_pledges: bool = True,
         extra_effort: dict[str, int] | None = None) -> dict:
    kb = kb.for_service(office.service)
    ev = evaluate(kb, office, period, use_pledges=use_pledges, extra_effort=extra_effort)
    data = to_dict(ev, alternatives=False)
    basis, gain = gains(data)
    warnings = list(data["warnings"])
    if basis == "rate_pct" and data["targets"]:
        warnings.append("yen unknown (office.region, office.monthly_units or the unit price missing): "
                        "gains are in rate points (%)")
    options = []
    for t in data["targets"]:
        opt = {"tier": t["tier"], "rate_pct": t["rate_pct"], "reachable": t["reachable"]}
        if t["reachable"]:
            g = gain.get(t["tier"])
            opt.update({"effort": t["effort"], "missing": t["missing"], "gain": g,
                        "yen_per_month_gain": t.get("yen_per_month_gain"),
                        "yen_per_year_gain": t.get("yen_per_year_gain"),
                        "within_budget": budget is None or t["effort"] <= budget})
            if g is None:
                warnings.append(f"gain of tier {t['tier']} unknown (rate unknown): not considered")
        else:
            opt["reason"] = t["reason"]
        options.append(opt)
    fits = [o for o in options if o["reachable"] and o["within_budget"] and o["gain"] is not None and o["gain"] > 0]
    chosen = max(fits, key=lambda o: (o["gain"], -o["effort"]), default=None)
    steps = stages(kb, office, period, chosen, gain, use_pledges, extra_effort) if chosen else []
    return {k: data[k] for k in ("office", "office_name", "as_of", "period", "service", "highest", "rate_pct",
                                 "yen_per_month")} | {
        "budget": budget, "gain_basis": basis, "options": options,
        "chosen": chosen["tier"] if chosen else None,
        "chosen_effort": chosen["effort"] if chosen else None,
        "chosen_gain": chosen["gain"] if chosen else None,
        "next_steps": steps, "pledges": data["pledges"],
        "warnings": list(dict.fromkeys(warnings)), "kb_version": data["kb_version"],
    }


def universe(kb: KB, period: Period) -> list[str]:
    """Every action id of the period: atoms, its workplace items, its pledges."""
    atoms = [r.id for r in kb.requirements.values() if not r.composite]
    items = [actions.workplace(n) for n in kb.items[period.item_list]]
    return atoms + items + [actions.pledge(p.id) for p in kb.pledges.get(period.id, ())]


def with_done(office: Office, done: set[str]) -> Office:
    """The office as if these actions were in place."""
    fields = {"met": set(office.met), "workplace": set(office.workplace), "pledged": set(office.pledged)}
    for a in done:
        key, value = action_field(a)
        fields[key].add(value)
    return office.with_changes(**{k: frozenset(v) for k, v in fields.items()})


def stages(kb: KB, office: Office, period: Period, chosen: dict, gain: dict, use_pledges: bool,
           extra_effort: dict | None) -> list[dict]:
    """The chosen plan's actions in stages, greedily by gain added per unit of effort (see module doc)."""
    plan_actions = set(chosen["missing"])
    cost_of = cost_function(office, extra_effort)
    effort = dict(extra_effort or {})
    effort.update({a: OUTSIDE for a in universe(kb, period) if a not in plan_actions})
    done: set[str] = set()
    reached_gain, total, out = 0, 0, []
    while len(out) <= len(plan_actions):
        ev = evaluate(kb, with_done(office, done), period, use_pledges=use_pledges, extra_effort=effort)
        if ev.highest is not None and gain.get(ev.highest) is not None:
            reached_gain = max(reached_gain, gain[ev.highest])
        if reached_gain >= chosen["gain"]:
            break
        best = None
        for tid in ev.targets:
            r = ev.results[tid]
            g = gain.get(tid)
            if not r.reachable or r.cost >= OUTSIDE or g is None or g <= reached_gain:
                continue
            key = ((g - reached_gain) / r.cost, -r.cost, g)
            if best is None or key > best[0]:
                best = (key, tid, r)
        if best is None:
            break
        (ratio, _, g), tid, r = best
        total += r.cost
        actions = [{"id": a, "label_ja": kb.action_label(a, period, "ja"), "label_en": kb.action_label(a, period, "en"),
                    "effort": cost_of(a)} for a in r.missing]
        out.append({"step": len(out) + 1, "actions": actions, "effort": r.cost, "cumulative_effort": total,
                    "reaches": tid, "rate_pct": float(r.rate.pct) if r.rate else None,
                    # rate points are floats: 12.1 - 10.5 is 1.5999999999999996 without the rounding
                    "gain_added": round(g - reached_gain, 4), "gain_per_effort": round(ratio, 2)})
        done |= set(r.missing)
    return out
