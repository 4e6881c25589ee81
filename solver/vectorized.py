"""Many offices at once: the same answers as `gap.evaluate`, priced with numpy.

Offices whose compiled rules are the same (same period, service group, history, ... — see
`rules.compile_tier`) share each tier's DNF table.  For such a bucket the cost of every term for
every office is one `bitwise_count(open_masks & term_masks)` matrix, and the workplace part of a
group of terms is a vector of completion costs (with unit effort a completion's cost needs only
per-category counts, not the items themselves).  Only the least-cost terms go back to Python,
through `gap.choose`, the same tie-break as the one-office path, so results are identical.
Offices with non-unit effort take the one-office path.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.types import KB
from carekb.inputs.profile import Office

from carekb.solver import terms
from carekb.solver import workplace as wp
from carekb.solver.gap import (Effort, Evaluation, TierResult, _completion, assemble, choose, cost_function, evaluate, rank_tiers,
                  rate_of, solve_tier)
from carekb.solver.rules import Context, compile_tier

INFEASIBLE = np.int64(1 << 40)
PROMOTE_AFTER = 100_000     # objects kept by a gc_paused block, past which they go to the oldest generation


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection inside: the many-office work makes millions of small objects and
    no reference cycles, so collection passes would be pure cost (2× on a batch's row check).

    On the way out, what the block made and kept (a batch's 1.2 million brief tuples per 100,000
    offices) goes straight to the oldest generation, as gc.unfreeze documents, instead of being
    walked by the young generation's next pass (0.36 s, measured) and then by the middle one's: it
    is long-lived by construction. Refcounting still frees it; a full collection still looks at it.
    Only after many objects (gc.get_count is O(1); gc.get_freeze_count walks the frozen ones: 22 ms
    per call in a batch's parent, which froze its heap for the workers); skipped while anything is
    frozen (fork_stream's workers share what the parent froze, a caller may have its reasons)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            if gc.get_count()[0] >= PROMOTE_AFTER and not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def evaluate_many(kb: KB, offices: list[Office], use_pledges: bool = True) -> list[Evaluation]:
    """`gap.evaluate` for each office (bound: as_of set), in input order."""
    with gc_paused():
        return _evaluate_many(kb, offices, use_pledges)


@dataclass
class _Job:
    """One office on the fast path: its context and its tiers' results (None until solved), in rank order."""

    index: int
    ctx: Context
    effort: Effort
    by_rate: bool
    results: dict


def _evaluate_many(kb: KB, offices: list[Office], use_pledges: bool) -> list[Evaluation]:
    out: list[Evaluation | None] = [None] * len(offices)
    jobs: list[_Job] = []
    buckets: dict[tuple, tuple] = {}  # (table id, item list, exceptions held) -> (table, exceptions, [(job, tier)])
    for i, office in enumerate(offices):
        okb = kb.for_service(office.service)  # the rules of the office's scheme
        period = okb.period_at(office.as_of)
        effort = cost_function(office)
        if not effort.unit:
            out[i] = evaluate(okb, office, period, use_pledges)
            continue
        ctx = Context(okb, period, office, use_pledges)
        ranked, by_rate = rank_tiers(okb, period, office.service)
        job = _Job(i, ctx, effort, by_rate, dict.fromkeys(t.id for t in ranked))
        jobs.append(job)
        held = tuple(e.id for e in ctx.exceptions())
        for tier in ranked:
            if not ctx.reachable(tier):
                job.results[tier.id] = TierResult(tier, rate_of(ctx, tier), False, "history")
                continue
            table = terms.registry(okb).table(compile_tier(ctx, tier.id))
            buckets.setdefault((id(table), okb.scheme, period.item_list, held),
                               (table, ctx.exceptions(), []))[2].append((job, tier))
    if any(terms.registry(j.ctx.kb).registered() > 64 for j in jobs):  # masks no longer fit a uint64: one office at a time
        for job in jobs:
            for tid, r in job.results.items():
                if r is None:
                    job.results[tid] = solve_tier(job.ctx, job.ctx.kb.tiers[job.ctx.period.id][tid], job.effort)
    else:
        for (_, scheme, list_id, _), (table, exceptions, members) in buckets.items():
            _solve_bucket(kb.schemes.get(scheme, kb), list_id, exceptions, table, members)
    for job in jobs:
        out[job.index] = assemble(job.ctx, job.effort, job.results, job.by_rate)
    return out


