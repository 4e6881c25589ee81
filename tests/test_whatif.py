"""What-if (changed profiles), --compare-periods and rule overlays, with hand-computed yen.

Yen by hand (solver/yen.py: addition units rounded half up, total truncated once): the example
office has 180,000 units at 6級地, 10.36 yen a unit for 放課後等デイサービス (kb unit price, S):
  base 180,000 × 10.36 = 1,864,800
  Ⅲ 12.1% → 21,780 units; 201,780 × 10.36 = 2,090,440.8 → 2,090,440; addition 225,640
  Ⅱ 13.1% → 23,580 units; 203,580 × 10.36 = 2,109,088.8 → 2,109,088; addition 244,288
"""

import datetime as dt
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from carekb.cli.main import main
from carekb.model.errors import CarekbError
from carekb.graph.kbload import load_kb
from carekb.inputs.profile import check, read_document
from carekb.app.whatif import apply_changes, day_in_period, evaluate_in_period

from conftest import EXAMPLES

R7 = EXAMPLES / "r7-after-school-day.yaml"
HYPO = EXAMPLES / "overlays" / "hypothetical-r8-rate.ttl"
CP4 = EXAMPLES / "overlays" / "cp4-threshold-4.2M.ttl"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def json_of(*args):
    r = run(*args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_example_unit_price_is_the_one_computed_by_hand(kb):
    assert kb.prices[("after-school-day", "6級地")].yen == Decimal("10.36")
    assert kb.rates[("R7", "after-school-day", "II")].pct == Decimal("13.1")


def test_whatif_before_after_hand_computed():
    d = json_of("whatif", R7, "--add", "cp4", "--add", "visibility", "--add", "pledge.workplace")
    before, after = d["before"], d["after"]
    assert (before["highest"], before["yen_per_month"]) == ("III", 225_640)
    assert (after["highest"], after["rate_pct"], after["yen_per_month"]) == ("II", 13.1, 244_288)
    assert d["delta"] == {"highest": ["III", "II"], "period": ["R7", "R7"], "rate_pct": 1.0,
                          "yen_per_month": 18_648, "yen_per_year": 223_776}
    assert [c["action"] for c in d["changes"]] == ["cp4", "visibility", "pledge.workplace"]
    assert [t["tier"] for t in after["targets"]] == ["I"] and after["targets"][0]["missing"] == ["cp5"]


def test_whatif_table_shows_the_difference():
    r = run("whatif", R7, "--add", "cp4", "--add", "visibility", "--add", "pledge.workplace")
    assert r.exit_code == 0, r.output
    assert "Ⅲ → Ⅱ, +18,648円/月（+223,776円/年）" in r.output
    assert "244,288円" in r.output and "不足 3" in r.output
    en = run("whatif", R7, "--add", "cp4", "--add", "visibility", "--add", "pledge.workplace", "--lang", "en")
    assert "III → II, +18,648 yen/month" in en.output


def test_set_takes_yaml_values_and_dotted_keys(kb):
    data, lines, source = read_document(R7)
    new, changes = apply_changes(kb, data, sets=["top_annual_wage=4700000", "office.region=3級地",
                                                "history.shogu=none", "workplace=[1, 3]", "effort.cp3.1a=2"])
    o = check(new, {}, source, kb)
    assert o.top_annual_wage == 4_700_000 and o.region == "3級地" and o.shogu == 0
    assert o.workplace == frozenset({1, 3}) and dict(o.effort)["cp3.1a"] == 2
    assert changes[0] == {"op": "set", "key": "top_annual_wage", "old": 4_300_000, "new": 4_700_000}
    assert data["top_annual_wage"] == 4_300_000  # the document read from the file is not modified


def test_add_and_remove_route_ids_to_their_lists(kb):
    data, _, _ = read_document(R7)
    new, changes = apply_changes(kb, data, adds=["workplace.21", "pledge.cp4", "cp5", "cp1.1"], removes=["cp3.2", "cp4"])
    assert 21 in new["workplace"] and new["pledged"] == ["cp4"] and "cp5" in new["met"]
    assert "cp3.2" not in new["met"]
    notes = {c["action"]: c.get("note") for c in changes}
    assert notes["cp1.1"] == "already in the profile" and notes["cp4"].startswith("not in the profile")


def test_cp4_from_set_wage_changes_the_gap():
    d = json_of("whatif", R7, "--set", "top_annual_wage=4700000")
    before_ii = next(t for t in d["before"]["targets"] if t["tier"] == "II")
    after_ii = next(t for t in d["after"]["targets"] if t["tier"] == "II")
    assert "cp4" in before_ii["missing"] and "cp4" not in after_ii["missing"]
    assert after_ii["missing_count"] == before_ii["missing_count"] - 1


@pytest.mark.parametrize("args, words", [
    (["--add", "cp9"], ["--add", "unknown action 'cp9'"]),
    (["--remove", "workplace.99"], ["--remove", "workplace.99"]),
    (["--set", "top_annual_wage=abc"], ["r7-after-school-day.yaml", "top_annual_wage", "--set", "whole number"]),
    (["--set", "office.region=9級地"], ["office.region", "unknown region grade"]),
    (["--set", "colour=red"], ["unknown key 'colour'"]),
    (["--set", "novalue"], ["--set", "KEY=VALUE"]),
    (["--set", "met.x=1"], ["only office.*"]),
    (["--add", "workplace.26", "--set", "as_of=2024-07-01"], ["item 26 is not in the R6 list"]),
    ([], ["nothing to compare"]),
])
def test_bad_changes_exit_2_with_one_line(args, words):
    r = CliRunner().invoke(main, ["whatif", str(R7), *args, "--lang", "en"])   # the words quote the English catalogue
    assert r.exit_code == 2
    assert r.stdout == "" or r.stdout.startswith("carekb: error:")
    line = r.output.strip()
    assert line.count("\n") == 0 and line.startswith("carekb: error:")
    for w in words:
        assert w in line


# --------------------------------------------------------------------------- periods

def test_day_in_period_clips(kb):
    r7, r8 = kb.periods["R7"], kb.periods["R8"]
    assert day_in_period(r8, dt.date(2025, 7, 1)) == dt.date(2026, 6, 1)
    assert day_in_period(r7, dt.date(2026, 9, 1)) == dt.date(2026, 5, 31)
    assert day_in_period(r7, dt.date(2025, 7, 1)) == dt.date(2025, 7, 1)


def test_compare_periods_r7_r8():
    d = json_of("whatif", R7, "--compare-periods", "R7,R8")
    r7, r8 = d["periods"]
    assert (r7["period"], r7["as_of"], r7["highest"], r7["yen_per_month"]) == ("R7", "2025-07-01", "III", 225_640)
    assert (r8["period"], r8["as_of"], r8["highest"]) == ("R8", "2026-06-01", "III")
    assert r8["as_of_requested"] == "2025-07-01"
    # the KB has no R8 rate for 放課後等デイサービス: unknown, never zero
    assert r8["rate_pct"] is None and r8["yen_per_month"] is None and d["delta"]["yen_per_month"] is None
    assert {t["tier"] for t in r8["targets"]} == {"I-ro", "I-i", "II-ro", "II-i"}


def test_compare_periods_with_hypothetical_rate_overlay():
    # Ⅲ hypothetical 13.8% → 24,840 units; 204,840 × 10.36 = 2,122,142.4 → 2,122,142 − 1,864,800 = 257,342
    d = json_of("whatif", R7, "--compare-periods", "R7,R8", "--rules-overlay", HYPO)
    r8 = d["periods"][1]
    assert r8["rate_pct"] == 13.8 and r8["yen_per_month"] == 257_342
    assert d["delta"]["yen_per_month"] == 257_342 - 225_640
    assert d["rules_overlays"][0]["file"].endswith("hypothetical-r8-rate.ttl")
    assert any("rules overlay in effect" in w for w in d["warnings"])


def test_compare_periods_table_shows_dates_used():
    r = run("whatif", R7, "--compare-periods", "R7,R8")
    assert r.exit_code == 0, r.output
    assert "2026-06-01" in r.output and "プロファイルの判定日: 2025-07-01" in r.output


def test_compare_periods_errors():
    r = run("whatif", R7, "--compare-periods", "R7,R9")
    assert r.exit_code == 2 and "期間 'R9' は不明です（既知の期間: " in r.output and "R8" in r.output
    r = run("whatif", R7, "--compare-periods", "R7,R9", "--lang", "en")
    assert r.exit_code == 2 and "unknown period 'R9' (known: " in r.output and "R8" in r.output
    r = run("whatif", R7, "--compare-periods", "R6,R7", "--lang", "en")
    assert r.exit_code == 2 and "workplace item numbers differ between lists" in r.output
    r = run("whatif", R7, "--compare-periods", "R6,R7")
    assert r.exit_code == 2 and "職場環境等要件の項目番号は一覧によって異なります" in r.output


def test_evaluate_in_period_works_off_kb_periods(kb):
    from carekb.inputs.profile import load_office

    o = load_office(R7, kb).with_changes(workplace=frozenset(), effort=())
    for pid, period in kb.periods.items():  # every period the KB knows, whatever it is called
        ev = evaluate_in_period(kb, o, pid)
        assert ev.period.id == pid and period.covers(ev.office.as_of)


# --------------------------------------------------------------------------- overlays

def test_overlay_changes_kb_version_and_rates():
    base, hypo = load_kb(), load_kb(overlays=[HYPO])
    assert base.version != hypo.version
    assert ("R8", "after-school-day", "III") not in base.rates
    rate = hypo.rates[("R8", "after-school-day", "III")]
    assert rate.pct == Decimal("13.8") and rate.cited.confidence == "U"
    assert base.rates == {k: v for k, v in hypo.rates.items() if k[1] != "after-school-day" or k[0] != "R8"}


def test_overlay_threshold_flips_cp4_in_gap():
    plain = json_of("gap", R7)
    low = json_of("gap", R7, "--rules-overlay", CP4)
    ii = lambda d: next(t for t in d["targets"] if t["tier"] == "II")  # noqa: E731
    assert "cp4" in ii(plain)["missing"] and "cp4" not in ii(low)["missing"]
    assert plain["kb_version"] != low["kb_version"]
    assert plain["rules_overlays"] == [] and low["rules_overlays"][0]["file"].endswith("cp4-threshold-4.2M.ttl")


def test_overlay_replaces_values_not_adds(kb):
    low = load_kb(overlays=[CP4])
    r7 = next(f for f in low.derived["R7"] if f.requirement == "cp4")
    assert r7.condition == ("field", "top_annual_wage", "ge", 4_200_000)
    assert sum(1 for f in low.derived["R7"] if f.requirement == "cp4") == 1
    assert r7.cited.confidence == "U" and "hypothetical" in r7.label_en


def test_overlay_on_tiers_and_whatif():
    d = json_of("tiers", R7, "--as-of", "2026-07-01", "--rules-overlay", HYPO)
    assert d["rate_pct"] == 13.8 and d["yen_per_month"] == 257_342
    d = json_of("whatif", R7, "--add", "cp5", "--rules-overlay", HYPO, "--rules-overlay", CP4)
    assert len(d["rules_overlays"]) == 2


def test_malformed_overlay_names_file_line_column(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ck: <https://w3id.org/carekb/vocab#> .\n# 注記\nck:x ck:y "日本" ;\n ck:z  .\n', encoding="utf-8")
    for cmd in (["gap"], ["tiers"], ["whatif", "--add", "cp4"], ["plan"]):
        r = CliRunner().invoke(main, [cmd[0], str(R7), *cmd[1:], "--rules-overlay", str(bad), "--lang", "en"])
        assert r.exit_code == 2
        assert r.output.strip() == f"carekb: error: {bad}: line 4, column 6: not valid Turtle: objectList expected"
    r = run("gap", R7, "--rules-overlay", tmp_path / "missing.ttl", "--lang", "en")
    assert r.exit_code == 2 and "missing.ttl: rules overlay not found" in r.output
    r = run("gap", R7, "--rules-overlay", tmp_path / "missing.ttl")
    assert r.exit_code == 2 and "missing.ttl: ルールの上書きファイル（Turtle）が見つかりません" in r.output


def test_overlay_with_endpoint_is_refused():
    r = run("gap", R7, "--endpoint", "http://127.0.0.1:9/sparql", "--rules-overlay", CP4)
    assert r.exit_code == 2 and "--rules-overlay" in r.output


def test_overlay_error_type():
    with pytest.raises(CarekbError):
        load_kb(overlays=[EXAMPLES / "r7-after-school-day.yaml"])
