"""The whole-run array path: every office × pledge mode × tier of a batch solved together, with the
answers of `gap.solve_tier` (checked against it, and the array tie-break against `gap.choose`, by
tests/test_columnar.py).

1. Situations. An office's compiled rules depend on its service, date, pledge mode, the composite
   requirements it meets and the truth of the KB's office conditions. The truths are memoised per
   fact value, so placing an office costs a few dict lookups; each situation (ranked tiers,
   reachability, compiled tables, exceptions held) is built once, with a real `rules.Context`.
2. Jobs. Each reachable (office, mode, tier) is a row of the bucket of its compiled table (with the
   scheme, item list and exceptions held), across the whole input: a few hundred buckets, however
   many offices, so numpy's per-call cost is paid per bucket, not per office.
3. One numpy pass per bucket (in blocks of rows): the missing actions of every term for every row
   (popcount of open & term mask); each term group's workplace completion — cost, the items it adds
   (as `workplace.complete_unit` picks them: must-include, then per category, then overall, lowest
   number first) and the exception relied on (as `workplace.best_completion`: the first strictly
   cheaper); the least cost; then `gap.choose`'s tie-break as array keys: fewer pledges; then the
   missing set first in sorted name order (all candidates have as many actions as their cost, and
   for equal-size sets the first in sorted order holds the least name of their symmetric
   difference: with bits ranked by name, least name highest, the larger integer); then DNF order.
   Term names sort before every `workplace.N`, so the term part decides before the items part
   (checked per table; a table where that fails is solved one job at a time).
4. Back in Python once per job: the chosen missing set (memoised by its masks) and its exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from carekb.model import actions
from carekb.model.types import KB, Period, Tier
from carekb.inputs.profile import FACT_ATTRIBUTES, Office
from carekb.solver import terms
from carekb.solver import workplace as wp
from carekb.solver.gap import cost_function, rank_tiers, solve_tier
from carekb.solver.outcome import action_key
from carekb.solver.rules import Context, compile_tier, condition_holds, office_conditions, sub_expressions

INFEASIBLE = 1 << 40
BLOCK = 4096            # rows priced at once: bounds the (rows × terms) matrices to a few MB
U64 = np.uint64
WORD = (1 << 64) - 1


# One tier's answer for one office and mode, as a tuple (a million of them per 100,000 offices):
# (reachable, reason: "history" | "impossible" | "", cost, missing action ids in report order,
#  exception relied on, whether a missing action is a pledge).
HISTORY = (False, "history", None, (), None, False)
IMPOSSIBLE = (False, "impossible", None, (), None, False)


@dataclass
class Situation:
    """What every office of one rule situation shares: the ranked tiers and how each is solved."""
    kb: KB
    period: Period
    ctx: Context                      # of the first office placed here (its conditions, never its actions)
    service: str
    use_pledges: bool
    ranked: list[Tier]
    by_rate: bool
    buckets: list                     # per ranked tier: its _Bucket, or None when closed by history
    memo: dict = field(default_factory=dict)   # the application layer's per-situation views


@dataclass(slots=True)
class Outcome:
    """One office under one pledge mode: its situation and a slot tuple per ranked tier."""
    situation: Situation
    office: Office
    slots: list


def solve(kb: KB, offices: list[Office], modes: tuple[bool, ...]) -> list[tuple[Outcome, ...] | None]:
    """Per office, an Outcome per pledge mode (True: pledges counted); None for an office this path
    does not take (its own effort file, item numbers past 63, more than 64 action bits): use `gap.evaluate`."""
    run = _Run.of(kb)
    try:
        out = [run.place(office, modes) if _fits(office) else None for office in offices]
        if terms.registry(kb).registered() > 64 or any(terms.registry(k).registered() > 64 for k in kb.schemes.values()):
            return [None] * len(offices)
        run.solve()
    finally:
        run.reset()
    return out


def _fits(office: Office) -> bool:
    return cost_function(office).unit and all(0 <= n < 64 for n in office.workplace)


class _Run:
    """The situations and buckets of one KB, kept between calls (a batch solves its input chunk by
    chunk: each chunk reuses the compiled tables, permutations and names of the ones before)."""

    LIMIT = 100_000   # situations kept at most: a hostile input of ever new dates cannot grow memory without end

    @classmethod
    def of(cls, kb: KB) -> "_Run":
        memo = terms.state(kb).memo
        run = memo.get(cls)
        if run is None or len(run.situations) > cls.LIMIT:
            run = memo[cls] = cls(kb)
        return run

    def __init__(self, kb: KB):
        self.kb = kb
        self.situations: dict[tuple, Situation] = {}
        self.rules: dict[tuple, tuple] = {}       # rule situation -> (Context, {tier id: _Bucket or None})
        self.truths: dict[tuple, tuple] = {}
        self.periods: dict[tuple, Period] = {}
        self.buckets: dict[tuple, _Bucket] = {}
        self.reset()

    def reset(self) -> None:
        self.outcomes: list[Outcome] = []
        for b in self.buckets.values():
            b.jobs, b.ranks = [], []

    def place(self, office: Office, modes: tuple[bool, ...]) -> tuple[Outcome, ...]:
        kb = self.kb.for_service(office.service)
        period = self._period(kb, office.as_of)
        composites = _composites(kb)
        # the rule situation: what compiling, reachability and exceptions read (service groups, not the service)
        key = (kb.scheme, kb.services[office.service].groups, period.id,
               self._truth(kb, period.id, "as_of", office.as_of), office.met & composites if composites else (),
               tuple(self._truth(kb, period.id, name, office.fact(name)) for name in FACT_ATTRIBUTES))
        outs = []
        for use_pledges in modes:
            s = self.situations.get((office.service, key, use_pledges))
            if s is None:
                s = self.situations[(office.service, key, use_pledges)] = self._build(kb, period, office, (key, use_pledges))
            out = Outcome(s, office, [HISTORY] * len(s.ranked))
            k = len(self.outcomes)
            self.outcomes.append(out)
            for r, bucket in enumerate(s.buckets):
                if bucket is not None:
                    bucket.jobs.append(k)
                    bucket.ranks.append(r)
            outs.append(out)
        return tuple(outs)

    def _period(self, kb: KB, day) -> Period:
        key = (kb.scheme, day)
        hit = self.periods.get(key)
        if hit is None:
            hit = self.periods[key] = kb.period_at(day)
        return hit

    def _truth(self, kb: KB, period_id: str, name: str, value) -> tuple:
        """The truth of each condition of the period on one office fact (or the date: name "as_of"),
        for this value (memo): offices that agree on every one share a situation."""
        key = (kb.cache_key, period_id, name, value)
        hit = self.truths.get(key)
        if hit is None:
            leaves = _leaves(kb, period_id).get(name, ())
            if name == "as_of":
                hit = tuple(condition_holds(c, None, frozenset(), value) for c in leaves)
            else:
                probe = Office(service="", **{FACT_ATTRIBUTES[name]: value})
                hit = tuple(condition_holds(c, probe, frozenset(), None) for c in leaves)
            self.truths[key] = hit
        return hit

    def _build(self, kb: KB, period: Period, office: Office, rule_key: tuple) -> Situation:
        use_pledges = rule_key[1]
        ctx, tiers = self.rules.get(rule_key) or self.rules.setdefault(rule_key, (Context(kb, period, office, use_pledges), {}))
        ranked, by_rate = rank_tiers(kb, period, office.service)
        for tier in ranked:
            if tier.id not in tiers:
                tiers[tier.id] = self._bucket(ctx, tier) if ctx.reachable(tier) else None
        return Situation(kb, period, ctx, office.service, use_pledges, ranked, by_rate, [tiers[t.id] for t in ranked])

    def _bucket(self, ctx: Context, tier: Tier) -> _Bucket:
        """The bucket of the tier's compiled table: equal DNFs compiled for different situations share one."""
        dnf = compile_tier(ctx, tier.id)
        key = (dnf, ctx.kb.scheme, ctx.period.item_list, tuple(e.id for e in ctx.exceptions()))   # by value
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(ctx.kb, terms.registry(ctx.kb).table(dnf), ctx.period.item_list,
                                                 ctx.exceptions())
        return bucket

    def solve(self) -> None:
        """Every placed job, bucket by bucket, into its Outcome's slots."""
        open_masks, items = self._actions()
        for bucket in self.buckets.values():
            if not bucket.jobs:
                continue
            jobs, ranks = np.array(bucket.jobs), bucket.ranks
            if bucket.too_wide():
                for k, r in zip(bucket.jobs, ranks):
                    self.outcomes[k].slots[r] = _one_job(self.outcomes[k], r)
                continue
            for lo in range(0, len(jobs), BLOCK):
                part = jobs[lo:lo + BLOCK]
                outcomes = self.outcomes
                for k, r, slot in zip(part.tolist(), ranks[lo:lo + BLOCK], bucket.solve(open_masks[part], items[part])):
                    outcomes[k].slots[r] = slot

    def _actions(self) -> tuple[np.ndarray, np.ndarray]:
        """Per placed Outcome: the actions not in place (registry bits) and the workplace items in place."""
        opens, items = [], []
        last, base, pledged = None, 0, 0
        for out in self.outcomes:
            office = out.office
            if office is not last:    # the modes of one office follow each other
                last = office
                reg = terms.registry(out.situation.kb)
                base = reg.have_mask(office.met) | reg.have_mask(map(actions.workplace, office.workplace))
                pledged = reg.have_mask(map(actions.pledge, office.pledged))
                its = 0
                for n in office.workplace:
                    its |= 1 << n
            opens.append(~(base | pledged if out.situation.use_pledges else base) & WORD)
            items.append(its)
        return np.array(opens, U64), np.array(items, U64)


