"""Contested readings as KB data: compiled by the loader, reported by every evaluation, chosen by --reading."""

import json

import pytest
from click.testing import CliRunner

import carekb
from carekb.i18n import set_lang
from carekb.model.errors import CarekbError
from carekb.graph.kbload import load_kb
from carekb.graph.readings import under_readings
from carekb.cli.main import main

# R8 B型 office: キャリアパス要件Ⅳ met (4.7M after improvement) and the R7 high workplace level with 13 items
# (2 per category, 3 productivity incl. ⑱): reference/shogai/contested-readings.md, C1 first example.
C1_OFFICE = {
    "version": 1, "office": {"service": "employment-b"}, "as_of": "2026-07-01",
    "met": ["wage.1", "visibility", "cp5", "cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1a", "cp2.2", "cp3.1a", "cp3.2"],
    "top_annual_wage": 4700000, "workplace": [1, 2, 5, 6, 9, 10, 14, 15, 18, 19, 20, 25, 26]}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_kb_holds_c1_and_c2_each_with_one_default_and_its_reason(kb):
    assert set(kb.contests) == {"C1", "C2"}
    for c in kb.contests.values():
        readings = [kb.readings[i] for i in c.readings]
        defaults = [r for r in readings if r.default]
        assert c.period == "R8" and len(readings) == 2 and len(defaults) == 1
        assert defaults[0].reason_ja and defaults[0].reason_en and defaults[0].cited.sources
        assert all(r.swaps for r in readings if not r.default)   # another reading changes some rule
        assert all(not r.swaps for r in defaults)                 # the default is the KB as written
        assert all(r.label_ja and r.label_en and r.cited.confidence in ("P", "S×2", "S", "I", "U") for r in readings)
    assert kb.readings["C1-A"].default and kb.readings["C2-A"].default


def test_c1_readings_differ_with_both_answers_and_reading_switches(kb):
    a = carekb.gap(C1_OFFICE, kb=kb)
    by_id = {r["id"]: r for r in a.to_dict()["readings"]}
    assert a.highest == "III" and set(by_id) == {"C1-A", "C1-B"}
    assert by_id["C1-A"]["in_force"] and not by_id["C1-A"]["differs"] and by_id["C1-A"]["highest"] == "III"
    assert by_id["C1-B"]["differs"] and by_id["C1-B"]["highest"] == "I-i"
    assert by_id["C1-B"]["missing_count"] == {"I-ro": 1, "II-ro": 1}
    b = carekb.gap(C1_OFFICE, kb=kb, reading="C1-B")
    assert b.highest == "I-i" and b.kb_version == a.kb_version + "~C1-B"
    back = {r["id"]: r for r in b.to_dict()["readings"]}
    assert back["C1-B"]["in_force"] and back["C1-A"]["differs"] and back["C1-A"]["highest"] == "III"
    # explain and tiers carry the same report
    assert carekb.tiers(C1_OFFICE, kb=kb).to_dict()["readings"] == a.to_dict()["readings"]
    assert {r["id"] for r in carekb.explain(C1_OFFICE, "II-i", kb=kb).to_dict()["readings"]} == {"C1-A", "C1-B"}


def test_tables_say_that_the_answer_depends_on_a_reading(tmp_path):
    profile = tmp_path / "c1.yaml"
    profile.write_text(json.dumps(C1_OFFICE, ensure_ascii=False), encoding="utf-8")
    r = run("gap", profile)
    assert r.exit_code == 0, r.output
    assert "解釈により結果が変わります: C1-B" in r.output and "最上位 Ⅰイ" in r.output and "最上位区分: Ⅲ" in r.output
    r = run("gap", profile, "--reading", "C1-B")
    assert "最上位区分: Ⅰイ" in r.output and "解釈により結果が変わります: C1-A" in r.output
    r = run("tiers", profile, "--reading", "C1-B", "--lang", "en")
    assert "Highest attainable tier: I-i" in r.output and "depends on a contested reading" in r.output
    r = run("explain", profile, "II-i")
    assert "解釈により結果が変わります" in r.output


def test_no_line_when_no_reading_changes_the_answer():
    r = run("gap", "examples/r7-after-school-day.yaml")
    assert r.exit_code == 0 and "解釈により" not in r.output
    d = json.loads(run("gap", "examples/r7-after-school-day.yaml", "--format", "json").output)
    assert d["readings"] == []   # R7: no contested rule


def test_a_reading_that_cannot_change_this_office_is_not_listed(kb):
    # C2 changes only the consultation tier's pledges: a B型 office lists C1 alone.
    ids = {r["id"] for r in carekb.tiers(C1_OFFICE, kb=kb).to_dict()["readings"]}
    assert ids == {"C1-A", "C1-B"}


