"""An independent oracle for the solver: evaluates the KB's rule trees directly (no DNF, no greedy)
and searches subsets of actions by brute force.  Slow by design; used on small instances only."""

from __future__ import annotations

import itertools

from carekb.solver.rules import condition_holds


class Oracle:
    def __init__(self, kb, office, period, use_pledges=True):
        kb = kb.for_service(office.service)  # the rules of the office's scheme (障害, 介護, ...)
        self.kb, self.o, self.p, self.use_pledges = kb, office, period, use_pledges
        self.groups = kb.services[office.service].groups

    def cond(self, c) -> bool:
        return condition_holds(c, self.o, self.groups, self.o.as_of)

    def pledge_ok(self, node, state) -> bool:
        if not self.use_pledges:
            return False
        for pl in self.kb.pledges.get(self.p.id, ()):
            if node in pl.targets and self.o.as_of <= pl.deadline and f"pledge.{pl.id}" in state:
                if pl.condition is None or self.holds(pl.condition, state):
                    return True
        return False

    def rule_ok(self, rid, items) -> bool:
        r = self.kb.rules[rid]
        lst = self.kb.items[r.list_id]
        count = {c: 0 for c in self.kb.categories}
        for n in items:
            count[lst[n].category] += 1
        mins = {c: r.each_min for c in self.kb.categories}
        for c, n in r.category_min:
            mins[c] = max(mins[c], n)

        def ok(skip_cat=None, extra_item=None):
            if extra_item is not None and extra_item not in items:
                return False
            for c, m in mins.items():
                if c != skip_cat and count[c] < m:
                    return False
            for n in r.must_include:
                if n not in items and lst[n].category != skip_cat:
                    return False
            return len(items) >= r.total_min
        if ok():
            return True
        return any(rid in e.rules and self.cond(e.condition) and ok(e.category, e.item) for e in self.kb.exceptions)

    def holds(self, e, state) -> bool:
        kind = e[0]
        if kind == "all":
            return all(self.holds(x, state) for x in e[1])
        if kind == "any":
            return any(self.holds(x, state) for x in e[1])
        if kind in ("field", "date_le", "group"):
            return self.cond(e)
        if kind == "tier":
            return self.holds(self.kb.tiers[e[1]][e[2]].expr, state)
        if kind in ("act", "req"):
            req = self.kb.requirements[e[1]]
            if req.applicable_when is not None and not self.cond(req.applicable_when):
                return True
            if any(d.requirement == e[1] and self.cond(d.condition) for d in self.kb.derived.get(self.p.id, ())):
                return True
            inside = e[1] in state if kind == "act" else (e[1] in state or self.holds(req.definition, state))
            return inside or self.pledge_ok(e, state)
        if kind == "wrule":
            items = frozenset(int(a.split(".")[1]) for a in state if a.startswith("workplace."))
            return self.rule_ok(e[1], items) or self.pledge_ok(e, state)
        raise ValueError(kind)

    def base_state(self) -> set[str]:
        s = set(self.o.met) | {f"workplace.{n}" for n in self.o.workplace}
        if self.use_pledges:
            s |= {f"pledge.{x}" for x in self.o.pledged}
        return s

    def tier_holds(self, tier_id, extra=()) -> bool:
        t = self.kb.tiers[self.p.id][tier_id]
        if t.reachable_when is not None and not self.cond(t.reachable_when):
            return False
        return self.holds(("tier", self.p.id, tier_id), self.base_state() | set(extra))

    def candidates(self) -> list[str]:
        have = self.base_state()
        acts = [r for r, req in self.kb.requirements.items() if not req.composite]
        acts += [f"workplace.{n}" for n in self.kb.items[self.p.item_list]]
        if self.use_pledges:
            acts += [f"pledge.{x.id}" for x in self.kb.pledges.get(self.p.id, ())]
        return [a for a in acts if a not in have]

    def min_actions(self, tier_id, limit: int) -> int | None:
        """The fewest actions reaching the tier, searching sizes 0..limit; None if above the limit."""
        cands = self.candidates()
        for k in range(limit + 1):
            for combo in itertools.combinations(cands, k):
                if self.tier_holds(tier_id, combo):
                    return k
        return None
