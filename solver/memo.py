"""Views derived from one version of the KB (rankings, indexes, merged rules) are computed once."""

from __future__ import annotations

import functools


def per_kb(fn):
    """Cache `fn(kb, *args)` by `(kb.version, *args)`; the arguments must be hashable."""
    cache: dict = {}

    @functools.wraps(fn)
    def cached(kb, *args):
        key = (kb.version, *args)
        try:
            return cache[key]
        except KeyError:
            value = cache[key] = fn(kb, *args)
            return value

    return cached
