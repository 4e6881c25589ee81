"""Property-based tests (hypothesis).

Loaders — profiles (read_document / check / bind), visit requests, SPARQL — never raise anything
but CarekbError, whatever text, bytes or structure they are given.  The solver, on random offices:
adding an action never lowers the highest tier (by the solver's own ranking), applying a reported
missing set reaches its tier, and no smaller set does (brute force, tests/oracle.py).

Examples per test: $CAREKB_FUZZ_EXAMPLES (default 25, a few seconds in CI).  The long run:
    CAREKB_FUZZ_EXAMPLES=10000 python -m pytest -q -p no:warnings tests/test_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import os
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carekb.model.errors import CarekbError, CarekbErrors
from carekb.graph.kbload import load_kb
from carekb.inputs.profile import TOP_KEYS, bind, check, read_document

from conftest import EXAMPLES, office
from oracle import Oracle

settings.register_profile(
    "carekb-fuzz", max_examples=int(os.environ.get("CAREKB_FUZZ_EXAMPLES", "25")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True)
FUZZ = settings.get_profile("carekb-fuzz")
KB = load_kb()  # module level: hypothesis re-runs the test body, not the fixtures

# --------------------------------------------------------------------------- junk generators

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=20), st.dates(), st.sampled_from(["cp1.1", "wage.1", "home-care", "R7", "none",
                                                                        "2025-07-01", "6級地", "workplace.3", "cp3"]))
junk = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                     st.dictionaries(st.text(max_size=12), inner, max_size=5)),
                    max_leaves=20)
SERVICES = sorted(KB.services)
office_junk = st.dictionaries(st.sampled_from(["id", "name", "service", "employees", "single_office_corp", "region",
                                               "monthly_units", "bogus"]),
                              st.one_of(junk, st.sampled_from(SERVICES)), max_size=7)
profile_junk = st.fixed_dictionaries({"office": st.one_of(office_junk, junk)},
                                     optional={k: junk for k in TOP_KEYS if k != "office"} | {"extra": junk})
# text with the characters that matter to YAML, JSON and Turtle
syntax_text = st.text(alphabet=st.sampled_from(list(string.printable) + list(":{}[]-#&*!|>'\"%@`,?<>^_.;") +
                                               ["\n", " ", "\t", "ひ", "\u3000", "\ufeff", "\x85"]), max_size=200)


def _suffix_file(data: bytes, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return Path(name)


def _only_carekb_errors(fn, *args):
    try:
        return fn(*args)
    except CarekbError as e:
        # one line per problem: a profile's problems are all reported (CarekbErrors), each on its own line
        lines = e.lines() if isinstance(e, CarekbErrors) else [str(e)]
        assert lines and all(ln and "\n" not in ln for ln in lines), repr(str(e))
        return None


# --------------------------------------------------------------------------- loaders

@FUZZ
@given(text=st.one_of(syntax_text, st.text(max_size=300)), suffix=st.sampled_from([".yaml", ".json", ".ttl", ".yml"]))
def test_profile_text_never_crashes(text, suffix):
    def load():
        data, lines, source = read_document(f"fuzz{suffix}", text)
        o = check(data, lines, source, KB)
        return bind(o, KB)
    _only_carekb_errors(load)


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".yaml", ".json", ".ttl"]))
def test_profile_bytes_never_crash(data, suffix):
    path = _suffix_file(data, suffix)
    try:
        _only_carekb_errors(lambda: check(*read_document(path), KB))
    finally:
        path.unlink()


@FUZZ
@given(doc=profile_junk, as_of=st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))))
def test_profile_structure_never_crashes(doc, as_of):
    def load():
        o = check(doc, {}, "fuzz.yaml", KB)
        return bind(o, KB, as_of)
    _only_carekb_errors(load)


VISIT_FIELDS = ["temperature_c", "symptoms", "close_contact", "household_symptoms", "contact_with_infected_14d",
                "fever_14d", "travel_restricted_14d", "party_size", "resident_bedridden_or_end_of_life"]


@FUZZ
@given(doc=st.one_of(junk, st.dictionaries(st.sampled_from(VISIT_FIELDS + ["mood"]),
                                           st.one_of(junk, st.floats(), st.lists(st.sampled_from(
                                               ["cough", "fatigue", "sneezing"]))), max_size=10)),
       data=st.binary(max_size=200))
def test_visit_loader_never_crashes(doc, data):
    from carekb.app.guidance import load_guidance
    from carekb.app.visit import check_visit, evaluate, read_visit

    gd = load_guidance()
    req = _only_carekb_errors(check_visit, doc, gd, "fuzz.yaml")
    if req is not None:  # a request that passed the checks must evaluate
        assert evaluate(req, gd)["decision"] in ("admit", "refuse")
    path = _suffix_file(data, ".yaml")
    try:
        _only_carekb_errors(read_visit, path, gd)
    finally:
        path.unlink()


SPARQL_WORDS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "?s", "?p", "?o", ".", "*", "FILTER",
                "(", ")", "OPTIONAL", "UNION", "LIMIT 3", "PREFIX ck: <https://w3id.org/carekb/vocab#>", "ck:Tier", "a",
                "INSERT", "DATA", "SERVICE", "<http://127.0.0.1:9/>", '"x"', "#", "\n", "GRAPH", "VALUES", "BIND",
                "COUNT(*)", "AS", "?n", "GROUP BY", "ORDER BY", "DELETE", "LOAD", "'''", '"""', "\\", "REGEX"]


