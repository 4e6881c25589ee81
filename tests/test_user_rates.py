"""User-supplied rates (--rates FILE.csv) and `carekb services --unknown-rates`."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

import carekb
from carekb.model.errors import CarekbError
from carekb.cli.main import main
from carekb.i18n import set_lang
from carekb.inputs.user_rates import read_rates_csv, unknown_rates, with_user_rates

from conftest import EXAMPLES

RATES = EXAMPLES / "rates" / "r8-employment-a-hypothetical.csv"
# 就労継続支援A型 on R8: the KB knows none of its R8 rates (research-notes-r8: not found).
OFFICE = {"version": 1, "office": {"service": "employment-a", "region": "3級地", "monthly_units": 320000},
          "as_of": "2026-07-01", "met": ["wage.1", "cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1a", "cp2.2", "cp3.1c", "cp3.2",
                                          "visibility", "tokurei.wage"],
          "top_annual_wage": 4200000, "workplace": [1, 2, 3, 5, 6, 9, 10, 14, 15, 18, 19, 20, 21, 25]}


@pytest.fixture
def english():
    """The library's messages in English (the default is Japanese), for the tests matching them."""
    set_lang("en")
    yield
    set_lang(None)


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_rates_change_the_yen_and_the_ranking_and_say_they_are_user_supplied(kb):
    assert not any(k[:2] == ("R8", "employment-a") for k in kb.rates)
    before = carekb.tiers(OFFICE, kb=kb).to_dict()
    after = carekb.tiers(OFFICE, kb=kb, rates=RATES).to_dict()
    # unknown rates: nominal order, no yen; the file's rates: ordered by rate (Ⅱロ 10.2 above Ⅰイ 10.0)
    assert [t["tier"] for t in before["tiers"]] == ["I-ro", "I-i", "II-ro", "II-i", "III", "IV"]
    assert [t["tier"] for t in after["tiers"]] == ["I-ro", "II-ro", "I-i", "II-i", "III", "IV"]
    assert before["yen_per_month"] is None and after["yen_per_month"] > 0
    assert all(t["rate_confidence"] == "user" for t in after["tiers"])
    assert after["kb_version"] != before["kb_version"] and after["kb_version"].startswith(before["kb_version"] + "+rates-")
    assert after["user_rates"] == [{"file": str(RATES), "sha256": after["kb_version"].rsplit("-", 1)[1]}]
    assert any("is user-supplied: 9.8% (hypothetical example (not the 告示)" in w and "row 7" in w
               for w in after["warnings"])
    gap = carekb.gap(OFFICE, kb=kb, rates=RATES).to_dict()
    assert {t["tier"]: t["rate_source"]["confidence"] for t in gap["targets"]} == {"I-ro": "user", "II-ro": "user",
                                                                                 "I-i": "user"}
    assert all(t["yen_per_month_gain"] > 0 for t in gap["targets"])


def test_every_evaluating_command_takes_rates(tmp_path):
    profile = tmp_path / "a.yaml"
    profile.write_text(json.dumps(OFFICE, ensure_ascii=False), encoding="utf-8")
    for args in (["gap"], ["tiers"], ["explain", profile, "I-ro"], ["whatif", "--add", "cp5"], ["plan"]):
        cmd = [args[0], profile, *args[1:]] if args[0] != "explain" else args
        r = cli(*cmd, "--rates", RATES, "--format", "json")
        assert r.exit_code == 0, (cmd, r.output)
        d = json.loads(r.output)
        assert "+rates-" in json.dumps(d) and d["user_rates"][0]["file"] == str(RATES)
    offices = tmp_path / "offices.csv"
    offices.write_text("事業所番号,サービス,地域区分,月の総単位数,判定日,満たしている要件,職場環境等要件の項目\n"
                       "A1,employment-a,3級地,320000,2026-07-01,wage.1 cp1.1 cp1.2 cp1.3 cp2.1 cp2.1a cp2.2,"
                       "1 2 5 9 14 18 19 25\n", encoding="utf-8")
    out = tmp_path / "out.json"
    r = cli("batch", offices, "--out", out, "--rates", RATES, "-q")
    assert r.exit_code == 0, r.output
    (row,) = json.loads(out.read_text(encoding="utf-8"))
    assert "+rates-" in row["kb_version"] and row["highest"] == "IV" and row["rate_pct"] == 7.0


