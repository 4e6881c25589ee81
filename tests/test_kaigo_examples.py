"""Worked 介護 examples, computed by hand from reference/kaigo/ (rates.csv, unit_prices.csv, tiers.csv),
one or more per period, and every command on a 介護 office.

Yen (the order of rounding of solver/yen.py): addition units = round half up (units × rate);
yen = floor((units + addition) × unit price) − floor(units × unit price)."""

import json

import pytest
from click.testing import CliRunner

import carekb
from carekb.cli.main import main

from conftest import EXAMPLES


def cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


def cli_json(*args):
    return json.loads(cli(*args, "--format", "json"))


@pytest.fixture(scope="module")
def kb():
    return carekb.load_kb()


def gap(kb, profile, **changes):
    doc = carekb.load_profile(EXAMPLES / profile, kb=kb).document
    doc = {**doc, **changes}
    return carekb.gap(doc, kb=kb).to_dict()


# --------------------------------------------------------------------------- R8

def test_r8_home_help_reaches_i_ro_by_care_plan_data(kb):
    # 訪問介護 R8 Ⅰロ 28.7 % (S×5 → S×2); 1級地, 人件費割合 70 % → 11.40 yen.
    # 200,000 × 0.287 = 57,400 units; 257,400 × 11.40 = 2,934,360; 200,000 × 11.40 = 2,280,000 → 654,360.
    d = gap(kb, "kaigo-r8-home-visit.yaml")
    assert (d["period"], d["highest"], d["rate_pct"], d["yen_per_month"]) == ("R8", "I-ro", 28.7, 654_360)
    assert d["targets"] == []
    # route イ (生産性向上推進体制加算) is not the route of a 訪問 service: without ア it stays at Ⅰイ 27.0 %
    d = gap(kb, "kaigo-r8-home-visit.yaml",
            met=[m for m in carekb.load_profile(EXAMPLES / "kaigo-r8-home-visit.yaml", kb=kb).document["met"]
                 if m != "tokurei.a"] + ["tokurei.b"])
    assert d["highest"] == "I-i" and d["rate_pct"] == 27.0
    i_ro = next(t for t in d["targets"] if t["tier"] == "I-ro")
    assert i_ro["missing"] in (["tokurei.a"], ["pledge.tokurei.a"])
    # route ウ: a member of a 社会福祉連携推進法人 needs neither
    assert gap(kb, "kaigo-r8-home-visit.yaml", collab_corp=True, met=["wage.1", "cp1.1", "cp1.2", "cp1.3", "cp2.1",
               "cp2.1a", "cp2.2", "cp3.1a", "cp3.2", "cp5", "visibility"])["highest"] == "I-ro"


def test_r8_welfare_facility_rates_unknown_ranked_by_nominal_order(kb):
    d = gap(kb, "kaigo-r8-tokuyo.yaml")  # profile names the service 特養 (an alternative label)
    assert d["service"] == "welfare-facility" and d["highest"] == "I-i"
    assert d["rate_pct"] is None and d["yen_per_month"] is None      # unknown, never zero
    (t,) = d["targets"]
    assert t["tier"] == "I-ro" and t["rate_pct"] is None and t["missing"] == ["tokurei.b"]
    assert t["alternatives"] == {"tokurei.b": ["pledge.tokurei.b"]}
    assert any("ordered by their nominal rank" in w for w in d["warnings"])
    tiers = [x["tier"] for x in cli_json("tiers", EXAMPLES / "kaigo-r8-tokuyo.yaml")["tiers"]]
    assert tiers == ["I-ro", "I-i", "II-ro", "II-i", "III", "IV"]


def test_r8_home_nursing_single_tier(kb):
    # 訪問看護 SINGLE 1.8 %; 1級地 70 % → 11.40. 120,000 × 0.018 = 2,160; 122,160 × 11.40 = 1,392,624 − 1,368,000.
    d = gap(kb, "kaigo-r8-home-nursing.yaml")
    assert (d["highest"], d["rate_pct"], d["yen_per_month"]) == ("SINGLE", 1.8, 24_624)
    # no 加算Ⅳ-equivalent at all: the pledges of cp1, cp2 and the workplace items are open to a SINGLE service
    d = gap(kb, "kaigo-r8-home-nursing.yaml", met=[], workplace=[])
    (t,) = d["targets"]  # ケアプランデータ連携 (or its pledge) alone: the special requirement is the other route
    assert (t["tier"], t["missing"], t["alternatives"]) == ("SINGLE", ["tokurei.a"], {"tokurei.a": ["pledge.tokurei.a"]})


