"""`carekb batch` never loses nor alters a row and never crashes: ids stay text, a file of bad rows
still writes its errors, damaged or oversized inputs are refused in one line (or read in bounded
memory), the actions continue past Excel's row limit, and outputs are published whole (umask
honoured, killed runs cleaned up, workers dying with their parent, one publisher at a time).
Each test here failed on the batch of issue #14's report."""

import csv
import datetime as dt
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from carekb.app import batch as b
from carekb.cli.main import main
from carekb.i18n import set_lang
from carekb.inputs.tabular import open_csv, open_table
from carekb.model.errors import CarekbError
from carekb.render import publish
from carekb.render.batch_out import writer_for
from carekb.render.publish import OutputSet
from carekb.render.xlsx_writer import EXCEL_MAX_ROWS, SheetSeries, XlsxWriter

from carekb.solver.vectorized import fork_map, reports

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "bench"))
from offices import generate  # noqa: E402

OFFICES = EXAMPLES / "batch" / "offices.csv"
HEADER = "事業所番号,事業所名,サービス,地域区分,月の総単位数,判定日,満たしている要件"
GOOD = "{id},札幌{n},employment-b,5級地,200000,2025-07-01,wage.1 cp1.1 cp1.2 cp1.3"


@pytest.fixture
def english():
    """The library's messages in English (the default is Japanese), for the tests matching them."""
    set_lang("en")
    yield
    set_lang(None)


def run(*args):
    return CliRunner().invoke(main, ["batch", *[str(a) for a in args]])


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def table_rows(path: Path, name: str) -> list[list]:
    wb = load_workbook(path, read_only=True)
    out = []
    for r in wb[name].iter_rows(values_only=True):
        if all(c is None for c in r):
            break
        out.append(list(r))
    wb.close()
    return out


# --------------------------------------------------------------------------- identifiers stay text

def test_office_numbers_keep_leading_zeros_everywhere(tmp_path):
    src = write_csv(tmp_path / "in.csv", [GOOD.format(id="0112345678", n=1), GOOD.format(id="0000000001", n=2)])
    r = run(src, "--out", tmp_path / "r.json")
    assert r.exit_code == 0, r.output
    assert [d["office"] for d in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))] == ["0112345678", "0000000001"]
    assert run(src, "--out", tmp_path / "r.csv").exit_code == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_bytes().decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["0112345678", "0000000001"]
    actions = list(csv.reader(io.StringIO((tmp_path / "r-actions.csv").read_bytes().decode("utf-8-sig"))))
    assert {r[1] for r in actions[1:]} == {"0112345678", "0000000001"}
    assert run(src, "--out", tmp_path / "r.xlsx").exit_code == 0
    assert [r[1] for r in table_rows(tmp_path / "r.xlsx", "集計 R7")[1:]] == ["0112345678", "0000000001"]
    sheet = zipfile.ZipFile(tmp_path / "r.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="B2" s="4" t="s">', sheet)   # a text cell in a text-formatted (@) column


def test_xlsx_text_id_cell_stays_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(["0112345678", "札幌", "employment-b", "5級地", 200000, dt.datetime(2025, 7, 1), "wage.1"])
    wb.save(tmp_path / "in.xlsx")
    assert run(tmp_path / "in.xlsx", "--out", tmp_path / "r.json").exit_code == 0
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))[0]["office"] == "0112345678"


# --------------------------------------------------------------------------- no good row

@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".json", ".parquet"])
def test_every_row_bad_still_writes_the_errors_and_exits_1(tmp_path, suffix):
    src = write_csv(tmp_path / "in.csv", ["0112345678,札幌,employment-bb,5級地,200000,2025-07-01,wage.1"])
    out = tmp_path / f"r{suffix}"
    r = run(src, "--out", out)
    assert r.exit_code == 1, r.output
    first = r.stderr.splitlines()[0]
    assert first.startswith(f"{src}: 2行目（事業所番号 0112345678）: office.service: ") and "'employment-bb'" in first
    assert out.exists()
    if suffix == ".xlsx":
        assert table_rows(out, "エラー")[1][:3] == [str(src), 2, "0112345678"]
    if suffix == ".csv":
        errors = (tmp_path / "r-errors.csv").read_bytes().decode("utf-8-sig").splitlines()
        assert len(errors) == 2 and "'employment-bb'" in errors[1]