@pytest.mark.parametrize("text,message", [
    ("period,service,tier\nR8,employment-a,Ⅰロ\n", "header must name the columns period,service,tier,rate_pct"),
    ("period,service,tier,rate_pct\nR8,employment-a,Ⅰロ,abc\n", "row 2: rate_pct must be a percentage"),
    ("period,service,tier,rate_pct\nR8,employment-a,Ⅰロ,0\n", "row 2: rate_pct must be a percentage"),
    ("period,service,tier,rate_pct\nR8,employment-a,Ⅰロ,10\nR8,employment-a,I-ro,11\n", "row 3: R8 employment-a I-ro given twice"),
    ("period,service,tier,rate_pct\nR9,employment-a,Ⅰロ,10\n", "row 2: unknown period 'R9'"),
    ("period,service,tier,rate_pct\nR8,nowhere,Ⅰロ,10\n", "row 2: "),
    ("period,service,tier,rate_pct\nR8,employment-a,Ⅴ,10\n", "row 2: "),
    ("period,service,tier,rate_pct\nR8,employment-a,,10\n", "row 2: tier is empty"),
    ("period,service,tier,rate_pct\n", "no rate rows"),
])
def test_a_bad_row_is_one_line_naming_file_and_row(kb, tmp_path, english, text, message):
    f = tmp_path / "rates.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CarekbError, match=message.replace("(", r"\(")) as e:
        read_rates_csv(f, kb)
    assert str(e.value).startswith(f"{f}: ")
    r = cli("gap", "examples/r8-employment-b.yaml", "--rates", f)
    assert r.exit_code == 2 and r.output.count("\n") == 1 and r.output.startswith(f"carekb: error: {f}: ")


def test_bom_and_shift_jis_files(kb, tmp_path):
    text = "period,service,tier,rate_pct,source\nR8,就労継続支援A型,Ⅰロ,10.4,告示第5号\n"
    for name, data in (("bom.csv", "\ufeff" + text), ("sjis.csv", text)):
        f = tmp_path / name
        f.write_bytes(data.encode("utf-8") if name == "bom.csv" else data.encode("cp932"))
        (row,) = read_rates_csv(f, kb)
        assert (row.period, row.service, row.tier, str(row.pct), row.source) == ("R8", "employment-a", "I-ro", "10.4",
                                                                                "告示第5号")


def test_unknown_rates_csv_round_trips_into_rates(kb, tmp_path):
    r = cli("services", "--unknown-rates", "--period", "R8")
    assert r.exit_code == 0
    rows = list(csv.reader(io.StringIO(r.output)))
    assert rows[0] == ["period", "service", "tier", "rate_pct", "source"]
    assert ["R8", "employment-a", "II-ro", "", ""] in rows and not any(x[1] == "employment-b" for x in rows[1:])
    assert len(rows) - 1 == len(unknown_rates(kb, "R8"))
    filled = [rows[0]] + [[p, s, t, "9.9", "test fill"] for p, s, t, _, _ in rows[1:] if s == "employment-a"]
    f = tmp_path / "filled.csv"
    f.write_text("\n".join(",".join(x) for x in filled) + "\n", encoding="utf-8")
    k = with_user_rates(kb, f)
    assert not any(s == "employment-a" for _, s, _ in unknown_rates(k, "R8"))
    assert len(unknown_rates(k, "R8")) == len(unknown_rates(kb, "R8")) - 6
    everything = cli("services", "--unknown-rates")
    assert everything.output.count("\n") - 1 == len(unknown_rates(kb))
