"""地域区分 unit prices in kb/shogai/unit-prices.ttl: formula, citations, yen at the rounding edges,
and the "unit price unknown" path for services whose 人件費割合 was not found."""

from decimal import ROUND_HALF_UP, Decimal

import rdflib
import pytest

from carekb.inputs.profile import REGION_GRADES
from carekb.solver.gap import evaluate
from carekb.app.report import to_dict
from carekb.solver.yen import addition_units, addition_yen

from conftest import ROOT, office

UPLIFT = {"1級地": 20, "2級地": 16, "3級地": 15, "4級地": 12, "5級地": 10, "6級地": 6, "7級地": 3, "その他": 0}
CK = rdflib.Namespace("https://w3id.org/carekb/vocab#")


def formula(share_pct: int, uplift_pct: int) -> Decimal:
    """10 × (1 + uplift × share), to two decimals as the 告示 states them (reference README, P)."""
    raw = Decimal(10) * (1 + Decimal(uplift_pct) / 100 * Decimal(share_pct) / 100)
    return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def graph():
    g = rdflib.Graph()
    g.parse(ROOT / "kb" / "shogai" / "unit-prices.ttl", format="turtle")
    return g


def test_every_price_is_the_formula_of_its_share_and_grade(kb):
    assert kb.prices, "no unit prices loaded"
    for (service, grade), price in kb.prices.items():
        assert service in kb.services, service
        assert grade in REGION_GRADES, grade
        assert price.labour_share_pct > 0, (service, grade)
        assert price.yen == formula(price.labour_share_pct, UPLIFT[grade]), (service, grade, price.yen)


def test_uplift_stated_in_the_kb_matches_the_grade(graph):
    for s in graph.subjects(rdflib.RDF.type, CK.UnitPrice):
        grade = str(graph.value(s, CK.regionGrade))
        assert int(graph.value(s, CK.upliftPct)) == UPLIFT[grade], s


def test_every_price_cites_a_source_a_note_and_a_confidence(kb):
    for key, price in kb.prices.items():
        assert price.cited.sources, key
        assert price.cited.note, key
        assert price.cited.confidence in ("P", "S×2", "S", "I"), key


def test_a_known_service_has_all_eight_grades(kb):
    services = {s for s, _ in kb.prices}
    for s in services:
        assert {g for sv, g in kb.prices if sv == s} == set(REGION_GRADES), s


def test_confirmed_column_is_the_kokuji_figure(kb):
    # 告示第539号「就労継続支援」欄: 千分の千百十四 … 千分の千十七 (P)
    expected = ["11.14", "10.91", "10.86", "10.68", "10.57", "10.34", "10.17", "10.00"]
    for svc in ("employment-a", "employment-b"):
        assert [str(kb.prices[(svc, g)].yen) for g in REGION_GRADES] == expected
        assert {kb.prices[(svc, g)].cited.confidence for g in REGION_GRADES} == {"P"}


# ---------------------------------------------------------------- yen at the rounding edges


def test_employment_b_half_unit_rounds_up(kb):
    # R7 B型 Ⅰ 9.3 %, 6級地 10.34円, 2,500 units: 232.5 → 233 units (half up; banker's rounding would give 232);
    # 2,733 × 10.34 = 28,259.22 → 28,259;  2,500 × 10.34 = 25,850.00 → 25,850;  addition 2,409円.
    rate = kb.rates[("R7", "employment-b", "I")].pct
    price = kb.prices[("employment-b", "6級地")].yen
    assert addition_units(2500, rate) == 233
    assert addition_yen(2500, rate, price) == 2409


def test_home_care_truncates_the_total_not_the_addition(kb):
    # R7 居宅介護 Ⅰ 41.7 %, 1級地 11.20円, 2,468 units (the 留意事項 example's base):
    # 1,029.156 → 1,029 units; 3,497 × 11.20 = 39,166.4 → 39,166; 2,468 × 11.20 = 27,641.6 → 27,641;
    # addition 11,525円 — not floor(1,029 × 11.20) = 11,524.
    rate = kb.rates[("R7", "home-care", "I")].pct
    price = kb.prices[("home-care", "1級地")].yen
    assert addition_units(2468, rate) == 1029
    assert addition_yen(2468, rate, price) == 11525


def test_home_care_half_unit_and_seventh_grade(kb):
    rate = kb.rates[("R7", "home-care", "I")].pct
    # 1,500 × 41.7 % = 625.5 → 626; 2,126 × 11.20 = 23,811.2 → 23,811; 1,500 × 11.20 = 16,800 → 7,011円
    assert addition_units(1500, rate) == 626
    assert addition_yen(1500, rate, kb.prices[("home-care", "1級地")].yen) == 7011
    # 7級地 10.18円: 3,497 × 10.18 = 35,599.46 → 35,599; 2,468 × 10.18 = 25,124.24 → 25,124 → 10,475円
    assert addition_yen(2468, rate, kb.prices[("home-care", "7級地")].yen) == 10475


# The facts of examples/r7-after-school-day.yaml: attains Ⅲ under R7.
ATTAINS_III = dict(shogu=1, tokutei=2, baseup=True, top_annual_wage=4_300_000, workplace=[1, 3, 5, 9, 14, 18, 19, 25],
                   met=["wage.1", "cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1a", "cp2.2", "cp3.1a", "cp3.2"])


def test_report_uses_the_kb_price(kb):
    o, period = office(kb, "employment-b", "2025-07-01", region="6級地", monthly_units=2500, **ATTAINS_III)
    data = to_dict(evaluate(kb, o, period))
    assert data["highest"] == "III"
    # 2,500 × 7.6 % = 190 units; 2,690 × 10.34 = 27,814.6 → 27,814; 25,850 → 1,964円
    assert data["yen_per_month"] == 1964
    assert not any("unit price unknown" in w for w in data["warnings"])


# ---------------------------------------------------------------- unknown prices


def test_unknown_unit_price_is_a_warning_not_a_number(kb):
    assert ("daily-life-care", "1級地") not in kb.prices, "test needs a service without a known unit price"
    o, period = office(kb, "daily-life-care", "2025-07-01", region="1級地", monthly_units=100_000, **ATTAINS_III)
    data = to_dict(evaluate(kb, o, period))
    assert data["highest"] is not None
    assert data["yen_per_month"] is None
    assert any("unit price unknown for daily-life-care in 1級地" in w for w in data["warnings"])
    for t in data["targets"]:
        if t.get("reachable"):
            assert t["yen_per_month_gain"] is None


def test_prices_match_the_reference_table(kb):
    """Every row of shared/reference/shogai/unit_prices.csv is in the KB with its yen and confidence, and no more."""
    import csv

    from conftest import REFERENCE

    seen = set()
    with open(REFERENCE / "shogai" / "unit_prices.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for svc in row["services"].split():
                price = kb.prices[(svc, row["grade"])]
                assert price.yen == Decimal(row["yen_per_unit"]) and price.labour_share_pct == int(row["labour_share_pct"])
                assert price.cited.confidence == row["confidence"], (svc, row["grade"])
                seen.add((svc, row["grade"]))
    assert seen == set(kb.prices)