@pytest.fixture(scope="module")
def sparql_store():
    from carekb.app import sparql as store

    return store.oxigraph_store(store.dataset())


@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.lists(st.sampled_from(SPARQL_WORDS), max_size=25).map(" ".join)))
def test_sparql_query_path_never_crashes(sparql_store, text):
    from carekb.app import sparql as store

    # the CLI's path: check, then run with a row cap and a time-out (a random cross product must stop)
    result = _only_carekb_errors(store.query_store, sparql_store, text, "<fuzz>", 50, 10)
    if isinstance(result, dict) and "results" in result:
        assert len(result["results"]["bindings"]) <= 50


# --------------------------------------------------------------------------- solver invariants

DATES = ["2024-07-01", "2025-02-01", "2025-07-01", "2026-04-15", "2026-07-01", "2027-05-01"]


@st.composite
def offices(draw, near: bool):
    from carekb.inputs.profile import resolve_period

    day = draw(st.sampled_from(DATES))
    period = resolve_period(KB, dt.date.fromisoformat(day))
    svc = draw(st.sampled_from([s for s in SERVICES if KB.tiers_for(period.id, s)]))
    kb = KB.for_service(svc)  # the rules of the service's scheme (障害 or 介護)
    atoms = sorted(r for r, req in kb.requirements.items() if not req.composite)
    items = sorted(kb.items[period.item_list])
    p = 0.85 if near else 0.35
    kw = dict(met=[a for a in atoms if draw(st.floats(0, 1)) < p],
              workplace=[n for n in items if draw(st.floats(0, 1)) < p - 0.1],
              top_annual_wage=draw(st.sampled_from([None, 4_399_999, 4_400_000, 4_599_999, 4_600_000])),
              single_office_corp=draw(st.booleans()), collab_corp=draw(st.booleans()),
              employees=draw(st.sampled_from([None, 5, 12])),
              pledged=[x.id for x in kb.pledges.get(period.id, ()) if draw(st.floats(0, 1)) < 0.15])
    if draw(st.booleans()):
        kw.update(shogu=draw(st.sampled_from([0, 1, 2, 3])), tokutei=draw(st.sampled_from([0, 1, 2])),
                  baseup=draw(st.booleans()))
    return office(KB, svc, day, **kw)


def with_actions(o, actions):
    acts = set(actions)
    return o.with_changes(
        met=o.met | {a for a in acts if a.split(".")[0] not in ("workplace", "pledge")},
        workplace=o.workplace | {int(a.split(".")[1]) for a in acts if a.startswith("workplace.")},
        pledged=o.pledged | {a.split(".", 1)[1] for a in acts if a.startswith("pledge.")})


def rank_of(ev, tier) -> int:
    order = list(ev.results)  # highest first, by the solver's ranking (rate, else nominal rank)
    return order.index(tier) if tier in order else len(order)


@FUZZ
@given(op=offices(near=False), data=st.data())
def test_adding_an_action_never_lowers_the_highest_tier(op, data):
    from carekb.solver.gap import evaluate

    o, p = op
    ev = evaluate(KB, o, p)
    cands = Oracle(KB, o, p).candidates()
    added = data.draw(st.lists(st.sampled_from(cands), min_size=1, max_size=3, unique=True)) if cands else []
    after = evaluate(KB, with_actions(o, added), p)
    assert rank_of(after, after.highest) <= rank_of(ev, ev.highest), (added, ev.highest, after.highest)


def reachable_targets(op, use_pledges):
    """(oracle, [(tier, result)]) for each tier the solver says the office can reach."""
    from carekb.solver.gap import evaluate

    o, p = op
    ev = evaluate(KB, o, p, use_pledges=use_pledges)
    return Oracle(KB, o, p, use_pledges), [(tid, res) for tid, res in ev.results.items() if res.reachable]


@FUZZ
@given(op=offices(near=False), use_pledges=st.booleans())
def test_applying_a_missing_set_reaches_the_tier(op, use_pledges):
    from carekb.solver.gap import evaluate

    o, p = op
    oracle, targets = reachable_targets(op, use_pledges)
    for tid, res in targets:
        assert oracle.tier_holds(tid, res.missing), (tid, res.missing)
        assert evaluate(KB, with_actions(o, res.missing), p, use_pledges=use_pledges).results[tid].attained, tid


@FUZZ
@given(op=offices(near=True), use_pledges=st.booleans())
def test_no_smaller_set_exists(op, use_pledges):
    """Unit effort: the reported set's size is the minimum; brute force over every smaller subset."""
    oracle, targets = reachable_targets(op, use_pledges)
    for tid, res in targets:
        if len(res.missing) <= 3:
            assert oracle.min_actions(tid, len(res.missing)) == len(res.missing), (tid, res.missing)


def test_examples_still_load():
    """The generators above share the loaders with real files: the examples must pass them."""
    for f in sorted(EXAMPLES.glob("r*.yaml")):
        bind(check(*read_document(f), KB), KB)
