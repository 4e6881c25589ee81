"""The whole-run array path: every office × pledge mode × tier of a batch solved together, with the
answers of `gap.solve_tier` (checked against it, and the array tie-break against `gap.choose`, by
tests/test_columnar.py).

1. Situations. An office's compiled rules depend on its service, date, pledge mode, the composite
   requirements it meets and the truth of the KB's office conditions. Each (service, date) is a
   frame (scheme, period) and each fact value in a period has the id of its truths, so the key of
   every office is built by C-level maps over columns of facts, with one dict lookup per fact and
   one per office; each situation (ranked tiers, reachability, compiled tables, exceptions held) is
   built once, with a real `rules.Context`.
2. Jobs. Each reachable (office, mode, tier) is a row of the bucket of its compiled table (with the
   scheme, item list and exceptions held), across the whole input: a few hundred buckets, however
   many offices. Jobs are grouped by numpy (a table of bucket ids per situation and rank, one sort),
   and the actions in place of every office are summed from flat arrays of its names' bits.
3. One numpy pass per bucket (in blocks of rows), term group by term group. Each group's workplace
   completion — cost, the items it adds (as `workplace.complete_unit` picks them: must-include, then
   per category, then overall, lowest number first) and the exception relied on (as
   `workplace.best_completion`: the first strictly cheaper) — is computed once per call for every
   office of its item list. Then `gap.choose`'s order is one uint64 key per (term, row), highest
   best: fewer actions, fewer pledges, the missing set first in sorted name order (all candidates
   have as many actions as their cost, and for equal-size sets the first in sorted order holds the
   least name of their symmetric difference: with bits ranked by name, least name highest, the
   larger integer), then (last − DNF position), so the maximum is also the first in DNF order.
   Between groups whose keys tie above the position, the items added decide (ranked the same way),
   then the position. Term names sort before every `workplace.N`, so the term part decides before
   the items part (checked per table; a table where that fails is solved one job at a time). A
   table whose key would not fit 64 bits takes the staged tie-break (one matrix per criterion).
4. Back in Python once per distinct (missing actions, items added, exception): its slot tuple,
   memoised for the run and found for every job by one C-level map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain, compress, count, repeat
from operator import attrgetter, is_

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
CELLS = 1 << 18         # (rows × terms) cells priced at once: matrices of 2 MB stay in cache
U64 = np.uint64
_FACTS = attrgetter(*FACT_ATTRIBUTES.values())   # the office facts conditions read, in FACT_ATTRIBUTES order


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
    return _Run.of(kb).solve(list(offices), tuple(modes))


def solve_jobs(kb: KB, offices: list[Office], modes: tuple[bool, ...]) -> tuple[list[bool] | None, list, list]:
    """`solve`'s answers without an Outcome per office and mode (a batch would make 200,000 per 100,000
    offices): whether each office is taken (None: all are), then per job of the taken offices (office by
    office, mode by mode) its Situation and its slot list."""
    return _Run.of(kb).jobs(list(offices), tuple(modes))


def _fits(office: Office) -> bool:
    return cost_function(office).unit and all(0 <= n < 64 for n in office.workplace)


@dataclass
class _Frame:
    """One (service, date): its scheme's KB and period."""
    kb: KB
    period: Period
    key: tuple          # (service, period id, truth id of the date)
    scope: int          # id of (scheme cache key, period id): what a fact's truths depend on besides its value
    composites: frozenset
    id: int             # of its key: placing compares small ints, not tuples


_FRAME_ID, _SCOPE = attrgetter("id"), attrgetter("scope")
_NONE = frozenset()


