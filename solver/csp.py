"""The same question as a constraint model for python-constraint2: the general path.

The tier's rule tree becomes boolean node variables tied to their children (all-of, any-of),
actions become 0/1 variables, and workplace items become count variables per (category, effort)
class — items of a class are interchangeable — plus 0/1 variables for the items that rules name
(must-include, exception items).  The minimum effort is found by iterative deepening on a
MaxSumConstraint over the weighted action variables.  It reads the rule tree, not the DNF, so
tests use it as an independent check of `gap.solve_tier`; `carekb gap --engine csp` selects it.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict

from carekb.i18n import t
from carekb.model import actions
from carekb.model.errors import CarekbError

from carekb.solver.outcome import TierResult, action_key, rate_of
from carekb.solver.rules import Context


# Wall-clock limit on one tier's search: python-constraint has none, and a large gap ran past a minute.
CSP_SECONDS = float(os.environ.get("CAREKB_CSP_SECONDS", "30"))


class Model:
    def __init__(self, ctx: Context, cost_of, deadline: float | None = None):
        import constraint

        self.c = constraint
        self.deadline = deadline
        self.ctx, self.kb, self.cost_of = ctx, ctx.kb, cost_of
        self.have = ctx.have()
        self.items = ctx.office.workplace
        self.list = self.kb.items[ctx.period.item_list]
        self.vars: dict[str, tuple] = {}        # name -> domain
        self.weights: dict[str, int] = {}       # decision variable -> effort per unit
        self.defs: list[tuple] = []             # (node, predicate(exceptions, *values), variables), children first
        self.rules: dict[str, str] = {}         # rule id -> node variable
        self.exceptions = ctx.exceptions()
        self.special = self._special_items()
        self.classes = self._count_classes()

    # ------------------------------------------------------------------ variables
    def _special_items(self) -> set[int]:
        named = {n for r in self.kb.rules.values() if r.list_id == self.ctx.period.item_list for n in r.must_include}
        named |= {e.item for e in self.exceptions}
        return {n for n in named if n in self.list and n not in self.items}

    def _count_classes(self) -> dict[tuple[str, int], list[int]]:
        classes = defaultdict(list)
        for n, it in self.list.items():
            if n not in self.items and n not in self.special:
                classes[(it.category, self.cost_of(actions.workplace(n)))].append(n)
        return classes

    def decision(self, name: str, weight: int, domain=(0, 1)) -> str:
        if name not in self.vars:
            self.vars[name] = tuple(domain)
            self.weights[name] = weight
        return name

    # ------------------------------------------------------------------ the rule tree
    def build(self, e: tuple):
        """A variable name, or a constant bool, that is true exactly when `e` holds."""
        kind, ctx, kb = e[0], self.ctx, self.kb
        if kind in ("all", "any"):
            return self._combine(kind, [self.build(x) for x in e[1]])
        if kind in ("field", "date_le", "group"):
            return ctx.holds(e)
        if kind == "tier":
            return self.build(kb.tiers[e[1]][e[2]].expr)
        if kind in ("act", "req"):
            rid = e[1]
            if rid in self.have or not ctx.applies(rid) or ctx.derived_holds(rid):
                return True
            base = self.build(kb.requirements[rid].definition) if kind == "req" else \
                self.decision(f"a:{rid}", self.cost_of(rid))
        elif kind == "wrule":
            base = self.workplace_rule(e[1])
        else:
            raise CarekbError(t("files.kb.unknown_expression", kind=kind), "kb")
        alts = [base]
        for p in ctx.pledges_for(e):
            pid = actions.pledge(p.id)
            pv = True if pid in self.have else self.decision(f"p:{p.id}", self.cost_of(pid))
            alts.append(self._combine("all", [pv, self.build(p.condition) if p.condition else True]))
        return self._combine("any", alts)

    def _define(self, pred, parts) -> str:
        """A new 0/1 node variable, equal to pred(applicable exceptions, *values of parts)."""
        v = f"n{len(self.defs) + 1}"
        self.vars[v] = (0, 1)
        self.defs.append((v, pred, parts))
        return v

    def _combine(self, kind, parts):
        if kind == "all" and any(p is False for p in parts) or kind == "any" and any(p is True for p in parts):
            return kind == "any"
        parts = [p for p in parts if not isinstance(p, bool)]
        if not parts:
            return kind == "all"
        if len(parts) == 1:
            return parts[0]
        return self._define((lambda _, *cs: all(cs)) if kind == "all" else (lambda _, *cs: any(cs)), parts)

    def workplace_rule(self, rid: str):
        if rid in self.rules:
            return self.rules[rid]
        kb, r = self.kb, self.kb.rules[rid]
        specials = sorted(self.special)
        for n in specials:
            self.decision(f"w:{n}", self.cost_of(actions.workplace(n)))
        counts = sorted(self.classes)
        for cat, cost in counts:
            self.decision(f"k:{cat}:{cost}", cost, range(len(self.classes[(cat, cost)]) + 1))
        mins = {c: r.each_min for c in kb.categories}
        for c, m in r.category_min:
            mins[c] = max(mins[c], m)
        have_by_cat = {c: sum(1 for n in self.items if self.list[n].category == c) for c in kb.categories}
        excs = [e for e in self.exceptions if rid in e.rules]
        lst = self.list
        items = self.items

        def holds(exceptions, *vals):
            chosen = {n for n, x in zip(specials, vals[:len(specials)]) if x}
            added = dict(zip(counts, vals[len(specials):]))
            per_cat = dict(have_by_cat)
            for n in chosen:
                per_cat[lst[n].category] += 1
            for (cat, _), k in added.items():
                per_cat[cat] += k
            present = items | chosen
            total = len(items) + len(chosen) + sum(added.values())

            def ok(skip=None, extra=None):
                if extra is not None and extra not in present:
                    return False
                if any(per_cat[c] < m for c, m in mins.items() if c != skip):
                    return False
                return all(n in present or lst[n].category == skip for n in r.must_include) and total >= r.total_min
            return ok() or any(ok(e.category, e.item) for e in excs if e in exceptions)

        self.rules[rid] = self._define(holds, [f"w:{n}" for n in specials] + [f"k:{c}:{w}" for c, w in counts])
        return self.rules[rid]

    # ------------------------------------------------------------------ solving
    def solve(self, root, limit: int):
        """The cheapest assignment with root true, by iterative deepening on the effort bound."""
        if root is False:
            return None
        for bound in range(limit + 1):
            p = self.c.Problem()
            for name, dom in self.vars.items():
                p.addVariable(name, list(dom))
            if root is not True:
                p.addConstraint(lambda v: v == 1, [root])
            for node, pred, vs in self.defs:
                p.addConstraint(self.c.FunctionConstraint(lambda v, *cs, pred=pred: self._in_time()
                                                          and v == int(pred(self.exceptions, *cs))), [node] + vs)
            names = list(self.weights)
            if names:
                p.addConstraint(self.c.MaxSumConstraint(bound, [self.weights[n] for n in names]), names)
            sol = p.getSolution()
            if sol is not None:
                return bound, sol
        return None

    def _in_time(self) -> bool:
        """True; past the deadline, stop the search (the solver calls this on every constraint check)."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise CarekbError(t("csp.timeout", seconds=f"{CSP_SECONDS:g}"), "--engine csp")
        return True

    def exception_used(self, root, sol: dict):
        """The exception the solution relies on: None when the root holds without one."""
        for allowed in [()] + [(e,) for e in self.exceptions]:
            vals = dict(sol)
            for v, pred, vs in self.defs:
                vals[v] = int(pred(allowed, *(vals[x] for x in vs)))
            if root is True or vals[root]:
                return allowed[0] if allowed else None
        return None

    def actions(self, sol: dict) -> list[str]:
        out = []
        for name, v in sol.items():
            if not v or name.startswith("n"):
                continue
            kind, _, rest = name.partition(":")
            if kind == "a":
                out.append(rest)
            elif kind == "p":
                out.append(actions.pledge(rest))
            elif kind == "w":
                out.append(actions.workplace(rest))
            elif kind == "k":
                cat, cost = rest.rsplit(":", 1)
                out += [actions.workplace(n) for n in sorted(self.classes[(cat, int(cost))])[:v]]
        return out


def solve_tier_csp(ctx: Context, tier, cost_of, limit: int = 60) -> TierResult:
    kb = ctx.kb
    rate = rate_of(ctx, tier)
    if not ctx.reachable(tier):
        return TierResult(tier, rate, False, "history")
    m = Model(ctx, cost_of, time.monotonic() + CSP_SECONDS)
    root = m.build(("tier", ctx.period.id, tier.id))
    found = m.solve(root, limit)
    if found is None:
        return TierResult(tier, rate, False, "impossible")
    bound, sol = found
    missing = tuple(sorted(m.actions(sol), key=lambda a: action_key(kb, a)))
    return TierResult(tier, rate, True, "", bound, missing, m.exception_used(root, sol))