def _one_job(out: Outcome, r: int) -> tuple:
    """The plain solver for one job (tables the array path cannot take)."""
    s = out.situation
    ctx = Context(s.kb, s.period, out.office, s.use_pledges)
    res = solve_tier(ctx, s.ranked[r], cost_function(out.office))
    return (True, "", res.cost, res.missing, res.exception, res.uses_pledge) if res.reachable else \
        (False, res.reason, None, (), None, False)


class _Bucket:
    """The jobs of one compiled table (with its scheme, item list and the exceptions held)."""

    def __init__(self, kb: KB, table, list_id: str, held: tuple):
        self.kb, self.table, self.list_id, self.held = kb, table, list_id, held
        self.slots: dict[tuple, tuple] = {}   # (cost, missing masks, group, variant) -> slot tuple
        self.order: dict[str, tuple] = {}     # action id -> its report order (outcome.action_key)
        self.jobs: list[int] = []     # placed Outcomes (their index in the run) ...
        self.ranks: list[int] = []    # ... and the rank of this table's tier in each

    def too_wide(self) -> bool:
        """Whether the array path cannot take this table (`solve` has checked that the action bits fit
        64): a term action that sorts after a workplace item, so that the two-part tie-break key would
        not be the sorted order."""
        if not hasattr(self, "groups"):
            self._prepare(terms.registry(self.kb))
        return self.groups is None

    def _prepare(self, reg) -> None:
        used = 0
        for g in self.table:
            for m in g.masks:
                used |= m
        names = {b: reg.names(1 << b)[0] for b in range(used.bit_length()) if used >> b & 1}
        item_names = {n: actions.workplace(n) for n in self.kb.items.get(self.list_id, {})}
        if names and item_names and max(names.values()) > min(item_names.values()):
            self.groups = None
            return
        # ranks: least name → highest bit, so the first missing set in sorted order is the largest integer
        self.term_perm = _Permutation([(b, len(names) - 1 - k) for k, b in enumerate(sorted(names, key=names.get))])
        self.item_perm = _Permutation([(n, len(item_names) - 1 - k)
                                       for k, n in enumerate(sorted(item_names, key=item_names.get))])
        pledge_bits = reg.pledge_mask() & WORD
        self.groups = []
        for g in self.table:
            masks = np.array(g.masks, U64)
            ranked = self.term_perm(masks)
            self.groups.append((g, masks, ranked, np.array(g.order, np.int64), masks & U64(pledge_bits),
                                self._completions(g.rules)))

    def _completions(self, rules: frozenset):
        """The needs to try for a term group's workplace rules: without exception, then each applicable one."""
        if not rules:
            return None
        variants = [(None, wp.merged_need(self.kb, rules, None))]
        variants += [(e, wp.merged_need(self.kb, rules, e)) for e in self.held if e.rules & rules]
        return variants

    def solve(self, open_masks: np.ndarray, items: np.ndarray) -> list[tuple]:
        n = len(open_masks)
        ranked_open = self.term_perm(open_masks)
        costs, misses, pledges, tie_terms, tie_items, orders, groups_of = [], [], [], [], [], [], []
        added_of, exc_of = [], []
        for gi, (g, masks, ranked, order, pledge_masks, variants) in enumerate(self.groups):
            miss = open_masks[:, None] & masks[None, :]
            if variants is None:
                extra, added, exc = np.zeros(n, np.int64), np.zeros(n, U64), np.full(n, -1, np.int64)
            else:
                extra, added, exc = self._complete(variants, items)
            costs.append(np.bitwise_count(miss).astype(np.int64) + extra[:, None])
            misses.append(miss)
            pledges.append(np.bitwise_count(open_masks[:, None] & pledge_masks[None, :]))
            tie_terms.append(ranked_open[:, None] & ranked[None, :])
            tie_items.append(np.broadcast_to(self.item_perm(added)[:, None], miss.shape))
            orders.append(np.broadcast_to(order[None, :], miss.shape))
            groups_of.append(np.full(len(g.masks), gi, np.int64))
            added_of.append(added)
            exc_of.append(exc)
        if not costs:
            return [IMPOSSIBLE] * n
        cost = np.concatenate(costs, axis=1)
        best = cost.min(axis=1)
        keep = cost == best[:, None]
        keep &= _least(np.concatenate(pledges, axis=1), keep)
        keep &= _most(np.concatenate(tie_terms, axis=1), keep)
        keep &= _most(np.concatenate(tie_items, axis=1), keep)
        col = np.where(keep, np.concatenate(orders, axis=1), np.iinfo(np.int64).max).argmin(axis=1)
        rows = np.arange(n)
        miss = np.concatenate(misses, axis=1)[rows, col]
        group = np.concatenate(groups_of)[col]
        added = np.stack(added_of)[group, rows]
        exc = np.stack(exc_of)[group, rows]
        out, memo = [], self.slots
        for key in zip(best.tolist(), miss.tolist(), added.tolist(), group.tolist(), exc.tolist()):
            slot = memo.get(key)
            if slot is None:
                if len(memo) > 20_000:     # per bucket: a few hundred buckets stay within tens of MB
                    memo.clear()
                slot = memo[key] = self._slot(*key)
            out.append(slot)
        return out

    def _slot(self, cost: int, miss: int, added: int, group: int, variant: int) -> tuple:
        """The slot tuple of a chosen term: its missing action ids in report order, its exception."""
        if cost >= INFEASIBLE:
            return IMPOSSIBLE
        reg, order = terms.registry(self.kb), self.order
        acts = reg.names(miss) + [actions.workplace(n) for n in range(added.bit_length()) if added >> n & 1]
        for a in acts:
            if a not in order:
                order[a] = action_key(self.kb, a)
        exception = self.groups[group][5][variant][0] if variant >= 0 else None
        return (True, "", cost, tuple(sorted(acts, key=order.__getitem__)), exception, any(map(actions.is_pledge, acts)))

    def _complete(self, variants, items: np.ndarray):
        """(cost, items added, index of the variant used or -1 for none) per row: best_completion's choice."""
        best = np.full(len(items), INFEASIBLE, np.int64)
        best_added = np.zeros(len(items), U64)
        which = np.full(len(items), -1, np.int64)
        for vi, (_, need) in enumerate(variants):
            cost, added = _complete_unit(self.kb, self.list_id, need, items)
            better = cost < best
            best = np.where(better, cost, best)
            best_added = np.where(better, added, best_added)
            which = np.where(better, vi, which)
        return best, best_added, which


