"""The whole-run array path (solver/columnar.py, carekb/app/batch_eval.py) gives exactly the answers
of the plain one-office solver: every tier's cost, missing actions and exception, and the batch's
brief tuples, on generated offices and on random ones (hypothesis), including the tie-break."""

import dataclasses
import datetime as dt
import random
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from carekb.inputs.profile import Office, bind
from carekb.solver import columnar
from carekb.solver.gap import evaluate
from carekb.app import batch as b
from carekb.app.batch_eval import briefs
from carekb.app.batch_sheets import brief

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from offices import generate  # noqa: E402

MODES = (True, False)


def _plain(kb, office, use_pledges):
    okb = kb.for_service(office.service)
    return evaluate(okb, office, okb.period_at(office.as_of), use_pledges)


def _slots_equal_plain(kb, offices):
    for office, outcomes in zip(offices, columnar.solve(kb, offices, MODES)):
        assert outcomes is not None, office
        for use, out in zip(MODES, outcomes):
            ev = _plain(kb, office, use)
            want = [(t, r.reachable, r.reason, r.cost if r.reachable else None, r.missing, r.exception)
                    for t, r in ev.results.items()]
            got = [(t.id, *slot[:5]) for t, slot in zip(out.situation.ranked, out.slots)]
            assert got == want, (office, use)


def _vary(kb, offices, seed):
    """The generator's offices with what it never draws: no history, composites met, unknown money, few staff."""
    rng = random.Random(seed)
    out = []
    for o in offices:
        okb = kb.for_service(o.service)
        composites = [r for r, req in okb.requirements.items() if req.composite]
        change = {}
        if rng.random() < 0.2:
            change.update(history_given=False, shogu=0, tokutei=0, baseup=False)
        if rng.random() < 0.15 and composites:
            change["met"] = o.met | {rng.choice(composites)}
        if rng.random() < 0.1:
            change["monthly_units"] = None
        if rng.random() < 0.1:
            change["region"] = None
        if rng.random() < 0.1:
            change["employees"] = rng.choice([None, 4, 9, 10])
        out.append(o.with_changes(**change) if change else o)
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_every_tier_equals_the_plain_solver(kb, seed):
    _slots_equal_plain(kb, _vary(kb, generate(kb, 400, seed=seed), seed))


@pytest.mark.parametrize("seed", [3, 4])
def test_briefs_equal_the_plain_path(kb, seed):
    offices = _vary(kb, generate(kb, 400, seed=seed), seed)
    # a few offices with their own effort go through gap.evaluate inside briefs()
    for i in random.Random(seed).sample(range(len(offices)), 10):
        offices[i] = offices[i].with_changes(effort=(("cp4", 5), ("workplace.3", 2)))
    got = briefs(kb, offices, MODES)
    want = [tuple(brief(_plain(kb, o, use)) for use in MODES) for o in offices]
    assert got == want


@pytest.fixture
def unpacked(kb, monkeypatch):
    """A fresh run where no key fits 0 bits: every table takes the staged tie-break, every slot a tuple key."""
    memo = columnar.terms.state(kb).memo
    monkeypatch.setattr(columnar._Bucket, "WIDTH", 0)
    monkeypatch.setattr(columnar._Run, "KEY_BITS", 0)
    memo.pop(columnar._Run, None)
    yield
    memo.pop(columnar._Run, None)


def test_the_staged_tie_break_and_tuple_keys_equal_the_plain_solver(kb, unpacked):
    offices = _vary(kb, generate(kb, 300, seed=5), 5)
    _slots_equal_plain(kb, offices)
    run = columnar._Run.of(kb)
    assert not any(b.packed for b in run.bucket_list if hasattr(b, "packed"))
    assert run.wide_slots and not run.slots


def test_a_run_solves_chunk_after_chunk(kb):
    """Later calls reuse the run's situations, tables and slot tuples, extended by what they add."""
    columnar.terms.state(kb).memo.pop(columnar._Run, None)
    offices = _vary(kb, generate(kb, 600, seed=8), 8)
    for lo in range(0, 600, 200):
        _slots_equal_plain(kb, offices[lo:lo + 200])
    run = columnar._Run.of(kb)
    assert run.tables[0] == len(run.sits) and run.tables[1].shape[0] == len(run.sits)


def test_offices_the_array_path_does_not_take_are_none_in_place(kb):
    offices = generate(kb, 30, seed=6)
    odd = {3: offices[3].with_changes(effort=(("cp4", 5),)), 7: offices[7].with_changes(workplace=frozenset({64})),
           8: offices[8].with_changes(workplace=frozenset({2, 1 << 70}))}
    for i, o in odd.items():
        offices[i] = o
    got = columnar.solve(kb, offices, MODES)
    assert [i for i, x in enumerate(got) if x is None] == sorted(odd)
    _slots_equal_plain(kb, [o for i, o in enumerate(offices) if i not in odd])
    assert [o.office for x in got if x is not None for o in x] == [o for i, o in enumerate(offices) if i not in odd for _ in MODES]


_DAYS = [dt.date(2024, 4, 15), dt.date(2024, 6, 1), dt.date(2025, 3, 31), dt.date(2025, 4, 1), dt.date(2026, 5, 31),
         dt.date(2026, 6, 1), dt.date(2027, 3, 31)]


