"""The fast paths give exactly the answers of the plain ones: many offices at once (numpy), the
bit-set workplace completion, and the forked workers."""

import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from carekb.solver import workplace as wp
from carekb.solver.rules import absorb
from carekb.solver.gap import evaluate
from carekb.app.batch_sheets import brief
from carekb.app.report import to_dict
from carekb.solver.vectorized import evaluate_many, reports

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from offices import generate  # noqa: E402


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_many_offices_at_once_equals_one_by_one(kb, seed):
    offices = generate(kb, 700, seed=seed)
    rng = random.Random(seed)
    # a few offices with their own effort take the one-office path inside evaluate_many
    for i in rng.sample(range(len(offices)), 20):
        offices[i] = offices[i].with_changes(effort=(("cp4", 5), ("workplace.3", 2)))
    many = evaluate_many(kb, offices)
    for o, ev in zip(offices, many):
        okb = kb.for_service(o.service)
        one = evaluate(okb, o, okb.period_at(o.as_of))
        assert to_dict(ev, alternatives=False) == to_dict(one, alternatives=False), o.id
        assert {t: (r.cost, r.missing, r.exception) for t, r in ev.results.items()} == \
               {t: (r.cost, r.missing, r.exception) for t, r in one.results.items()}


def test_bit_set_completion_equals_the_greedy(kb):
    rng = random.Random(5)
    for list_id, items in kb.items.items():
        rules = [r for r, rule in kb.rules.items() if rule.list_id == list_id]
        for _ in range(400):
            chosen = frozenset(rng.sample(rules, rng.randint(1, min(3, len(rules)))))
            exc = rng.choice([None] + [e for e in kb.exceptions if e.rules & chosen])
            need = wp.merged_need(kb, chosen, exc)
            have = frozenset(n for n in items if rng.random() < rng.random())
            slow = wp.complete(kb, list_id, need, have, lambda n: 1)
            fast = wp.complete_unit(kb, list_id, need, sum(1 << n for n in have))
            assert fast == slow, (list_id, sorted(chosen), sorted(have))


def test_forked_workers_equal_one_process(kb):
    offices = generate(kb, 300, seed=11)
    as_json = lambda ev: to_dict(ev, alternatives=False)  # noqa: E731
    one = [d for chunk in reports(kb, offices, workers=1, shape=as_json) for d in chunk]
    two = [d for chunk in reports(kb, offices, workers=2, chunk=70, shape=as_json) for d in chunk]
    assert one == two and len(one) == 300
    assert [d["office"] for d in two] == [o.id for o in offices]
    short = [s for chunk in reports(kb, offices, workers=2, chunk=70, shape="summary") for s in chunk]
    assert [(s[0], s[2]) for s in short] == [(d["office"], d["highest"]) for d in one]
    assert [[(t[0], list(t[2])) for t in s[3] if t[1] is not None] for s in short] == \
           [[(t["tier"], t["missing"]) for t in d["targets"] if t["reachable"]] for d in one]


def _absorb_by_sets(terms):
    """The plain absorption (pairwise frozenset comparisons) that rules.absorb must equal, order included."""
    kept = []
    for t in sorted(set(terms), key=lambda t: (len(t[0]) + len(t[1]), sorted(t[0]), sorted(t[1]))):
        if not any(k[0] <= t[0] and k[1] <= t[1] for k in kept):
            kept.append(t)
    return tuple(kept)


_names = st.sampled_from([f"a{i}" for i in range(12)] + ["pledge.cp3", "cp1.1"])
_rules = st.sampled_from(["a1", "r1", "r2", "cp1.1"])    # a rule may share a name with an action: separate namespaces
_terms = st.lists(st.tuples(st.frozensets(_names, max_size=6), st.frozensets(_rules, max_size=2)), max_size=160)


@settings(max_examples=300, deadline=None)
@given(_terms)
def test_absorb_equals_pairwise_set_comparison(terms):
    assert absorb(terms) == _absorb_by_sets(terms)


def test_absorb_of_many_terms_takes_the_array_path_and_agrees():
    rng = random.Random(4)
    names = [f"a{i}" for i in range(30)]
    for _ in range(20):
        terms = [(frozenset(rng.sample(names, rng.randint(0, 8))), frozenset(rng.sample(["r1", "r2", "a3"], rng.randint(0, 2))))
                 for _ in range(rng.randint(60, 700))]
        assert len(set(terms)) >= 48
        assert absorb(terms) == _absorb_by_sets(terms)


def test_the_batch_brief_says_what_the_json_contract_says(kb):
    """batch_sheets.brief (what workers send back) against report.to_dict (the gap JSON) on generated offices."""
    for o in generate(kb, 300, seed=21):
        okb = kb.for_service(o.service)
        for pledges in (True, False):
            ev = evaluate(okb, o, okb.period_at(o.as_of), pledges)
            d = to_dict(ev, alternatives=False)
            highest, rate, yen, warnings, attainable, targets = brief(ev)
            assert (highest, rate, yen, list(warnings), list(attainable)) == \
                   (d["highest"], d["rate_pct"], d["yen_per_month"], d["warnings"], d["attainable"]), o.id
            assert [(t[0], t[1], t[2]) for t in targets] == [(t["tier"], t["rate_pct"], t["reachable"]) for t in d["targets"]]
            for t, dt_ in zip(targets, d["targets"]):
                if dt_["reachable"]:
                    assert (t[3], t[4], t[5], list(t[6])) == (dt_["missing_count"], dt_["yen_per_month_gain"],
                                                              dt_["uses_pledge"], dt_["missing"])
                else:
                    assert t[7] == dt_["reason"]
