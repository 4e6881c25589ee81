"""The solver against an independent brute-force oracle on randomised profiles:
soundness (the reported set reaches the tier) and minimality (no smaller set does)."""

import datetime as dt
import random

import pytest

from carekb.inputs.profile import bind, check, read_document, resolve_period
from carekb.solver.csp import solve_tier_csp
from carekb.solver.gap import cost_function, evaluate
from carekb.solver.rules import Context

from conftest import office
from oracle import Oracle

DATES = ["2024-07-01", "2025-02-01", "2025-07-01", "2026-04-15", "2026-07-01", "2027-05-01"]
SERVICES = ["employment-b", "after-school-day", "short-stay", "home-care", "facility-employment-b", "consult-plan"]
# 介護: one service per tier structure (route ア, route イ, both routes, SINGLE from 2026-06, rates unknown in R8)
KAIGO_SERVICES = ["home-help", "day-care", "welfare-facility", "small-multi", "visiting-nursing", "dementia-group-home"]


def random_office(kb, rng: random.Random, near: bool, services=SERVICES):
    day = rng.choice(DATES)
    svc = rng.choice(services)
    period = resolve_period(kb.for_service(svc), dt.date.fromisoformat(day))
    if not kb.tiers_for(period.id, svc):
        svc = services[0]
    kb = kb.for_service(svc)
    atoms = [r for r, req in kb.requirements.items() if not req.composite]
    p_have = 0.85 if near else 0.4
    items = list(kb.items[period.item_list])
    kw = dict(
        met=[a for a in atoms if rng.random() < p_have],
        workplace=[n for n in items if rng.random() < (0.7 if near else 0.3)],
        top_annual_wage=rng.choice([None, 4_399_999, 4_400_000, 4_599_999, 4_600_000]),
        single_office_corp=rng.random() < 0.3, collab_corp=rng.random() < 0.2,
        pledged=[p.id for p in kb.pledges.get(period.id, ()) if rng.random() < 0.15],
    )
    if rng.random() < 0.8:
        kw.update(shogu=rng.choice([0, 1, 2, 3]), tokutei=rng.choice([0, 1, 2]), baseup=rng.random() < 0.5)
    return office(kb, svc, day, **kw)


@pytest.mark.parametrize("seed", range(40))
def test_minimal_and_sound_against_brute_force(kb, seed):
    check_minimal_and_sound(kb, random.Random(seed), SERVICES)


@pytest.mark.parametrize("seed", range(30))
def test_kaigo_minimal_and_sound_against_brute_force(kb, seed):
    check_minimal_and_sound(kb, random.Random(2000 + seed), KAIGO_SERVICES)


def check_minimal_and_sound(kb, rng, services):
    o, p = random_office(kb, rng, near=True, services=services)
    use_pledges = rng.random() < 0.6
    ev = evaluate(kb, o, p, use_pledges=use_pledges)
    oracle = Oracle(kb, o, p, use_pledges)
    checked = 0
    for tid, res in ev.results.items():
        if not res.reachable:
            assert oracle.min_actions(tid, 1) is None or res.reason == "impossible"
            continue
        # soundness: the reported set reaches the tier, by the oracle's own reading of the rules
        assert oracle.tier_holds(tid, res.missing), (tid, res.missing)
        assert res.attained == oracle.tier_holds(tid)
        # minimality: nothing smaller does (exhaustive up to 3 actions)
        if len(res.missing) <= 3:
            assert oracle.min_actions(tid, len(res.missing)) == len(res.missing), (tid, res.missing)
            checked += 1
    assert ev.highest is None or ev.results[ev.highest].attained


@pytest.mark.parametrize("seed", range(25))
def test_sound_on_far_profiles_and_monotone(kb, seed):
    check_sound_and_monotone(kb, random.Random(1000 + seed), SERVICES)


@pytest.mark.parametrize("seed", range(15))
def test_kaigo_sound_on_far_profiles_and_monotone(kb, seed):
    check_sound_and_monotone(kb, random.Random(3000 + seed), KAIGO_SERVICES)


def check_sound_and_monotone(kb, rng, services):
    o, p = random_office(kb, rng, near=False, services=services)
    ev = evaluate(kb, o, p)
    oracle = Oracle(kb, o, p)
    order = list(ev.results)
    for tid, res in ev.results.items():
        if res.reachable:
            assert oracle.tier_holds(tid, res.missing)
            # applying the set makes the solver itself report the tier attained
            added = {a for a in res.missing}
            o2 = o.with_changes(
                met=o.met | {a for a in added if "." not in a or a.split(".")[0] not in ("workplace", "pledge")},
                workplace=o.workplace | {int(a.split(".")[1]) for a in added if a.startswith("workplace.")},
                pledged=o.pledged | {a.split(".", 1)[1] for a in added if a.startswith("pledge.")})
            assert evaluate(kb, o2, p).results[tid].attained
    # adding any single action never lowers the highest tier
    rank = {t: i for i, t in enumerate(order)}
    before = rank.get(ev.highest, len(order))
    for a in rng.sample(oracle.candidates(), 5):
        if a.startswith("workplace."):
            o2 = o.with_changes(workplace=o.workplace | {int(a.split(".")[1])})
        elif a.startswith("pledge."):
            o2 = o.with_changes(pledged=o.pledged | {a.split(".", 1)[1]})
        else:
            o2 = o.with_changes(met=o.met | {a})
        after = evaluate(kb, o2, p).highest
        assert rank.get(after, len(order)) <= before


@pytest.mark.parametrize("seed,services", [(s, SERVICES) for s in range(12)] + [(s, KAIGO_SERVICES) for s in range(6)])
def test_constraint_model_agrees_with_dnf(kb, seed, services):
    """The python-constraint2 model (rule tree, count variables) finds the same minimum effort."""
    rng = random.Random(500 + seed)
    o, p = random_office(kb, rng, near=True, services=services)
    effort = {a: rng.randint(1, 3) for a in rng.sample(Oracle(kb, o, p).candidates(), 6)}
    o = o.with_changes(effort=tuple(sorted(effort.items())))
    ev = evaluate(kb, o, p)
    ctx = Context(kb, p, o)
    oracle = Oracle(kb, o, p)
    for tid, res in ev.results.items():
        if res.reachable and res.cost > 4:
            continue  # iterative deepening in python-constraint is slow on large gaps: that is why the DNF exists
        got = solve_tier_csp(ctx, res.tier, cost_function(o), limit=5)
        assert got.reachable == res.reachable, tid
        if res.reachable:
            assert got.cost == res.cost, (tid, got.missing, res.missing)
            assert oracle.tier_holds(tid, got.missing)
            if got.missing == res.missing:
                assert got.exception == res.exception, tid


def test_constraint_model_reports_the_exception(kb):
    """Like the DNF, the constraint model names the inferred exception its answer relies on."""
    from conftest import EXAMPLES

    o, p = bind(check(*read_document(EXAMPLES / "r8-consult-plan.yaml"), kb), kb)
    ev = evaluate(kb, o, p, use_pledges=False)
    res = ev.results["CONSULT"]
    got = solve_tier_csp(ev.ctx, res.tier, ev.cost_of, limit=res.cost)
    assert res.exception is not None and (got.cost, got.missing, got.exception) == (res.cost, res.missing, res.exception)
