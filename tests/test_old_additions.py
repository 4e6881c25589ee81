"""The old additions (to 2024-05), the 2024 grant, period OLD and the Ⅴ-tier continuation links."""

import csv
import datetime as dt
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from carekb.app import sparql as store
from carekb.cli.main import main
from carekb.model.errors import CarekbError
from carekb.inputs.profile import Office, bind
from carekb.solver.explain import explain
from carekb.solver.gap import evaluate
from carekb.app.report import short_tier, to_dict

from conftest import EXAMPLES, REFERENCE, office

REF = REFERENCE / "shogai"
SERVICES = {"rate_after_school_day": "after-school-day", "rate_child_development": "child-development"}
CP123 = ["cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1a", "cp2.2", "cp3.1a", "cp3.2"]
EVERY_CATEGORY = [1, 5, 9, 14, 18, 22]  # one item in each category of the old (= R6) list


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def csv_expr(kb, text: str):
    """old_additions.csv's requirement notation as a compiled expression."""
    def atom(a: str):
        a = a.strip()
        if a.startswith("(") and a.endswith(")"):
            return ("any", tuple(sorted((atom(x) for x in a[1:-1].split("|")), key=repr)))
        if a.startswith("env:"):
            return ("wrule", a[4:])
        if a == "shogu-old I|II|III held":
            return ("any", tuple(("req", f"old.shogu-{t}") for t in ("I", "II", "III")))
        if a.startswith("at least 2/3 of the amount"):
            return ("act", "old.baseup-wage")
        return ("req" if kb.requirements[a].composite else "act", a)
    return ("all", tuple(sorted((atom(x) for x in text.split("&")), key=repr)))


# --------------------------------------------------------------------------- the facts

def test_every_old_additions_row_is_in_the_kb(kb):
    seen = set()
    for row in csv.DictReader(open(REF / "old_additions.csv", encoding="utf-8")):
        valid_to = dt.date.fromisoformat(row["valid_until"])
        if row["addition"] == "temporary-grant":
            g = kb.grants["temporary-grant"]
            assert (g.valid_from, g.valid_to) == (dt.date(2024, 2, 1), valid_to)
            assert g.held_any == ("shogu-I", "shogu-II", "shogu-III")
            key = g.id
        else:
            t = next(t for t in kb.old_tiers.values() if t.addition == row["addition"] and t.tier == row["tier"])
            assert t.valid_to == valid_to and t.label_ja and t.cited.sources, row
            assert t.addition in kb.old_additions and t.key in kb.old_additions[t.addition].tiers
            if "% of the III amount" in row["requires"]:
                assert t.requirement is None and t.fraction_of == "shogu-III"
                assert t.fraction * 100 == Decimal(row["requires"].split("%")[0])
            else:
                assert kb.requirements[t.requirement].definition == csv_expr(kb, row["requires"]), row
                assert kb.requirements[t.requirement].periods == {"OLD"}
            key = t.key
        for col, svc in SERVICES.items():
            rate = kb.component_rates.get((key, svc))
            if row[col]:
                assert rate.pct == Decimal(row[col]) and rate.cited.confidence == "S", row
            else:
                assert rate is None, row  # unknown, never 0
        seen.add(key)
    assert seen == set(kb.old_tiers) | set(kb.grants)
    assert {k for k, _ in kb.component_rates} <= seen
    assert {svc for _, svc in kb.component_rates} == set(SERVICES.values())


def test_old_rules_are_listed_only_in_period_old(kb):
    assert {r.id for r in kb.rules.values() if r.period == "OLD"} == {"old-any", "old-each"}
    assert kb.periods["OLD"].item_list == kb.periods["R6"].item_list
    r = run("requirements", "--period", "R7", "--format", "json")
    assert not any(x["id"].startswith("old.") for x in json.loads(r.output)["requirements"])
    assert "old_additions" not in json.loads(r.output)


