"""The batch's evaluation: offices → `batch_sheets.brief` tuples, one per pledge mode, on the
whole-run array path (solver/columnar.py).

`briefs(kb, offices, modes)` equals `[tuple(brief(evaluate(office, mode)) for mode in modes) ...]`
(tests/test_columnar.py), built without an Evaluation per office. Nearly every office has a rule
situation of its own, so what depends only on the scheme, period and service (tier ids, rates, per
highest tier the targets and notes, the rows of tiers closed by history, the money notes) is prepared
once per (period, service) and shared by all its situations; the notes on an office's own facts once
per distinct set of them; the yen with integer arithmetic, once per office and tier for both modes.
Offices the array path does not take go through `gap.evaluate`.
"""

from __future__ import annotations

from itertools import compress, islice, repeat
from operator import eq, is_, itemgetter

from carekb.model.types import KB, Period
from carekb.inputs.profile import Office
from carekb.solver import columnar
from carekb.solver.memo import per_kb
from carekb.solver.vectorized import gc_paused
from carekb.solver.yen import yen_at_ratios
from carekb.solver.gap import (evaluate, history_matters, office_warnings, rank_tiers, tier_warnings,
                               unknown_rates_warning)
from carekb.app.batch_sheets import brief
from carekb.app.report import money_lines, pct, reason_text

_REACHABLE, _COST, _EXCEPTION = itemgetter(0), itemgetter(2), itemgetter(4)
MEMO_LIMIT = 50_000     # entries of a memo keyed by offices' facts or answers: hostile input cannot grow it


def briefs(kb: KB, offices: list[Office], modes: tuple[bool, ...]) -> list[tuple]:
    """Per office, its brief tuple under each pledge mode (True: pledges counted), in input order."""
    with gc_paused():
        out = []
        taken, situations, slots = columnar.solve_jobs(kb, offices, modes)
        jobs, m = zip(situations, slots), len(modes)
        for office, fits in zip(offices, repeat(True) if taken is None else taken):
            if fits:
                out.append(_office_briefs(office, islice(jobs, m)))
            else:
                okb = kb.for_service(office.service)
                out.append(tuple(brief(evaluate(okb, office, okb.period_at(office.as_of), use)) for use in modes))
        return out


class _Tiers:
    """What the briefs of every situation of one (scheme, period, service) share."""

    def __init__(self, kb: KB, period: Period, service: str):
        ranked, self.by_rate = rank_tiers(kb, period, service)
        self.kb, self.period, self.service, self.ranked = kb, period, service, ranked
        self.tids = tuple(t.id for t in ranked)
        self.rates = [kb.rates.get((period.id, service, t.id)) for t in ranked]
        self.pcts = [pct(r) for r in self.rates]
        self.ratios = [r.pct.as_integer_ratio() if r is not None else None for r in self.rates]
        self.unknown = () if self.by_rate else \
            (unknown_rates_warning(kb, period, service, [t for t, r in zip(self.tids, self.rates) if r is None]),)
        self.notes = [tuple(tier_warnings(t.id, rate, None, t)) for t, rate in zip(ranked, self.rates)]
        self.shapes: dict = {}         # ranks closed by history -> _Shape
        self.bases: dict = {}          # highest tier id or None -> its _Plan (copied per _Shape)
        self.own: dict = {}            # (pledge mode, history counts) -> {office's own facts: their notes}
        self.exception_notes: dict = {}
        self.unreachable: dict = {}    # (rank, reason, May-2024 history) -> the target's row
        self.prices: dict = {}         # region -> the unit price as an integer ratio, or None
        self.attained: dict = {}       # tuple of attained tier ids -> itself

    def view(self, s: columnar.Situation) -> "_View":
        closed = frozenset(r for r, bucket in enumerate(s.buckets) if bucket is None)
        shape = self.shapes.get(closed)
        if shape is None:
            shape = self.shapes[closed] = _Shape(self, closed)
        return _View(self, shape, s)

    def own_notes(self, s: columnar.Situation, o: Office, hist: bool, own: tuple) -> tuple:
        """office_warnings, kept by the office's own facts (`own`) per pledge mode and history flag."""
        memo = self.own[(s.use_pledges, hist)]
        if len(memo) > MEMO_LIMIT:
            memo.clear()
        notes = memo[own] = tuple(office_warnings(self.kb, self.period, o, s.use_pledges, hist))
        return notes

    def price(self, region: str) -> tuple[int, int] | None:
        if region not in self.prices:
            p = self.kb.prices.get((self.service, region))
            self.prices[region] = p.yen.as_integer_ratio() if p is not None else None
        return self.prices[region]


