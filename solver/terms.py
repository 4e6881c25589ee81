"""Compiled DNF terms as bit masks, so that pricing every term of a tier for an office is a few
integer operations in C instead of set arithmetic in Python.

An action id (a requirement atom or `pledge.X`; workplace items are priced separately) owns one
bit of its KB's registry (`registry(kb)`, kept in the KB's solver state).  An office's actions in
place are one integer; the actions a term still misses are `term_mask & ~have`, and with unit
effort their number is its bit count.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from itertools import repeat
from operator import or_

from carekb.model.actions import is_pledge
from carekb.solver.state import SolverState, state


@dataclass(frozen=True)
class Group:
    """The terms that share one set of workplace rules: their action masks, in DNF order."""

    rules: frozenset
    masks: tuple[int, ...]
    acts: tuple[frozenset, ...]
    order: tuple[int, ...]  # each term's position in the DNF (ties go to the first, as before)


class Registry:
    """The action bits of one KB."""

    __slots__ = ("_s",)

    def __init__(self, st: SolverState):
        self._s = st

    def bit(self, action: str) -> int:
        s = self._s
        b = s.bits.get(action)
        if b is None:
            b = s.bits[action] = 1 << len(s.names)
            s.names.append(action)
            if is_pledge(action):
                s.pledge_bits |= b
        return b

    def registered(self) -> int:
        return len(self._s.names)

    def mask_of(self, actions) -> int:
        m = 0
        for a in actions:
            m |= self.bit(a)
        return m

    def have_mask(self, actions) -> int:
        """Like mask_of, but ids that no term has used yet need no bit: they cannot matter."""
        return reduce(or_, map(self._s.bits.get, actions, repeat(0)), 0)   # C-level loop: a call per office

    def bits_of(self, actions) -> list[int]:
        """The bit of each action id, 0 for one no term has used."""
        return list(map(self._s.bits.get, actions, repeat(0)))

    def names(self, mask: int) -> list[str]:
        """The action ids of a mask, lowest bit first."""
        named = self._s.named
        hit = named.get(mask)
        if hit is None:
            out, m, names = [], mask, self._s.names
            while m:
                low = m & -m
                out.append(names[low.bit_length() - 1])
                m ^= low
            hit = named[mask] = tuple(out)
        return list(hit)

    def pledge_mask(self) -> int:
        return self._s.pledge_bits

    def table(self, terms: tuple) -> tuple[Group, ...]:
        """Terms grouped by their workplace rules (cached per compiled DNF, which compile_tier shares)."""
        tables = self._s.tables
        hit = tables.get(id(terms))
        if hit is not None and hit[0] is terms:
            return hit[1]
        if len(tables) > 4096:  # compilations not kept by compile_tier's cache come and go
            tables.clear()
        by_rules: dict[frozenset, list] = {}
        for i, (acts, rules) in enumerate(terms):
            by_rules.setdefault(rules, []).append((acts, i))
        groups = tuple(Group(r, tuple(self.mask_of(a) for a, _ in ts), tuple(a for a, _ in ts), tuple(i for _, i in ts))
                       for r, ts in by_rules.items())
        tables[id(terms)] = (terms, groups)
        return groups


def registry(kb) -> Registry:
    """The action-bit registry of this KB."""
    return Registry(state(kb))