def test_requirements_period_old_lists_every_addition_and_the_grant():
    r = run("requirements", "--period", "OLD", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    tiers = {(a["id"], t["tier"]): t for a in d["old_additions"] for t in a["tiers"]}
    assert set(tiers) == {("shogu-old", t) for t in ("I", "II", "III", "IV", "V")} | {
        ("tokutei", "I"), ("tokutei", "II"), ("baseup", "-")}
    assert tiers[("shogu-old", "IV")]["valid_to"] == "2021-03-31" and tiers[("shogu-old", "IV")]["amount"] == "0.9 × shogu-III"
    assert tiers[("shogu-old", "I")]["rates"] == {"after-school-day": 8.4, "child-development": 8.1}
    assert [g["id"] for g in d["grants"]] == ["temporary-grant"] and d["grants"][0]["rates"]["child-development"] == 1.1
    assert len(d["tiers"]) == 18 and {"old.baseup-wage", "old.tokutei-I"} <= {x["id"] for x in d["requirements"]}
    table = run("requirements", "--period", "OLD").output
    assert "旧3加算" in table and "福祉・介護職員処遇改善臨時特例交付金" in table and "処遇Ⅰ+特定Ⅰ+ベア" in table


# --------------------------------------------------------------------------- period OLD

def test_old_tiers_are_every_claimable_combination_with_summed_rates(kb):
    tiers = kb.tiers["OLD"]
    assert len(tiers) == 18  # 旧処遇 Ⅰ–Ⅲ × 旧特定 none/Ⅰ/Ⅱ × ベア yes/no
    for t in tiers.values():
        shogu = [c for c in t.combines if c.startswith("shogu-")]
        assert len(shogu) == 1 and t.expr == ("all", tuple(sorted((("req", f"old.{c}") for c in t.combines), key=repr)))
        for svc in SERVICES.values():
            rate = kb.rates[("OLD", svc, t.id)]
            assert rate.pct == sum(kb.component_rates[(c, svc)].pct for c in t.combines)
            assert rate.cited.confidence == "I"
        assert ("OLD", "group-home-care", t.id) not in kb.rates  # unknown, never 0
    # hand-computed: 8.4 + 1.3 + 2.0 and 8.1 + 1.3 + 2.0
    assert kb.rates[("OLD", "after-school-day", "S1+T1+B")].pct == Decimal("11.7")
    assert kb.rates[("OLD", "child-development", "S1+T1+B")].pct == Decimal("11.4")
    assert kb.rates[("OLD", "child-development", "S2+T2")].pct == Decimal("6.9")


def test_old_evaluation_all_in_place_child_development(kb):
    o, p = office(kb, "child-development", "2024-05-15", met=CP123 + ["cp5", "visibility", "old.baseup-wage"],
                  workplace=EVERY_CATEGORY)
    assert p.id == "OLD"
    d = to_dict(evaluate(kb, o, p))
    assert (d["highest"], d["rate_pct"], d["targets"]) == ("S1+T1+B", 11.4, [])
    assert len(d["attainable"]) == 18
    grant = d["grants"][0]
    assert (grant["id"], grant["rate_pct"], grant["eligible"]) == ("temporary-grant", 1.1, True)
    assert grant["valid_from"] == "2024-02-01" and grant["valid_to"] == "2024-05-31"


def test_old_evaluation_hand_computed_after_school_day(kb):
    # cp2 only and one workplace item: 旧処遇Ⅲ (cp1 or cp2) and nothing that needs more.
    o, p = office(kb, "after-school-day", "2024-04-01", met=["cp2.1", "cp2.1b", "cp2.2"], workplace=[3])
    ev = evaluate(kb, o, p, use_pledges=False)
    d = to_dict(ev, alternatives=False)
    assert (d["highest"], d["rate_pct"], d["attainable"]) == ("S3", 3.4, ["S3"])
    t = {x["tier"]: x for x in d["targets"]}
    assert t["S2"]["missing"] == ["cp1.1", "cp1.2", "cp1.3"]
    assert t["S3+B"]["missing"] == ["old.baseup-wage"] and t["S3+B"]["rate_pct"] == 5.4
    # 特定 needs a workplace item in every category, 見える化 and (for Ⅰ) cp5: the exact minimum
    assert t["S3+T1"]["missing_count"] == 7 and {"cp5", "visibility"} <= set(t["S3+T1"]["missing"])
    assert list(t)[0] == "S1+T1+B" and list(t) == sorted(t, key=lambda x: -t[x]["rate_pct"])
    assert d["grants"][0]["eligible"] is True


def test_old_evaluation_without_known_rates_and_grant_not_eligible(kb):
    o, p = office(kb, "employment-b", "2024-05-31", met=["cp1.1"])
    ev = evaluate(kb, o, p)
    d = to_dict(ev, alternatives=False)
    assert d["highest"] is None and d["rate_pct"] is None
    assert all(t["rate_pct"] is None for t in d["targets"])
    assert any("rates unknown for employment-b in OLD" in w for w in d["warnings"])
    assert d["grants"][0]["rate_pct"] is None and d["grants"][0]["eligible"] is False
    assert [t["tier"] for t in d["targets"]][:3] == ["S1+T1+B", "S1+T2+B", "S1+B"]  # nominal rank


def test_grants_only_in_periods_they_overlap(kb):
    o, p = office(kb, "after-school-day", "2024-06-01", met=CP123)
    assert p.id == "R6" and "grants" not in to_dict(evaluate(kb, o, p), alternatives=False)


def test_explain_old_tier_names_the_component_that_fails(kb):
    o, p = office(kb, "after-school-day", "2024-05-01", met=CP123 + ["visibility"], workplace=[1, 5, 9, 14, 18])
    ev = evaluate(kb, o, p)
    e = explain(ev, "S1+T2", "ja")
    assert not e["attained"]
    [node] = e["failing"]
    assert node["id"] == "old.tokutei-II" and node["label"] == "旧 福祉・介護職員等特定処遇改善加算（Ⅱ）"
    assert node["children"][0]["id"] == "old-each" and "やりがい" in node["children"][0]["detail"]


def test_before_the_old_period_is_a_clear_error(kb):
    with pytest.raises(CarekbError) as e:
        bind(Office(service="after-school-day", as_of=dt.date(2024, 3, 31)), kb)
    msg = str(e.value)
    assert "2024-03-31" in msg and "旧加算は 2024-04-01 から" in msg and "新加算は 2024-06-01 から" in msg   # ja: the default
    r = run("gap", EXAMPLES / "old-after-school-day.yaml", "--as-of", "2024-03-31")
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "2024-04-01" in r.output


def test_consultation_services_have_no_old_tier(kb):
    with pytest.raises(CarekbError, match="期間 OLD にこの加算の区分がありません"):
        bind(Office(service="consult-plan", as_of=dt.date(2024, 5, 1)), kb)


def test_short_tier_labels():
    assert short_tier("S1+T1+B") == "処遇Ⅰ+特定Ⅰ+ベア" and short_tier("S3") == "処遇Ⅲ"
    assert short_tier("S2+B", "en") == "S2+B" and short_tier("V3") == "Ⅴ(3)" and short_tier("II-ro") == "Ⅱロ"


def test_old_example_from_the_cli():
    d = json.loads(run("gap", EXAMPLES / "old-after-school-day.yaml", "--format", "json").output)
    assert (d["period"], d["highest"], d["rate_pct"]) == ("OLD", "S1+B", 10.4)
    assert {t["tier"]: t["missing"] for t in d["targets"]} == {
        "S1+T1+B": ["cp5", "workplace.22"], "S1+T2+B": ["workplace.22"]}
    assert d["grants"][0]["eligible"] is True
    ja = run("tiers", EXAMPLES / "old-after-school-day.yaml").output
    assert "処遇Ⅰ+ベア (10.4%)" in ja and "OLD" in ja


# --------------------------------------------------------------------------- Ⅴ tiers continue old combinations

def test_v_tiers_continue_the_reference_combinations(kb):
    roman = {"1": "I", "2": "II", "3": "III"}
    for row in csv.DictReader(open(REF / "v_tiers.csv", encoding="utf-8")):
        want = {f"shogu-{roman[row['old_shogu_2024_05']]}"}
        if row["old_tokutei_2024_05"] != "none":
            want.add(f"tokutei-{roman[row['old_tokutei_2024_05']]}")
        if row["old_baseup_2024_05"] == "yes":
            want.add("baseup")
        assert set(kb.tiers["R6"][row["tier"]].continues) == want, row
    assert not any(t.continues for p in ("R7", "R8") for t in kb.tiers[p].values())


def test_v_tier_continuation_query():
    ox = store.oxigraph_store(store.dataset())

    def q(service):
        text = store.bind_params(store.named_query("v-tier-continuation"), {"service": service})
        return store.query_store(ox, text)["results"]["bindings"]

    rows = q("after-school-day")
    assert len(rows) == 14
    by = {r["vTier"]["value"]: r for r in rows}
    assert by["V2"]["oldCombination"]["value"] == "S2+T1+B" and by["V2"]["oldBaseup"]["value"] == "true"
    assert by["V8"]["oldCombination"]["value"] == "S1" and "oldTokutei" not in by["V8"]
    assert (by["V1"]["oldPct"]["value"], by["V1"]["newPct"]["value"]) == ("9.7", "11.4")
    # The seed's old rates and its Ⅴ rates differ by one uniform uplift for both services: a check
    # of the continuation mapping against two independent tables.
    for svc in SERVICES.values():
        assert {Decimal(r["change"]["value"]) for r in q(svc)} == {Decimal("1.7")}, svc
    assert all("oldPct" not in r and "change" not in r for r in q("employment-b"))