class _Shape:
    """The tiers of a (period, service) with these closed by history: the plans per highest tier id
    (or None), and how to pick the slots of the open tiers (the only ones that can be attained)."""
    __slots__ = ("plans", "pick", "tids", "zeros")

    def __init__(self, t: _Tiers, closed: frozenset):
        self.plans = _Plans(t, closed)
        ranks = [r for r in range(len(t.tids)) if r not in closed]
        if not ranks or ranks == list(range(ranks[0], ranks[-1] + 1)):     # a slice of them (a list)
            self.pick = itemgetter(slice(ranks[0], ranks[-1] + 1) if ranks else slice(0, 0))
        else:                                                               # a tuple of them
            self.pick = itemgetter(*ranks)
        self.tids = tuple(t.tids[r] for r in ranks)
        self.zeros = (0,) * len(ranks)


class _View:
    """One situation's: its tiers' shared view, the plans of its tiers closed by history, where the
    notes on an office's own facts are kept (by whether its history is given)."""
    __slots__ = ("t", "shape", "attained", "plans", "s", "given", "open")

    def __init__(self, t: _Tiers, shape: _Shape, s: columnar.Situation):
        self.t, self.shape, self.attained, self.plans, self.s = t, shape, t.attained, shape.plans, s
        self.given = t.own.setdefault((s.use_pledges, False), {})
        self.open = None

    def own_notes(self, o: Office, own: tuple) -> tuple:
        """The notes on the office's own facts (office_warnings), memoised by them."""
        memo, hist = (self.given, False) if o.history_given else (self.open or self.opening())
        hit = memo.get(own)
        if hit is None:
            hit = self.t.own_notes(self.s, o, hist, own)
        return hit

    def opening(self) -> tuple:
        """(memo, flag) for offices whose May-2024 history is not given: whether it could change their
        tiers, asked once."""
        hist = history_matters(self.s.ctx)
        self.open = (self.t.own.setdefault((self.s.use_pledges, hist), {}), hist)
        return self.open


class _Plans(dict):
    """A shape's plans by highest tier id (or None), each made when first asked."""

    def __init__(self, t: _Tiers, closed: frozenset):
        super().__init__()
        self.t, self.closed = t, closed

    def __missing__(self, tid: str | None) -> "_Plan":
        base = self.t.bases.get(tid)
        if base is None:
            base = self.t.bases[tid] = _Plan(self.t, self.t.tids.index(tid) if tid is not None else None)
        plan = self[tid] = base.closing(self.closed)
        return plan


