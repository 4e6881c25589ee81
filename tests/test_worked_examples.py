"""Worked examples computed by hand from shared/reference/shogai (one or more per period)."""

from decimal import Decimal

from carekb.solver.gap import evaluate
from carekb.app.report import to_dict

from conftest import office

CP123 = ["cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1a", "cp2.2", "cp3.1a", "cp3.2"]
# R7+ list: one item per category (1 entry, 5 career, 9 balance, 14 health, 25 motivation) + productivity 18, 19
R7_LOW = [1, 5, 9, 14, 18, 19, 25]


def test_r6_v_tier_by_history(kb):
    # 旧処遇Ⅱ + 旧特定Ⅰ + ベア → Ⅴ(2): cp1 & cp2 & cp4 & cp5 & R6-each & visibility (v_tiers.csv).
    o, p = office(kb, "employment-b", "2024-08-01", shogu=2, tokutei=1, baseup=True,
                  met=["cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1b", "cp2.2", "cp5", "visibility"],
                  top_annual_wage=4_400_000, workplace=[1, 5, 9, 14, 18, 22])
    ev = evaluate(kb, o, p)
    assert ev.highest == "V2" and ev.results["V2"].rate.pct == Decimal("7.9")
    assert set(ev.attainable) == {"V2", "IV"}
    # Ⅴ(1) needs 旧処遇Ⅰ: no action reaches it for this office.
    assert not ev.results["V1"].reachable and ev.results["V1"].reason == "history"
    # Tier Ⅱ needs only cp3 more: a pledge (R6 allows pledging cp3) or cp3.1x + cp3.2 (2 actions).
    assert ev.results["II"].missing == ("pledge.cp3",)
    nop = evaluate(kb, o, p, use_pledges=False)
    assert len(nop.results["II"].missing) == 2 and "cp3.2" in nop.results["II"].missing


def test_r6_v_tier_one_below_threshold(kb):
    # 4,399,999 yen is one yen short of cp4 in R6: Ⅴ(2) then needs cp4.
    o, p = office(kb, "employment-b", "2024-08-01", shogu=2, tokutei=1, baseup=True,
                  met=["cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1b", "cp2.2", "cp5", "visibility"],
                  top_annual_wage=4_399_999, workplace=[1, 5, 9, 14, 18, 22])
    ev = evaluate(kb, o, p)
    assert ev.results["V2"].missing == ("cp4",)
    assert ev.highest == "IV"


def test_r6_v14_any_of_cp1_cp2(kb):
    # Ⅴ(14): 旧処遇Ⅲ only; (cp1 | cp2) & at least one workplace item in total.
    o, p = office(kb, "after-school-day", "2024-06-01", shogu=3, met=["cp2.1", "cp2.1a", "cp2.2"], workplace=[7])
    ev = evaluate(kb, o, p, use_pledges=False)
    assert ev.results["V14"].attained
    assert not ev.results["V13"].reachable  # V13 needs the ベア held
    assert ev.highest == "V14" and float(ev.results["V14"].rate.pct) == 5.1


def test_r7_wage2_applies_only_with_old_shogu_and_no_baseup(kb):
    base = dict(met=["wage.1"] + CP123, workplace=R7_LOW)
    o, p = office(kb, "group-home-care", "2025-06-01", shogu=1, baseup=False, **base)
    ev = evaluate(kb, o, p)
    assert ev.highest is None and ev.results["III"].missing == ("wage.2",)
    o, p = office(kb, "group-home-care", "2025-06-01", shogu=1, baseup=True, **base)
    assert evaluate(kb, o, p).highest == "III"
    o, p = office(kb, "group-home-care", "2025-06-01", **base)  # held none of the old additions
    assert evaluate(kb, o, p).highest == "III"
    # From 2026-04 a new take-up no longer triggers wage.2 (applicability ends 2026-03-31).
    o, p = office(kb, "group-home-care", "2026-04-15", shogu=1, baseup=False, **base)
    assert p.id == "R7" and evaluate(kb, o, p).highest == "III"


def test_r7_service_without_tier_ii(kb):
    o, p = office(kb, "short-stay", "2025-10-01", met=["wage.1"] + CP123 + ["visibility"], top_annual_wage=4_500_000,
                  workplace=[1, 2, 5, 6, 9, 10, 14, 15, 18, 19, 20, 25, 26])
    ev = evaluate(kb, o, p)
    assert list(ev.results) == ["I", "III", "IV"]
    # Tier Ⅰ = the Ⅱ requirements; cp5 does not apply to 短期入所.
    assert ev.highest == "I" and ev.results["I"].rate.pct == Decimal("15.9")


def test_r7_high_workplace_needs_item_18(kb):
    # 2 per category and 3 productivity items, but without ⑱: exactly one action (item 18) is missing.
    items = [1, 2, 5, 6, 9, 10, 14, 15, 19, 20, 21, 25, 26]
    o, p = office(kb, "after-school-day", "2025-07-01", met=["wage.1", "visibility"] + CP123, top_annual_wage=4_400_000,
                  workplace=items)
    ev = evaluate(kb, o, p, use_pledges=False)
    assert ev.results["II"].missing == ("workplace.18",)


