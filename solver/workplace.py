"""The exact minimum-effort completion of 職場環境等要件 (workplace items) for a set of counting rules.

Items of one category are interchangeable for every rule except the named ones (must-include
items, the small-corporation item), so a greedy choice is exact: first the must-include items,
then in each category the cheapest items that close its deficit, then the cheapest of all the
remaining items that close the total.  (Exchange argument: any optimal set can be rearranged to
contain the greedy's category picks, and its remaining picks cost at least the cheapest rest.)
"""

from __future__ import annotations

from dataclasses import dataclass

from carekb.model.types import KB, WorkplaceException

from carekb.solver.memo import per_kb
from carekb.solver.state import state


@dataclass(frozen=True)
class Need:
    """The merged demand of several rules: per-category minimums, must-include items, a total."""

    category_min: tuple[tuple[str, int], ...]
    must: frozenset[int]
    total: int


@dataclass(frozen=True)
class Completion:
    cost: int
    items: tuple[int, ...]                 # items to add, in the order chosen
    exception: WorkplaceException | None   # the inferred exception this completion relies on


def merged_need(kb: KB, rules: frozenset[str], exception: WorkplaceException | None) -> Need:
    memo = state(kb).memo
    key = (merged_need, rules, exception.id if exception else None)
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = _merge(kb, rules, exception)
    return hit


def _merge(kb: KB, rules: frozenset[str], exception: WorkplaceException | None) -> Need:
    cat_min: dict[str, int] = {}
    must: set[int] = set()
    total = 0
    for rid in rules:
        r = kb.rules[rid]
        excepted = exception is not None and rid in exception.rules
        mins = {c: r.each_min for c in kb.categories} if r.each_min else {}
        for c, n in r.category_min:
            mins[c] = max(mins.get(c, 0), n)
        items = kb.items[r.list_id]
        for c, n in mins.items():
            if excepted and c == exception.category:
                continue  # the exception item alone meets this category for this rule
            cat_min[c] = max(cat_min.get(c, 0), n)
        for n in r.must_include:
            if not (excepted and items[n].category == exception.category):
                must.add(n)
        if excepted:
            must.add(exception.item)
        total = max(total, r.total_min)
    return Need(tuple(sorted(cat_min.items())), frozenset(must), total)


@per_kb
def by_category(kb: KB, list_id: str) -> dict[str, tuple[int, ...]]:
    """The list's item numbers per category, in order."""
    groups: dict[str, list[int]] = {}
    for n in sorted(kb.items[list_id]):
        groups.setdefault(kb.items[list_id][n].category, []).append(n)
    return {c: tuple(ns) for c, ns in groups.items()}


def complete(kb: KB, list_id: str, need: Need, have: frozenset[int], cost_of,
             unit: bool = False) -> tuple[int, tuple[int, ...]] | None:
    """Cheapest items to add so that `have` meets `need`; None when the list cannot meet it.
    Among equally cheap items the lowest-numbered is taken (with unit cost: in list order)."""
    items = kb.items[list_id]
    forced = sorted(need.must - have)
    if any(n not in items for n in forced):
        return None
    chosen = list(forced)
    taken = set(have)
    taken.update(forced)
    cost = len(forced) if unit else sum(cost_of(n) for n in forced)
    cats = by_category(kb, list_id)

    def cheapest(pool: list[int], k: int) -> list[int]:
        return pool[:k] if unit else sorted(pool, key=lambda n: (cost_of(n), n))[:k]

    for cat, minimum in need.category_min:
        members = cats.get(cat, ())
        deficit = minimum - sum(1 for n in members if n in taken)
        if deficit > 0:
            pool = [n for n in members if n not in taken]
            if len(pool) < deficit:
                return None
            for n in cheapest(pool, deficit):
                chosen.append(n)
                taken.add(n)
                cost += 1 if unit else cost_of(n)
    deficit = need.total - len(taken)
    if deficit > 0:
        pool = [n for n in sorted(items) if n not in taken]
        if len(pool) < deficit:
            return None
        for n in cheapest(pool, deficit):
            chosen.append(n)
            cost += 1 if unit else cost_of(n)
    return cost, tuple(chosen)


def best_completion(kb: KB, list_id: str, rules: frozenset[str], have: frozenset[int], cost_of,
                    exceptions: tuple[WorkplaceException, ...], unit: bool = False) -> Completion | None:
    """The cheapest completion, with or without an applicable exception (ties: without)."""
    best = None
    have_bits = sum(1 << n for n in have) if unit else 0
    for exc in (None,) + tuple(e for e in exceptions if e.rules & rules):
        need = merged_need(kb, rules, exc)
        found = complete_unit(kb, list_id, need, have_bits) if unit else complete(kb, list_id, need, have, cost_of)
        if found is not None and (best is None or found[0] < best.cost):
            best = Completion(found[0], found[1], exc)
    return best


def complete_unit(kb: KB, list_id: str, need: Need, have: int) -> tuple[int, tuple[int, ...]] | None:
    """`complete` with every item costing 1, on bit sets (bit n = item n): the same picks, faster."""
    must, per_category, everything = unit_need(kb, list_id, need)
    if must is None:
        return None
    forced = must & ~have
    chosen = _bits(forced)
    taken = have | forced
    for members, minimum in per_category:
        deficit = minimum - (taken & members).bit_count()
        pool = members & ~taken
        if deficit > 0:
            if pool.bit_count() < deficit:
                return None
            picks = _lowest(pool, deficit)
            chosen += picks
            taken |= sum(1 << n for n in picks)
    deficit = need.total - taken.bit_count()
    if deficit > 0:
        pool = everything & ~taken
        if pool.bit_count() < deficit:
            return None
        chosen += _lowest(pool, deficit)
    return len(chosen), tuple(chosen)


@per_kb
def unit_need(kb: KB, list_id: str, need: Need) -> tuple:
    """A need as bit sets: (must-include items or None if some is not in the list,
    ((category items, minimum), ...), every item)."""
    items = kb.items[list_id]
    cats = by_category(kb, list_id)
    must = None if any(n not in items for n in need.must) else sum(1 << n for n in need.must)
    per_category = tuple((sum(1 << n for n in cats.get(c, ())), m) for c, m in need.category_min)
    return must, per_category, sum(1 << n for n in items)


def _bits(mask: int) -> list[int]:
    return [n for n in range(mask.bit_length()) if mask >> n & 1]


def _lowest(mask: int, k: int) -> list[int]:
    out = []
    while len(out) < k:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def satisfied(kb: KB, list_id: str, rules: frozenset[str], have: frozenset[int],
              exceptions: tuple[WorkplaceException, ...]) -> bool:
    c = best_completion(kb, list_id, rules, have, lambda n: 1, exceptions, unit=True)
    return c is not None and c.cost == 0