# --------------------------------------------------------------------------- damaged and oversized inputs

def _workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "事業所"
    ws.append(["事業所番号", "サービス", "判定日"])
    ws.append(["0112345678", "employment-b", "2025-07-01"])
    wb.save(path)
    return path


def _rewrite(src: Path, dst: Path, edit) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            zout.writestr(info, data)
    return dst


def _corrupt_deflate(src: Path, dst: Path) -> Path:
    data = bytearray(src.read_bytes())
    info = zipfile.ZipFile(src).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + 40):
        data[i] ^= 0x5A
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize("damage, message", [
    (lambda base, p: _corrupt_deflate(base, p), "not a readable .xlsx workbook (error: Error -3 while decompressing"),
    (lambda base, p: _rewrite(base, p, lambda x: x[: len(x) // 2]), "damaged worksheet after row 0 (ParseError"),
    (lambda base, p: _rewrite(base, p, lambda x: x.replace('r="A2"', 'r="2A"')), "damaged worksheet after row 1 (ValueError"),
    (lambda base, p: _rewrite(base, p, lambda x: x.replace('r="A2"', 'r="AAAAA2"')), "damaged worksheet after row 1 (ValueError"),
])
def test_damaged_xlsx_is_one_line_and_exit_2(tmp_path, damage, message):
    bad = damage(_workbook(tmp_path / "base.xlsx"), tmp_path / "bad.xlsx")
    out = tmp_path / "r.xlsx"
    r = run(bad, "--out", out, "--lang", "en")
    assert r.exit_code == 2 and r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert len(r.stderr.strip().splitlines()) == 1 and message in r.stderr, r.stderr
    assert not out.exists() and not list(tmp_path.glob(".carekb-*"))


def test_a_workbook_claiming_a_million_rows_of_16384_columns_is_read_as_what_it_holds(tmp_path):
    bomb = _rewrite(_workbook(tmp_path / "base.xlsx"), tmp_path / "bomb.xlsx",
                    lambda x: x.replace('<dimension ref="A1:C2" />', '<dimension ref="A1:XFD1048576" />'))
    assert bomb.stat().st_size < 6_000
    t = time.perf_counter()
    sheets = open_table(bomb)
    assert list(next(iter(sheets.values())).rows) == [(2, ["0112345678", "employment-b", "2025-07-01"])]
    assert time.perf_counter() - t < 2


def test_a_part_that_would_inflate_past_the_limit_is_refused(tmp_path, monkeypatch, english):
    import carekb.inputs.tabular as tabular
    monkeypatch.setattr(tabular, "MAX_XLSX_PART_BYTES", 100)
    with pytest.raises(CarekbError, match="would inflate to"):
        open_table(_workbook(tmp_path / "base.xlsx"))


def test_csv_rows_are_streamed_in_bounded_memory(tmp_path):
    src = tmp_path / "big.csv"
    with src.open("w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for i in range(60_000):
            f.write(GOOD.format(id=f"{i:010d}", n=i) + "\n")
    assert src.stat().st_size > 4_000_000
    tracemalloc.start()
    sheet = open_csv(src)
    n = sum(1 for _ in sheet.rows)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 60_000 and peak < 2_000_000, peak   # the old reader held the whole file and every row


def test_a_huge_cell_is_one_line(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "\n" + "1,\"" + "x" * 600_000 + "\",employment-b,,,,\n", encoding="utf-8")
    r = run(src, "--out", tmp_path / "r.csv", "--lang", "en")
    assert r.exit_code == 2 and "not valid CSV: field larger than field limit" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- every row accounted for

def test_actions_continue_on_further_sheets_and_every_row_is_accounted_for(kb, tmp_path):
    lines = [GOOD.format(id=f"01{i:08d}", n=i).replace("200000", str(200000 + i)) for i in range(30)]
    lines[7] = lines[7].replace("employment-b", "no-such-service")
    lines[23] = lines[23].replace("2025-07-01", "2025-02-30")
    src = write_csv(tmp_path / "in.csv", lines)
    modes = b.MODES
    counts = {}
    for suffix in (".xlsx", ".csv"):
        offices = b.open_offices(src)
        with OutputSet(tmp_path) as outputs:
            w = writer_for(tmp_path / f"r{suffix}", outputs, kb, modes, sheet_rows=200)
            stats = b.Batch()
            for item in b.stream(kb, offices, modes=modes, workers=1, chunk=16, stats=stats):
                w.add(item)
            w.close()
            outputs.publish()
        counts[suffix] = w.rows
        assert stats.rows == 30 == w.rows["summary"] + w.rows["errors"]
        assert w.rows["errors"] == 2
    wb = load_workbook(tmp_path / "r.xlsx", read_only=True)
    action_sheets = [n for n in wb.sheetnames if n.startswith("不足取組")]
    assert len(action_sheets) > 2 and action_sheets[1] == "不足取組(2)"
    sizes = [sum(1 for _ in wb[n].iter_rows(values_only=True)) - 1 for n in action_sheets]
    csv_actions = len((tmp_path / "r-actions.csv").read_bytes().decode("utf-8-sig").splitlines()) - 1
    assert sum(sizes) == csv_actions == counts[".xlsx"]["actions"] > 200
    assert max(sizes) == 199   # 200 rows a sheet, header included
    # the summary says where the rest went
    notes = [r[0] for r in wb["集計 R7"].iter_rows(values_only=True) if r and r[0] and isinstance(r[0], str) and "シート" in r[0]]
    assert any("不足取組(2)" in n and f"{len(action_sheets)} シート" in n for n in notes)


def test_the_real_excel_limit(tmp_path):
    """1,048,576 rows a sheet, header included: row 1,048,576 is the last on the first sheet."""
    book = XlsxWriter(tmp_path / "big.xlsx")
    series = SheetSeries(book, "不足取組", ["n"])
    total = EXCEL_MAX_ROWS + 9
    for i in range(total):
        series.append([i])
    book.close()
    with zipfile.ZipFile(tmp_path / "big.xlsx") as z:
        first = z.read("xl/worksheets/sheet1.xml")
        second = z.read("xl/worksheets/sheet2.xml")
        workbook = z.read("xl/workbook.xml").decode()
    assert first.count(b"<row ") == EXCEL_MAX_ROWS and b'<row r="1048576">' in first
    assert second.count(b"<row ") == 1 + total - (EXCEL_MAX_ROWS - 1)
    assert 'name="不足取組(2)"' in workbook


# --------------------------------------------------------------------------- publishing

def test_outputs_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        assert run(OFFICES, "--out", tmp_path / "r.csv").exit_code == 0
        assert run("--template", tmp_path / "t.xlsx").exit_code == 0
    finally:
        os.umask(old)
    for name in ("r.csv", "r-actions.csv", "r-errors.csv", "t.xlsx"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


def test_a_publish_killed_between_renames_is_finished_by_the_next_run(tmp_path, monkeypatch):
    for name in ("r.csv", "r-actions.csv", "r-errors.csv"):
        (tmp_path / name).write_text("old")
    outputs = OutputSet(tmp_path)
    for name in ("r.csv", "r-actions.csv", "r-errors.csv"):
        outputs.path(name).write_text("new")
    real, moved = os.replace, []

    def killed_after_one(a, b_):
        if moved:
            raise KeyboardInterrupt   # stands for SIGKILL: nothing after it runs
        moved.append(b_)
        real(a, b_)
    monkeypatch.setattr(publish.os, "replace", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        outputs.publish()
    monkeypatch.setattr(publish.os, "replace", real)
    # killed half-way: r.csv is new, r-actions.csv not yet (its old file moved aside, the new one not in)
    assert (tmp_path / "r.csv").read_text() == "new" and not (tmp_path / "r-actions.csv").exists()
    OutputSet(tmp_path).discard()   # the next run, to any target in this folder
    assert [(tmp_path / n).read_text() for n in ("r.csv", "r-actions.csv", "r-errors.csv")] == ["new"] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r-actions.csv", "r-errors.csv", "r.csv"]


def test_temporary_files_of_a_killed_run_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".carekb-{dead.stdout.strip()}-abc.partial"
    stale.mkdir()
    (stale / "r.xlsx").write_bytes(b"x" * 1000)
    mine = tmp_path / f".carekb-{os.getpid()}-def.partial"   # a live run's folder is left alone
    mine.mkdir()
    assert run(OFFICES, "--out", tmp_path / "r.json").exit_code == 0
    assert not stale.exists() and mine.exists()


def test_one_publisher_at_a_time(tmp_path):
    outputs = OutputSet(tmp_path)
    outputs.path("r.csv").write_text("new")
    done = threading.Event()
    with publish.locked(tmp_path):
        t = threading.Thread(target=lambda: (outputs.publish(), done.set()))
        t.start()
        time.sleep(0.3)
        assert not done.is_set() and not (tmp_path / "r.csv").exists()
    t.join(5)
    assert done.is_set() and (tmp_path / "r.csv").read_text() == "new"


def test_without_fork_the_work_stays_in_this_process(kb, monkeypatch):
    offices = generate(kb, 60, seed=3)
    want = [s for part in reports(kb, offices, workers=1, chunk=20) for s in part]
    monkeypatch.delattr(os, "fork")
    assert [s for part in reports(kb, offices, workers=2, chunk=20) for s in part] == want


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_a_killed_parent(tmp_path):
    src = tmp_path / "many.csv"
    with src.open("w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for i in range(6000):
            f.write(GOOD.format(id=f"{i:010d}", n=i).replace("200000", str(100000 + i)) + "\n")
    exe = Path(sys.executable).with_name("carekb")
    p = subprocess.Popen([str(exe), "batch", str(src), "--out", str(tmp_path / "r.xlsx"), "--workers", "2", "--quiet"],
                         stderr=subprocess.DEVNULL)

    def ours():
        out = []
        for d in Path("/proc").iterdir():
            try:
                if d.name.isdigit() and str(src).encode() in (d / "cmdline").read_bytes():
                    out.append(int(d.name))
            except OSError:
                pass
        return out
    deadline = time.time() + 60
    while len(ours()) < 2 and time.time() < deadline and p.poll() is None:
        time.sleep(0.05)
    if p.poll() is not None:
        pytest.skip("the run ended before its workers could be seen")
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    deadline = time.time() + 5
    while ours() and time.time() < deadline:
        time.sleep(0.1)
    assert ours() == []
    assert not (tmp_path / "r.xlsx").exists()
    assert run(OFFICES, "--out", tmp_path / "x.json").exit_code == 0   # the next run cleans up
    assert not list(tmp_path.glob(".carekb-*"))


# --------------------------------------------------------------------------- dates as people write them

def test_dates_as_japanese_excel_and_eras_write_them(tmp_path):
    lines = [GOOD.format(id=f"{i}", n=i).replace("2025-07-01", d) for i, d in
             enumerate(["2025/7/1", "令和7年7月1日", "R7.7.1", "R7/7/1", "2025-07-01"])]
    src = write_csv(tmp_path / "in.csv", lines)
    r = run(src, "--out", tmp_path / "r.json")
    assert r.exit_code == 0, r.output
    assert {d["as_of"] for d in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))} == {"2025-07-01"}


# --------------------------------------------------------------------------- the workbook and Parquet

def test_workbook_for_a_consultant(tmp_path):
    out = tmp_path / "r.xlsx"
    assert run(OFFICES, "--out", out).exit_code == 0
    wb = load_workbook(out)
    ws = wb["集計 R7"]
    assert ws.freeze_panes == "D2" and ws.auto_filter.ref.startswith("A1:")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1 and ws.print_title_rows == "$1:$1"
    head = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(head, ws[2])}
    assert row["月額 (誓約込み)"].number_format == '#,##0"円"' and row["月額 (誓約込み)"].value == 225_640
    assert row["判定日"].is_date and row["判定日"].value == dt.datetime(2025, 7, 1)
    assert row["Ⅲ 不足件数 (誓約込み)"].value == "取得済"
    en = tmp_path / "en.xlsx"
    assert run(OFFICES, "--out", en, "--lang", "en").exit_code == 0
    assert load_workbook(en, read_only=True).sheetnames[:2] == ["summary R8", "summary R7"]


def test_parquet_one_row_per_office_tier_and_pledge_mode(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "r.parquet"
    assert run(OFFICES, "--out", out).exit_code == 0
    t = pq.read_table(out)
    assert str(t.schema.field("office_id").type) == "string" and str(t.schema.field("as_of").type) == "date32[day]"
    assert str(t.schema.field("yen_per_month_gain").type) == "int64"
    rows = t.to_pylist()
    mine = [r for r in rows if r["office_id"] == "1312345678"]
    assert {r["pledges"] for r in mine} == {"counted", "ignored"}
    ii = next(r for r in mine if r["tier"] == "II" and r["pledges"] == "counted")
    assert ii["state"] == "target" and ii["missing"] == ["cp4", "visibility", "pledge.workplace"] and ii["yen_per_month_gain"] == 18_648
    assert len({r["row"] for r in rows}) == 8


def test_each_scheme_and_period_has_its_own_summary_sheet(tmp_path):
    src = write_csv(tmp_path / "in.csv", ["0112345678,札幌ホーム,特養,5級地,900000,令和8年7月1日,",
                                          GOOD.format(id="0212345678", n=2)])
    out = tmp_path / "r.xlsx"
    assert run(src, "--out", out, "--workers", "1").exit_code == 0
    names = load_workbook(out, read_only=True).sheetnames
    assert "集計 介護保険サービス R8" in names and "集計 R7" in names   # 介護 R8 and 障害 R7 tiers differ
    assert table_rows(out, "集計 介護保険サービス R8")[1][1] == "0112345678"


def test_a_row_with_several_problems_is_one_error_line(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,service,as_of,met,employees\n1,employment-b,2025-12-01,cp9.9,-5\n", encoding="utf-8")
    r = run(src, "--out", tmp_path / "r.csv", "--workers", "1")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{src}: 2行目（事業所番号 1）: office.employees: ") and " / met: " in lines[0]
    r = run(src, "--out", tmp_path / "r.csv", "--workers", "1", "--lang", "en")
    assert r.stderr.startswith(f"{src}: row 2 (id 1): office.employees: ")
    errors = list(csv.reader(io.StringIO((tmp_path / "r-errors.csv").read_bytes().decode("utf-8-sig"))))
    assert len(errors) == 2 and "\n" not in errors[1][3]


def _default_sigterm(_span) -> bool:
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_workers_stop_on_sigterm_whatever_the_parent_handles():
    """Pool.terminate() stops idle workers with SIGTERM: a worker running the CLI's clean-exit
    handler instead could hang on a lock at exit (seen on a 300,000-row run)."""
    old = signal.signal(signal.SIGTERM, lambda *a: None)
    try:
        got = list(fork_map(_default_sigterm, [0, 1, 2], None, workers=2))
    finally:
        signal.signal(signal.SIGTERM, old)
    assert got == [False, True, True]   # the first span runs here, the others in workers