def test_r8_rate_ordering_employment_b(kb):
    # B型 R8: Ⅱロ 10.7% outranks Ⅰイ 10.5%; with both attained the highest is Ⅱロ... unless Ⅰロ.
    items = [1, 2, 3, 5, 6, 9, 10, 14, 15, 18, 19, 20, 21, 22, 25]  # 15 items, 5 productivity incl. 18, 21
    met = ["wage.1"] + CP123 + ["visibility", "tokurei.wage", "cp5"]
    o, p = office(kb, "employment-b", "2026-07-01", met=met, workplace=items)
    ev = evaluate(kb, o, p)
    assert [t for t in ev.results] == ["I-ro", "II-ro", "I-i", "II-i", "III", "IV"]
    assert ev.highest == "I-ro"
    o, p = office(kb, "employment-b", "2026-07-01", met=[m for m in met if m != "cp5"], workplace=items)
    ev = evaluate(kb, o, p)
    assert ev.highest == "II-ro" and ev.targets == ["I-ro"]
    assert "I-i" not in ev.targets  # 10.5% is below Ⅱロ's 10.7%


def test_r8_cp4_deemed_met_by_14_items(kb):
    met = ["wage.1"] + CP123 + ["visibility"]
    fourteen = [1, 2, 3, 5, 6, 9, 10, 14, 15, 18, 19, 20, 25, 26]
    o, p = office(kb, "employment-b", "2026-07-01", met=met, workplace=fourteen, top_annual_wage=3_000_000)
    assert evaluate(kb, o, p).highest == "II-i"
    # With 13 items the high level fails; cp4 alone would not help because 14 items are required anyway.
    o, p = office(kb, "employment-b", "2026-07-01", met=met + ["cp4"], workplace=fourteen[:-1])
    ev = evaluate(kb, o, p, use_pledges=False)
    assert ev.highest == "III" and ev.results["II-i"].missing == ("workplace.4",)


def test_r8_cp4_threshold_460(kb):
    o, p = office(kb, "after-school-day", "2026-07-01", top_annual_wage=4_599_999)
    assert "cp4" not in o.met
    from carekb.solver.rules import Context
    assert not Context(kb, p, o).derived_holds("cp4")
    o, p = office(kb, "after-school-day", "2026-07-01", top_annual_wage=4_600_000)
    assert Context(kb, p, o).derived_holds("cp4")


def test_r8_pledges_for_cp_need_tokurei(kb):
    # cp3 pledge is valid only with the 特例要件 met or pledged: without tokurei, pledging cp3 alone does not work.
    met = ["wage.1", "cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1a", "cp2.2"]
    items = [1, 2, 5, 9, 14, 18, 19, 25]  # the total-8 level
    o, p = office(kb, "employment-b", "2026-07-01", met=met, workplace=items, pledged=["cp3"])
    ev = evaluate(kb, o, p)
    assert ev.highest == "IV"
    # Cheapest way to Ⅲ: pledge the 特例要件 too (1 action) rather than cp3.1x + cp3.2 (2 actions).
    assert ev.results["III"].missing == ("pledge.tokurei",)
    o, p = office(kb, "employment-b", "2026-07-01", met=met + ["tokurei.wage"], workplace=items + [20, 21, 22],
                  pledged=["cp3"])
    assert evaluate(kb, o, p).highest == "III"  # tokurei met for real: the cp3 pledge counts


def test_r8_pledge_deadline(kb):
    o, p = office(kb, "employment-b", "2027-04-01", met=["wage.1"], pledged=["cp1", "cp2", "workplace-low"])
    ev = evaluate(kb, o, p)
    assert ev.highest is None
    assert not any(a.startswith("pledge.") for r in ev.results.values() for a in r.missing)


def test_small_corp_exception_flagged(kb):
    # One-office corporation: item 24 alone meets the productivity minimum (inferred, I).
    o, p = office(kb, "after-school-day", "2025-07-01", single_office_corp=True, met=["wage.1", "cp1.1", "cp1.2", "cp1.3",
                  "cp2.1", "cp2.1a", "cp2.2"], workplace=[1, 5, 9, 14, 24, 25])
    ev = evaluate(kb, o, p)
    assert ev.highest == "IV" and ev.results["IV"].exception is not None
    assert any("inferred exception" in w for w in ev.warnings)
    o2, _ = office(kb, "after-school-day", "2025-07-01", met=list(o.met), workplace=[1, 5, 9, 14, 24, 25])
    assert evaluate(kb, o2, p, use_pledges=False).results["IV"].missing == ("workplace.18",)


def test_unknown_rate_is_null_not_zero(kb):
    o, p = office(kb, "daily-life-care", "2026-07-01")
    data = to_dict(evaluate(kb, o, p))
    assert all(t["rate_pct"] is None for t in data["targets"])
    assert any("unknown" in w for w in data["warnings"])


def test_consult_service_only_in_r8(kb):
    import pytest
    from carekb.model.errors import CarekbError
    with pytest.raises(CarekbError, match="no tier"):
        office(kb, "consult-plan", "2025-07-01")
    o, p = office(kb, "consult-plan", "2026-07-01", met=["tokurei.wage"], workplace=[18, 19, 20, 21, 22])
    assert evaluate(kb, o, p).highest == "CONSULT"
