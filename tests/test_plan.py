"""carekb plan: effort (profile and CSV), budget edges, next steps, and the yen gains by hand.

R7 example (180,000 units, 6級地 10.36 yen, base 1,864,800): Ⅲ 225,640; Ⅱ 13.1% → 244,288 (+18,648);
Ⅰ 13.4% → 24,120 units, 204,120 × 10.36 = 2,114,683.2 → 2,114,683 − 1,864,800 = 249,883 (+24,243).
R8 B型 example (320,000 units, 3級地 10.86 yen, base 3,475,200): Ⅱイ 10.3% → 32,960 units → 357,945;
Ⅰロ 10.9% → 34,880 units, 354,880 × 10.86 = 3,853,996.8 → 378,796 (+20,851);
Ⅱロ 10.7% → 34,240 units, 354,240 × 10.86 = 3,847,046.4 → 371,846 (+13,901);
Ⅰイ 10.5% → 33,600 units, 353,600 × 10.86 = 3,840,096 → 364,896 (+6,951).
"""

import json

import pytest
from click.testing import CliRunner

from carekb.cli.main import main
from carekb.i18n import set_lang
from carekb.inputs.effort import check_in_period, read_effort_csv
from carekb.model.errors import CarekbError
from carekb.inputs.profile import bind, load_office
from carekb.app.plan import plan

from conftest import EXAMPLES