def test_r8_pledges_of_cp1_need_the_special_requirement_for_tiered_services(kb):
    base = ["wage.1", "cp2.1", "cp2.1a", "cp2.2"]
    d = gap(kb, "kaigo-r8-home-visit.yaml", met=base, pledged=["cp1"], workplace=[1, 5, 9, 13, 17, 18, 25])
    assert d["highest"] is None  # pledge.cp1 without the 特例要件 does not count …
    iv = next(t for t in d["targets"] if t["tier"] == "IV")
    assert iv["missing"] == ["tokurei.a"]  # … and ケアプランデータ連携 makes it count
    d = gap(kb, "kaigo-r8-home-visit.yaml", met=base + ["tokurei.a"], pledged=["cp1"], workplace=[1, 5, 9, 13, 17, 18, 25])
    assert d["highest"] == "IV"


def test_r8_cp4_threshold_is_440_man_yen(kb):
    met = ["wage.1", "cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1a", "cp2.2", "cp3.1a", "cp3.2", "visibility"]
    assert gap(kb, "kaigo-r8-home-visit.yaml", met=met, top_annual_wage=4_400_000)["highest"] == "II-i"
    assert gap(kb, "kaigo-r8-home-visit.yaml", met=met, top_annual_wage=4_399_999)["highest"] == "III"


# --------------------------------------------------------------------------- R7

def test_r7_day_care_needs_cp5_for_tier_i(kb):
    # 通所介護 R7 Ⅱ 9.0 % / Ⅰ 9.2 % (P); 3級地, 人件費割合 45 % → 10.68 yen.
    # Ⅱ: 27,000 units; 327,000 × 10.68 = 3,492,360 − 3,204,000 = 288,360.
    # Ⅰ: 27,600 units; 327,600 × 10.68 = 3,498,768 − 3,204,000 = 294,768 → +6,408 a month.
    d = gap(kb, "kaigo-r7-day-service.yaml")
    assert (d["period"], d["highest"], d["rate_pct"], d["yen_per_month"]) == ("R7", "II", 9.0, 288_360)
    (t,) = d["targets"]
    assert (t["tier"], t["missing"], t["yen_per_month_gain"]) == ("I", ["cp5"], 6_408)


def test_r7_item_17_or_18_is_mandatory_for_tier_ii(kb):
    # the profile has ⑰ but not ⑱; without ⑰ either of them completes the high level (13 items, 3 in 生産性)
    items = [1, 3, 5, 7, 9, 10, 13, 16, 19, 22, 23, 25, 27]
    d = gap(kb, "kaigo-r7-day-service.yaml", workplace=items)
    assert d["highest"] == "III"
    ii = next(t for t in d["targets"] if t["tier"] == "II")
    assert ii["missing"] in (["workplace.17"], ["workplace.18"])
    other = "workplace.18" if ii["missing"] == ["workplace.17"] else "workplace.17"
    assert other in ii["alternatives"][ii["missing"][0]]


def test_compare_periods_r7_r8(kb):
    # R8 Ⅱイ 10.9 % (S×2): 32,700 units; 332,700 × 10.68 = 3,553,236 − 3,204,000 = 349,236.
    d = cli_json("whatif", EXAMPLES / "kaigo-r7-day-service.yaml", "--compare-periods", "R7,R8")
    cols = {x["period"]: x for x in d["periods"]}
    assert (cols["R7"]["highest"], cols["R7"]["yen_per_month"]) == ("II", 288_360)
    assert (cols["R8"]["highest"], cols["R8"]["yen_per_month"]) == ("II-i", 349_236)


def test_plan_picks_tier_i(kb):
    d = cli_json("plan", EXAMPLES / "kaigo-r7-day-service.yaml")
    assert d["chosen"] == "I" and d["chosen_gain"] == 6_408


# --------------------------------------------------------------------------- R6

