"""`carekb batch`: template round trip, encodings, XLSX in and out, mixed good and bad rows,
file-level errors that leave no output, and equality with `carekb gap --format json`.
(Rows never lost, damaged inputs, publishing and kills: tests/test_batch_safety.py.)"""

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from carekb.app import batch as b
from carekb.cli.main import main
from carekb.model.errors import CarekbError
from carekb.app.batch_columns import staff_by_office, row_profile, OFFICE_COLUMNS
from carekb.inputs.tabular import decode, read_csv, read_table

from conftest import EXAMPLES, ROOT

OFFICES = EXAMPLES / "batch" / "offices.csv"
OFFICES_SJIS = EXAMPLES / "batch" / "offices-sjis.csv"
DATA = ROOT / "tests" / "data" / "batch"
# rows of examples/batch/offices.csv that are the YAML examples, by office id
SAME_AS_YAML = {"1312345678": "r7-after-school-day.yaml", "2012300001": "r6-employment-b-v-tier.yaml",
                "2012300002": "r8-employment-b.yaml", "1410000003": "r7-short-stay.yaml",
                "1310000004": "r7-group-home-wage2.yaml", "1330000005": "r8-consult-plan.yaml"}


def run(*args):
    return CliRunner().invoke(main, ["batch", *[str(a) for a in args]])


def batch_json(tmp_path, src, *extra, name="out.json"):
    out = tmp_path / name
    r = run(src, "--out", out, *extra)
    assert r.exit_code == 0, r.output
    return json.loads(out.read_text(encoding="utf-8"))


def sheet_rows(path, name):
    """The table of a sheet: its header and data rows (the notes below it, after an empty row, left out)."""
    wb = load_workbook(path, read_only=True)
    rows = []
    for r in wb[name].iter_rows(values_only=True):
        if all(c is None for c in r):
            break
        rows.append(list(r))
    wb.close()
    return rows


# --------------------------------------------------------------------------- template


