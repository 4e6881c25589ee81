"""The batch's evaluation: offices → `batch_sheets.brief` tuples, one per pledge mode, on the
whole-run array path (solver/columnar.py).

`briefs(kb, offices, modes)` equals `[tuple(brief(evaluate(office, mode)) for mode in modes) ...]`
(tests/test_columnar.py), built without an Evaluation per office: what depends only on the rule
situation (tier ids, rates, the notes on a tier, unreachable reasons) is prepared once per
situation, the notes on an office's own facts once per distinct set of them, and the yen per office
with integer arithmetic. Offices the array path does not take go through `gap.evaluate`.
"""

from __future__ import annotations

from carekb.model.types import KB
from carekb.inputs.profile import Office
from carekb.solver import columnar
from carekb.solver.vectorized import gc_paused
from carekb.solver.yen import addition_yen
from carekb.solver.gap import evaluate, history_matters, office_warnings, tier_warnings, unknown_rates_warning
from carekb.app.batch_sheets import brief
from carekb.app.report import money_lines, pct, reason_text


def briefs(kb: KB, offices: list[Office], modes: tuple[bool, ...]) -> list[tuple]:
    """Per office, its brief tuple under each pledge mode (True: pledges counted), in input order."""
    with gc_paused():
        memo: dict = {}
        out = []
        for office, outcomes in zip(offices, columnar.solve(kb, offices, modes)):
            if outcomes is None:
                okb = kb.for_service(office.service)
                out.append(tuple(brief(evaluate(okb, office, okb.period_at(office.as_of), use)) for use in modes))
            else:
                out.append(tuple(_brief(o, memo) for o in outcomes))
        return out


class _View:
    """What the briefs of one situation share (kept in `Situation.memo`)."""

    def __init__(self, s: columnar.Situation):
        self.tids = [t.id for t in s.ranked]
        self.rates = [s.kb.rates.get((s.period.id, s.service, t.id)) for t in s.ranked]
        self.pcts = [pct(r) for r in self.rates]
        self.known = all(r is not None for r in self.rates)
        self.unknown = [] if s.by_rate else \
            [unknown_rates_warning(s.kb, s.period, s.service, [t for t, r in zip(self.tids, self.rates) if r is None])]
        self.notes = [tier_warnings(t.id, rate, None, t) for t, rate in zip(s.ranked, self.rates)]
        self.exception_notes: dict = {}
        self.reasons: dict = {}
        self.history: bool | None = None    # history_matters, once asked
        self.plans: dict = {}

    def plan(self, s: columnar.Situation, hi: int | None) -> tuple:
        """For the highest attained tier (rank, or None): the targets above it, the tiers shown
        (highest and targets) and their notes when no exception is relied on."""
        p = self.plans.get(hi)
        if p is None:
            if hi is None:
                targets = tuple(range(len(s.ranked)))
            elif s.by_rate:
                held = self.rates[hi].pct
                targets = tuple(r for r in range(hi) if self.rates[r].pct > held)
            else:
                targets = tuple(range(hi))
            shown = ((hi,) if hi is not None else ()) + targets
            p = self.plans[hi] = (targets, shown, self.unknown + [n for r in shown for n in self.notes[r]])
        return p

    def tier_notes(self, s: columnar.Situation, r: int, exception) -> list[str]:
        if exception is None:
            return self.notes[r]
        hit = self.exception_notes.get((r, exception.id))
        if hit is None:
            hit = self.exception_notes[(r, exception.id)] = tier_warnings(self.tids[r], self.rates[r], exception, s.ranked[r])
        return hit


def _brief(out: columnar.Outcome, memo: dict) -> tuple:
    """`batch_sheets.brief` of the evaluation this Outcome stands for."""
    s, o, slots = out.situation, out.office, out.slots
    v = s.memo.get(_View) or s.memo.setdefault(_View, _View(s))
    attained = [r for r, sl in enumerate(slots) if sl[2] == 0]     # cost 0 (unreachable tiers have none)
    hi = attained[0] if attained else None
    targets, shown, notes = v.plan(s, hi)
    if any(slots[r][4] is not None for r in shown):   # an exception relied on: its note beside its tier's
        warnings = list(v.unknown)
        for r in shown:
            warnings += v.tier_notes(s, r, slots[r][4])
    else:
        warnings = list(notes)
    key = (id(s), o.history_given, o.pledged, o.as_of, o.employees is not None and o.employees < 10)
    notes = memo.get(key)
    if notes is None:
        if not o.history_given and v.history is None:
            v.history = history_matters(s.ctx)
        notes = memo[key] = office_warnings(s.kb, s.period, o, s.use_pledges, not o.history_given and v.history)
    warnings += notes
    price = s.kb.prices.get((o.service, o.region)) if v.known and o.monthly_units is not None else None
    if price is not None:   # every yen known: no note to add (money_lines' own path otherwise)
        last = memo.get("yen")      # the modes of one office follow each other: its yen once
        if last is None or last[0] is not o:
            last = memo["yen"] = (o, {})
        yen = last[1]
        current = _yen(yen, o.monthly_units, v.rates[hi].pct, price.yen) if hi is not None else 0
        gains = {v.tids[r]: _yen(yen, o.monthly_units, v.rates[r].pct, price.yen) - current for r in targets if slots[r][0]}
        warnings = list(dict.fromkeys(warnings))
    else:
        current, warnings, gains = money_lines(s.kb, o, s.period.id, hi is not None, v.rates[hi] if hi is not None else None,
                                               [(v.tids[r], v.rates[r], slots[r][0]) for r in targets], warnings)
    rows = []
    for r in targets:
        reachable, reason, _, missing = slots[r][:4]
        tid = v.tids[r]
        if reachable:
            rows.append((tid, v.pcts[r], True, len(missing), gains[tid], slots[r][5], missing, ""))
            continue
        rkey = (r, reason, o.shogu, o.tokutei, o.baseup)
        text = v.reasons.get(rkey)
        if text is None:
            text = v.reasons[rkey] = reason_text(o, s.ranked[r], reason)
        rows.append((tid, v.pcts[r], False, None, None, False, (), text))
    return (v.tids[hi] if hi is not None else None, v.pcts[hi] if hi is not None else None, current, tuple(warnings),
            tuple(v.tids[r] for r in attained), tuple(rows))


def _yen(cache: dict, units: int, rate_pct, price) -> int:
    hit = cache.get(rate_pct)
    if hit is None:
        hit = cache[rate_pct] = addition_yen(units, rate_pct, price)
    return hit
