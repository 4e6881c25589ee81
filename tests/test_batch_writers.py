"""The batch outputs written from prepared parts (carekb.render.encoded_rows) hold exactly the cells
of the cell-by-cell tables (Summary.row, Actions.rows): CSV byte for byte as the csv module writes
those rows, XLSX cell for cell; past the width sample and across continued sheets; formulas
neutralised; a character CP932 lacks still named by its line; ZIP64 members read back. XLSX rows
encoded and deflated in the workers (XlsxOut.render) hold the same cells, column widths and row
numbers as rows written one by one, for openpyxl and for our own reader."""

import csv
import dataclasses
import datetime as dt
import io
import re
import sys
import zipfile
import zlib

import pytest
from hypothesis import given, settings, strategies as st
from openpyxl import load_workbook

from carekb.app import batch as b
from carekb.app.batch_sheets import Actions, Summary, tier_order
from carekb.model.errors import CarekbError
from carekb.inputs.tabular import read_xlsx
from carekb.render import batch_out, zip_parts
from carekb.render.batch_out import SheetBlock, writer_for
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


@pytest.fixture(scope="module")
def unique_names(tmp_path_factory):
    """N offices whose awkward names are all different (so that a worker cannot find them in the
    shared-string table it inherited), ids with leading zeros, one bad row."""
    d = tmp_path_factory.mktemp("unique")
    write_offices(d / "gen.csv", N, 13)
    rows = list(csv.reader(io.StringIO((d / "gen.csv").read_text(encoding="utf-8"))))
    for i, r in enumerate(rows[1:]):
        r[1] = f"{NAMES[i % len(NAMES)]} {i}" if i % 5 else f"  padded {i}  "
        if i % 7 == 0:
            r[0] = "000" + r[0][3:]
    rows[9][2] = "no-such-service"
    with (d / "in.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return d / "in.csv"


def write_stream(kb, src, out, render: bool, workers: int) -> tuple[dict, int]:
    """`carekb batch` as the CLI runs it (small chunks): rows encoded by `render` in the workers, or
    each added here one by one (the reference)."""
    blocks = 0
    with OutputSet(out.parent) as outputs:
        w = writer_for(out, outputs, kb, b.MODES, notes=["note A"], sheet_rows=700)
        for item in b.stream(kb, b.open_offices(src), workers=workers, chunk=40, render=w.render if render else None):
            if isinstance(item, SheetBlock):
                w.add_block(item)
                blocks += 1
            else:
                w.add(item)
        w.close()
        outputs.publish()
    return w.rows, blocks


@pytest.mark.parametrize("workers,deflate", [(1, "isal"), (2, "isal"), (1, "zlib")])
def test_xlsx_rows_encoded_in_the_workers_are_the_rows_written_here(kb, unique_names, tmp_path, monkeypatch, workers,
                                                                    deflate):
    """workers 1: the render runs here on the live sheets (summary sheets go from the parent's rows to
    segments); 2: on the sheets as forked (summary rows of sheets still sampling come back). Segments
    of 500 rows and sheets of 700: continued sheets begin inside segments, their width samples
    read back from the XML. zlib: no CRC combining, the segments carry the XML itself."""
    monkeypatch.setattr(batch_out, "SEGMENT_ROWS", 500)
    if deflate == "zlib":
        monkeypatch.setattr(zip_parts, "_deflate", zlib)
    for folder in "ab":
        (tmp_path / folder).mkdir()
    want, _ = write_stream(kb, unique_names, tmp_path / "a" / "r.xlsx", render=False, workers=1)
    got, blocks = write_stream(kb, unique_names, tmp_path / "b" / "r.xlsx", render=True, workers=workers)
    assert got == want and blocks > 3 and want["action_sheets"] > 10
    za, zb = (zipfile.ZipFile(tmp_path / d / "r.xlsx") for d in "ab")
    assert zb.testzip() is None and za.namelist() == zb.namelist()
    sheet = re.compile(rb"<worksheet.*?<sheetData>", re.S)   # column widths, panes
    for name in za.namelist():
        if name.startswith("xl/worksheets/"):
            assert sheet.search(za.read(name)).group() == sheet.search(zb.read(name)).group(), name
    inline = sum(zb.read(n).count(b'<c s="4" t="inlineStr">') for n in zb.namelist() if n.startswith("xl/worksheets/"))
    assert inline > 1000   # ids, not in the shared strings the render found (they are written inline)
    wa, wb = (load_workbook(tmp_path / d / "r.xlsx", read_only=True) for d in "ab")
    assert wa.sheetnames == wb.sheetnames
    for n in wa.sheetnames:
        assert list(wa[n].values) == list(wb[n].values), n
    ra, rb = read_xlsx(tmp_path / "a" / "r.xlsx"), read_xlsx(tmp_path / "b" / "r.xlsx")   # with row numbers
    assert all(ra[n].header == rb[n].header and ra[n].rows == rb[n].rows for n in ra)
    ids = {cells[1] for n in rb if n.startswith("不足取組(") for _, cells in rb[n].rows}   # rows from the workers
    assert all(isinstance(i, str) for i in ids) and any(i.startswith("000") for i in ids)