class _Plan:
    """For one highest attained tier (rank, or None): the targets above it, the notes of the tiers
    shown when no exception is relied on, the notes on money; and in situations with these tiers
    closed by history (a copy per set of them), per May-2024 history the target rows closed by
    history (None for the others, filled per office)."""
    __slots__ = ("t", "hi", "tid", "pct", "targets", "shown", "notes", "held_ratio", "closed", "templates", "money",
                 "joined", "target_slots")

    def __init__(self, t: _Tiers, hi: int | None):
        if hi is None:
            targets = tuple(range(len(t.tids)))
        elif t.by_rate:
            held = t.rates[hi].pct
            targets = tuple(r for r in range(hi) if t.rates[r].pct > held)
        else:
            targets = tuple(range(hi))
        self.t, self.hi, self.targets, self.closed = t, hi, targets, frozenset()
        self.target_slots = _getter(targets)
        self.tid, self.pct = (t.tids[hi], t.pcts[hi]) if hi is not None else (None, None)
        self.shown = ((hi,) if hi is not None else ()) + targets
        self.notes = t.unknown + tuple(n for r in self.shown for n in t.notes[r])
        self.held_ratio = t.ratios[hi] if hi is not None else None
        self.templates: dict = {}
        self.money: dict = {}      # shared by the copies: the money notes do not depend on the tiers closed
        self.joined: dict = {}

    def closing(self, closed: frozenset) -> "_Plan":
        """This plan for situations with these tiers closed by history."""
        out = object.__new__(_Plan)
        for name in _Plan.__slots__:
            setattr(out, name, getattr(self, name))
        out.closed, out.templates = closed, {}
        return out

    def warnings(self, shown: tuple, own: tuple, money: tuple) -> tuple:
        """The brief's warnings: the tiers' notes, the office's own, the money notes. No note can repeat
        across these parts (each names its tier or is about the office, in its own words), so the
        concatenation is what money_lines' dict.fromkeys would keep. Shared when no exception is relied on."""
        if shown is not self.notes:
            return shown + own + money
        hit = self.joined.get((own, money))
        if hit is None:
            hit = _kept(self.joined, shown + own + money, (own, money))
        return hit

    def template(self, o: Office, history: tuple) -> tuple:
        """(rows, open targets as (index, rank, tier, rate pct, rate ratio)) for this May-2024 history."""
        t, rows, opens = self.t, [], []
        for i, r in enumerate(self.targets):
            if r in self.closed:
                rows.append(_unreachable(t, o, r, "history", history))
            else:
                rows.append(None)
                opens.append((i, r, t.tids[r], t.pcts[r], t.ratios[r]))
        hit = self.templates[history] = (tuple(rows), tuple(opens))
        return hit

    def shown_notes(self, slots: list) -> tuple:
        """The plan's notes with each exception relied on beside its tier's notes."""
        t = self.t
        out = t.unknown
        for r in self.shown:
            exception = slots[r][4]
            if exception is None:
                out += t.notes[r]
                continue
            hit = t.exception_notes.get((r, exception.id))
            if hit is None:
                hit = t.exception_notes[(r, exception.id)] = \
                    tuple(tier_warnings(t.tids[r], t.rates[r], exception, t.ranked[r]))
            out += hit
        return out

    def money_notes(self, o: Office, slots: list, key) -> tuple:
        """money_lines' current yen and notes (its gains are computed here), memoised by `key`: what
        they depend on (whether units, region and price are known; the region; the reachable targets)."""
        hi, t = self.hi, self.t
        current, notes, _ = money_lines(t.kb, o, t.period.id, hi is not None, t.rates[hi] if hi is not None else None,
                                        [(t.tids[r], t.rates[r], slots[r][0]) for r in self.targets], ())
        hit = self.money[key] = (current, tuple(notes))
        return hit


@per_kb
def _tiers(kb: KB, period_id: str, service: str) -> _Tiers:
    return _Tiers(kb, kb.periods[period_id], service)


