"""Compile requirement expressions into disjunctive normal form.

Every expression in kb/ is monotone (more actions never hurt), so a tier's rule is equivalent to
an OR of terms, each term a set of actions plus a set of workplace counting rules that must all
hold.  Office facts (history, dates, service group, derived facts) are constants here, and
superset terms are absorbed, so a tier compiles to a few hundred terms at most.  The minimum
effort to reach a tier is then the cheapest term: exact, with no search over subsets of actions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from carekb.model import actions
from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.types import KB, Period
from carekb.inputs.profile import FACT_ATTRIBUTES, Office

from carekb.solver.memo import per_kb
from carekb.solver.state import state
from carekb.solver.terms import registry

Term = tuple[frozenset, frozenset]  # (action ids, workplace rule ids)
TRUE: tuple[Term, ...] = ((frozenset(), frozenset()),)
FALSE: tuple[Term, ...] = ()


def condition_holds(cond: tuple, office: Office, services_groups: frozenset, as_of: dt.date) -> bool:
    p = _predicates.get(cond)
    if p is None:
        p = _predicates[cond] = _predicate(cond)
    return p(office, services_groups, as_of)


_predicates: dict[tuple, object] = {}


def _predicate(cond: tuple):
    """A condition as a function of (office, service groups, as-of date), built once per condition."""
    kind = cond[0]
    if kind in ("all", "any"):
        parts = [_predicates.get(c) or _predicates.setdefault(c, _predicate(c)) for c in cond[1]]
        combine = all if kind == "all" else any
        return lambda o, g, d: combine(p(o, g, d) for p in parts)
    if kind == "field":
        _, name, op, want = cond
        if name not in FACT_ATTRIBUTES:
            raise CarekbError(t("files.kb.not_an_office_fact", name=name, facts=", ".join(FACT_ATTRIBUTES)), "kb")
        fact = attrgetter(FACT_ATTRIBUTES[name])
        if op == "eq":
            return lambda o, g, d: fact(o) == want
        if op == "in":
            return lambda o, g, d: fact(o) in want
        if op == "ge":
            return lambda o, g, d: (v := fact(o)) is not None and v >= want
        if op == "lt":
            return lambda o, g, d: (v := fact(o)) is not None and v < want
    if kind == "date_le":
        day = cond[1]
        return lambda o, g, d: d <= day
    if kind == "group":
        group = cond[1]
        return lambda o, g, d: group in g
    raise CarekbError(f"{cond!r} is not an office condition", "kb")


@dataclass
class Context:
    """What the compiled rules of one office depend on, besides its actions."""

    kb: KB
    period: Period
    office: Office
    use_pledges: bool = True

    def __post_init__(self):
        self.kb = self.kb.for_service(self.office.service)  # the rules of the service's scheme
        self.groups = self.kb.services[self.office.service].groups
        self.as_of = self.office.as_of
        self._cond: dict = {}
        self.signature: int | None = None  # the compile-cache key of this office (compile_tier)
        self.completions: dict = {}         # workplace completions, shared by the tiers of one evaluation
        self._open = (-1, 0)                # (action bits registered, open mask)
        self._item_bits: int | None = None
        self._exceptions: tuple | None = None

    def exceptions(self) -> tuple:
        """The workplace-rule exceptions whose conditions this office meets."""
        if self._exceptions is None:
            self._exceptions = tuple(e for e in self.kb.exceptions if self.holds(e.condition))
        return self._exceptions

    def reachable(self, tier) -> bool:
        """False when the tier is closed to this office whatever it does (e.g. a Ⅴ tier and its May-2024 history)."""
        return tier.reachable_when is None or self.holds(tier.reachable_when)

    def have(self) -> frozenset[str]:
        """Every action in place: requirement atoms, pledges (when counted), workplace.N."""
        o = self.office
        pledged = {actions.pledge(p) for p in o.pledged} if self.use_pledges else set()
        return frozenset(o.met) | pledged | {actions.workplace(n) for n in o.workplace}

    def open_mask(self) -> int:
        """The bits of the actions not in place (recomputed when new action ids got bits)."""
        reg = registry(self.kb)
        if self._open[0] != reg.registered():
            self._open = (reg.registered(), ~reg.have_mask(self.have()))
        return self._open[1]

    def item_bits(self) -> int:
        """The workplace items in place as a bit set (bit n = item n)."""
        if self._item_bits is None:
            self._item_bits = sum(1 << n for n in self.office.workplace)
        return self._item_bits

    def holds(self, cond: tuple) -> bool:
        v = self._cond.get(cond)
        if v is None:
            v = self._cond[cond] = condition_holds(cond, self.office, self.groups, self.as_of)
        return v

    def pledges_for(self, node: tuple):
        if not self.use_pledges:
            return ()
        return [p for p in self.kb.pledges.get(self.period.id, ())
                if node in p.targets and self.holds(("date_le", p.deadline))]

    def derived_holds(self, req_id: str) -> bool:
        return any(d.requirement == req_id and self.holds(d.condition) for d in self.kb.derived.get(self.period.id, ()))

    def applies(self, req_id: str) -> bool:
        cond = self.kb.requirements[req_id].applicable_when
        return cond is None or self.holds(cond)

    def met_composites(self) -> frozenset:
        return frozenset(m for m in self.office.met if self.kb.requirements[m].composite)


def absorb(terms) -> tuple[Term, ...]:
    """Drop duplicate terms and terms that contain another term (they can never be cheaper).

    Terms are kept in (size, sorted actions, sorted rules) order; containment is tested on bit
    masks numbered for this call (k ⊆ t iff k & t == k). Only a smaller term can contain another
    (equal sizes mean equal sets, and duplicates are gone), so each size is checked at once against
    the terms kept so far, with numpy when there are many: compiling a batch's rule situations
    spent most of its time here, in pairwise frozenset comparisons."""
    ordered = sorted(set(terms), key=_term_key)
    if len(ordered) < 2:
        return tuple(ordered)
    bits: dict = {}
    masks = []
    for t in ordered:
        m = 0
        for a in t[0]:
            b = bits.get(a)
            if b is None:
                b = bits[a] = 1 << len(bits)
            m |= b
        for r in t[1]:
            b = bits.get((r,))   # rules in their own namespace: a 1-tuple never equals an action id
            if b is None:
                b = bits[(r,)] = 1 << len(bits)
            m |= b
        masks.append(m)
    if len(ordered) < 48 or len(bits) > 64:
        kept: list[Term] = []
        kept_masks: list[int] = []
        for t, m in zip(ordered, masks):
            for k in kept_masks:
                if k & m == k:
                    break
            else:
                kept.append(t)
                kept_masks.append(m)
        return tuple(kept)
    arr = np.array(masks, dtype=np.uint64)
    sizes = [len(t[0]) + len(t[1]) for t in ordered]
    keep = np.ones(len(ordered), dtype=bool)
    start = 0
    while start < len(ordered):
        end = start
        while end < len(ordered) and sizes[end] == sizes[start]:
            end += 1
        prior = arr[:start][keep[:start]]
        if prior.size:
            for lo in range(start, end, 512):   # blocks bound the (terms × kept) matrix
                hi = min(end, lo + 512)
                block = arr[lo:hi, None]
                keep[lo:hi] = ~((block & prior[None, :]) == prior[None, :]).any(axis=1)
        start = end
    return tuple(t for t, k in zip(ordered, keep.tolist()) if k)


_sorted: dict[frozenset, tuple] = {}   # the same sets recur across compilations: sort each once


def _names(s: frozenset) -> tuple:
    hit = _sorted.get(s)
    if hit is None:
        if len(_sorted) > 500_000:
            _sorted.clear()
        hit = _sorted[s] = tuple(sorted(s))
    return hit


def _term_key(t: Term):
    return len(t[0]) + len(t[1]), _names(t[0]), _names(t[1])


def product(a, b) -> tuple[Term, ...]:
    return absorb((x[0] | y[0], x[1] | y[1]) for x in a for y in b)


class Compiler:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.memo: dict[tuple, tuple[Term, ...]] = {}
        self.stack: list[tuple] = []

    def dnf(self, e: tuple) -> tuple[Term, ...]:
        hit = self.memo.get(e)
        if hit is not None:
            return hit
        if e in self.stack:
            raise CarekbError(t("files.kb.circular_rule", through=e), "kb")
        # Shared between compilations of other office situations that agree on everything this
        # sub-expression reads (its `reads`): most of a tier's rules read few office facts.
        ctx = self.ctx
        key = (e, ctx.period.id, ctx.use_pledges,
               tuple(ctx.holds(x) if kind == "cond" else x in ctx.office.met for kind, x in reads(ctx.kb, ctx.period.id, e)))
        shared = state(ctx.kb).subexpressions
        out = shared.get(key)
        if out is None:
            self.stack.append(e)
            try:
                out = self._dnf(e)
            finally:
                self.stack.pop()
            if len(shared) > 200_000:
                shared.clear()
            shared[key] = out
        self.memo[e] = out
        return out

    def _dnf(self, e: tuple) -> tuple[Term, ...]:
        kind, ctx, kb = e[0], self.ctx, self.ctx.kb
        if kind == "all":
            acc = TRUE
            for op in e[1]:
                acc = product(acc, self.dnf(op))
                if not acc:
                    return FALSE
            return acc
        if kind == "any":
            return absorb(t for op in e[1] for t in self.dnf(op))
        if kind in ("field", "date_le", "group"):
            return TRUE if ctx.holds(e) else FALSE
        if kind == "tier":
            return self.dnf(kb.tiers[e[1]][e[2]].expr)
        if kind in ("act", "req"):
            rid = e[1]
            # Atoms already in place are priced at zero later, so the DNF stays shared between offices.
            if (kind == "req" and rid in ctx.office.met) or not ctx.applies(rid) or ctx.derived_holds(rid):
                return TRUE
            base = self.dnf(kb.requirements[rid].definition) if kind == "req" else ((frozenset([rid]), frozenset()),)
        elif kind == "wrule":
            base = ((frozenset(), frozenset([e[1]])),)
        else:
            raise CarekbError(t("files.kb.unknown_expression", kind=kind), "kb")
        alternatives = list(base)
        for p in ctx.pledges_for(e):
            pledge = ((frozenset([actions.pledge(p.id)]), frozenset()),)
            alternatives += product(pledge, self.dnf(p.condition)) if p.condition else pledge
        return absorb(alternatives)


CONDITION_KINDS = ("field", "date_le", "group")


@per_kb
def reads(kb: KB, period_id: str, e: tuple) -> tuple:
    """What compiling `e` in this period reads of an office besides the pledge mode, as ("cond", condition)
    (its truth) and ("met", requirement id) (whether met as a whole): the conditions it contains, and
    for each requirement the conditions of its applicability, of the period's derived rules for it, of
    the pledges that can stand in for it (their deadlines too), and its own definition's reads."""
    kind = e[0]
    if kind in CONDITION_KINDS:
        return (("cond", e),)
    found: set = set()
    if kind in ("all", "any"):
        for op in e[1]:
            found.update(reads(kb, period_id, op))
    elif kind == "tier":
        found.update(reads(kb, period_id, kb.tiers[e[1]][e[2]].expr))
    elif kind in ("act", "req"):
        rid = e[1]
        req = kb.requirements.get(rid)
        if kind == "req":
            found.add(("met", rid))
            if req is not None and req.definition:
                found.update(reads(kb, period_id, req.definition))
        if req is not None and req.applicable_when is not None:
            found.add(("cond", req.applicable_when))
        found.update(("cond", d.condition) for d in kb.derived.get(period_id, ()) if d.requirement == rid)
    if kind in ("act", "req", "wrule"):     # the nodes a pledge can stand in for
        for p in kb.pledges.get(period_id, ()):
            if e in p.targets:
                found.add(("cond", ("date_le", p.deadline)))
                if p.condition:
                    found.update(reads(kb, period_id, p.condition))
    return tuple(sorted(found, key=repr))


