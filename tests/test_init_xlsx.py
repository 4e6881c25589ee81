"""`carekb init --format xlsx`: a checklist workbook (office facts as labelled cells, a ○/× cell per
requirement, workplace item and pledge of the period) that every profile command reads back as the
equivalent YAML profile; a damaged or oddly filled checklist is one line naming the sheet and cell."""

from __future__ import annotations

import datetime as dt
import json
import re

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from carekb.cli.main import main
from carekb.i18n import t
from carekb.inputs import normalize
from carekb.inputs.profile import REGION_GRADES
from carekb.model.dates import parse_date

from test_i18n import english_words

# two services of each scheme (障害福祉, 介護保険), under the R7 and the R8 rules
CASES = [("生活介護", "2026-07-01"), ("放課後等デイサービス", "2025-07-01"), ("訪問介護", "2025-07-01"),
         ("通所介護", "2026-07-01")]
JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _init(tmp_path, service, day, *args, name="office.xlsx"):
    out = tmp_path / name
    r = CliRunner().invoke(main, ["init", service, "--as-of", day, "-o", str(out), *args])
    assert r.exit_code == 0, r.output
    return out


def _run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def _gap(path, *args):
    r = _run("gap", path, "--format", "json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output.replace(str(path), "PROFILE"))


def _rows(ws):
    """Row number of each value of the key (事業所) or ID (チェックリスト) column."""
    col = 4 if ws.max_column == 4 else 3
    return {ws.cell(r, col).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value is not None}


def _fill(path, facts: dict, marks: dict):
    """Write office facts (by profile key) and marks (by action id) as a consultant would, with openpyxl."""
    wb = openpyxl.load_workbook(path)
    office, checklist = wb.worksheets
    keys, ids = _rows(office), _rows(checklist)
    for key, value in facts.items():
        office.cell(keys[key], 2).value = value
    for action, mark in marks.items():
        checklist.cell(ids[action], 4).value = mark
    wb.save(path)
    return ids


def _chosen(kb, service, day):
    """Facts and marks for a plausible office: career paths I–III in place, three items per category and the
    period's first pledge; marks written every way a consultant may (○, はい, ✓, ×, いいえ)."""
    skb = kb.for_service(normalize.service(kb, service))
    period = skb.period_at(parse_date(day))
    atoms = [r.id for r in skb.requirements.values()
             if not r.composite and (not r.periods or period.id in r.periods) and r.id.startswith(("cp1", "cp2", "cp3", "wage.1"))]
    items, seen = [], {}
    for it in skb.items[period.item_list].values():   # the first three of every category
        seen[it.category] = seen.get(it.category, 0) + 1
        if seen[it.category] <= 3:
            items.append(it.number)
    pledges = [p.id for p in skb.pledges.get(period.id, ())][:1]
    yes = ["○", "はい", "✓", "〇"]
    marks = {a: yes[k % len(yes)] for k, a in enumerate(atoms)}
    marks |= {f"workplace.{n}": "○" for n in items} | {f"pledge.{p}": "○" for p in pledges}
    marks["visibility"] = "×"
    marks["cp5"] = "いいえ"
    facts = {"office.name": "ひまわり", "office.id": "0123456789", "office.employees": "12",
             "office.region": "6級地", "office.monthly_units": "100,000", "history.shogu": "1",
             "history.tokutei": "なし", "history.baseup": "○", "top_annual_wage": "450万円"}
    profile = {"version": 1, "office": {"id": "0123456789", "name": "ひまわり", "service": service, "employees": 12,
                                        "region": "6級地", "monthly_units": 100000},
               "as_of": day, "history": {"shogu": 1, "tokutei": "none", "baseup": True},
               "met": atoms, "top_annual_wage": 4500000, "workplace": items, "pledged": pledges}
    return facts, marks, profile


@pytest.mark.parametrize("service,day", CASES)
def test_gap_reads_the_filled_checklist_as_the_equivalent_yaml(tmp_path, kb, service, day):
    path = _init(tmp_path, service, day)
    empty = _gap(path)
    assert empty["service"] == normalize.service(kb, service) and empty["as_of"] == day
    assert empty["highest"] is None                  # nothing marked: nothing in place
    facts, marks, profile = _chosen(kb, service, day)
    _fill(path, facts, marks)
    twin = tmp_path / "office.yaml"
    twin.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    filled = _gap(path)
    assert filled["highest"] is not None            # the marks were read: a tier is attained
    assert filled["office"] == "0123456789"          # read as text: the leading zero stays
    for args in [(), ("--no-pledge",)]:
        assert _gap(path, *args) == _gap(twin, *args)      # paths replaced by PROFILE
    for cmd, *more in (["tiers"], ["plan"], ["whatif", "--add", "visibility"], ["explain", "Ⅲ"]):
        outputs = [_run(cmd, p, *more, "--format", "json") for p in (path, twin)]
        assert outputs[0].exit_code == 0 and outputs[0].output.replace(str(path), "P") == outputs[1].output.replace(str(twin), "P"), cmd


def test_the_checklist_lists_the_periods_ids_with_the_kbs_labels(tmp_path, kb):
    path = _init(tmp_path, "生活介護", "2026-07-01")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["事業所", "チェックリスト"]
    office, checklist = wb.worksheets
    assert [c.value for c in office[1]] == ["項目", "値", "説明", "キー"]
    assert [c.value for c in checklist[1]][:4] == ["No.", "区分", "ID", "記入（○/×）"]
    skb = kb.for_service("daily-life-care")
    period = skb.periods["R8"]
    rows = {checklist.cell(r, 3).value: [c.value for c in checklist[r]] for r in range(2, checklist.max_row + 1)}
    for r in skb.requirements.values():
        if not r.composite and (not r.periods or "R8" in r.periods):
            assert rows[r.id][4].startswith(r.label_ja), r.id
            assert rows[r.id][7] == r.cited.confidence
    for it in skb.items[period.item_list].values():
        assert it.label_ja.split()[0] in rows[f"workplace.{it.number}"][4]
        assert rows[f"workplace.{it.number}"][5] == skb.categories[it.category][0]
    for p in skb.pledges["R8"]:
        assert p.deadline.isoformat() in rows[f"pledge.{p.id}"][4]
    n = checklist.max_row - 2
    assert [checklist.cell(r, 1).value for r in range(2, checklist.max_row + 1)] == [*range(1, n + 1), "以上"]
    assert checklist.cell(checklist.max_row, 3).value == n      # the count that catches a deleted last row
    values = {office.cell(r, 4).value: office.cell(r, 2).value for r in range(2, office.max_row + 1)}
    assert values["office.service"] == "生活介護" and values["as_of"] == "2026-07-01"
    assert values["office.employees"] is None        # unknown until filled in, never 0
    notes = {office.cell(r, 4).value: office.cell(r, 3).value for r in range(2, office.max_row + 1)}
    assert notes["office.region"] == t("init.region", "ja", grades="、".join(REGION_GRADES))   # the YAML profile's notes
    assert "引用符" not in notes["office.id"]           # but YAML's advice to quote the number
    # Japanese labels: no English sentence in what a consultant reads (ids and sources aside)
    text = "\n".join(str(checklist.cell(r, c).value or "") for r in range(2, checklist.max_row) for c in (2, 5, 6))
    text += "\n" + "\n".join(str(office.cell(r, 1).value) for r in range(2, 15))
    assert not english_words(text, skb), english_words(text, skb)


def test_english_workbook_with_lang_en_reads_back_the_same(tmp_path, kb):
    ja = _init(tmp_path, "訪問介護", "2026-07-01", name="ja.xlsx")
    en = _init(tmp_path, "訪問介護", "2026-07-01", "--lang", "en", name="en.xlsx")
    wb = openpyxl.load_workbook(en)
    assert wb.sheetnames == ["Office", "Checklist"]
    office, checklist = wb.worksheets
    headings = [c.value for c in office[1]] + [c.value for c in checklist[1]]
    labels = [office.cell(r, 1).value for r in range(2, 15)]
    for r in range(2, checklist.max_row):   # kind, category and label, but of workplace items (Japanese only in the KB)
        labels += [checklist.cell(r, 2).value, checklist.cell(r, 6).value]
        if not checklist.cell(r, 3).value.startswith("workplace."):    # the KB's condition after — may quote names
            labels.append(checklist.cell(r, 5).value.split(" — ")[0])
    # no Japanese but a name of the law glossed after its English rendering: "addition (処遇改善加算)"
    assert not [x for x in headings + labels if JA.search(re.sub(r"(?<=[A-Za-z])\s+\([^()]*\)", "", x))]
    assert checklist.cell(checklist.max_row, 1).value == "end"
    assert office.cell(4, 2).value == kb.services["home-help"].label_en
    facts, marks, _ = _chosen(kb, "訪問介護", "2026-07-01")
    _fill(ja, facts, marks)
    _fill(en, facts, marks)
    assert _gap(ja) == _gap(en)


def test_a_japanese_era_date_and_a_text_date_cell_are_read(tmp_path, kb):
    base = _gap(_init(tmp_path, "生活介護", "2026-07-01", name="a.xlsx"))
    for i, written in enumerate(["令和8年7月1日", "2026/7/1", "R8.7.1", dt.datetime(2026, 7, 1)]):   # the last: a date cell
        path = _init(tmp_path, "生活介護", "2025-07-01", name=f"b{i}.xlsx")   # an R7 checklist, date moved to R8
        _fill(path, {"as_of": written}, {})
        got = _gap(path)
        assert got["as_of"] == "2026-07-01" and got["period"] == "R8"
        assert got["targets"] == base["targets"]


def _error(path, *args, lang="ja"):
    r = _run("gap", path, "--lang", lang, *args)
    lines = r.output.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1 and "Traceback" not in r.output, r.output
    return lines[0]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_an_unknown_mark_names_the_sheet_and_cell(tmp_path, lang):
    path = _init(tmp_path, "生活介護", "2026-07-01", "--lang", lang)
    ids = _fill(path, {}, {"cp1.1": "○", "cp2.2": "△"})
    sheet = t("init.xlsx.sheet_checklist", lang)
    line = _error(path, lang=lang)
    assert f"office.xlsx: {sheet}!D{ids['cp2.2']}: " in line and "'△'" in line
    assert ("○（はい）か ×（いいえ）" if lang == "ja" else "write ○ (yes) or × (no)") in line


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_bad_office_values_name_their_cells(tmp_path, lang):
    path = _init(tmp_path, "生活介護", "2026-07-01")
    wb = openpyxl.load_workbook(path)
    keys = _rows(wb.worksheets[0])
    _fill(path, {"as_of": "令和8年2月30日", "office.employees": "たくさん", "history.shogu": "5"}, {})
    r = _run("gap", path, "--lang", lang)
    assert r.exit_code == 2 and "Traceback" not in r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 3, r.output         # every problem at once, one line each
    for key in ("as_of", "office.employees", "history.shogu"):
        assert any(f"office.xlsx: 事業所!B{keys[key]}: " in x for x in lines), (key, r.output)
    assert ("2026年2月は28日まで" if lang == "ja" else "2026-02 has 28 days") in r.output


def test_a_deleted_row_is_reported_not_read_as_not_met(tmp_path):
    path = _init(tmp_path, "生活介護", "2026-07-01")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[1]
    ids = _rows(ws)
    ws.delete_rows(ids["cp3.2"])
    wb.save(path)
    line = _error(path)
    assert f"チェックリスト!A2:A{ws.max_row}: " in line and f"No. {ids['cp3.2'] - 1} の行がありません" in line
    # the last row before 以上 too: the count in the 以上 row catches it
    path = _init(tmp_path, "生活介護", "2026-07-01", name="last.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[1]
    ws.delete_rows(ws.max_row - 1)
    wb.save(path)
    assert f"No. {ws.max_row - 1} の行がありません" in _error(path)
    # the 以上 row itself
    ws.delete_rows(ws.max_row)
    wb.save(path)
    assert "「以上」の行がありません" in _error(path)


def test_a_deleted_office_row_and_sorted_rows(tmp_path, kb):
    path = _init(tmp_path, "生活介護", "2026-07-01")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.delete_rows(_rows(ws)["office.employees"])
    wb.save(path)
    line = _error(path, lang="en")
    assert "office.xlsx: 事業所!D2:D14: " in line and "'regular employees'" in line
    # rows sorted by category (the autofilter allows it) read the same as in the order written
    path = _init(tmp_path, "生活介護", "2026-07-01", name="sorted.xlsx")
    facts, marks, _ = _chosen(kb, "生活介護", "2026-07-01")
    _fill(path, facts, marks)
    before = _gap(path)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[1]
    rows = [[c.value for c in ws[r]] for r in range(2, ws.max_row + 1)]
    for r, values in enumerate(sorted(rows, key=lambda v: str(v[5])), start=2):
        for c, v in enumerate(values, start=1):
            ws.cell(r, c).value = v
    wb.save(path)
    assert _gap(path) == before


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_missing_sheet_or_column(tmp_path, lang):
    path = _init(tmp_path, "生活介護", "2026-07-01")
    wb = openpyxl.load_workbook(path)
    wb.worksheets[1].cell(1, 4).value = "実施"
    wb.save(path)
    line = _error(path, lang=lang)
    assert "office.xlsx: チェックリスト!1:1: " in line and "記入（○/×）" in line
    del wb["チェックリスト"]
    wb.save(path)
    line = _error(path, lang=lang)
    assert line.endswith(t("init.xlsx.missing_sheet", lang, sheet="チェックリスト / Checklist"))


def test_init_xlsx_arguments(tmp_path):
    r = _run("init", "生活介護", "--format", "xlsx")
    assert r.exit_code == 2 and "-o FILE.xlsx" in r.output
    r = _run("init", "生活介護", "--format", "xlsx", "-o", tmp_path / "x.yaml")
    assert r.exit_code == 2 and ".xlsx" in r.output and not (tmp_path / "x.yaml").exists()
    path = _init(tmp_path, "生活介護", "2026-07-01")
    r = _run("init", "生活介護", "-o", path)
    assert r.exit_code == 2 and "--force" in r.output
    assert _run("init", "生活介護", "-o", path, "--force").exit_code == 0