def _solve_bucket(kb: KB, list_id: str, exceptions: tuple, table, members: list[tuple[_Job, object]]) -> None:
    ctxs = [job.ctx for job, _ in members]
    open_masks = np.array([c.open_mask() & ((1 << 64) - 1) for c in ctxs], dtype=np.uint64)
    items = np.array([c.item_bits() for c in ctxs], dtype=np.uint64)
    lows, parts = [], []
    for g in table:
        acts = np.bitwise_count(open_masks[:, None] & np.array(g.masks, dtype=np.uint64)[None, :]).astype(np.int64)
        extra = _completion_costs(kb, list_id, g.rules, exceptions, items) if g.rules else np.zeros(len(ctxs), np.int64)
        lows.append(acts.min(axis=1) + extra)
        parts.append((acts, extra))
    lows = np.stack(lows)              # groups × offices
    best = lows.min(axis=0)
    ties: list[list] = [[] for _ in members]  # per office: [(group index, [term indices at the least cost])]
    for gi, (acts, extra) in enumerate(parts):
        at_best = lows[gi] == best
        if not at_best.any():
            continue
        rows, cols = np.nonzero((acts == (best - extra)[:, None]) & at_best[:, None])
        for k, i in zip(rows.tolist(), cols.tolist()):
            t = ties[k]
            if not t or t[-1][0] != gi:
                t.append((gi, []))
            t[-1][1].append(i)
    for k, (job, tier) in enumerate(members):
        ctx = job.ctx
        if best[k] >= INFEASIBLE:
            job.results[tier.id] = TierResult(tier, rate_of(ctx, tier), False, "impossible")
            continue
        found = []
        for gi, indices in ties[k]:
            g = table[gi]
            comp = _completion(ctx, g.rules, job.effort) if g.rules else None
            if comp is not None and comp.cost != parts[gi][1][k]:  # the two completion paths must agree
                raise AssertionError(f"workplace completion {comp.cost} != vectorized {parts[gi][1][k]} ({ctx.office.id})")
            found.append((g, comp, indices))
        job.results[tier.id] = choose(ctx, tier, rate_of(ctx, tier), int(best[k]), found, ctx.open_mask(), False)


def _completion_costs(kb: KB, list_id: str, rules: frozenset, exceptions, items: np.ndarray) -> np.ndarray:
    """Per office, the number of items `wp.best_completion` adds (INFEASIBLE where none works)."""
    cost = _need_costs(kb, list_id, wp.merged_need(kb, rules, None), items)
    for e in exceptions:
        if e.rules & rules:
            cost = np.minimum(cost, _need_costs(kb, list_id, wp.merged_need(kb, rules, e), items))
    return cost


def _need_costs(kb: KB, list_id: str, need: wp.Need, items: np.ndarray) -> np.ndarray:
    must, per_category, everything = wp.unit_need(kb, list_id, need)
    if must is None:
        return np.full(len(items), INFEASIBLE, np.int64)
    forced = np.uint64(must) & ~items
    taken = items | forced
    cost = np.bitwise_count(forced).astype(np.int64)
    infeasible = np.zeros(len(items), bool)
    for members, minimum in per_category:  # categories are disjoint: picks in one don't count in another
        m = np.uint64(members)
        deficit = np.maximum(minimum - np.bitwise_count(taken & m).astype(np.int64), 0)
        infeasible |= np.bitwise_count(m & ~taken).astype(np.int64) < deficit
        cost += deficit
    size = np.bitwise_count(taken).astype(np.int64) + cost - np.bitwise_count(forced).astype(np.int64)
    deficit = np.maximum(need.total - size, 0)
    infeasible |= int(everything).bit_count() - size < deficit
    cost += deficit
    return np.where(infeasible, INFEASIBLE, cost)


def reports(kb: KB, offices: list[Office], use_pledges: bool | tuple[bool, ...] = True, workers: int | None = None,
            chunk: int = 2_000, shape="summary") -> Iterator[list]:
    """Each office's result, chunk by chunk in input order, computed by `workers` forked processes
    (default: one per CPU; 1, or no os.fork on this system: in this process).

    `shape` turns an Evaluation into what is passed back: "summary" (`summary()` tuples, light to
    pass between processes) or any function (the application layer's row builder; with fork it is
    inherited, never pickled). With a tuple of pledge modes, each office's result is a tuple: one
    shape per mode, in the order given."""
    render = RENDER[shape] if isinstance(shape, str) else shape
    spans = [(i, min(i + chunk, len(offices))) for i in range(0, len(offices), chunk)]
    yield from fork_map(_render_span, spans, (kb, offices, use_pledges, render), workers)


def evaluate_modes(kb: KB, offices: list[Office], use_pledges: bool | tuple[bool, ...], render) -> list:
    """render(evaluation) per office, or with a tuple of pledge modes a tuple of them per office."""
    if isinstance(use_pledges, tuple):
        per_mode = [[render(ev) for ev in evaluate_many(kb, offices, mode)] for mode in use_pledges]
        return list(zip(*per_mode))
    return [render(ev) for ev in evaluate_many(kb, offices, use_pledges)]


