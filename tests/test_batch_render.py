"""`carekb batch … --out X.csv`: the workers encode their chunk's rows and place them in the files
in file order themselves (CsvOut.render, OrderedFiles). The files must equal what the writer makes
row by row (`add`), with 1 or 2 workers, several chunks, bad rows among good ones, and a character
CP932 lacks must still stop the run naming its line."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from carekb.app import batch as b
from carekb.app import fidelity
from carekb.cli.main import main
from carekb.render.batch_out import writer_for
from carekb.render.publish import OutputSet

from conftest import ROOT

MIXED = ROOT / "tests" / "data" / "batch" / "mixed.csv"
OFFICES = ROOT / "examples" / "batch" / "offices.csv"


def _by_rows(kb, src: Path, out: Path, **options) -> None:
    """The same run written item by item (no worker encoding)."""
    _, kb = fidelity.rules(kb, None, None)
    with OutputSet(out.parent) as outputs:
        w = writer_for(out, outputs, kb, b.MODES, "ja", "utf-8", fidelity.batch_notes(kb))
        for item in b.stream(kb, b.open_offices(src), **options):
            w.add(item)
        w.close()
        outputs.publish()


def _many(tmp_path: Path, copies: int) -> Path:
    """examples/batch/offices.csv and tests/data/batch/mixed.csv rows, repeated: several chunks."""
    good = OFFICES.read_text(encoding="utf-8").splitlines()
    src = tmp_path / "many.csv"
    src.write_text("\n".join([good[0], *good[1:] * copies]) + "\n", encoding="utf-8")
    return src


@pytest.mark.parametrize("workers", ["1", "2"])
def test_worker_encoded_csv_equals_row_by_row(kb, tmp_path, monkeypatch, workers):
    monkeypatch.setattr(b, "FIRST", 7)     # small chunks: the parent's first, then the workers'
    monkeypatch.setattr(b, "CHUNK", 11)
    for src in (MIXED, _many(tmp_path, 9)):
        r = CliRunner().invoke(main, ["batch", str(src), "--out", str(tmp_path / "cli.csv"), "--workers", workers,
                                      "-q"])
        assert r.exit_code in (0, 1), r.output
        _by_rows(kb, src, tmp_path / "rows.csv", chunk=11)
        for suffix in (".csv", "-actions.csv", "-errors.csv"):
            assert (tmp_path / f"cli{suffix}").read_bytes() == (tmp_path / f"rows{suffix}").read_bytes(), (src, suffix)
        assert not list(tmp_path.glob(".part-*")) and not list(tmp_path.glob(".carekb-*"))


def test_a_character_cp932_lacks_stops_the_run_at_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(b, "FIRST", 3)
    monkeypatch.setattr(b, "CHUNK", 4)
    lines = OFFICES.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:] * 3
    name = header.split(",").index("事業所名")
    cells = rows[9].split(",")
    cells[name] = "絵文字😀"
    rows[9] = ",".join(cells)
    src = tmp_path / "in.csv"
    src.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["batch", str(src), "--out", str(tmp_path / "r.csv"), "--encoding", "cp932",
                                  "--workers", "2", "-q"])
    assert r.exit_code == 2
    assert "😀" in r.output and "cp932" in r.output and ("(line 11)" in r.output or "11行目" in r.output), r.output
    assert not list(tmp_path.glob("r*.csv")) and not list(tmp_path.glob(".*"))


def _die(item):
    import os
    if item == 2:
        os._exit(9)     # as a worker killed by the kernel (out of memory) ends
    return item


def test_a_worker_that_dies_ends_the_run_with_one_clear_error():
    from carekb.model.errors import CarekbError
    from carekb.solver.vectorized import fork_stream

    got = []
    with pytest.raises(CarekbError, match="作業プロセスが途中で止まりました"):
        for x in fork_stream(_die, iter([0, 1, 2, 3]), None, workers=2):
            got.append(x)
    assert got[:1] == [0]


def test_a_file_that_cannot_grow_in_a_worker_is_one_clear_error(tmp_path):
    """A full disk (here: a file-size limit, EFBIG) hit while a worker places its rows: one line naming
    the output, exit 2, no traceback, no output published and no temporary file left."""
    import os
    import resource
    import signal
    import subprocess
    import sys

    src = _many(tmp_path, 400)      # 3,200 rows: the parent's first 2,000, then the workers'

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # the write fails (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000_000, 20_000_000))

    r = subprocess.run([sys.executable, "-m", "carekb", "batch", str(src), "--out", str(tmp_path / "r.csv"),
                        "--workers", "2", "-q", "--lang", "en"], capture_output=True, text=True, preexec_fn=limited,
                       timeout=300, env={**os.environ, "CAREKB_LANG": "en"})
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr and "cannot write here" in lines[0], r.stderr
    assert "r-actions.csv" in lines[0] or "r.csv" in lines[0]
    assert not list(tmp_path.glob("r*.csv")) and not list(tmp_path.glob(".carekb-*"))