def test_c2_consultation_pledges(kb):
    office = {"version": 1, "office": {"service": "consult-plan"}, "as_of": "2026-07-01",
              "pledged": ["cp1", "cp2"], "workplace": [1, 5, 9, 14, 18, 19, 25]}
    a = carekb.gap(office, kb=kb)
    assert a.highest is None and a.targets[0].missing == ["pledge.tokurei"]
    assert {r["id"]: r["highest"] for r in a.to_dict()["readings"]} == {"C2-A": None, "C2-B": "CONSULT"}
    assert carekb.gap(office, kb=kb, reading="C2-B").highest == "CONSULT"


def test_bad_reading_ids_are_one_line_errors(kb):
    with pytest.raises(CarekbError, match="解釈 'C9' はありません"):
        under_readings(kb, ["C9"])
    with pytest.raises(CarekbError, match="同じ規定 C1 の解釈です"):
        under_readings(kb, ["C1-A", "C1-B"])
    r = run("gap", "examples/r8-employment-b.yaml", "--reading", "C9")
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "--reading: 解釈 'C9' はありません" in r.output
    r = run("gap", "examples/r8-employment-b.yaml", "--reading", "C1-A", "--reading", "C1-B", "--lang", "en")
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "--reading: readings C1-A and C1-B read the same rule C1" in r.output


def test_readings_are_data_an_overlay_can_add_one(tmp_path):
    # A new contested rule, written only as Turtle: R7 tier Ⅳ without キャリアパス要件Ⅱ under reading X-B.
    overlay = tmp_path / "x.ttl"
    overlay.write_text("""
@prefix ck: <https://w3id.org/carekb/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sg: <https://w3id.org/carekb/shogai/> .
@prefix r7: <https://w3id.org/carekb/shogai/R7/> .
@prefix req: <https://w3id.org/carekb/shogai/req/> .
@prefix wp: <https://w3id.org/carekb/shogai/workplace/> .
@prefix rd: <https://w3id.org/carekb/shogai/reading/> .
rd:X a ck:ContestedRule ; ck:contestId "X" ; ck:period sg:R7 ; rdfs:label "試験"@ja , "test"@en .
rd:X-A a ck:Reading ; ck:readingId "X-A" ; ck:readingOf rd:X ; rdfs:label "A"@ja , "A"@en ;
    ck:isDefault true ; ck:defaultReason "as written"@en ; ck:confidence ck:S ; ck:selects r7:IV .
rd:X-B a ck:Reading ; ck:readingId "X-B" ; ck:readingOf rd:X ; rdfs:label "B"@ja , "B"@en ;
    ck:isDefault false ; ck:confidence ck:I ; ck:selects rd:X-B-IV .
rd:X-B-IV a ck:RuleVariant ; ck:variantOf r7:IV ;
    ck:requires [ a ck:AllOf ; ck:operand req:wage.1 , req:cp1 , wp:rule-R7-low ] .
""", encoding="utf-8")
    kb = carekb.load_kb([overlay])
    assert {"X", "C1", "C2"} <= set(kb.contests)
    office = {"version": 1, "office": {"service": "after-school-day"}, "as_of": "2025-07-01",
              "met": ["wage.1", "cp1.1", "cp1.2", "cp1.3"], "workplace": [1, 5, 9, 14, 18, 19, 25]}
    r = carekb.gap(office, kb=kb)
    assert r.highest is None and {x["id"]: x["highest"] for x in r.to_dict()["readings"]} == {"X-A": None, "X-B": "IV"}
    assert carekb.gap(office, kb=kb, reading="X-B").highest == "IV"


def test_the_loader_refuses_two_defaults(tmp_path):
    overlay = tmp_path / "two.ttl"
    overlay.write_text("@prefix ck: <https://w3id.org/carekb/vocab#> .\n"
                       "<https://w3id.org/carekb/shogai/reading/C1-B> ck:isDefault true .\n", encoding="utf-8")
    with pytest.raises(CarekbError, match="既定の解釈がちょうど一つ必要"):
        load_kb(overlays=[overlay], use_cache=False)
    set_lang("en")
    with pytest.raises(CarekbError, match="exactly one default reading"):
        load_kb(overlays=[overlay], use_cache=False)


def test_compiling_readings_leaves_the_graph_as_it_was():
    from carekb.graph.kbload import _Reader, build, kb_files, parse_graph
    from carekb.graph.readings import attach_readings

    g = parse_graph(kb_files())
    before = set(g)
    kb = build(g, "test")
    attach_readings(_Reader(g), kb, build)
    assert set(g) == before and kb.readings["C1-B"].swaps