def test_xlsx_template_round_trip(tmp_path):
    tpl = tmp_path / "tpl.xlsx"
    assert run("--template", tpl).exit_code == 0
    wb = load_workbook(tpl)
    assert wb.sheetnames == ["事業所", "職員", "説明"]
    ws = wb["事業所"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["事業所番号", "事業所名", "サービス"]
    notes = [r[0].value for r in wb["説明"].iter_rows(min_row=2)]
    assert all(c.ja in notes for c in OFFICE_COLUMNS)
    # fill in a second office below the example row
    filled = {"事業所番号": "2012300009", "事業所名": "あおぞら第二作業所", "サービス": "employment-b", "地域区分": "5級地",
              "月の総単位数": 250000, "判定日": dt.datetime(2025, 7, 1), "満たしている要件": "wage.1 cp1.1 cp1.2 cp1.3"}
    ws.append([filled.get(h) for h in header])
    wb.save(tpl)
    out = tmp_path / "r.xlsx"
    r = run(tpl, "--out", out)
    assert r.exit_code == 0, r.output
    summary = sheet_rows(out, "集計 R7")
    assert [row[1] for row in summary[1:]] == ["1312345678", "2012300009"]
    assert summary[2][4] == "R7"


def test_csv_template_round_trip(tmp_path):
    tpl = tmp_path / "tpl.csv"
    assert run("--template", tpl).exit_code == 0
    text = tpl.read_bytes().decode("utf-8-sig")
    assert text.startswith("# carekb batch")
    header = next(line for line in text.splitlines() if not line.startswith("#"))
    cols = header.split(",")
    row = {"事業所番号": "1310000006", "事業所名": "はなみずき", "サービス": "居宅介護", "地域区分": "1級地",
           "月の総単位数": "160000", "判定日": "2025-09-01", "満たしている要件": "wage.1、cp1.1、cp1.2、cp1.3"}
    with tpl.open("a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerow([row.get(c, "") for c in cols])
    data = batch_json(tmp_path, tpl)
    assert [d["office"] for d in data] == ["1312345678", "1310000006"]
    assert data[1]["service"] == "home-care" and data[1]["yen_per_month"] is not None


# --------------------------------------------------------------------------- encodings and formats


def test_utf8_bom_and_shift_jis_read_the_same(tmp_path):
    raw = OFFICES.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + raw)
    plain = batch_json(tmp_path, OFFICES, name="a.json")
    assert len(plain) == 8
    assert batch_json(tmp_path, OFFICES_SJIS, name="b.json") == plain
    assert batch_json(tmp_path, bom, name="c.json") == plain
    assert decode(OFFICES_SJIS.read_bytes(), "x")[1] == "cp932"


@pytest.mark.parametrize("raw, offset, line", [
    ("サービス\nemployment-b\n".encode("utf-8") + b"\xff\xfe\n", 26, 3),     # UTF-8 with a broken byte
    ("サービス\n".encode("cp932") + b"employment-b\x81\x7f\n", 21, 2),           # Shift_JIS with a bad trail byte
    (b"service\nemployment-b\xfd\n", 20, 2),                                   # unassigned in CP932
])
def test_bytes_that_are_neither_encoding_name_offset_and_line(tmp_path, raw, offset, line):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(raw)
    out = tmp_path / "r.xlsx"
    r = run(bad, "--out", out, "--lang", "en")
    assert r.exit_code == 2
    assert f"bad.csv: line {line}: neither UTF-8 nor Shift_JIS" in r.stderr and f"at offset {offset} " in r.stderr
    assert not out.exists()


def test_xlsx_in_and_out(tmp_path):
    src = tmp_path / "offices.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "事業所"
    rows = list(csv.reader(io.StringIO(OFFICES.read_text(encoding="utf-8"))))
    ws.append(rows[0])
    for r in rows[1:]:
        # numbers as numbers and dates as dates, as a consultant's workbook holds them
        ws.append([int(c) if c.isdigit() and i != 0 else dt.datetime.fromisoformat(c) if i == 7 else c or None
                   for i, c in enumerate(r)])
    wb.save(src)
    assert batch_json(tmp_path, src, name="x.json") == batch_json(tmp_path, OFFICES, name="c.json")
    out = tmp_path / "r.xlsx"
    assert run(src, "--out", out).exit_code == 0
    assert load_workbook(out, read_only=True).sheetnames == ["集計 R8", "集計 R7", "集計 R6", "不足取組", "エラー"]
    summary = sheet_rows(out, "集計 R7")
    head, first = summary[0], summary[1]
    assert len(summary) == 5
    got = dict(zip(head, first))
    assert got["事業所番号"] == "1312345678" and got["最上位区分 (誓約込み)"] == "Ⅲ" and got["判定日"] == dt.datetime(2025, 7, 1)
    assert got["加算率 (誓約込み)"] == 12.1 and got["月額 (誓約込み)"] == 225_640
    assert got["Ⅱ 不足件数 (誓約込み)"] == 3 and got["Ⅱ 月額増加 (誓約込み)"] == 18_648
    assert got["Ⅱ 不足件数 (誓約なし)"] == 7 and got["Ⅲ 不足件数 (誓約込み)"] == "取得済"
    # only the tiers of the office's period: R7 has no Ⅰイ/Ⅱロ (R8) and no Ⅴ(n) (R6)
    assert not any("Ⅴ" in h or "イ" in h for h in head)
    actions = sheet_rows(out, "不足取組")
    mine = [dict(zip(actions[0], r)) for r in actions[1:] if r[1] == "1312345678" and r[7] == "II" and r[5] == "誓約込み"]
    assert [a["取組ID"] for a in mine] == ["cp4", "visibility", "pledge.workplace"]
    assert mine[1]["取組"] == "見える化要件" and mine[1]["確度"] == "I" and mine[1]["分類"] == "要件"
    assert sheet_rows(out, "エラー") == [["ファイル", "行", "事業所番号", "エラー"]]


def test_csv_output_writes_summary_actions_and_errors(tmp_path):
    out = tmp_path / "r.csv"
    assert run(OFFICES, "--out", out, "--lang", "en").exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    summary = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert len(summary) == 8 and summary[0]["highest (pledges counted)"] == "III"
    assert summary[0]["service"] == "After-school day service" and summary[0]["IV missing (pledges ignored)"] == "attained"
    actions = list(csv.DictReader(io.StringIO((tmp_path / "r-actions.csv").read_bytes().decode("utf-8-sig"))))
    assert {a["id"] for a in actions} >= {"1312345678", "2012300002"}
    assert (tmp_path / "r-errors.csv").exists()
    sj = tmp_path / "s.csv"
    assert run(OFFICES, "--out", sj, "--encoding", "cp932").exit_code == 0
    assert "ひまわり放課後等デイサービス" in sj.read_bytes().decode("cp932")


# --------------------------------------------------------------------------- bad rows, bad files


def test_mixed_good_and_bad_rows(tmp_path):
    out = tmp_path / "r.xlsx"
    r = run(DATA / "mixed.csv", "--out", out, "--lang", "en")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    src = str(DATA / "mixed.csv")
    assert f"{src}: row 3 (id 1300000002): office.service: unknown service '存在しない訪問サービス'" in lines[0]
    assert lines[1].startswith(f"{src}: row 4 (id 1300000003): as_of: impossible date 2025-02-30")
    assert lines[2].startswith(f"{src}: row 5 (id 1300000004): met: unknown requirement 'cp9.9'")
    assert lines[3].startswith(f"{src}: row 6 (id 1300000005): workplace: item 27 is not in the R6 list")
    assert lines[4].startswith(f"{src}: row 8 (id 1300000007): as_of: 2023-04-01 is outside")
    assert lines[-1].startswith("7 offices, 5 errors")
    summary = sheet_rows(out, "summary R7")[1:] + sheet_rows(out, "summary R6")[1:]
    assert [(row[0], row[2]) for row in summary] == [(2, "ひまわり放課後等デイサービス"), (7, "あおぞら作業所")]
    errors = sheet_rows(out, "errors")
    assert [e[1] for e in errors[1:]] == [3, 4, 5, 6, 8]


@pytest.mark.parametrize("content, message", [
    ("id,name\n1,a\n", "missing required column 'サービス'"),
    ("サービス,色\nemployment-b,赤\n", "unknown column '色'"),
    ("サービス,service\nemployment-b,employment-b\n", "are the same field"),
    ("# only comments\n", "no header row"),
])
def test_file_level_error_exits_2_and_writes_nothing(tmp_path, content, message):
    src = tmp_path / "in.csv"
    src.write_text(content, encoding="utf-8")
    for name in ("r.xlsx", "r.csv", "r.json"):
        out = tmp_path / name
        r = run(src, "--out", out, "--lang", "en")
        assert r.exit_code == 2 and message in r.stderr, r.output
        assert len(r.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_write_all_leaves_nothing_when_one_file_fails(tmp_path):
    from carekb.cli.common import write_files_atomically

    with pytest.raises(CarekbError):
        write_files_atomically({tmp_path / "a.csv": b"a", tmp_path / "missing" / "b.csv": b"b"})
    assert list(tmp_path.iterdir()) == []


def test_interrupt_during_the_run_leaves_no_output(tmp_path, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(b, "stream", interrupted)
    out = tmp_path / "r.xlsx"
    r = run(OFFICES, "--out", out)
    assert r.exit_code != 0 and not out.exists() and list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- same answers as `carekb gap`


def test_json_equals_gap_json_per_office(tmp_path):
    data = {d["office"]: d for d in batch_json(tmp_path, OFFICES, "--alternatives")}
    runner = CliRunner()
    for oid, yaml in SAME_AS_YAML.items():
        r = runner.invoke(main, ["gap", str(EXAMPLES / yaml), "--format", "json"])
        assert r.exit_code == 0, r.output
        assert data[oid] == json.loads(r.stdout), oid


def test_without_alternatives_only_the_alternatives_differ(tmp_path):
    fast = batch_json(tmp_path, OFFICES, name="f.json")
    full = batch_json(tmp_path, OFFICES, "--alternatives", name="a.json")
    assert any(t.get("alternatives") for d in full for t in d["targets"])
    for d in full:
        for t in d["targets"]:
            if "alternatives" in t:
                t["alternatives"] = {}
    assert fast == full


def test_as_of_and_no_pledge_apply_to_every_row(tmp_path):
    data = batch_json(tmp_path, OFFICES, "--as-of", "2026-07-01", "--no-pledge")
    assert {d["period"] for d in data} == {"R8"} and {d["pledges"] for d in data} == {"ignored"}


# --------------------------------------------------------------------------- pieces


def test_identical_facts_are_solved_once_and_restamped(kb, tmp_path):
    src = tmp_path / "twins.csv"
    src.write_text("id,name,service,region,monthly_units,as_of,met\n"
                   "1,一号店,employment-b,5級地,100000,2025-07-01,wage.1 cp1.1\n"
                   "2,二号店,employment-b,5級地,100000,2025-07-01,\"cp1.1, wage.1\"\n", encoding="utf-8")
    sheet, cols, roster = b.read_offices(src)
    res = b.run(kb, sheet, cols, roster)
    assert res.evaluated == 1 and not res.errors and res.rows == 2
    (n1, one), (n2, two) = res.results
    assert (n1, one["office"], one["office_name"]) == (2, "1", "一号店")
    assert (n2, two["office"], two["office_name"]) == (3, "2", "二号店")
    assert {k: v for k, v in one.items() if k not in ("office", "office_name")} == \
           {k: v for k, v in two.items() if k not in ("office", "office_name")}


def test_row_profile_reads_lists_booleans_and_circled_items():
    data = row_profile({"office.service": "employment-b", "office.single_office_corp": "はい", "met": "cp1.1、cp1.2, cp1.3 wage.1",
                          "workplace": "① 3、⑱", "history.shogu": "なし", "history.baseup": "いいえ",
                          "office.monthly_units": "180,000", "top_annual_wage": 4300000.0, "pledged": None})
    assert data == {"version": 1, "office": {"service": "employment-b", "single_office_corp": True, "monthly_units": 180000},
                    "met": ["cp1.1", "cp1.2", "cp1.3", "wage.1"], "workplace": [1, 3, 18],
                    "history": {"shogu": "none", "baseup": False}, "top_annual_wage": 4300000}


def test_staff_rows_grouped_by_office():
    sheet, _ = read_csv(DATA / "staff.csv")
    roster = staff_by_office(sheet)
    assert set(roster) == {"1312345678", "1300000002"}
    first, second = roster["1312345678"]
    assert first == {"name": "山田 花子", "role": "保育士", "qualifications": ["保育士", "社会福祉士"], "years_in_corp": 11,
                     "annual_wage_after": 4400000, "annual_wage_before": 4100000}
    assert second == {"role": "児童指導員", "qualifications": ["介護福祉士", "社会福祉士"], "years_in_corp": 3,
                      "annual_wage_after": 3600000}
    assert roster.first_row == {"1312345678": 2, "1300000002": 4}


def test_staff_reach_the_office(kb):
    offices = b.open_offices(DATA / "mixed.csv", DATA / "staff.csv")
    res = b.collect(kb, offices, keep_offices=True, workers=1)
    by_id = {r.office_id: r.office for r in res.items}
    assert [s.name for s in by_id["1312345678"].staff] == ["山田 花子", ""]
    assert [s.annual_wage_after for s in by_id["1312345678"].staff] == [4400000, 3600000]
    assert by_id[""].staff == ()      # a row without an id has no staff rows


def test_staff_for_an_office_not_in_the_table_is_a_row_error(kb, tmp_path):
    staff = tmp_path / "staff.csv"
    staff.write_text("事業所番号,職種\n9999999999,保育士\n", encoding="utf-8")
    sheet, cols, roster = b.read_offices(OFFICES, staff)
    res = b.run(kb, sheet, cols, roster)   # the library speaks Japanese by default
    assert [str(e) for e in res.errors] == [f"{staff}: 2行目（事業所番号 9999999999）: 職員の行が、事業所の表にない事業所番号を指しています"]
    r = run(OFFICES, "--staff", staff, "--out", tmp_path / "r.csv", "--lang", "en")
    assert f"{staff}: row 2 (id 9999999999): staff rows name an office id that is not in the offices table" in r.stderr


def test_progress_lines_on_a_pipe_and_quiet(tmp_path):
    r = run(OFFICES, "--out", tmp_path / "r.json", "--progress")
    assert "carekb batch: 8 行" in r.stderr
    assert "carekb batch: 8 rows" in run(OFFICES, "--out", tmp_path / "r.json", "--progress", "--lang", "en").stderr
    r = run(OFFICES, "--out", tmp_path / "r.json", "--progress", "--quiet")
    assert "carekb batch:" not in r.stderr


def test_read_table_rejects_other_types(tmp_path):
    p = tmp_path / "x.ods"
    p.write_bytes(b"x")
    with pytest.raises(CarekbError, match="表の形式 '.ods' には対応していません"):
        read_table(p)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(CarekbError, match="読める .xlsx のブックではありません"):
        read_table(broken)


def test_rules_overlay_applies_and_is_noted_once_per_row(tmp_path):
    src = tmp_path / "twins.csv"
    row = "after-school-day,6級地,180000,2025-07-01,wage.1 cp1.1 cp1.2 cp1.3 cp2.1 cp2.1a cp2.2 cp3.1a cp3.2,4300000,1 3 5 9 14 18 19 25"
    src.write_text(f"id,service,region,monthly_units,as_of,met,top_annual_wage,workplace\nA,{row}\nB,{row}\n", encoding="utf-8")
    overlay = EXAMPLES / "overlays" / "cp4-threshold-4.2M.ttl"
    base = batch_json(tmp_path, src, name="base.json")
    data = batch_json(tmp_path, src, "--rules-overlay", overlay, name="o.json")
    for d in data:
        assert [o["file"] for o in d["rules_overlays"]] == [str(overlay)]
        assert sum("rules overlay in effect" in w for w in d["warnings"]) == 1
    # 4.3M meets a 4.2M threshold: cp4 is no longer missing for tier II
    ii = lambda d: next(t for t in d["targets"] if t["tier"] == "II")  # noqa: E731
    assert "cp4" in ii(base[0])["missing"] and "cp4" not in ii(data[0])["missing"]


def test_missing_arguments_are_one_line_in_either_language(tmp_path):
    r = run()
    assert r.exit_code == 2 and "事業所の表 OFFICES.csv|xlsx を指定してください" in r.output and "Traceback" not in r.output
    r = run(OFFICES, "--lang", "en")
    assert r.exit_code == 2 and "missing --out RESULT.xlsx|csv|json|parquet" in r.output
    r = run("--template", tmp_path / "t.csv", "--lang", "en")
    assert r.exit_code == 0 and "template written" in r.stderr