def sub_expressions(kb: KB, roots) -> set[tuple]:
    """Every expression reachable from the roots, through tier references and requirement definitions."""
    seen: set = set()
    todo = [e for e in roots if isinstance(e, tuple)]
    while todo:
        e = todo.pop()
        if not e or e in seen:
            continue
        seen.add(e)
        if e[0] == "tier":
            todo.append(kb.tiers[e[1]][e[2]].expr)
        elif e[0] == "req" and e[1] in kb.requirements:
            todo += [x for x in (kb.requirements[e[1]].definition, kb.requirements[e[1]].applicable_when) if x]
        elif e[0] not in CONDITION_KINDS:
            todo += [x for x in e if isinstance(x, tuple)]
    return seen


@per_kb
def office_conditions(kb: KB, period_id: str) -> tuple:
    """Every office condition that compiling a tier of the period can read."""
    roots = [t.expr for t in kb.tiers.get(period_id, {}).values()]
    roots += [x for r in kb.requirements.values() for x in (r.definition, r.applicable_when)]
    roots += [d.condition for d in kb.derived.get(period_id, ())]
    roots += [p.condition for p in kb.pledges.get(period_id, ())]
    found = {e for e in sub_expressions(kb, roots) if e[0] in CONDITION_KINDS}
    found |= {("date_le", p.deadline) for p in kb.pledges.get(period_id, ())}
    return tuple(sorted(found, key=repr))


