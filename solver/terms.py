"""Compiled DNF terms as bit masks, so that pricing every term of a tier for an office is a few
integer operations in C instead of set arithmetic in Python.

An action id (a requirement atom or `pledge.X`; workplace items are priced separately) owns one
bit of a process-wide registry.  An office's actions in place are one integer; the actions a term
still misses are `term_mask & ~have`, and with unit effort their number is its bit count.
"""

from __future__ import annotations

from dataclasses import dataclass

_bits: dict[str, int] = {}
_names: list[str] = []
_pledge_bits = 0  # the bits of the pledge actions registered so far


def bit(action: str) -> int:
    global _pledge_bits
    b = _bits.get(action)
    if b is None:
        b = _bits[action] = 1 << len(_names)
        _names.append(action)
        if action.startswith("pledge."):
            _pledge_bits |= b
    return b


def registered() -> int:
    return len(_names)


def mask_of(actions) -> int:
    m = 0
    for a in actions:
        m |= bit(a)
    return m


def have_mask(actions) -> int:
    """Like mask_of, but ids that no term has used yet need no bit: they cannot matter."""
    m = 0
    for a in actions:
        b = _bits.get(a)
        if b:
            m |= b
    return m


_named: dict[int, tuple[str, ...]] = {}


def names(mask: int) -> list[str]:
    """The action ids of a mask, lowest bit first."""
    hit = _named.get(mask)
    if hit is None:
        out, m = [], mask
        while m:
            low = m & -m
            out.append(_names[low.bit_length() - 1])
            m ^= low
        hit = _named[mask] = tuple(out)
    return list(hit)


def pledge_mask() -> int:
    return _pledge_bits


@dataclass(frozen=True)
class Group:
    """The terms that share one set of workplace rules: their action masks, in DNF order."""

    rules: frozenset
    masks: tuple[int, ...]
    acts: tuple[frozenset, ...]
    order: tuple[int, ...]  # each term's position in the DNF (ties go to the first, as before)


_tables: dict[int, tuple] = {}


def table(terms: tuple) -> tuple[Group, ...]:
    """Terms grouped by their workplace rules (cached per compiled DNF, which compile_tier shares)."""
    hit = _tables.get(id(terms))
    if hit is not None and hit[0] is terms:
        return hit[1]
    if len(_tables) > 4096:  # compilations not kept by compile_tier's cache come and go
        _tables.clear()
    by_rules: dict[frozenset, list] = {}
    for i, (acts, rules) in enumerate(terms):
        by_rules.setdefault(rules, []).append((acts, i))
    groups = tuple(Group(r, tuple(mask_of(a) for a, _ in ts), tuple(a for a, _ in ts), tuple(i for _, i in ts))
                   for r, ts in by_rules.items())
    _tables[id(terms)] = (terms, groups)
    return groups
