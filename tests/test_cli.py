"""The command line, through click's runner and through a real subprocess."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from carekb.cli.main import main

from conftest import EXAMPLES


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_gap_json_contract():
    r = run("gap", EXAMPLES / "r7-after-school-day.yaml", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    for key in ("office", "as_of", "period", "service", "highest", "rate_pct", "attainable", "targets", "warnings", "kb_version"):
        assert key in d
    assert d["period"] == "R7" and d["highest"] == "III" and d["rate_pct"] == 12.1
    assert [t["tier"] for t in d["targets"]] == ["I", "II"]
    ii = d["targets"][1]
    assert ii["missing"] == ["cp4", "visibility", "pledge.workplace"] and ii["missing_count"] == 3 and ii["uses_pledge"]
    # 180,000 units at 6級地 (10.36 yen): Ⅲ 225,640 yen; Ⅱ 13.1% → 23,580 units → 2,109,088 − 1,864,800 = 244,288
    assert d["yen_per_month"] == 225_640 and ii["yen_per_month_gain"] == 244_288 - 225_640


def test_gap_no_pledge_lists_real_actions():
    d = json.loads(run("gap", EXAMPLES / "r7-after-school-day.yaml", "--no-pledge", "--format", "json").output)
    ii = next(t for t in d["targets"] if t["tier"] == "II")
    assert not ii["uses_pledge"] and d["pledges"] == "ignored"
    assert ii["missing"][:2] == ["cp4", "visibility"]
    # 2 per category: entry has 1 and 3; career, balance, health, motivation +1 each; productivity 3 incl. ⑱ (has 18, 19) +1
    assert sum(a.startswith("workplace.") for a in ii["missing"]) == 5
    assert "workplace.2" in ii["alternatives"] or any(k.startswith("workplace.") for k in ii["alternatives"])


def test_as_of_override_and_target():
    d = json.loads(run("gap", EXAMPLES / "r7-after-school-day.yaml", "--as-of", "2026-07-01", "--target", "II-i",
                       "--format", "json").output)
    assert d["period"] == "R8" and [t["tier"] for t in d["targets"]] == ["II-i"]


def test_tables_in_japanese_and_english():
    ja = run("gap", EXAMPLES / "r8-employment-b.yaml")
    assert ja.exit_code == 0 and "取得可能な最上位区分: Ⅱイ" in ja.output and "Ⅰロ" in ja.output
    en = run("gap", EXAMPLES / "r8-employment-b.yaml", "--lang", "en")
    assert "Highest attainable tier: II-i" in en.output


def test_tiers_explain_requirements_services():
    r = run("tiers", EXAMPLES / "r7-short-stay.yaml", "--format", "json")
    assert [t["tier"] for t in json.loads(r.output)["tiers"]] == ["I", "III", "IV"]
    r = run("explain", EXAMPLES / "r7-after-school-day.yaml", "II", "--format", "json")
    d = json.loads(r.output)
    assert not d["attained"] and {f.get("id") for f in d["failing"]} == {"cp4", "visibility", "R7-high"}
    r = run("explain", EXAMPLES / "r7-after-school-day.yaml", "II")
    assert "あと 100,000 円" in r.output
    r = run("requirements", "--period", "R8", "--format", "json")
    d = json.loads(r.output)
    assert {t["tier"] for t in d["tiers"]} == {"I-ro", "I-i", "II-ro", "II-i", "III", "IV", "CONSULT"}
    assert len(d["workplace_items"]) == 28
    r = run("services", "--period", "R7", "--format", "json")
    svc = {s["service_id"]: s for s in json.loads(r.output)["services"]}
    assert [t["tier"] for t in svc["short-stay"]["tiers"]] == ["I", "III", "IV"]


@pytest.mark.parametrize("text,fragment", [
    ("office: {service: nowhere}\n", "unknown service 'nowhere'"),
    ("office: {service: home-care}\nmet: [cp9]\n", "unknown requirement 'cp9'"),
    ("office: {service: home-care}\nas_of: 2025-02-30\n", "impossible date"),
    ("office: {service: home-care}\nas_of: 2023-01-01\n", "outside the rules"),
    ("office: {service: home-care}\nas_of: 2025-07-01\nworkplace: [29]\n", "item 29 is not in the R7 list"),
    ("office: {service: home-care}\nfoo: 1\n", "unknown key 'foo'"),
    ("office: {service: home-care}\noffice: {service: home-care}\n", "duplicate key 'office'"),
    ("office: {service: home-care\n", "not valid YAML"),
    ("office: {service: home-care}\neffort: {cp1.1: 0}\n", "effort must be"),
    ("office: {service: home-care}\npledged: [everything]\n", "unknown pledge"),
    ("", "empty file"),
])
def test_bad_profiles_exit_2(tmp_path, text, fragment):
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    r = run("gap", f, "--lang", "en")   # the fragments quote the English catalogue
    assert r.exit_code == 2
    assert fragment in r.output and "bad.yaml" in r.output
    assert "Traceback" not in r.output


def test_bad_profile_names_line(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("office:\n  service: home-care\n  employees: many\n", encoding="utf-8")
    r = run("gap", f)
    assert r.exit_code == 2 and "office.employees (3行目)" in r.output
    r = run("gap", f, "--lang", "en")
    assert r.exit_code == 2 and "office.employees (line 3)" in r.output


def test_json_and_turtle_profiles(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"office": {"service": "就労継続支援B型"}, "as_of": "2026-07-01", "met": ["wage.1"]}), encoding="utf-8")
    assert json.loads(run("gap", f, "--format", "json").output)["service"] == "employment-b"
    t = tmp_path / "p.ttl"
    t.write_text("""@prefix ck: <https://w3id.org/carekb/vocab#> .
