"""The Python API (carekb.app.api, re-exported by `carekb`): the same answers as the command line,
small results for notebooks, per-request overlays, and a cache that only trusts its owner's files."""

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import carekb
from carekb.cli.main import main
from carekb.graph import cache
from carekb.model.errors import CarekbError

from conftest import EXAMPLES, ROOT

PROFILES = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.startswith(("visit-", "guidance-", "roster-")))
OVERLAY = EXAMPLES / "overlays" / "cp4-threshold-4.2M.ttl"
R7 = EXAMPLES / "r7-after-school-day.yaml"


def cli_json(*args):
    r = CliRunner().invoke(main, [str(a) for a in args] + ["--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.fixture(scope="module")
def kb():
    return carekb.load_kb()


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_every_answer_equals_the_command_lines(path, kb):
    office = carekb.load_profile(path, kb=kb)
    assert carekb.gap(office, kb=kb).to_dict() == cli_json("gap", path)
    assert carekb.gap(office, kb=kb, no_pledge=True).to_dict() == cli_json("gap", path, "--no-pledge")
    assert carekb.tiers(office, kb=kb).to_dict() == cli_json("tiers", path)
    assert carekb.plan(office, kb=kb).to_dict() == cli_json("plan", path)


def test_gap_equals_the_installed_command(kb):
    """The same through a real `carekb` process (no in-process state shared)."""
    exe = Path(sys.executable).with_name("carekb")
    out = subprocess.run([str(exe), "gap", str(R7), "--format", "json"], capture_output=True, text=True, check=True)
    assert carekb.gap(carekb.load_profile(R7)).to_dict() == json.loads(out.stdout)


def test_explain_whatif_requirements_services_equal_the_command_line(kb):
    office = carekb.load_profile(R7, kb=kb)
    assert carekb.explain(office, "II", kb=kb).to_dict() == cli_json("explain", R7, "II")
    assert (carekb.whatif(office, add=["cp4", "visibility"], set={"office.region": "3級地"}, kb=kb).to_dict()
            == cli_json("whatif", R7, "--add", "cp4", "--add", "visibility", "--set", "office.region=3級地"))
    assert (carekb.whatif(office, compare_periods=["R7", "R8"], kb=kb).to_dict()
            == cli_json("whatif", R7, "--compare-periods", "R7,R8"))
    assert carekb.requirements("R7", kb=kb).to_dict() == cli_json("requirements", "--period", "R7")
    assert carekb.services("R8", kb=kb).to_dict() == cli_json("services", "--period", "R8")
    effort = {"cp4": 3, "visibility": 1}
    assert (carekb.plan(office, budget=3, effort=EXAMPLES / "effort.csv", kb=kb).to_dict()
            == cli_json("plan", R7, "--budget", "3", "--effort", EXAMPLES / "effort.csv"))
    assert carekb.plan(office, effort=effort, kb=kb).effort_file is None


def test_a_profile_is_a_path_a_dict_or_text(kb):
    text = R7.read_text(encoding="utf-8")
    import yaml

    from_path = carekb.load_profile(R7, kb=kb)
    from_text = carekb.load_profile(text, kb=kb)
    from_dict = carekb.load_profile(yaml.safe_load(text), kb=kb)
    from_json = carekb.load_profile(json.dumps(yaml.safe_load(text), default=str), kb=kb)
    assert from_path == from_text.with_changes(source=from_path.source) == from_dict.with_changes(source=from_path.source)
    assert from_json.with_changes(source=from_path.source) == from_path
    assert carekb.gap(from_dict, kb=kb).to_dict() == carekb.gap(from_path, kb=kb).to_dict()
    with pytest.raises(CarekbError) as e:
        carekb.load_profile("office: {service: nope}\n", kb=kb)
    assert "<text>.yaml: office.service" in str(e.value) and "nope" in str(e.value)
    with pytest.raises(CarekbError, match="ファイルが見つかりません"):
        carekb.load_profile("no-such-profile.yaml", kb=kb)


def test_results_read_as_attributes_and_print_short(kb):
    r = carekb.gap(carekb.load_profile(R7, kb=kb), kb=kb)
    assert r.highest == "III" and r.rate_pct == 12.1
    assert [t.tier for t in r.targets] == ["I", "II"]
    assert r.targets[1].missing == ["cp4", "visibility", "pledge.workplace"]
    assert r.period == "R7" and r.targets[1].actions[0].id == "cp4"   # any contract key reads as an attribute
    assert repr(r) == "<GapResult 1312345678 2025-07-01 R7 highest=III (12.1%) targets=[I:4, II:3]>"
    assert len(repr(r.evaluation)) < 200 and "highest=III" in repr(r.evaluation)
    html = r._repr_html_()
    assert html.count("<tr>") == 3 and "pledge.workplace" in html
    d = r.to_dict()
    d["highest"] = "changed"
    assert r.highest == "III"   # to_dict is a copy
    with pytest.raises(AttributeError, match="no field 'nope'"):
        r.nope


def test_overlay_text_equals_overlay_file(kb):
    office = carekb.load_profile(R7, kb=kb)
    by_file = carekb.gap(office, overlays=[OVERLAY], target="II")
    by_text = carekb.gap(office, overlays=[carekb.Overlay(OVERLAY.name, OVERLAY.read_text(encoding="utf-8"))],
                         target="II")
    assert by_text.kb_version == by_file.kb_version != kb.version
    assert by_text.targets[0].missing == by_file.targets[0].missing == ["visibility", "pledge.workplace"]
    assert by_text["rules_overlays"] == [{"file": OVERLAY.name, "sha256": by_file["rules_overlays"][0]["sha256"]}]
    with pytest.raises(CarekbError, match="Turtleとして読めません"):
        carekb.load_kb([carekb.Overlay("broken.ttl", "@prefix ck: <x> .\nck:a ck:b")])
    with pytest.raises(CarekbError, match="load_kb\\(overlays=...\\) に渡してその kb を渡すか"):
        carekb.gap(office, kb=kb, overlays=[OVERLAY])


def test_sparql_over_offices(kb):
    q = ("PREFIX ck: <https://w3id.org/carekb/vocab#> "
         "SELECT ?tier WHERE { ?e a ck:Evaluation ; ck:highestTier ?t . ?t ck:tierId ?tier }")
    r = carekb.sparql(q, offices=[R7], kb=kb)
    assert r.vars == ["tier"] and r.rows == [{"tier": "III"}]
    assert repr(r) == "<SparqlResult 1 rows vars=['tier']>"


def test_batch_results_and_frame(kb):
    rs = carekb.batch(EXAMPLES / "batch" / "offices.csv", kb=kb)
    results = list(rs)
    assert len(results) == len(rs) > 0 and all(isinstance(r, carekb.app.results.GapResult) for r in results)
    frame = rs.to_frame()
    assert len(frame) == len(results)
    assert repr(rs).startswith(f"<BatchResults {len(results)} offices")


def test_python_dash_m_carekb():
    r = subprocess.run([sys.executable, "-m", "carekb", "--help", "--lang", "en"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "gap" in r.stdout and r.stdout.startswith("Usage: carekb ")


def forget_probe():
    for key in [k for k in cache._memory if k.startswith("probe-")]:
        del cache._memory[key]


def test_the_cache_trusts_only_private_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREKB_CACHE_DIR", str(tmp_path / "cache"))
    built = cache.cached_build("probe", "v1", lambda: "built", use_cache=True)
    assert built == "built"
    folder = tmp_path / "cache"
    assert folder.stat().st_mode & 0o777 == 0o700
    [path] = folder.glob("probe-*.pickle")
    forget_probe()
    path.write_bytes(pickle.dumps("planted"))
    os.chmod(path, 0o666)   # anyone may have written it: never unpickled
    assert cache.cached_build("probe", "v1", lambda: "rebuilt") == "rebuilt"
    forget_probe()
    path.write_bytes(pickle.dumps("mine"))
    os.chmod(path, 0o600)
    assert cache.cached_build("probe", "v1", lambda: "rebuilt") == "mine"


def test_action_ids_have_one_parser():
    from carekb.model import actions

    assert actions.parse("workplace.18") == ("workplace", "18") and actions.parse("workplace.18").number == 18
    assert actions.parse("pledge.cp3") == ("pledge", "cp3") and actions.pledge("cp3") == "pledge.cp3"
    assert actions.parse("cp3.1a") == ("requirement", "cp3.1a")   # a dotted requirement id stays one id
    assert [str(actions.parse(a)) for a in ("cp4", "workplace.2", "pledge.x")] == ["cp4", "workplace.2", "pledge.x"]
    assert actions.item_number("workplace.x") is None and actions.item_number("cp4") is None
    with pytest.raises(ValueError):
        actions.parse("cp4").number
