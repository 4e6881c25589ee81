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

from carekb.errors import CarekbError
from carekb.model import KB, Period
from carekb.profile import FACT_ATTRIBUTES, Office

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
            raise CarekbError(f"a condition tests {name!r}, which is not an office fact ({', '.join(FACT_ATTRIBUTES)})", "kb")
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
        self.groups = self.kb.services[self.office.service].groups
        self.as_of = self.office.as_of
        self._cond: dict = {}

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
    """Drop duplicate terms and terms that contain another term (they can never be cheaper)."""
    kept: list[Term] = []
    for t in sorted(set(terms), key=lambda t: (len(t[0]) + len(t[1]), sorted(t[0]), sorted(t[1]))):
        if not any(k[0] <= t[0] and k[1] <= t[1] for k in kept):
            kept.append(t)
    return tuple(kept)


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
            raise CarekbError(f"circular rule definition through {e}", "kb")
        self.stack.append(e)
        out = self._dnf(e)
        self.stack.pop()
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
            raise CarekbError(f"unknown expression kind {kind!r}", "kb")
        alternatives = list(base)
        for p in ctx.pledges_for(e):
            pledge = ((frozenset([f"pledge.{p.id}"]), frozenset()),)
            alternatives += product(pledge, self.dnf(p.condition)) if p.condition else pledge
        return absorb(alternatives)


CONDITION_KINDS = ("field", "date_le", "group")
_conditions: dict[tuple, tuple] = {}


def office_conditions(kb: KB, period_id: str) -> tuple:
    """Every office condition that compiling a tier of the period can read."""
    key = (kb.version, period_id)
    hit = _conditions.get(key)
    if hit is not None:
        return hit
    found: dict[tuple, None] = {}
    seen: set = set()

    def walk(e):
        if not isinstance(e, tuple) or not e or e in seen:
            return
        seen.add(e)
        if e[0] in CONDITION_KINDS:
            found[e] = None
        elif e[0] == "tier":
            walk(kb.tiers[e[1]][e[2]].expr)
        else:
            for x in e:
                walk(x)

    for t in kb.tiers.get(period_id, {}).values():
        walk(t.expr)
    for r in kb.requirements.values():
        walk(r.definition)
        walk(r.applicable_when)
    for d in kb.derived.get(period_id, ()):
        walk(d.condition)
    for p in kb.pledges.get(period_id, ()):
        walk(p.condition)
        found[("date_le", p.deadline)] = None
    hit = _conditions[key] = tuple(found)
    return hit


# (kb version, period, pledges on, composites met, tier, truth of every office condition) -> DNF
_compiled: dict[tuple, tuple[Term, ...]] = {}
_signatures: dict[tuple, int] = {}


def compile_tier(ctx: Context, tier_id: str) -> tuple[Term, ...]:
    """The absorbed DNF of a tier for this office context.

    Cached by the truth values of the office conditions that compilation can read, so offices
    that differ only in their actions (the common case in a batch) share one compilation.
    """
    sig = ctx.__dict__.get("_signature")
    if sig is None:
        truth = tuple(ctx.holds(c) for c in office_conditions(ctx.kb, ctx.period.id))
        full = (ctx.kb.version, ctx.period.id, ctx.use_pledges, ctx.met_composites(), truth)
        sig = ctx._signature = _signatures.setdefault(full, len(_signatures))  # a small int hashes fast
    key = (sig, tier_id)
    dnf = _compiled.get(key)
    if dnf is None:
        if len(_compiled) > 50_000:
            _compiled.clear()  # (signature ids stay valid: they only name a combination of truths)
        dnf = _compiled[key] = Compiler(ctx).dnf(("tier", ctx.period.id, tier_id))
    return dnf
