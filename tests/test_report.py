"""The client report (`carekb report`): one A4 page per office, self-contained, drawn by a real browser.

The browser test prints the report with headless Chromium (Debian's `chromium`, installed by .ci/run)
and checks: as many A4 pages as offices, no page whose content overflows its A4 box (height or
width), a visible bar chart, and Japanese text. Outside CI it is skipped when Chromium is missing;
in CI (CI=true) a missing Chromium fails it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from carekb.cli.main import main

from conftest import EXAMPLES

OFFICES = ["r6-employment-b-v-tier", "r7-after-school-day", "r7-group-home-wage2", "r7-short-stay", "r8-consult-plan",
           "r8-employment-b", "old-after-school-day"]
A4_PT = (595, 842)   # A4 in PostScript points (210 × 297 mm)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report") / "report.html"
    r = CliRunner().invoke(main, ["report", *[str(EXAMPLES / f"{o}.yaml") for o in OFFICES], "-o", str(out)])
    assert r.exit_code == 0, r.output
    return str(out)


def text_of(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_one_page_per_office_with_the_parts_a_client_needs(report):
    doc = text_of(report)
    pages = doc.split('<section class="page">')[1:]
    assert len(pages) == len(OFFICES)
    for page in pages:
        for part in ("判定日", "ルール期間", "KB版", "現在取得できる最上位区分", "<svg", "要件チェックリスト", "推奨プラン", "出典と確度", "確度: P = "):
            assert part in page, part
        assert re.search(r'<rect class="bar"', page)
    assert "@page { size: A4" in doc


def test_nothing_is_fetched(report):
    doc = text_of(report)
    for fetch in ("<script", "<link", "<img", "@import", "url(", "<iframe"):
        assert fetch not in doc
    assert not re.search(r'(src|href)="', doc)


def test_unknown_amounts_show_as_unknown_never_zero(report):
    page = text_of(report).split('<section class="page">')[1 + OFFICES.index("r7-group-home-wage2")]
    assert "不明" in page                 # no region and units in this profile: no yen figure
    assert "+0円" not in page


def test_report_refuses_a_non_html_output(tmp_path):
    r = CliRunner().invoke(main, ["report", str(EXAMPLES / "r7-after-school-day.yaml"), "-o", str(tmp_path / "r.pdf")])
    assert r.exit_code == 2 and "html" in r.output and not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- in a real browser

def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium is not installed: .ci/run must install Debian's chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return exe


def run_browser(exe: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-pdf-header-footer",
                           f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


PROBE = """<script>
const pages = [...document.querySelectorAll('.page')].map(p => ({h: p.scrollHeight - p.clientHeight, w: p.scrollWidth - p.clientWidth,
  text: p.innerText.length, bars: [...p.querySelectorAll('svg rect.bar')].filter(r => r.getBoundingClientRect().height > 5).length}));
document.body.setAttribute('data-probe', JSON.stringify({pages, overflow_x: document.documentElement.scrollWidth - window.innerWidth}));
</script>"""


def test_every_office_prints_on_one_a4_page(report, tmp_path):
    exe = chromium()
    pdf = tmp_path / "report.pdf"
    r = run_browser(exe, tmp_path, f"--print-to-pdf={pdf}", f"file://{report}")
    assert pdf.exists(), r.stderr[-2000:]
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    sizes = set(re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data))
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert f"Pages:          {len(OFFICES)}" in info.replace("Pages:           ", "Pages:          "), info
        assert "(A4)" in info, info
    assert pages == len(OFFICES), pages
    assert all(abs(float(w) - A4_PT[0]) < 2 and abs(float(h) - A4_PT[1]) < 2 for w, h in sizes), sizes


def test_no_page_overflows_and_the_chart_is_visible(report, tmp_path):
    exe = chromium()
    probe = tmp_path / "probe.html"      # a copy with a measuring script: the report itself has none
    probe.write_text(text_of(report).replace("</body>", PROBE + "</body>"), encoding="utf-8")
    r = run_browser(exe, tmp_path, "--window-size=794,1123", "--dump-dom", f"file://{probe}")
    m = re.search(r'data-probe="([^"]*)"', r.stdout)
    assert m, r.stderr[-2000:]
    probe_data = json.loads(html.unescape(m.group(1)))
    assert len(probe_data["pages"]) == len(OFFICES)
    for office, page in zip(OFFICES, probe_data["pages"]):
        assert page["h"] <= 0, f"{office}: content {page['h']}px taller than its A4 page"
        assert page["w"] <= 0, f"{office}: content {page['w']}px wider than its A4 page"
        assert page["bars"] >= 1, f"{office}: no visible bar in the chart"
    assert probe_data["overflow_x"] <= 0
    body = r.stdout
    assert "取得状況と改善プラン" in body and "要件チェックリスト" in body
