"""`carekb batch --reports DIR`: one `carekb report` page per good office, named by office id (or
row), published whole through OutputSet: bad rows get none, a failed run leaves no folder."""

from __future__ import annotations

from click.testing import CliRunner

from carekb.cli import batch_cmds
from carekb.cli.main import main
from carekb.render.report_files import report_name

OFFICES = """事業所番号,事業所名,サービス,常時雇用者数,地域区分,月の総単位数,判定日,満たしている要件,職場環境等要件の項目
1312345678,ひまわり放課後等デイサービス,放課後等デイサービス,12,6級地,180000,2025-07-01,wage.1 cp1.1 cp1.2 cp1.3 cp2.1 cp2.1a cp2.2,1 3 5 9 14 18 19 25
../evil,壊れた行,存在しないサービス,3,,,2025-07-01,,
,さくら訪問介護,訪問介護,18,1級地,200000,2026-07-01,wage.1 cp1.1 cp1.2 cp1.3 cp2.1 cp2.1a cp2.2,1 2 5
"""


def _run(tmp_path, reports, rows=OFFICES):
    src = tmp_path / "offices.csv"
    src.write_text(rows, encoding="utf-8")
    return CliRunner().invoke(main, ["batch", str(src), "--out", str(tmp_path / "r.csv"), "--reports", str(reports),
                                     "--workers", "1", "--quiet"])


def _partials(*folders):
    return [p for f in folders for p in f.glob(".carekb-*")]


def test_one_report_per_good_office_none_for_the_bad_row(tmp_path):
    out = tmp_path / "reports"
    r = _run(tmp_path, out)
    assert r.exit_code == 1, r.output               # one bad row: exit 1, the others go on
    assert "3行目（事業所番号 ../evil）" in r.output   # the row error line, in Japanese by default
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    assert set(pages) == {"1312345678.html", "row-4.html"}
    assert "ひまわり放課後等デイサービス" in pages["1312345678.html"] and "さくら訪問介護" in pages["row-4.html"]
    assert all("処遇改善加算" in html and html.lstrip().lower().startswith("<!doctype html") for html in pages.values())
    assert "壊れた行" not in "".join(pages.values())
    assert (tmp_path / "r.csv").exists() and not _partials(tmp_path, out)


def test_reports_go_beside_older_files_of_an_existing_folder_and_ids_repeat(tmp_path):
    out = tmp_path / "existing"
    out.mkdir()
    (out / "keep.txt").write_text("x", encoding="utf-8")
    rows = OFFICES.splitlines()
    r = _run(tmp_path, out, "\n".join([rows[0], rows[1], rows[1]]) + "\n")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["1312345678-row-3.html", "1312345678.html", "keep.txt"]
    assert not _partials(tmp_path, out)


def test_a_failed_run_leaves_no_reports_folder_nor_results(tmp_path, monkeypatch):
    calls = []
    real = batch_cmds.build_page

    def fail_on_second(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)
    monkeypatch.setattr(batch_cmds, "build_page", fail_on_second)
    out = tmp_path / "reports"
    r = _run(tmp_path, out)
    assert r.exit_code != 0 and len(calls) == 2
    assert not out.exists() and not (tmp_path / "r.csv").exists() and not _partials(tmp_path)


def test_a_reports_folder_elsewhere_is_published_whole(tmp_path):
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    r = _run(tmp_path, elsewhere / "reports")
    assert r.exit_code == 1
    assert sorted(p.name for p in (elsewhere / "reports").iterdir()) == ["1312345678.html", "row-4.html"]
    assert not _partials(tmp_path, elsewhere)


def test_bad_reports_folder_is_one_line_exit_2_and_writes_nothing(tmp_path):
    r = _run(tmp_path, tmp_path / "missing" / "reports")
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1, r.output
    assert not (tmp_path / "r.csv").exists() and not _partials(tmp_path)


def test_file_names_are_safe():
    assert report_name("1312345678", 2) == "1312345678.html"
    assert report_name("", 7) == "row-7.html"
    assert report_name("../evil", 3) == "_evil.html"
    assert report_name("...", 3) == "row-3.html"
    assert report_name("a/b\\c\x00d\ne", 3) == "a_b_c_d_e.html"
    assert report_name(".hidden", 3) == "hidden.html"
    long = report_name("事" * 300, 3)
    assert len(long.encode("utf-8")) <= 205 and "/" not in long