@per_kb
def period_requirements(kb: KB, period_id: str) -> frozenset[str]:
    """The requirement ids that the period's tiers name, directly or through composites."""
    nodes = sub_expressions(kb, [t.expr for t in kb.tiers.get(period_id, {}).values()])
    return frozenset(e[1] for e in nodes if e[0] in ("req", "act"))


def compile_tier(ctx: Context, tier_id: str) -> tuple[Term, ...]:
    """The absorbed DNF of a tier for this office context.

    Cached by the truth values of the office conditions that compilation can read, so offices
    that differ only in their actions (the common case in a batch) share one compilation.
    """
    st = state(ctx.kb)  # (period, pledges on, composites met, truth of every office condition) -> small int
    if ctx.signature is None:
        truth = tuple(ctx.holds(c) for c in office_conditions(ctx.kb, ctx.period.id))
        full = (ctx.period.id, ctx.use_pledges, ctx.met_composites(), truth)
        ctx.signature = st.signatures.setdefault(full, len(st.signatures))  # a small int hashes fast
    key = (ctx.signature, tier_id)
    dnf = st.compiled.get(key)
    if dnf is None:
        if len(st.compiled) > 50_000:
            st.compiled.clear()  # (signature ids stay valid: they only name a combination of truths)
        # a Compiler per call (its stack is its own: web requests compile in threads); what it compiles
        # is shared through state(kb).subexpressions
        dnf = st.compiled[key] = Compiler(ctx).dnf(("tier", ctx.period.id, tier_id))
    return dnf