class _Run:
    """The situations and buckets of one KB, kept between calls (a batch solves its input chunk by
    chunk: each chunk reuses the compiled tables, permutations, names and slot tuples of the ones before)."""

    LIMIT = 100_000         # situations, frames, fact values kept at most: a hostile input of ever new dates or
                            # wages cannot grow memory without end
    SLOT_LIMIT = 300_000    # slot tuples kept at most (about 250 bytes each with their key)
    KEY_BITS = 64           # of the packed slot key (tests lower it to check the tuple keys)

    @classmethod
    def of(cls, kb: KB) -> "_Run":
        memo = terms.state(kb).memo
        run = memo.get(cls)
        if run is None or max(len(run.situations), len(run.frames), len(run.truths)) > cls.LIMIT:
            run = memo[cls] = cls(kb)
        return run

    def __init__(self, kb: KB):
        self.kb = kb
        self.frames: dict[tuple, _Frame] = {}
        self.facts = [{} for _ in FACT_ATTRIBUTES]   # per office fact: (frame scope, value) -> truth id
        self.scopes: dict[tuple, int] = {}
        self.frame_ids: dict[tuple, int] = {}       # frame key -> id
        self.any_composite = frozenset()            # every composite requirement of the frames so far
        self.truths: dict[tuple, tuple] = {}
        self.truth_ids: dict[tuple, int] = {}
        self.placed: dict[tuple, tuple] = {}        # (frame id, composites met, fact truth ids, modes) -> situation ids
        self.situations: dict[tuple, int] = {}      # (frame key, composites met, fact truth ids, pledge mode) -> id
        self.sits: list[Situation] = []
        self.rules: dict[tuple, tuple] = {}         # rule situation -> (Context, {tier id: _Bucket or None})
        self.buckets: dict[tuple, _Bucket] = {}
        self.bucket_list: list[_Bucket] = []
        self.by_dnf: dict[int, tuple] = {}          # id(compiled DNF) -> (the DNF, {rest of its bucket key: bucket})
        self.tags: list[tuple] = []                 # (scheme KB, exception relied on or None)
        self.tag_ix: dict[tuple, int] = {}
        self.slots: dict[int, tuple] = {}           # (missing mask, items added, tag + 1) packed per layout -> slot tuple
        self.layout: tuple | None = None            # bits of the three fields of the packed key
        # bits of an items-added mask: item n is bit n of the period's list
        self.items_bits = max((max(v, default=0) + 1 for k in (kb, *kb.schemes.values()) for v in k.items.values()), default=0)
        self.wide_slots: dict[tuple, tuple] = {}    # (missing mask, items added, tag) -> slot tuple, when they do not fit
        self.orders: dict[str, dict] = {}           # scheme cache key -> action id -> report order
        self.items_of: dict[int, tuple] = {}        # items added -> their action ids
        self.parts: dict[tuple, tuple] = {}         # (scheme cache key, missing mask) -> _parts
        self.lists: dict[tuple, int] = {}           # (scheme cache key, item list id) -> code
        self.action_ix: dict[str, int] = {}         # action id -> column of the per-scheme bit tables
        self.pledge_ix: dict[str, int] = {}         # pledge id -> its action's column
        self.schemes: dict[str, int] = {}
        self.scheme_kbs: list[KB] = []
        self.tables = None                          # (situations covered, bucket ids, lengths, schemes, lists) as arrays

    # --- 1. situations ---------------------------------------------------------------------------

    def _place(self, offices: list[Office], modes: tuple[bool, ...]) -> np.ndarray:
        """The situation id of every office and mode: the situation key of every office by C-level maps
        over columns of its facts (new frames, truths and situations one by one)."""
        frames = list(map(self.frames.get, zip(map(_SERVICE, offices), map(_AS_OF, offices))))
        if None in frames:
            frames = [fr or self.frames.get((o.service, o.as_of)) or self._frame(o) for fr, o in zip(frames, offices)]
        scopes = list(map(_SCOPE, frames))
        ids = []
        for name, truths, values in zip(FACT_ATTRIBUTES, self.facts, zip(*map(_FACTS, offices))):
            got = list(map(truths.get, zip(scopes, values)))
            if None in got:
                for i, fr in enumerate(frames):
                    if got[i] is None:
                        key = (fr.scope, values[i])
                        got[i] = truths[key] if key in truths else \
                            truths.setdefault(key, self._truth_id(fr.kb, fr.period.id, name, values[i]))
            ids.append(got)
        mets = list(map(_MET, offices))
        composites = [_NONE] * len(offices)     # offices rarely meet a composite: most need no intersection
        for i in np.flatnonzero(~np.fromiter(map(self.any_composite.isdisjoint, mets), bool, len(mets))).tolist():
            composites[i] = mets[i] & frames[i].composites or _NONE
        keys = list(zip(map(_FRAME_ID, frames), composites, zip(*ids), repeat(modes)))
        sids = list(map(self.placed.get, keys))
        if None in sids:
            for i, key in enumerate(keys):
                if sids[i] is None:
                    fr = frames[i]
                    sids[i] = self.placed.get(key) or self.placed.setdefault(
                        key, tuple(self._situation(fr, offices[i], (fr.key, key[1], key[2], use)) for use in modes))
        return np.fromiter(chain.from_iterable(sids), np.int64, len(offices) * len(modes))

    def _frame(self, office: Office) -> _Frame:
        kb = self.kb.for_service(office.service)
        period = kb.period_at(office.as_of)
        pid = period.id
        key = (office.service, pid, self._truth_id(kb, pid, "as_of", office.as_of))
        fr = self.frames[(office.service, office.as_of)] = _Frame(
            kb, period, key, self.scopes.setdefault((kb.cache_key, pid), len(self.scopes)), _composites(kb),
            self.frame_ids.setdefault(key, len(self.frame_ids)))
        self.any_composite |= fr.composites
        return fr

    def _truth_id(self, kb: KB, period_id: str, name: str, value) -> int:
        """A small int per distinct truth of the period's conditions on this fact (or the date)."""
        key = (kb.cache_key, period_id, name, self._truth(kb, period_id, name, value))
        return self.truth_ids.get(key) if key in self.truth_ids else self.truth_ids.setdefault(key, len(self.truth_ids))

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

    def _situation(self, fr: _Frame, office: Office, key: tuple) -> int:
        sid = self.situations.get(key)
        if sid is None:
            kb, period, use_pledges = fr.kb, fr.period, key[3]
            # the rule situation: what compiling, reachability and exceptions read (service groups, not the service)
            rule_key = ((kb.scheme, kb.services[office.service].groups) + key[0][1:] + key[1:3], use_pledges)
            ctx, tiers = self.rules.get(rule_key) or self.rules.setdefault(rule_key, (Context(kb, period, office, use_pledges), {}))
            ranked, by_rate = rank_tiers(kb, period, office.service)
            for tier in ranked:
                if tier.id not in tiers:
                    tiers[tier.id] = self._bucket(ctx, tier) if ctx.reachable(tier) else None
            sid = self.situations[key] = len(self.sits)
            self.sits.append(Situation(kb, period, ctx, office.service, use_pledges, ranked, by_rate,
                                       [tiers[t.id] for t in ranked]))
        return sid

    def _bucket(self, ctx: Context, tier: Tier) -> _Bucket:
        """The bucket of the tier's compiled table: equal DNFs compiled for different situations share one."""
        dnf = compile_tier(ctx, tier.id)
        rest = (ctx.kb.scheme, ctx.period.item_list, tuple(e.id for e in ctx.exceptions()))
        same = self.by_dnf.get(id(dnf))   # compile_tier shares equal DNFs: the identity finds most without hashing one
        if same is not None and same[0] is dnf and rest in same[1]:
            return same[1][rest]
        key = (dnf,) + rest   # by value
        bucket = self.buckets.get(key)
        if same is None or same[0] is not dnf:
            same = self.by_dnf[id(dnf)] = (dnf, {})
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(ctx.kb, terms.registry(ctx.kb).table(dnf), ctx.period.item_list,
                                                 ctx.exceptions(), self._tag, len(self.bucket_list))
            self.bucket_list.append(bucket)
        same[1][rest] = bucket
        return bucket

    def _tag(self, kb: KB, exception) -> int:
        key = (kb.cache_key, exception.id if exception is not None else None)
        tag = self.tag_ix.get(key)
        if tag is None:
            tag = self.tag_ix[key] = len(self.tags)
            self.tags.append((kb, exception))
        return tag

    def _tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per situation: its bucket id per rank (-1: closed by history, or past its last tier), its
        number of tiers, its scheme, its item list (extended by the situations new since the last call)."""
        done = self.tables[1].shape[0] if self.tables else 0
        if done != len(self.sits):
            new = self.sits[done:]
            for s in new:
                if s.kb.scheme not in self.schemes:
                    self.schemes[s.kb.scheme] = len(self.scheme_kbs)
                    self.scheme_kbs.append(s.kb)
            width = max(len(s.ranked) for s in new)
            if self.tables:
                width = max(width, self.tables[1].shape[1])
            rows = [[b.index if b is not None else -1 for b in s.buckets] for s in new]
            ids = np.array([r + [-1] * (width - len(r)) for r in rows], np.int64)
            parts = (ids, np.array(list(map(len, rows)), np.int64), np.array([self.schemes[s.kb.scheme] for s in new], np.int64),
                     np.array([self.lists.setdefault((s.kb.cache_key, s.period.item_list), len(self.lists)) for s in new], np.int64))
            if self.tables:
                old = self.tables[1]
                old = np.pad(old, ((0, 0), (0, width - old.shape[1])), constant_values=-1)
                parts = (np.concatenate([old, ids]),) + tuple(np.concatenate([o, p]) for o, p in zip(self.tables[2:], parts[1:]))
            self.tables = (len(self.sits),) + parts
        return self.tables[1:]

    # --- 2. jobs -----------------------------------------------------------------------------------

    def solve(self, offices: list[Office], modes: tuple[bool, ...]) -> list[tuple[Outcome, ...] | None]:
        m = len(modes)
        fit, sits, slots = self.jobs(offices, modes)
        if not m:
            return [() if f else None for f in fit]
        placed = offices if fit is None else list(compress(offices, fit))
        outcomes = list(map(Outcome, sits, chain.from_iterable(zip(*[placed] * m)), slots))
        per_office = list(zip(*(outcomes[k::m] for k in range(m))))
        if fit is None:
            return per_office
        it = iter(per_office)
        return [next(it) if f else None for f in fit]

    def jobs(self, offices: list[Office], modes: tuple[bool, ...]) -> tuple[list[bool] | None, list, list]:
        n, m = len(offices), len(modes)
        if not n or not m:
            return [_fits(o) for o in offices], [], []
        wps = list(map(_WORKPLACE, offices))
        counts = np.fromiter(map(len, wps), np.int64, n)
        items = _flat_items(wps, int(counts.sum()))
        fit = _per_office(counts, ((items < 0) | (items > 63)).astype(U64)) == 0
        for i in np.flatnonzero(np.fromiter(map(bool, map(_EFFORT, offices)), bool, n)).tolist():
            fit[i] = fit[i] and cost_function(offices[i]).unit
        if not fit.all():
            keep = np.repeat(fit, counts)
            placed, counts, items = [o for o, f in zip(offices, fit.tolist()) if f], counts[fit], items[keep]
        else:
            placed = offices
        if not placed:
            return [False] * n, [], []
        sid = self._place(placed, modes)
        if terms.registry(self.kb).registered() > 64 or any(terms.registry(k).registered() > 64 for k in self.kb.schemes.values()):
            return [False] * n, [], []
        bucket_ids, lengths, scheme_of, list_of = self._tables()
        opens, self.items = self._masks(placed, counts, items, scheme_of[sid[::m]], modes)
        self.office_lists = list_of[sid[::m]]
        self.completions = {}
        try:
            slots = self._solve_jobs(bucket_ids[sid], lengths[sid], opens, sid, placed, m)
        finally:
            self.items = self.completions = self.office_lists = None
        return (None if len(placed) == n else fit.tolist()), list(map(self.sits.__getitem__, sid.tolist())), slots

    def _masks(self, offices: list[Office], counts: np.ndarray, items: np.ndarray, scheme: np.ndarray,
               modes: tuple[bool, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Per office and mode: the actions not in place (registry bits of its scheme); per office: the
        workplace items in place. Each office's sets hold distinct names, so the sum of their bits
        is their union: a cumulative sum over all offices' flat arrays gives every office's at once."""
        names = self.action_ix
        mets = list(map(_MET, offices))
        pledged = list(map(_PLEDGED, offices))
        met_ix = self._columns(mets, lambda a: a, names)
        pledge_ix = self._columns(pledged, actions.pledge, self.pledge_ix)
        wp_base = len(names)   # workplace item n has column wp_base + n
        table = np.zeros((len(self.scheme_kbs), wp_base + 64), U64)
        for s, kb in enumerate(self.scheme_kbs):
            table[s] = terms.registry(kb).bits_of(chain(names, map(actions.workplace, range(64))))
        met_counts = np.fromiter(map(len, mets), np.int64, len(mets))
        pledge_counts = np.fromiter(map(len, pledged), np.int64, len(pledged))
        base = _per_office(met_counts, table[np.repeat(scheme, met_counts), met_ix]) | \
            _per_office(counts, table[np.repeat(scheme, counts), wp_base + items])
        with_pledges = base | _per_office(pledge_counts, table[np.repeat(scheme, pledge_counts), pledge_ix])
        opens = np.stack([~(with_pledges if use else base) for use in modes], axis=1).ravel()
        return opens, _per_office(counts, U64(1) << items.astype(U64))

    def _columns(self, sets: list, action_of, index: dict) -> np.ndarray:
        """The column of every member of every set, flat (new names get a column)."""
        total = sum(map(len, sets))
        flat = np.fromiter(map(index.get, chain.from_iterable(sets), repeat(-1)), np.int64, total)
        if total and flat.min() < 0:
            for name in set(chain.from_iterable(sets)) - index.keys():
                a = action_of(name)
                index[name] = self.action_ix.setdefault(a, len(self.action_ix))
            flat = np.fromiter(map(index.get, chain.from_iterable(sets)), np.int64, total)
        return flat

    def _solve_jobs(self, bucket_ids: np.ndarray, lengths: np.ndarray, opens: np.ndarray, sid: np.ndarray,
                    offices: list[Office], m: int) -> list[list]:
        """The slot list of every outcome: jobs sorted by bucket, each bucket priced in blocks."""
        width = bucket_ids.shape[1]
        starts = np.cumsum(lengths) - lengths     # outcome k's slots are flat[starts[k]:starts[k] + lengths[k]]
        slots = np.empty(int(lengths.sum()), object)
        slots.fill(HISTORY)
        flat = bucket_ids.ravel()
        jobs = np.flatnonzero(flat >= 0)
        of_job = flat[jobs]
        # a stable sort of 16-bit keys is a radix sort: a few hundred buckets need no more
        jobs = jobs[np.argsort(of_job.astype(np.int16) if len(self.bucket_list) < 1 << 15 else of_job, kind="stable")]
        ends = np.cumsum(np.bincount(flat[jobs], minlength=len(self.bucket_list)))
        miss, added, tag = np.zeros(len(jobs), U64), np.zeros(len(jobs), U64), np.full(len(jobs), -1, np.int64)
        narrow = np.ones(len(jobs), bool)
        start = 0
        for bucket, end in zip(self.bucket_list, ends.tolist()):
            if end == start:
                continue
            part = jobs[start:end]
            if bucket.too_wide():
                for j in part.tolist():
                    k, r = divmod(j, width)
                    slots[starts[k] + r] = _one_job(self.sits[sid[k]], offices[k // m], r)
                narrow[start:end] = False
            else:
                rows = max(64, CELLS // bucket.columns)
                for lo in range(start, end, rows):
                    hi = min(lo + rows, end)
                    k = jobs[lo:hi] // width
                    miss[lo:hi], added[lo:hi], tag[lo:hi] = bucket.choose(opens[k], k // m, self._complete)
            start = end
        if not narrow.all():
            jobs, miss, added, tag = jobs[narrow], miss[narrow], added[narrow], tag[narrow]
        found = self._slots(miss, added, tag)
        k = jobs // width
        slots[starts[k] + (jobs - k * width)] = np.fromiter(found, object, len(found))
        slots = slots.tolist()
        return list(map(slots.__getitem__, map(slice, starts.tolist(), (starts + lengths).tolist())))

    def _slots(self, miss: np.ndarray, added: np.ndarray, tag: np.ndarray) -> list[tuple]:
        """The slot tuple of every (missing mask, items added, tag), memoised for the run under one
        integer key when the three fit 64 bits (a dict lookup per job then hashes an int, not a tuple)."""
        terms_bits = max(terms.registry(k).registered() for k in self.scheme_kbs)
        items_bits = max(int(added.max(initial=0)).bit_length(), self.items_bits)
        if self.layout is None or self.layout[:2] != (terms_bits, items_bits) or self.layout[2] < len(self.tags).bit_length():
            # the tag takes the bits left: the layout (and the memo) lasts until the registry grows
            self.layout = (terms_bits, items_bits, max(64 - terms_bits - items_bits, len(self.tags).bit_length()))
            self.slots.clear()
        if len(self.slots) > self.SLOT_LIMIT:
            self.slots.clear()
            self.parts.clear()
            self.items_of.clear()
        terms_bits, items_bits, tag_bits = self.layout
        if terms_bits + items_bits + tag_bits > self.KEY_BITS:
            return self._slots_by_tuple(miss.tolist(), added.tolist(), tag.tolist())
        memo = self.slots
        memo[0] = IMPOSSIBLE        # tag -1 and nothing missing: key 0
        keys = (miss | added << U64(terms_bits) | (tag + 1).astype(U64) << U64(terms_bits + items_bits)).tolist()
        found = list(map(memo.get, keys))
        if None in found:
            terms_mask, items_mask = (1 << terms_bits) - 1, (1 << items_bits) - 1
            for i in compress(count(), map(is_, found, repeat(None))):
                key = keys[i]
                found[i] = memo.get(key) or memo.setdefault(key, self._slot(
                    key & terms_mask, key >> terms_bits & items_mask, (key >> (terms_bits + items_bits)) - 1))
        return found

    def _slots_by_tuple(self, miss: list, added: list, tag: list) -> list[tuple]:
        memo = self.wide_slots
        memo[(0, 0, -1)] = IMPOSSIBLE
        if len(memo) > self.SLOT_LIMIT:
            memo.clear()
        found = list(map(memo.get, zip(miss, added, tag)))
        if None in found:
            for i in compress(count(), map(is_, found, repeat(None))):
                key = (miss[i], added[i], tag[i])
                found[i] = memo.get(key) or memo.setdefault(key, self._slot(*key))
        return found

    def _complete(self, kb: KB, list_id: str, variants: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`_complete` for every office of this call on this item list, once per distinct list and needs
        (a few dozen, however many buckets and blocks ask); rows of other offices are left infeasible."""
        key = (kb.cache_key, list_id, tuple(need for _, need in variants))
        hit = self.completions.get(key)
        if hit is None:
            n = len(self.items)
            on_list = np.flatnonzero(self.office_lists == self.lists[(kb.cache_key, list_id)])
            hit = self.completions[key] = (np.full(n, INFEASIBLE, np.int64), np.zeros(n, U64), np.zeros(n, np.int64))
            for full, part in zip(hit, _complete(kb, list_id, [need for _, need in variants], self.items[on_list])):
                full[on_list] = part
        return hit

    def _slot(self, miss: int, added: int, tag: int) -> tuple:
        """The slot tuple of a chosen term: its missing action ids in report order, its exception."""
        kb, exception = self.tags[tag]
        head, tail, mixed, pledged = self.parts.get((kb.cache_key, miss)) or self._parts(kb, miss)
        if added:
            items = self.items_of.get(added) or self.items_of.setdefault(added, _item_ids(added))
            # report order: requirements, then items by number, then pledges (action_key)
            tail = tuple(sorted(tail + items, key=self.orders[kb.cache_key].__getitem__)) if mixed else items + tail
        missing = head + tail
        # unit costs: the cost is the number of actions
        return (True, "", len(missing), missing, exception, pledged)

    def _parts(self, kb: KB, miss: int) -> tuple:
        """A missing mask's action ids in report order, split into requirements and the rest (pledges,
        items named in terms), whether the rest holds items, whether it holds pledges."""
        order = self.orders.get(kb.cache_key) or self.orders.setdefault(kb.cache_key, {})
        acts = terms.registry(kb).names(miss)
        for a in acts:
            if a not in order:
                order[a] = action_key(kb, a)
        acts.sort(key=order.__getitem__)
        head = tuple(a for a in acts if order[a][0] == 0)
        tail = tuple(acts[len(head):])
        hit = self.parts[(kb.cache_key, miss)] = (head, tail, any(map(actions.is_workplace, tail)),
                                                  any(map(actions.is_pledge, tail)))
        return hit


_WORKPLACE, _EFFORT, _MET, _PLEDGED, _SERVICE, _AS_OF = (
    attrgetter(a) for a in ("workplace", "effort", "met", "pledged", "service", "as_of"))


def _item_ids(mask: int) -> tuple[str, ...]:
    out = []
    while mask:
        low = mask & -mask
        out.append(actions.workplace(low.bit_length() - 1))
        mask ^= low
    return tuple(out)


def _flat_items(sets: list, total: int) -> np.ndarray:
    """Every office's workplace item numbers, flat (-1 for a number past int64: not an item of any list)."""
    try:
        return np.fromiter(chain.from_iterable(sets), np.int64, total)
    except OverflowError:
        return np.fromiter((n if -1 <= n < 64 else -1 for n in chain.from_iterable(sets)), np.int64, total)


def _per_office(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The sum of each office's run of `counts` values (uint64, modulo 2**64: exact for distinct bits)."""
    sums = np.zeros(len(values) + 1, U64)
    np.cumsum(values, dtype=U64, out=sums[1:])
    ends = np.cumsum(counts)
    return sums[ends] - sums[ends - counts]


def _one_job(s: Situation, office: Office, r: int) -> tuple:
    """The plain solver for one job (tables the array path cannot take)."""
    ctx = Context(s.kb, s.period, office, s.use_pledges)
    res = solve_tier(ctx, s.ranked[r], cost_function(office))
    return (True, "", res.cost, res.missing, res.exception, res.uses_pledge) if res.reachable else \
        (False, res.reason, None, (), None, False)


class _Bucket:
    """The jobs of one compiled table (with its scheme, item list and the exceptions held)."""

    WIDTH = 64    # bits of the packed key (tests lower it to check the staged tie-break)

    def __init__(self, kb: KB, table, list_id: str, held: tuple, tag, index: int):
        self.kb, self.table, self.list_id, self.held = kb, table, list_id, held
        self.tag = tag          # (KB, exception) -> the run's tag of a slot's exception
        self.index = index      # in the run's bucket list
        self.columns = max((len(g.masks) for g in table), default=1)

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
        pledge_bits = reg.pledge_mask() & used
        self.pledges = pledge_bits.bit_count()
        # the packed key, high to low: (most cost + 1 - cost), (pledges in table - pledges), ranked missing
        # terms, (last - DNF position)
        self.term_bits = len(names)
        self.pledge_width = self.pledges.bit_length()
        self.top = len(names) + 64 + 1          # above any cost: the missing terms and items added
        last = max((i for g in self.table for i in g.order), default=0)
        self.order_bits = last.bit_length()     # lowest: (last - DNF position), so the first term wins ties
        self.packed = self.top.bit_length() + self.pledge_width + self.term_bits + self.order_bits <= self.WIDTH
        self.ranked_pledges = int(self.term_perm(np.array([pledge_bits], U64))[0])
        self.items_tie = sum(1 for g in self.table if g.rules) > 1   # else equal keys add no items or the same
        self.groups = []
        for g in self.table:
            masks = np.array(g.masks, U64)
            variants = self._completions(g.rules)
            tags = np.array([self.tag(self.kb, e) for e, _ in variants] if variants else [self.tag(self.kb, None)], np.int64)
            self.groups.append((g, masks, self.term_perm(masks), np.array(g.order, np.int64), masks & U64(pledge_bits),
                                variants, tags))
        # by DNF position: the term's mask and group; per group: its row among the completions (the
        # last, of zeros, for a group without) and the tag of each variant
        self.mask_at, self.group_at = np.zeros(last + 1, U64), np.zeros(last + 1, np.intp)
        for gi, g in enumerate(self.table):
            self.mask_at[list(g.order)], self.group_at[list(g.order)] = g.masks, gi
        with_rules = [gi for gi, grp in enumerate(self.groups) if grp[5] is not None]
        self.completion_row = np.array([with_rules.index(gi) if gi in with_rules else len(with_rules)
                                        for gi in range(len(self.groups))], np.intp)
        width = max(len(grp[6]) for grp in self.groups)
        self.tag_at = np.array([np.pad(grp[6], (0, width - len(grp[6])), constant_values=-1) for grp in self.groups])

    def _completions(self, rules: frozenset):
        """The needs to try for a term group's workplace rules: without exception, then each applicable one."""
        if not rules:
            return None
        variants = [(None, wp.merged_need(self.kb, rules, None))]
        variants += [(e, wp.merged_need(self.kb, rules, e)) for e in self.held if e.rules & rules]
        return variants

    def choose(self, open_masks: np.ndarray, offices: np.ndarray, complete) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row (its actions not in place, its office's index): the chosen term's missing actions
        (registry bits), the items its completion adds and the tag of the exception relied on;
        (0, 0, -1) when no term can be completed. `complete(kb, list_id, variants)` gives `_complete`
        for every office."""
        return (self._packed if self.packed else self._staged)(open_masks, offices, complete)

    def _completion(self, complete, variants, offices: np.ndarray):
        cost, added, which = complete(self.kb, self.list_id, variants)
        return cost[offices], added[offices], which[offices]

    def _packed(self, open_masks: np.ndarray, offices: np.ndarray, complete):
        n, ob = len(open_masks), self.order_bits
        ranked_open = (self.term_perm(open_masks) << U64(ob))[None, :]
        shift, pw = U64(self.term_bits + ob), np.uint16(self.pledge_width)
        rp = U64(self.ranked_pledges << ob)
        low = U64(self.term_bits + self.pledge_width + ob)
        top = U64((self.top << int(low)) | (self.pledges << (self.term_bits + ob)))
        last = (1 << ob) - 1
        keys, comps = [], []
        for g, masks, ranked, order, _, variants, tags in self.groups:
            # (terms × rows): numpy's inner loops then run along the rows, not along a few terms
            r = (ranked << U64(ob))[:, None] & ranked_open
            key = np.bitwise_count(r).astype(np.uint16)
            if self.pledges:
                key <<= pw
                key |= np.bitwise_count(r & rp)
            key = np.left_shift(key, shift, dtype=U64)
            if variants is None:
                head, feasible = top, None
            else:
                cost, added, which = self._completion(complete, variants, offices)
                feasible = cost < INFEASIBLE
                head = top - (np.where(feasible, cost, 0).astype(U64) << low)
                comps.append((added, which))
            np.subtract(head, key, out=key)
            key |= r
            key |= (last - order).astype(U64)[:, None]
            best = key.max(axis=0)
            keys.append(best if feasible is None else np.where(feasible, best, U64(0)))
        best = keys[0] if len(keys) == 1 else np.stack(keys).max(axis=0)
        if self.items_tie:
            best = self._untie(np.stack(keys), best, comps)
        return self._chosen(open_masks, best, comps)

    def _untie(self, keys: np.ndarray, best: np.ndarray, comps: list) -> np.ndarray:
        """The best key per row where term groups of equal key above the DNF position differ in the
        items they add: the most items in sorted order (ranked as the terms are), then DNF order."""
        ob = U64(self.order_bits)
        hit = (keys >> ob) == (best >> ob)
        tied = np.flatnonzero(np.count_nonzero(hit, axis=0) > 1)
        if not len(tied):
            return best
        hit = hit[:, tied]
        items = np.zeros(hit.shape, U64)
        c = 0
        for gi, (g, masks, ranked, order, _, variants, tags) in enumerate(self.groups):
            if variants is not None:
                items[gi] = self.item_perm(comps[c][0][tied])
                c += 1
        items = np.where(hit, items, U64(0))
        hit &= items == items.max(axis=0)
        best = best.copy()
        best[tied] = np.where(hit, keys[:, tied], U64(0)).max(axis=0)
        return best

    def _chosen(self, open_masks: np.ndarray, best: np.ndarray, comps: list):
        """(missing registry bits, items added, tag) per row of the term its best key names."""
        last = (1 << self.order_bits) - 1
        position = last - (best & U64(last)).astype(np.intp)
        miss, group = open_masks & self.mask_at[position], self.group_at[position]
        if comps:
            rows, zeros = np.arange(len(best)), np.zeros(len(best), np.int64)
            at = self.completion_row[group]
            added = np.stack([a for a, _ in comps] + [zeros.astype(U64)])[at, rows]
            tag = self.tag_at[group, np.stack([w for _, w in comps] + [zeros])[at, rows]]
        else:
            added, tag = np.zeros(len(best), U64), self.tag_at[group, 0]
        none = best == 0
        miss[none], added[none], tag[none] = 0, 0, -1
        return miss, added, tag

    def _staged(self, open_masks: np.ndarray, offices: np.ndarray, complete):
        """The tie-break one criterion at a time, over every term of the table (for keys wider than 64 bits)."""
        n = len(open_masks)
        ranked_open = self.term_perm(open_masks)
        costs, misses, pledges, tie_terms, tie_items, orders, groups_of = [], [], [], [], [], [], []
        added_of, tag_of = [], []
        for gi, (g, masks, ranked, order, pledge_masks, variants, tags) in enumerate(self.groups):
            miss = open_masks[:, None] & masks[None, :]
            if variants is None:
                extra, added, which = np.zeros(n, np.int64), np.zeros(n, U64), np.zeros(n, np.int64)
            else:
                extra, added, which = self._completion(complete, variants, offices)
            costs.append(np.bitwise_count(miss).astype(np.int64) + extra[:, None])
            misses.append(miss)
            pledges.append(np.bitwise_count(open_masks[:, None] & pledge_masks[None, :]))
            tie_terms.append(ranked_open[:, None] & ranked[None, :])
            tie_items.append(np.broadcast_to(self.item_perm(added)[:, None], miss.shape))
            orders.append(np.broadcast_to(order[None, :], miss.shape))
            groups_of.append(np.full(len(g.masks), gi, np.int64))
            added_of.append(added)
            tag_of.append(tags[which])
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
        tag = np.stack(tag_of)[group, rows]
        none = best >= INFEASIBLE
        miss[none], added[none], tag[none] = 0, 0, -1
        return miss, added, tag



def _complete(kb: KB, list_id: str, needs: list, items: np.ndarray):
    """(cost, items added, index of the need used) per office: best_completion's choice among the
    needs (without exception first: the first strictly cheaper wins; cost INFEASIBLE when none can
    be completed)."""
    best = np.full(len(items), INFEASIBLE, np.int64)
    best_added = np.zeros(len(items), U64)
    which = np.zeros(len(items), np.int64)
    for vi, need in enumerate(needs):
        cost, added = _complete_unit(kb, list_id, need, items)
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
        values = np.arange(256, dtype=U64)[:, None]
        for byte in range(8):
            part = [(src - 8 * byte, dst) for src, dst in moves if 8 * byte <= src < 8 * byte + 8]
            if part:
                src, dst = np.array(part, U64).T
                self.tables.append((U64(8 * byte), np.bitwise_or.reduce(((values >> src) & U64(1)) << dst, axis=1)))

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
