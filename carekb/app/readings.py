"""Evaluate an office under the other readings of the contested rules that can change its answer.

`report(root, ev)` gives the JSON contract's `"readings"`: for every contested rule of the
evaluation's period whose readings compile the office's tiers differently (so that some set of
actions would be judged differently), each reading's highest tier and whether it differs from the
answer shown (`differs`: the highest tier or any target's missing count changes).  The
readings are KB data (kb/*/readings.ttl); nothing here names one.
"""

from __future__ import annotations

from carekb.model.types import KB
from carekb.graph.readings import under_readings
from carekb.solver.gap import Evaluation, evaluate
from carekb.solver.rules import Context, compile_tier


def in_force(root: KB, ev_kb: KB, contest: str) -> str:
    """The reading of `contest` that `ev_kb` (root, or root under readings) follows."""
    chosen = [r for r in ev_kb.in_force if root.readings[r].contest == contest]
    if chosen:
        return chosen[0]
    return next(r.id for r in root.readings.values() if r.contest == contest and r.default)


def _rules_of(kb: KB, office, period, use_pledges: bool) -> dict:
    """Each tier of the office's service compiled for this office: (action set, counting rules) terms."""
    ctx = Context(kb, period, office, use_pledges)
    return {t.id: frozenset(compile_tier(ctx, t.id)) for t in kb.tiers_for(period.id, office.service)}


def can_matter(kb: KB, variant: KB, ev: Evaluation) -> bool:
    """Whether the variant's rules differ from kb's for this office, whatever actions it takes: its
    tiers' compiled forms differ (the office's facts — service, history, date — are fixed)."""
    return _rules_of(kb, ev.office, ev.period, ev.use_pledges) != _rules_of(variant, ev.office, ev.period, ev.use_pledges)


def _counts(ev: Evaluation) -> dict[str, int | None]:
    return {t: (len(r.missing) if r.reachable else None) for t, r in ev.results.items()}


def report(root: KB, ev: Evaluation, lang: str = "ja") -> list[dict]:
    """The readings that can matter for this evaluation (root: the KB without any reading applied)."""
    out = []
    kb_root = root.for_service(ev.office.service)
    for contest in kb_root.contests.values():
        if contest.period != ev.period.id:
            continue
        shown = in_force(kb_root, ev.kb, contest.id)
        readings = [kb_root.readings[i] for i in contest.readings]
        others = [x for x in ev.kb.in_force if kb_root.readings[x].contest != contest.id]
        under = {r.id: under_readings(kb_root, others + [r.id]) for r in readings}
        if not any(can_matter(under[shown], under[r.id], ev) for r in readings if r.id != shown):
            continue
        for r in readings:
            entry = {"id": r.id, "contest": contest.id, "label": r.label_ja if lang == "ja" else r.label_en,
                     "default": r.default, "in_force": r.id == shown, "confidence": r.cited.confidence,
                     "source": r.cited.text()}
            if r.id == shown:
                entry.update({"highest": ev.highest, "differs": False,
                              "missing_count": {t: _counts(ev)[t] for t in ev.targets}})
            else:
                other = evaluate(under[r.id], ev.office, ev.period, ev.use_pledges)
                counts, theirs = _counts(ev), _counts(other)
                differs = other.highest != ev.highest or any(counts[t] != theirs.get(t) for t in ev.targets)
                entry.update({"highest": other.highest, "differs": differs,
                              "missing_count": {t: theirs.get(t) for t in other.targets}})
            if r.default:
                entry["default_reason"] = r.reason_ja if lang == "ja" else r.reason_en
            out.append(entry)
    return out


def differs_line(readings: list[dict], short_tier, lang: str = "ja") -> str:
    """One line for tables when a reading changes the answer, naming each such reading and its answer."""
    diff = [r for r in readings if r["differs"]]
    if not diff:
        return ""
    shown = {r["contest"]: r for r in readings if r["in_force"]}
    parts = []
    for r in diff:
        base = shown[r["contest"]]
        counts = ", ".join(f"{short_tier(t, lang)} {n}" for t, n in r["missing_count"].items() if n is not None)
        if lang == "ja":
            parts.append(f"{r['id']}「{r['label']}」では最上位 {short_tier(r['highest'], lang)}"
                         + (f"（不足: {counts}）" if counts else "")
                         + f"、この結果は {base['id']}「{base['label']}」によるもの（最上位 {short_tier(base['highest'], lang)}）")
        else:
            parts.append(f"under {r['id']} ({r['label']}) the highest tier is {short_tier(r['highest'], lang)}"
                         + (f" (missing: {counts})" if counts else "")
                         + f"; this answer follows {base['id']} ({base['label']}; highest {short_tier(base['highest'], lang)})")
    head = "解釈により結果が変わります: " if lang == "ja" else "The answer depends on a contested reading: "
    tail = "（--reading ID で切り替え）" if lang == "ja" else " (switch with --reading ID)"
    return head + "; ".join(parts) + tail