R7 = EXAMPLES / "r7-after-school-day.yaml"
R8B = EXAMPLES / "r8-employment-b.yaml"
EFFORT = EXAMPLES / "effort.csv"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def plan_json(*args):
    r = run("plan", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def bound(kb, path, **changes):
    office, period = bind(load_office(path, kb), kb)
    return office.with_changes(**changes), period


def test_options_with_hand_computed_gains(kb):
    office, period = bound(kb, R7)
    p = plan(kb, office, period)
    opts = {o["tier"]: o for o in p["options"]}
    assert p["gain_basis"] == "yen" and p["yen_per_month"] == 225_640
    assert (opts["I"]["effort"], opts["I"]["gain"], opts["I"]["yen_per_year_gain"]) == (4, 24_243, 290_916)
    assert (opts["II"]["effort"], opts["II"]["gain"]) == (3, 18_648)
    assert p["chosen"] == "I"


@pytest.mark.parametrize("budget, chosen", [(None, "I"), (5, "I"), (4, "I"), (3, "II"), (2, None), (0, None)])
def test_budget_edges_default_effort(kb, budget, chosen):
    office, period = bound(kb, R7)
    assert plan(kb, office, period, budget=budget)["chosen"] == chosen


@pytest.mark.parametrize("budget, chosen", [(10, "I"), (9, "II"), (7, "II"), (6, None)])
def test_budget_edges_with_effort_csv(kb, budget, chosen):
    # examples/effort.csv: cp4 5, cp5 3, visibility 1, pledge.workplace 1 → Ⅱ = 7, Ⅰ = 10
    office, period = bound(kb, R7)
    effort, _ = read_effort_csv(EFFORT, kb)
    p = plan(kb, office, period, budget=budget, extra_effort=effort)
    assert {o["tier"]: o["effort"] for o in p["options"]} == {"I": 10, "II": 7}
    assert p["chosen"] == chosen


def test_csv_overrides_profile_effort(kb, tmp_path):
    prof = tmp_path / "o.yaml"
    prof.write_text(R7.read_text(encoding="utf-8").replace("  workplace.18: 1", "  workplace.18: 1\n  cp4: 2"),
                    encoding="utf-8")
    office, period = bound(kb, prof)
    assert dict(office.effort)["cp4"] == 2
    assert {o["tier"]: o["effort"] for o in plan(kb, office, period)["options"]}["II"] == 4  # cp4 2 + 1 + 1
    csv = tmp_path / "e.csv"
    csv.write_text("action,effort\ncp4,5\n", encoding="utf-8")
    effort, _ = read_effort_csv(csv, kb)
    assert {o["tier"]: o["effort"] for o in plan(kb, office, period, extra_effort=effort)["options"]}["II"] == 7


def test_next_steps_are_the_plan_in_stages(kb):
    office, period = bound(kb, R7)
    p = plan(kb, office, period)
    steps = p["next_steps"]
    assert [s["reaches"] for s in steps] == ["II", "I"]
    assert [a["id"] for a in steps[0]["actions"]] == ["cp4", "visibility", "pledge.workplace"]
    assert (steps[0]["gain_added"], steps[0]["gain_per_effort"]) == (18_648, 6216.0)
    assert [a["id"] for a in steps[1]["actions"]] == ["cp5"] and steps[1]["gain_added"] == 24_243 - 18_648
    assert steps[-1]["cumulative_effort"] == p["chosen_effort"] == sum(s["effort"] for s in steps)
    chosen = next(o for o in p["options"] if o["tier"] == p["chosen"])
    assert sorted(a["id"] for s in steps for a in s["actions"]) == sorted(chosen["missing"])


def test_r8_budget_picks_best_yen_and_stages_by_ratio(kb):
    office, period = bound(kb, R8B)
    p = plan(kb, office, period, budget=1)
    gains = {o["tier"]: o["gain"] for o in p["options"]}
    assert gains == {"I-ro": 20_851, "II-ro": 13_901, "I-i": 6_951}
    assert p["chosen"] == "II-ro"                      # 13,901 beats Ⅰイ's 6,951 at effort 1
    full = plan(kb, office, period)
    assert full["chosen"] == "I-ro" and full["chosen_effort"] == 2
    assert [s["reaches"] for s in full["next_steps"]] == ["II-ro", "I-ro"]
    assert full["next_steps"][1]["gain_added"] == 20_851 - 13_901


def test_rate_points_when_yen_unknown(kb):
    office, period = bound(kb, R7, region=None)
    p = plan(kb, office, period)
    assert p["gain_basis"] == "rate_pct" and p["yen_per_month"] is None
    assert {o["tier"]: o["gain"] for o in p["options"]} == {"I": 1.3, "II": 1.0}
    assert any("gains are in rate points" in w for w in p["warnings"])
    assert p["chosen"] == "I"


def test_no_higher_tier(kb):
    office, period = bound(kb, R7)
    office = office.with_changes(met=office.met | {"cp4", "cp5", "visibility"}, pledged=frozenset({"workplace"}))
    p = plan(kb, office, period)
    assert p["highest"] == "I" and p["options"] == [] and p["chosen"] is None and p["next_steps"] == []


def test_cli_plan_table_and_json():
    r = run("plan", R7, "--effort", EFFORT, "--budget", "7")
    assert r.exit_code == 0, r.output
    assert "推奨: Ⅱ（工数 7、月額 +18,648円）" in r.output and "1工数あたり 2,664円" in r.output
    d = plan_json(R7, "--budget", "3")
    assert d["chosen"] == "II" and d["budget"] == 3 and d["rules_overlays"] == []
    en = run("plan", R7, "--lang", "en")
    assert "Recommended: I (effort 4, +24,243 yen a month)" in en.output


# --------------------------------------------------------------------------- effort CSV

def test_shift_jis_japanese_header(kb, tmp_path):
    f = tmp_path / "e.csv"
    f.write_bytes("取組,工数\ncp4,5\nworkplace.21,2\n".encode("shift_jis"))
    assert read_effort_csv(f, kb)[0] == {"cp4": 5, "workplace.21": 2}
    g = tmp_path / "g.csv"
    g.write_bytes("\ufeffeffort,action\n3,pledge.cp4\n\n".encode("utf-8"))
    assert read_effort_csv(g, kb)[0] == {"pledge.cp4": 3}


@pytest.fixture
def english():
    """The library's messages in English (the default is Japanese), for the tests matching them."""
    set_lang("en")
    yield
    set_lang(None)


@pytest.mark.parametrize("text, where, words", [
    ("action,effort\ncp4,5\ncp99,1\n", "row 3", "unknown action 'cp99'"),
    ("action,effort\ncp4,abc\n", "row 2", "whole number"),
    ("action,effort\ncp4,0\n", "row 2", "whole number"),
    ("action,effort\ncp4,1\ncp4,2\n", "row 3", "given twice (first on row 2)"),
    ("action,effort\ncp4\n", "row 2", "expected 2 columns"),
    ("name,cost\ncp4,1\n", "row 1", "header must name"),
])
def test_bad_rows_name_the_row(kb, tmp_path, english, text, where, words):
    f = tmp_path / "e.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CarekbError) as e:
        read_effort_csv(f, kb)
    assert str(e.value).startswith(f"{f}: {where}: ") and words in str(e.value)


def test_workplace_number_outside_the_period_list(kb, tmp_path, english):
    f = tmp_path / "e.csv"
    f.write_text("action,effort\ncp4,1\nworkplace.27,2\n", encoding="utf-8")
    effort, rows = read_effort_csv(f, kb)             # 27 is in the R7 list
    with pytest.raises(CarekbError, match=r"row 3: workplace.27 is not in the R6 item list"):
        check_in_period(effort, rows, kb, kb.periods["R6"], str(f))


def test_cli_bad_effort_csv_exit_2_one_line(tmp_path):
    f = tmp_path / "e.csv"
    f.write_text("取組,工数\ncp4,5\nvisibility,-1\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["plan", str(R7), "--effort", str(f), "--lang", "en"])
    assert r.exit_code == 2
    assert r.output.strip() == f"carekb: error: {f}: row 3: effort must be a whole number from 1 to 1,000,000, got '-1'"
    r = run("plan", R7, "--effort", tmp_path / "none.csv")
    assert r.exit_code == 2 and "ファイルが見つかりません" in r.output
    r = run("plan", R7, "--effort", tmp_path / "none.csv", "--lang", "en")
    assert r.exit_code == 2 and "file not found" in r.output