def test_r6_group_home_v1_from_its_may_2024_history(kb):
    # GH R6 Ⅴ(1) 16.3 % (I); その他, 45 % → 10.00. 500,000 × 0.163 = 81,500 → 815,000.
    # Ⅰ 18.6 % → 93,000 → 930,000 (+115,000); Ⅱ 17.8 % → 89,000 → 890,000 (+75,000): both need wage.2,
    # which applies (旧処遇改善 held, no 旧ベア, before 2026-04).
    d = gap(kb, "kaigo-r6-group-home-v.yaml")
    assert (d["period"], d["highest"], d["rate_pct"], d["yen_per_month"]) == ("R6", "V1", 16.3, 815_000)
    gains = {t["tier"]: (t["missing"], t["yen_per_month_gain"]) for t in d["targets"]}
    assert gains == {"I": (["wage.2"], 115_000), "II": (["wage.2"], 75_000)}
    # without that history, Ⅴ(1) is closed and wage.2 does not apply: Ⅰ is attained
    d = gap(kb, "kaigo-r6-group-home-v.yaml", history={"shogu": "none", "tokutei": "none", "baseup": False})
    assert d["highest"] == "I" and d["rate_pct"] == 18.6


def test_explain_names_the_route(kb):
    d = cli_json("explain", EXAMPLES / "kaigo-r8-home-visit.yaml", "I-ro")
    text = json.dumps(d, ensure_ascii=False)
    assert d["attained"] and "tokurei.a" in text and "ケアプランデータ連携" in text


# --------------------------------------------------------------------------- the KB commands

def test_services_and_requirements_of_kaigo():
    out = cli("services", "--scheme", "kaigo", "--period", "R8")
    assert "訪問介護" in out and "SINGLE:1.8" in out and "R8: 加算率 既知 78・不明 138" in out
    data = cli_json("services", "--scheme", "kaigo", "--period", "R8")["services"]
    assert len(data) == 43
    fac = next(s for s in data if s["service_id"] == "welfare-facility")
    assert {t["rate_pct"] for t in fac["tiers"]} == {None}
    req = cli_json("requirements", "--scheme", "kaigo", "--period", "R8")
    assert {r["id"] for r in req["requirements"]} >= {"tokurei", "tokurei.a", "tokurei.b", "cp5"}
    assert {x["id"] for x in req["pledges"]} >= {"pledge.tokurei.a", "pledge.tokurei.b", "pledge.workplace"}
    # the default scheme is unchanged
    assert len(cli_json("services", "--period", "R8")["services"]) == 37


def test_staff_threshold_and_definitions(tmp_path):
    f = tmp_path / "roster.yaml"
    f.write_text("""version: 1
office: {id: X1, service: 訪問介護}
as_of: 2026-07-01
staff:
  - {name: 山田, role: 訪問介護員, qualifications: [介護福祉士], years_in_corp: 12, annual_wage_after: 4400000}
  - {name: 佐藤, role: other, years_in_corp: 3, annual_wage_after: 5000000}
""", encoding="utf-8")
    d = cli_json("staff", f)
    assert d["cp4"]["threshold_yen"] == 4_400_000 and d["cp4"]["met"] is True
    assert "経験・技能のある介護職員" in cli("staff", "--scheme", "kaigo")


def test_gap_says_the_guidance_checklist_exists(kb):
    d = gap(kb, "kaigo-r7-day-service.yaml")
    (note,) = [w for w in d["warnings"] if "guidance checklist" in w]
    assert "seed 000" in note
    assert not any("guidance checklist" in w for w in carekb.gap(EXAMPLES / "r7-after-school-day.yaml", kb=kb).to_dict()["warnings"])
    out = cli("guidance", EXAMPLES / "kaigo-r7-day-service.yaml")
    assert "高齢者福祉施設" in out


def test_sparql_library_over_kaigo(tmp_path):
    rows = cli("sparql", "-n", "rates-ranked", "-p", "period=R8", "-p", "scheme=kaigo", "--format", "csv").splitlines()
    assert rows[1].startswith("home-help,訪問介護,I-ro,28.7")
    unknown = cli("sparql", "-n", "services-unknown-rates", "-p", "scheme=kaigo", "--format", "csv").splitlines()
    assert len(unknown) == 1 + 138
    offices = cli_json("sparql", "-n", "offices-by-tier", "--with", EXAMPLES / "kaigo-r8-home-visit.yaml")
    (row,) = offices["results"]["bindings"]
    assert row["serviceId"]["value"] == "home-help" and row["highest"]["value"] == "I-ro"