@st.composite
def _offices(draw, kb):
    services = sorted(kb.services)
    svc = draw(st.sampled_from(services))
    okb = kb.for_service(svc)
    day = draw(st.sampled_from(_DAYS))
    period = okb.period_at(day)
    ids = sorted(okb.requirements)
    items = sorted(okb.items[period.item_list]) if period else []
    pledges = sorted(okb.pledge_ids())
    office = Office(
        service=svc, as_of=day, employees=draw(st.one_of(st.none(), st.integers(1, 60))),
        single_office_corp=draw(st.booleans()), region=draw(st.sampled_from([None, "1級地", "6級地", "その他"])),
        monthly_units=draw(st.one_of(st.none(), st.integers(0, 900_000))),
        shogu=draw(st.sampled_from([0, 1, 2, 3])), tokutei=draw(st.sampled_from([0, 1, 2])), baseup=draw(st.booleans()),
        history_given=draw(st.booleans()),
        met=frozenset(draw(st.lists(st.sampled_from(ids), max_size=len(ids)))),
        top_annual_wage=draw(st.sampled_from([None, 3_000_000, 4_400_000, 5_000_000])),
        workplace=frozenset(draw(st.lists(st.sampled_from(items), max_size=len(items)))) if items else frozenset(),
        collab_corp=draw(st.booleans()),
        pledged=frozenset(draw(st.lists(st.sampled_from(pledges), max_size=3))) if pledges else frozenset())
    return office


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_offices_in_one_run_equal_the_plain_solver(kb, data):
    """Random offices of every scheme, date and history, solved together (so they share buckets and
    the tie-break meets many equal-cost terms), against the one-office solver and its `choose`."""
    raw = data.draw(st.lists(_offices(kb), min_size=1, max_size=12))
    offices = []
    for o in raw:
        okb = kb.for_service(o.service)
        if okb.period_at(o.as_of) is None or not okb.tiers_for(okb.period_at(o.as_of).id, o.service):
            continue
        offices.append(bind(o, kb)[0])
    _slots_equal_plain(kb, offices)
    assert briefs(kb, offices, MODES) == [tuple(brief(_plain(kb, o, use)) for use in MODES) for o in offices]


@given(st.lists(st.frozensets(st.sampled_from([f"a{i}" for i in range(10)] + ["cp1.1", "cp10", "pledge.x", "wage.2"]),
                              min_size=3, max_size=3), min_size=2, max_size=8, unique=True))
def test_ranked_bits_order_equal_size_sets_as_sorted_lists(sets):
    """The tie-break's key: among sets of one size, the first in sorted-list order is the one whose
    bits, ranked by name with the least name highest, make the largest integer."""
    names = sorted(set().union(*sets))
    bit = {a: 1 << i for i, a in enumerate(reversed(names))}   # registry order: any
    perm = columnar._Permutation([(i, len(names) - 1 - k) for k, i in
                                  enumerate(sorted(range(len(names)), key=lambda i: list(reversed(names))[i]))])
    masks = np.array([sum(bit[a] for a in s) for s in sets], np.uint64)
    ranked = perm(masks)
    assert sorted(sets[int(np.argmax(ranked))]) == min(sorted(s) for s in sets)


def test_the_batch_dedupe_key_reads_every_fact_of_an_office():
    """batch._FACTS must name every Office field an evaluation can read (all but identity and roster),
    or two different offices would share one answer."""
    identity = {"id", "name", "staff", "source", "lines", "document"}
    fields = {f.name for f in dataclasses.fields(Office)} - identity
    probe = Office(service="s")
    named = set()
    for f in fields:
        changed = dataclasses.replace(probe, **{f: "changed"})
        if b._FACTS(changed) != b._FACTS(probe):
            named.add(f)
    assert named == fields


def test_what_a_paused_block_keeps_goes_to_the_oldest_generation_unless_something_is_frozen():
    """vectorized.gc_paused: the kept objects skip the young passes (never an unfreeze of what a
    caller froze), the collector is on again after, and a cycle made inside is still collected."""
    import gc
    import weakref

    from carekb.solver import vectorized
    from carekb.solver.vectorized import gc_paused

    class Node:
        pass

    gc.collect()
    with gc_paused():
        assert not gc.isenabled()
        kept = [(i, str(i)) for i in range(vectorized.PROMOTE_AFTER)]
        cycle = Node()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        del cycle
    assert gc.isenabled()
    oldest = {id(o) for o in gc.get_objects(2)}
    assert id(kept) in oldest and all(id(x) in oldest for x in kept[:10])
    gc.collect()
    assert gone() is None

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            young = [(i, "x") for i in range(vectorized.PROMOTE_AFTER)]
        assert gc.get_freeze_count() == frozen and id(young) not in {id(o) for o in gc.get_objects(2)}
        gc.unfreeze()
        with gc_paused():      # a block that keeps few objects leaves them young
            few = [(1, "x")]
        assert id(few) not in {id(o) for o in gc.get_objects(2)}
    finally:
        gc.unfreeze()

    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()      # left as the caller had it
    finally:
        gc.enable()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_callers_frozen_objects_stay_frozen_through_the_worker_pools(workers):
    """fork_stream and fork_map freeze the heap for their workers only when nothing is frozen: an
    unfreeze at their end would undo a library caller's own gc.freeze() (it did, with one worker)."""
    import gc

    from carekb.solver.vectorized import fork_map, fork_stream

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert list(fork_stream(abs, iter([-1, -2, -3]), None, workers)) == [1, 2, 3]
        assert gc.get_freeze_count() == frozen
        assert list(fork_map(abs, [-4, -5, -6], None, workers)) == [4, 5, 6]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
    assert list(fork_stream(abs, iter([-1, -2]), None, workers)) == [1, 2]
    assert gc.get_freeze_count() == 0          # its own freeze undone