def _office_briefs(o: Office, jobs) -> tuple:
    """`batch_sheets.brief` of the evaluations these jobs (one office's (Situation, slot list), one per
    mode) stand for."""
    units, region = o.monthly_units, o.region
    history = (o.shogu, o.tokutei, o.baseup)
    own = (o.pledged, o.as_of if o.pledged else None, o.employees is not None and o.employees < 10)
    price = False     # not yet looked up (the modes share the service, so the price)
    out = []
    last = None
    for s, slots in jobs:
        v = s.memo.get(_View)
        if v is None:
            v = s.memo[_View] = _tiers(s.kb, s.period.id, s.service).view(s)
        shape = v.shape
        picked = shape.pick(slots)      # the slots of the tiers not closed by history (the others: HISTORY)
        if last is not None and last[0] is shape and all(map(is_, last[1], picked)):
            # the same tiers and answers as the mode before (no pledge changes them): only its own notes differ
            b, plan, shown, money = last[2], last[3], last[4], last[5]
            notes = (v.given if o.history_given else (v.open or v.opening())[0]).get(own)
            if notes is None:
                notes = v.own_notes(o, own)
            warnings = plan.warnings(shown, notes, money)
            out.append(b if warnings is b[3] else (b[0], b[1], b[2], warnings, b[4], b[5]))
            continue
        attained = tuple(compress(shape.tids, map(eq, map(_COST, picked), shape.zeros)))   # cost 0 (unreachable: None)
        # equal tuples shared: fewer objects kept, fewer for the garbage collector to walk afterwards
        hit = v.attained.get(attained)
        attained = hit if hit is not None else _kept(v.attained, attained)
        plan = v.plans[attained[0] if attained else None]
        shown = plan.shown_notes(slots) if any(map(_EXCEPTION, picked)) else plan.notes
        tpl = plan.templates.get(history)
        rows, opens = tpl if tpl is not None else plan.template(o, history)

        if price is False:
            price = v.t.price(region) if units is not None and region else None
            yens = [None] * len(v.t.tids)     # per rank: the yen at its rate for this office
        if price is None:       # no yen: current and notes from money_lines, every gain unknown
            if units is None or region is None:
                hit = plan.money.get(None)
            else:
                key = (region, tuple(map(_REACHABLE, plan.target_slots(slots))))
                hit = plan.money.get(key)
            if hit is None:
                hit = plan.money_notes(o, slots, None if units is None or region is None else key)
            current, money = hit
            if opens:
                rows = list(rows)
                for i, r, tid, p, _ in opens:
                    sl = slots[r]
                    rows[i] = (tid, p, True, len(sl[3]), None, sl[5], sl[3], "") if sl[0] else \
                        _unreachable(v.t, o, r, sl[1], history)
                rows = tuple(rows)
        else:
            money = plan.money.get(True)
            if money is None:
                money = plan.money_notes(o, slots, True)
            money = money[1]
            hi = plan.hi
            if hi is None:
                current = 0
            elif plan.held_ratio is None:
                current = None
            else:
                current = yens[hi]
                if current is None:
                    current = yens[hi] = yen_at_ratios(units, plan.held_ratio, price)
            if opens:
                rows = list(rows)
                for i, r, tid, p, ratio in opens:
                    sl = slots[r]
                    if sl[0]:
                        if current is None or ratio is None:
                            gain = None
                        else:
                            y = yens[r]
                            if y is None:
                                y = yens[r] = yen_at_ratios(units, ratio, price)
                            gain = y - current
                        rows[i] = (tid, p, True, len(sl[3]), gain, sl[5], sl[3], "")
                    else:
                        rows[i] = _unreachable(v.t, o, r, sl[1], history)
                rows = tuple(rows)
        notes = (v.given if o.history_given else (v.open or v.opening())[0]).get(own)     # own_notes, inlined
        if notes is None:
            notes = v.own_notes(o, own)
        if shown is plan.notes:     # plan.warnings, inlined: one lookup in the common case
            warnings = plan.joined.get((notes, money))
            if warnings is None:
                warnings = plan.warnings(shown, notes, money)
        else:
            warnings = shown + notes + money
        b = (plan.tid, plan.pct, current, warnings, attained, rows)
        out.append(b)
        last = (shape, picked, b, plan, shown, money)
    return tuple(out)


def _getter(indices) -> itemgetter:
    """itemgetter of these indices that returns a tuple whatever their number."""
    if len(indices) > 1:
        return itemgetter(*indices)
    return itemgetter(slice(indices[0], indices[0] + 1)) if indices else itemgetter(slice(0, 0))


def _kept(memo: dict, value, key=None):
    """memo[key] = value (key: the value itself), the memo emptied first when full."""
    if len(memo) > MEMO_LIMIT:
        memo.clear()
    memo[value if key is None else key] = value
    return value


def _unreachable(t: _Tiers, o: Office, r: int, reason: str, history: tuple) -> tuple:
    """The row of a target that cannot be reached (its text depends on the reason and the May-2024 history)."""
    key = (r, reason, history)
    row = t.unreachable.get(key)
    if row is None:
        row = t.unreachable[key] = (t.tids[r], t.pcts[r], False, None, None, False, (),
                                    reason_text(o, t.ranked[r], reason))
    return row
