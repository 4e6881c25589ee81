"""The solver's state for one loaded KB — action bits, compiled rules, memoised views — kept on
the KB object itself, so that two KBs (another version, an overlay, another scheme) never share
or evict each other's entries and nothing lives in module globals."""

from __future__ import annotations

ATTRIBUTE = "_solver_state"  # set after the KB is built and cached: the on-disk pickle never holds it


class SolverState:
    def __init__(self):
        self.bits: dict[str, int] = {}            # action id -> its bit (terms.Registry)
        self.names: list[str] = []                # bit position -> action id
        self.pledge_bits = 0                      # the bits of pledge actions
        self.named: dict[int, tuple[str, ...]] = {}   # mask -> action ids (memo)
        self.tables: dict[int, tuple] = {}        # id(compiled DNF) -> (DNF, groups)
        self.signatures: dict[tuple, int] = {}    # office-condition truths -> small int
        self.compiled: dict[tuple, tuple] = {}    # (signature, tier) -> DNF
        self.subexpressions: dict[tuple, tuple] = {}   # (expression, period, pledge mode, what it reads) -> DNF
        self.memo: dict[tuple, object] = {}       # (function, args) -> value (memo.per_kb)


def state(kb) -> SolverState:
    """The solver state of this KB object, created on first use."""
    st = kb.__dict__.get(ATTRIBUTE)
    if st is None:
        st = kb.__dict__[ATTRIBUTE] = SolverState()
    return st