def fork_map(fn, spans: list, state, workers: int | None = None) -> Iterator:
    """fn(span) for each span, in order. `state` (read by fn through `shared()`) is inherited by
    forked workers, never pickled: only the spans and fn's results cross between processes. The
    first span runs here first, so that the workers inherit the rules it compiled. Workers die with
    this process (`_die_with_parent`). One process when workers is 1, or without os.fork."""
    workers = workers or os.cpu_count() or 1
    if not spans:
        return
    global _shared
    _shared = state
    try:
        if workers == 1 or len(spans) == 1 or not hasattr(os, "fork"):
            for span in spans:
                yield fn(span)
            return
        import multiprocessing as mp

        yield fn(spans[0])
        with _frozen(), mp.get_context("fork").Pool(min(workers, len(spans) - 1), initializer=_die_with_parent,
                                                    initargs=(os.getpid(),)) as pool:
            yield from pool.imap(fn, spans[1:])
    finally:
        _shared = None


@contextlib.contextmanager
def _frozen():
    """gc.freeze() for the workers forked inside (they never scan, nor copy by touching, what they
    inherit), undone after; nothing when the caller has frozen objects, whose freeze an unfreeze
    would undo."""
    mine = not gc.get_freeze_count()
    if mine:
        gc.freeze()
    try:
        yield
    finally:
        if mine:
            gc.unfreeze()


def fork_stream(fn, items: Iterator, state, workers: int | None = None, ahead: int | None = None) -> Iterator:
    """fn(item) for each item of an iterator, in order, on one pool of forked workers kept for the
    whole stream (their caches — compiled rules, memoised readings — last from item to item). The
    first item runs here first, so that the workers inherit what it compiled; then at most `ahead`
    items (default: two per worker) are in flight, so a long input is never read ahead into memory.
    `state` reaches fn through `shared()`, inherited, never pickled. Workers die with this process.
    A worker that dies (killed, out of memory) ends the stream with BrokenProcessPool."""
    workers = workers or os.cpu_count() or 1
    global _shared
    _shared = state
    items = iter(items)
    try:
        first = next(items, None)
        if first is None:
            return
        yield fn(first)
        if workers == 1 or not hasattr(os, "fork"):
            for item in items:
                yield fn(item)
            return
        import multiprocessing as mp
        from collections import deque
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        with _frozen():
            pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"), initializer=_die_with_parent,
                                       initargs=(os.getpid(),))
            pending: deque = deque()
            try:
                for item in items:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= (ahead or 2 * workers):
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            except BrokenProcessPool:
                raise CarekbError(t("batch.worker_died"), "carekb batch") from None
            finally:
                if pending:   # stopped early (an error, the consumer gone): workers may wait on chunks never coming
                    _stop(pool)
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        _shared = None


def _stop(pool) -> None:
    """Kill the pool's workers, so that shutdown can wait for its threads: left running (shutdown
    without waiting), Python 3.11's exit hook then writes to the pool's closed wake-up pipe and prints
    a traceback after the run's one error line. The pool keeps no public list of its processes."""
    for p in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):
            p.kill()


def shared():
    """The `state` of the fork_map running now (in its workers: as it was when they were forked)."""
    return _shared


def summary(ev: Evaluation) -> tuple:
    """(office id, period, highest tier, ((tier, effort or None if unreachable, missing actions), ...) for
    every target above it)."""
    return (ev.office.id, ev.period.id, ev.highest,
            tuple((t, r.cost if r.reachable else None, r.missing) for t in ev.targets for r in (ev.results[t],)))


RENDER = {"summary": summary}
_shared = None
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """A worker is killed with its parent (even by SIGKILL, which runs no clean-up): on Linux the
    kernel sends it SIGKILL (prctl PR_SET_PDEATHSIG); elsewhere it stops when it finds itself orphaned."""
    import signal

    # A handler the parent installed (the CLI turns SIGTERM into a clean exit) must not run here:
    # Pool.terminate() stops idle workers with SIGTERM, and a worker that then unwinds through
    # Python's exit can hang on a lock its siblings hold. Workers are stopped, not cleaned up.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # No cyclic collection in a worker: it lives for one run, makes millions of small objects per
    # chunk and no reference cycles; the passes cost ~25 % of its CPU (21.4 → 15.6 s, 100,000 offices → CSV).
    gc.disable()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        import threading

        def watch():
            import time
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)
        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _render_span(span: tuple[int, int]) -> list:
    kb, offices, use_pledges, render = _shared
    return evaluate_modes(kb, offices[span[0]:span[1]], use_pledges, render)
