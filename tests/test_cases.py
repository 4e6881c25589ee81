"""Run the declarative worked examples of tests/cases/*.yaml (format: tests/cases/README.md).

Each case is an office profile checked like a file, evaluated on its date (optionally under a
contested reading, optionally without pledges), and compared with what was computed by hand.
"""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from carekb.i18n import set_lang
from carekb.model.errors import CarekbError
from carekb.graph.readings import under_readings
from carekb.inputs.profile import bind
from carekb.solver.gap import evaluate
from carekb.solver.rules import Context
from carekb.app import api
from carekb.app import readings as contested
from carekb.app.report import to_dict

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASE_KEYS = {"name", "provision", "profile", "pledges", "reading", "expect"}
EXPECT_KEYS = {"highest", "missing_count", "missing", "missing_includes", "rate_pct", "attainable", "order", "targets",
               "not_targets", "unreachable", "exception", "warnings_include", "derived", "no_pledge_in_missing",
               "period", "rates_unknown", "readings_differ", "error"}


def _cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            yield pytest.param(case, id=f"{path.stem}: {case['name']}")


CASES = list(_cases())


def test_there_are_cases_in_every_period():
    periods = {str(c.values[0]["profile"]["as_of"])[:4] for c in CASES}
    assert {"2024", "2025", "2026"} <= periods and len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_case_is_well_formed(kb, case):
    assert set(case) <= CASE_KEYS and {"name", "provision", "profile", "expect"} <= set(case)
    assert set(case["expect"]) <= EXPECT_KEYS, set(case["expect"]) - EXPECT_KEYS
    assert "missing_count" in case["expect"] or "error" in case["expect"] or "readings_differ" in case["expect"]
    known = {p.id for p in _all_provisions(kb)}
    assert case["provision"] and set(case["provision"]) <= known, set(case["provision"]) - known


def _all_provisions(kb):
    cited = [t.cited for ts in kb.tiers.values() for t in ts.values()] + [r.cited for r in kb.requirements.values()]
    cited += [r.cited for r in kb.rules.values()] + [p.cited for ps in kb.pledges.values() for p in ps]
    cited += [d.cited for ds in kb.derived.values() for d in ds] + [r.cited for r in kb.rates.values()]
    cited += [e.cited for e in kb.exceptions] + [r.cited for x in kb.readings.values() for _, _, r in x.swaps]
    return {p for c in cited for p in c.provisions}


@pytest.mark.parametrize("case", CASES)
def test_case(kb, case):
    expect = case["expect"]
    k = under_readings(kb, [case["reading"]]) if case.get("reading") else kb
    profile = {"version": 1, **case["profile"]}
    profile["as_of"] = str(profile["as_of"])
    if "error" in expect:
        set_lang("en")    # the cases name errors by their English text (the conftest fixture resets the language)
        with pytest.raises(CarekbError, match=expect["error"]):
            bind(api.load_profile(profile, kb=k), k)
        return
    office, period = bind(api.load_profile(profile, kb=k), k)
    ev = evaluate(k, office, period, use_pledges=case.get("pledges", "counted") == "counted")
    res = ev.results

    if "period" in expect:
        assert period.id == expect["period"]
    if "highest" in expect:
        assert ev.highest == expect["highest"]
    for tier, n in expect.get("missing_count", {}).items():
        assert res[tier].reachable and len(res[tier].missing) == n, (tier, res[tier].missing)
    for tier, actions in expect.get("missing", {}).items():
        assert res[tier].missing == tuple(actions), (tier, res[tier].missing)
    for tier, actions in expect.get("missing_includes", {}).items():
        assert set(actions) <= set(res[tier].missing), (tier, res[tier].missing)
    for tier, pct in expect.get("rate_pct", {}).items():
        assert res[tier].rate.pct == Decimal(str(pct))
    if "attainable" in expect:
        assert set(ev.attainable) == set(expect["attainable"])
    if "order" in expect:
        assert list(res) == expect["order"]
    if "targets" in expect:
        assert ev.targets == expect["targets"]
    for tier in expect.get("not_targets", ()):
        assert tier not in ev.targets
    for tier, reason in expect.get("unreachable", {}).items():
        assert not res[tier].reachable and res[tier].reason == reason
    for tier, exception in expect.get("exception", {}).items():
        assert res[tier].exception is not None and res[tier].exception.id == exception
    for text in expect.get("warnings_include", ()):
        assert any(text in w for w in to_dict(ev)["warnings"]), ev.warnings
    for req, held in expect.get("derived", {}).items():
        assert req not in office.met and Context(k, period, office).derived_holds(req) is held
    if expect.get("no_pledge_in_missing"):
        assert not any(a.startswith("pledge.") for r in res.values() for a in r.missing)
    if expect.get("rates_unknown"):
        data = to_dict(ev)
        assert data["targets"] and all(t["rate_pct"] is None for t in data["targets"])
    if "readings_differ" in expect:
        report = contested.report(kb, ev)
        assert sorted(r["id"] for r in report if r["differs"]) == sorted(expect["readings_differ"])