@prefix svc: <https://w3id.org/carekb/shogai/service/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<urn:x> a ck:Office ; ck:service svc:short-stay ; ck:asOf "2025-10-01"^^xsd:date ; ck:workplaceItem 1, 5 ; ck:met "cp1.1" .
""", encoding="utf-8")
    d = json.loads(run("gap", t, "--format", "json").output)
    assert d["service"] == "short-stay" and d["period"] == "R7"


def test_validate_runs_shacl(tmp_path):
    r = run("validate", EXAMPLES / "r7-after-school-day.yaml", EXAMPLES / "r8-employment-b.yaml")
    assert r.exit_code == 0 and r.output.count("OK") == 2
    r = run("validate", "--kb")
    assert r.exit_code == 0 and "制約をすべて満たしています" in r.output
    assert "conforms" in run("validate", "--kb", "--lang", "en").output


def test_subprocess_gap_json():
    p = subprocess.run([sys.executable, "-m", "carekb.cli", "gap", str(EXAMPLES / "r6-employment-b-v-tier.yaml"),
                        "--format", "json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["highest"] == "V2" and d["period"] == "R6"
    bad = subprocess.run([sys.executable, "-m", "carekb.cli", "gap", "/nonexistent.yaml"], capture_output=True, text=True)
    assert bad.returncode == 2 and "ファイルが見つかりません" in bad.stderr and "Traceback" not in bad.stderr


def test_unwritable_output_is_a_clear_error(tmp_path):
    r = run("export", "-o", tmp_path / "missing" / "x.ttl")
    assert r.exit_code == 2 and "ここには書けません" in r.output and "Traceback" not in r.output
    assert not list(tmp_path.iterdir())  # no partial or temporary file left behind


def test_malformed_sparql_is_one_line():
    r = run("sparql", "SELECT ?x WHERE {")
    assert r.exit_code == 2 and "line 1, column 18" in r.output
    assert len(r.output.strip().splitlines()) == 1 and "\\u{" not in r.output


def test_every_command_reports_the_same_kb_version():
    gap = json.loads(run("gap", EXAMPLES / "r7-after-school-day.yaml", "--format", "json").output)
    guidance = json.loads(run("guidance", "--service", "short-stay", "--format", "json").output)
    visit = json.loads(run("visit", EXAMPLES / "visit-admit.yaml", "--format", "json").output)
    assert gap["kb_version"] == guidance["kb_version"] == visit["kb_version"]
