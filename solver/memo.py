"""Views derived from one loaded KB (rankings, indexes, merged rules) are computed once, and kept
in that KB's solver state (solver/state.py)."""

from __future__ import annotations

import functools

from carekb.solver.state import state


def per_kb(fn):
    """Cache `fn(kb, *args)` in the KB's own state, by `(fn, *args)`; the arguments must be hashable."""

    @functools.wraps(fn)
    def cached(kb, *args):
        memo = state(kb).memo
        key = (cached, *args)
        try:
            return memo[key]
        except KeyError:
            value = memo[key] = fn(kb, *args)
            return value

    return cached
