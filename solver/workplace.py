"""The exact minimum-effort completion of 職場環境等要件 (workplace items) for a set of counting rules.

Items of one category are interchangeable for every rule except the named ones (must-include
items, the small-corporation item), so a greedy choice is exact: first the must-include items,
then in each category the cheapest items that close its deficit, then the cheapest of all the
remaining items that close the total.  (Exchange argument: any optimal set can be rearranged to
contain the greedy's category picks, and its remaining picks cost at least the cheapest rest.)
"""

from __future__ import annotations

from dataclasses import dataclass

from carekb.model import KB, WorkplaceException


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


def complete(kb: KB, list_id: str, need: Need, have: frozenset[int], cost_of) -> tuple[int, tuple[int, ...]] | None:
    """Cheapest items to add so that `have` meets `need`; None when the list cannot meet it."""
    items = kb.items[list_id]
    forced = sorted(need.must - have)
    if any(n not in items for n in forced):
        return None
    chosen = list(forced)
    taken = set(have) | set(forced)
    cost = sum(cost_of(n) for n in forced)
    for cat, minimum in need.category_min:
        count = sum(1 for n in taken if items[n].category == cat)
        deficit = minimum - count
        if deficit > 0:
            pool = sorted((cost_of(n), n) for n, it in items.items() if it.category == cat and n not in taken)
            if len(pool) < deficit:
                return None
            for c, n in pool[:deficit]:
                chosen.append(n)
                taken.add(n)
                cost += c
    deficit = need.total - len(taken)
    if deficit > 0:
        pool = sorted((cost_of(n), n) for n in items if n not in taken)
        if len(pool) < deficit:
            return None
        for c, n in pool[:deficit]:
            chosen.append(n)
            cost += c
    return cost, tuple(chosen)


def best_completion(kb: KB, list_id: str, rules: frozenset[str], have: frozenset[int], cost_of,
                    exceptions: tuple[WorkplaceException, ...]) -> Completion | None:
    """The cheapest completion, with or without an applicable exception (ties: without)."""
    best = None
    for exc in (None,) + tuple(e for e in exceptions if e.rules & rules):
        found = complete(kb, list_id, merged_need(kb, rules, exc), have, cost_of)
        if found is not None and (best is None or found[0] < best.cost):
            best = Completion(found[0], found[1], exc)
    return best


def satisfied(kb: KB, list_id: str, rules: frozenset[str], have: frozenset[int],
              exceptions: tuple[WorkplaceException, ...]) -> bool:
    c = best_completion(kb, list_id, rules, have, lambda n: 1, exceptions)
    return c is not None and c.cost == 0
