"""The batch outputs written from prepared parts (carekb.render.encoded_rows) hold exactly the cells
of the cell-by-cell tables (Summary.row, Actions.rows): CSV byte for byte as the csv module writes
those rows, XLSX cell for cell; past the width sample and across continued sheets; formulas
neutralised; a character CP932 lacks still named by its line; ZIP64 members read back."""

import csv
import dataclasses
import datetime as dt
import io
import sys
import zipfile
import zlib

import pytest
from hypothesis import given, settings, strategies as st
from openpyxl import load_workbook

from carekb.app import batch as b
from carekb.app.batch_sheets import Actions, Summary, tier_order
from carekb.model.errors import CarekbError
from carekb.render import zip_parts
from carekb.render.batch_out import writer_for
from carekb.render.csv_writer import _cell, row_text
from carekb.render.publish import OutputSet

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from batch_bench import write_offices  # noqa: E402

NAMES = ["=HYPERLINK(\"http://x\",\"y\")", "+81 3", "-5", "-5,000", "@SUM(A1)", "＝全角", 'a "quoted", name',
         "line\nbreak", "\ttab", "㉑—〜", "<tag>&amp;", "普通の事業所", "", "12.50"]
N = 320   # past the 200 rows that set a sheet's column widths


@pytest.fixture(scope="module")
def items(kb, tmp_path_factory):
    """N offices' results (both pledge modes), with awkward names and ids, and one bad row."""
    d = tmp_path_factory.mktemp("offices")
    write_offices(d / "gen.csv", N, 11)
    rows = list(csv.reader(io.StringIO((d / "gen.csv").read_text(encoding="utf-8"))))
    for i, r in enumerate(rows[1:]):
        r[1] = NAMES[i % len(NAMES)]
        if i % 9 == 0:
            r[0] = "00" + r[0][2:]
    rows[5][2] = "no-such-service"
    with (d / "in.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return list(b.stream(kb, b.open_offices(d / "in.csv"), workers=1))


def write(kb, items, out, **options):
    with OutputSet(out.parent) as outputs:
        w = writer_for(out, outputs, kb, b.MODES, notes=["note A"], **options)
        for item in items:
            w.add(item)
        w.close()
        outputs.publish()
    return w.rows


def csv_module(headers, rows, encoding="utf-8-sig") -> bytes:
    """What the writer wrote before rows were prepared in parts: the csv module, cell by cell."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    for r in rows:
        w.writerow([_cell(c) for c in r])
    return buf.getvalue().encode(encoding)


def summary_rows(summary: Summary, items, notes=("note A",)):
    for r in items:
        if isinstance(r, b.OfficeResult):
            row = summary.row(r)
            row[-1] = "; ".join(x for x in [row[-1], *notes] if x)
            yield row


@pytest.mark.parametrize("lang,encoding", [("ja", "utf-8"), ("en", "utf-8"), ("ja", "cp932")])
def test_csv_is_what_the_csv_module_writes_of_the_rows(kb, items, tmp_path, lang, encoding):
    rows = write(kb, items, tmp_path / "r.csv", lang=lang, encoding=encoding)
    enc = "utf-8-sig" if encoding == "utf-8" else "cp932"
    summary, actions = Summary(kb, tier_order(kb), b.MODES, lang), Actions(kb, lang)
    good = [r for r in items if isinstance(r, b.OfficeResult)]
    want_actions = [a for r in good for a in actions.rows(r, b.MODES)]
    if encoding == "cp932":   # the writer's stand-ins for what CP932 lacks (㉑ —  〜)
        from carekb.render.csv_writer import CP932_LOOKALIKES
        conv = lambda rows: [[c.translate(CP932_LOOKALIKES) if isinstance(c, str) else c for c in r] for r in rows]  # noqa: E731
    else:
        conv = lambda rows: rows  # noqa: E731
    assert (tmp_path / "r.csv").read_bytes() == csv_module(summary.headers, conv(summary_rows(summary, items)), enc)
    assert (tmp_path / "r-actions.csv").read_bytes() == csv_module(actions.headers, conv(want_actions), enc)
    assert rows["summary"] == len(good) == N - 1 and rows["actions"] == len(want_actions) and rows["errors"] == 1
    text = (tmp_path / "r.csv").read_bytes().decode(enc)
    assert "'=HYPERLINK" in text and ",-5," in text and "'@SUM" in text


def test_xlsx_cells_are_the_rows_cells_past_the_width_sample_and_across_sheets(kb, items, tmp_path):
    rows = write(kb, items, tmp_path / "r.xlsx", sheet_rows=700)
    wb = load_workbook(tmp_path / "r.xlsx", read_only=True)
    good = [r for r in items if isinstance(r, b.OfficeResult)]
    sheets = {}
    for r in good:   # a summary sheet per scheme and period
        sheets.setdefault((kb.for_service(r.service).scheme, r.period), []).append(r)
    assert len(sheets) > 3
    for (scheme, period), offices in sheets.items():
        okb = kb.for_service(offices[0].service)
        summary = Summary(kb, tier_order(okb, {period}), b.MODES, "ja")
        want = list(summary_rows(summary, offices))
        got = sheet_values(wb[f"集計 {'' if okb is kb else '介護保険サービス '}{period}"], len(summary.headers))
        assert got[0] == summary.headers and len(got) - 1 == len(want)
        assert got[1:] == [[as_read(c) for c in r] for r in want]
    actions = Actions(kb, "ja")
    want = [[as_read(c) for c in a] for r in good for a in actions.rows(r, b.MODES)]
    names = [n for n in wb.sheetnames if n.startswith("不足取組")]
    got = [row for n in names for row in sheet_values(wb[n], len(actions.headers))[1:]]
    assert len(names) == rows["action_sheets"] > 3 and got == want
    cell = next(wb[names[1]].iter_rows(min_row=300, max_row=300))   # a prepared row: types and formats kept
    assert cell[0].data_type == "n" and cell[0].number_format == "#,##0" and cell[1].data_type == "s"


def sheet_values(ws, width: int) -> list[list]:
    out = []
    for r in ws.iter_rows(values_only=True):
        if all(c is None for c in r):
            break      # the notes below the table
        out.append((list(r) + [None] * width)[:width])
    return out


def as_read(v):
    """A value as openpyxl reads it back: dates as datetimes, empty text as no value."""
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    return None if v == "" else v


def test_a_character_cp932_lacks_is_named_by_its_line(kb, items, tmp_path):
    bad = [r for r in items if isinstance(r, b.OfficeResult)][:30]
    bad[20] = dataclasses.replace(bad[20], office_name="絵文字😀")
    line = 1 + 21 + sum(r.office_name.count("\n") for r in bad[:20])    # the header, 21 rows, names on two lines
    assert line > 22
    with pytest.raises(CarekbError, match=rf"r\.csv: 文字 '😀' は cp932 で書けません（{line}行目）"):
        write(kb, bad, tmp_path / "r.csv", encoding="cp932")


def test_zip64_members_read_back(kb, items, tmp_path, monkeypatch):
    monkeypatch.setattr(zip_parts, "ZIP64_LIMIT", 2_000)     # every member and offset past the "4 GiB"
    write(kb, items[:40], tmp_path / "r.xlsx")
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        assert z.testzip() is None and any(i.file_size > 2_000 for i in z.infolist())
    assert load_workbook(tmp_path / "r.xlsx", read_only=True).sheetnames[-1] == "エラー"


def test_without_isal_zlib_deflates_the_same_cells(kb, items, tmp_path, monkeypatch):
    for folder in "ab":
        (tmp_path / folder).mkdir()
    write(kb, items[:40], tmp_path / "a" / "r.xlsx")
    monkeypatch.setattr(zip_parts, "_deflate", zlib)
    write(kb, items[:40], tmp_path / "b" / "r.xlsx")
    a, z = (load_workbook(tmp_path / d / "r.xlsx", read_only=True) for d in "ab")
    assert a.sheetnames == z.sheetnames
    assert all(list(a[n].values) == list(z[n].values) for n in a.sheetnames)


cells = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.dates(), st.booleans(),
                  st.text(alphabet='ab,"\r\n\t =+-@＝＋－＠0123.9 \'あ', max_size=6))


@given(st.lists(cells, max_size=5))
@settings(max_examples=300, deadline=None)
def test_a_row_is_what_the_csv_module_writes_of_its_cells(row):
    """row_text (written for speed) against the csv module over `_cell`, the rule it implements."""
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerow([_cell(c) for c in row])
    assert row_text(row) == buf.getvalue()