def _complete_unit(kb: KB, list_id: str, need: wp.Need, have: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`workplace.complete_unit` for many offices: (cost or INFEASIBLE, items added) per office."""
    must, per_category, everything = wp.unit_need(kb, list_id, need)
    if must is None:
        return np.full(len(have), INFEASIBLE, np.int64), np.zeros(len(have), U64)
    added = U64(must) & ~have
    taken = have | added
    bad = np.zeros(len(have), bool)
    for members, minimum in per_category:
        m = U64(members)
        deficit = minimum - np.bitwise_count(taken & m).astype(np.int64)
        pool = m & ~taken
        bad |= np.bitwise_count(pool).astype(np.int64) < deficit
        picks = _lowest(pool, deficit)
        added |= picks
        taken |= picks
    deficit = need.total - np.bitwise_count(taken).astype(np.int64)
    pool = U64(everything) & ~taken
    bad |= np.bitwise_count(pool).astype(np.int64) < deficit
    added |= _lowest(pool, deficit)
    return np.where(bad, INFEASIBLE, np.bitwise_count(added).astype(np.int64)), added


def _lowest(pool: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The k lowest set bits of each pool (k ≤ 0: none)."""
    picks = np.zeros(len(pool), U64)
    pool = pool.copy()
    for j in range(int(k.max(initial=0))):
        low = pool & (~pool + U64(1))
        low = np.where(k > j, low, U64(0))
        picks |= low
        pool ^= low
    return picks


def _least(keys: np.ndarray, keep: np.ndarray) -> np.ndarray:
    low = np.where(keep, keys, np.iinfo(keys.dtype).max).min(axis=1)
    return keys == low[:, None]


def _most(keys: np.ndarray, keep: np.ndarray) -> np.ndarray:
    high = np.where(keep, keys, U64(0)).max(axis=1)
    return keys == high[:, None]


class _Permutation:
    """A map of bit positions applied to uint64 arrays, a byte at a time through 256-entry tables
    (8 lookups whatever the number of bits moved)."""

    def __init__(self, moves: list[tuple[int, int]]):
        self.tables = []
        for byte in range(8):
            part = [(src - 8 * byte, dst) for src, dst in moves if 8 * byte <= src < 8 * byte + 8]
            if part:
                values, table = np.arange(256, dtype=U64), np.zeros(256, U64)
                for src, dst in part:
                    table |= ((values >> U64(src)) & U64(1)) << U64(dst)
                self.tables.append((U64(8 * byte), table))

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        out = np.zeros(masks.shape, U64)
        for shift, table in self.tables:
            out |= table[(masks >> shift) & U64(255)]
        return out


def _composites(kb: KB) -> frozenset:
    st = terms.state(kb)
    hit = st.memo.get(_composites)
    if hit is None:
        hit = st.memo[_composites] = frozenset(r for r, req in kb.requirements.items() if req.composite)
    return hit


def _leaves(kb: KB, period_id: str) -> dict[str, tuple]:
    """The office conditions that solving a tier of the period can read (compilation, reachability,
    exceptions), by the fact they test ("as_of" for dates; service groups follow the service)."""
    st = terms.state(kb)
    key = (_leaves, period_id)
    hit = st.memo.get(key)
    if hit is None:
        roots = [t.reachable_when for t in kb.tiers.get(period_id, {}).values()] + [e.condition for e in kb.exceptions]
        found = set(office_conditions(kb, period_id)) | set(sub_expressions(kb, [r for r in roots if r]))
        hit = {}
        for c in sorted(found, key=repr):
            if c[0] in ("field", "date_le"):
                hit.setdefault(c[1] if c[0] == "field" else "as_of", []).append(c)
        hit = st.memo[key] = {k: tuple(v) for k, v in hit.items()}
    return hit
