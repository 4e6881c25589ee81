"""The web page `/` in headless Chromium (Debian's `chromium`, installed by .ci/run): a link fills the
form (or the paste box) and presses 分析する; the page must show the text `carekb gap` prints (rendered
by the server: /api/v1/gap?format=text) and offer the JSON for download."""

import html
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import pytest
from click.testing import CliRunner

from carekb import gap, load_profile
from carekb.cli.main import main
from carekb.render.office_text import gap_text

from conftest import EXAMPLES
from test_web import running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FORM = {  # examples/r7-after-school-day.yaml, typed into the form
    "name": "ひまわり放課後等デイサービス", "service": "after-school-day", "as_of": "2025-07-01", "region": "6級地",
    "monthly_units": "180000", "employees": "12", "shogu": "1", "tokutei": "2", "baseup": "1",
    "met": "wage.1, cp1.1, cp1.2, cp1.3, cp2.1, cp2.1a, cp2.2, cp3.1a, cp3.2", "workplace": "1,3,5,9,14,18,19,25",
}

pytestmark = pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"),
                                reason="headless Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def server():
    with running_server("--workers", "1") as base:
        yield base


def page_dom(url: str) -> str:
    """The page's DOM after its scripts ran (virtual time waits for the fetches to finish)."""
    assert CHROMIUM, "chromium is required in CI (.ci/run installs it)"
    r = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--no-first-run", "--virtual-time-budget=30000", "--dump-dom", url],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


TEXT_WIDTH = 100  # the page asks the server for its text folded to this many columns


def shown(dom: str) -> dict:
    """What the result section shows: the highest tier (data-tier) and the server's text, and whether the
    JSON download is offered."""
    pre = re.search(r'<pre id="result-text" data-tier="([^"]*)">([^<]*)</pre>', dom)
    return {"highest": pre.group(1) if pre else None, "text": html.unescape(pre.group(2)) if pre else "",
            "download": re.search(r'<button type="button" id="download"( disabled="")?>', dom).group(1) is None,
            "error": html.unescape(re.search(r'<p id="error" role="alert">([^<]*)</p>', dom).group(1))}


def cli_gap(path) -> dict:
    r = CliRunner().invoke(main, ["gap", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_form_filled_by_link_shows_the_gap(server):
    dom = page_dom(f"{server}/?{urllib.parse.urlencode(FORM)}&run=1")
    got, expected = shown(dom), cli_gap(EXAMPLES / "r7-after-school-day.yaml")
    assert got["error"] == "" and got["download"]
    assert got["highest"] == expected["highest"]
    assert f"取得可能な最上位区分: Ⅲ (12.1%)  月額 {expected['yen_per_month']:,}円" in got["text"]
    for t in expected["targets"]:   # every target tier and each of its actions, as the CLI's table lists them
        assert f"■ {t['tier'].replace('III', 'Ⅲ').replace('II', 'Ⅱ').replace('I', 'Ⅰ')} (" in got["text"], t["tier"]
        for a in t["actions"]:
            assert re.search(rf"^{re.escape(a['id'])}  ", got["text"], flags=re.M), a["id"]


def test_pasted_profile_shows_the_gap(server):
    path = EXAMPLES / "r8-employment-b.yaml"
    dom = page_dom(f"{server}/?{urllib.parse.urlencode({'profile': path.read_text(encoding='utf-8')})}&run=1")
    got, expected = shown(dom), cli_gap(path)
    assert got["error"] == "" and got["download"] and got["highest"] == (expected["highest"] or "")
    # exactly the text `carekb gap` prints in a 100-column terminal (bar the closing line naming the file)
    assert got["text"] == gap_text(gap(load_profile(path)), "ja", TEXT_WIDTH) + "\n"


def test_bad_profile_shows_one_line_error(server):
    profile = "version: 1\noffice:\n  service: no-such-service\n"
    dom = page_dom(f"{server}/?{urllib.parse.urlencode({'profile': profile})}&run=1")
    got = shown(dom)
    assert got["error"].startswith("エラー:") and "no-such-service" in got["error"] and got["highest"] is None
    assert not got["download"]
