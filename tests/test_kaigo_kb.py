"""The 介護 scheme as data (kb/kaigo/): agreement with reference/kaigo/ in both directions, the
scheme split of the compiled KB, and SHACL over both schemes."""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import rdflib

from carekb.graph.kbload import load_kb
from carekb.inputs.profile import Office, bind, check
from carekb.inputs.shapes import run as shacl_run
from carekb.solver.gap import evaluate

from conftest import REFERENCE, ROOT

REF = REFERENCE / "kaigo"
# Reference label -> the KB's notation: compound labels take their weaker part, and more than two
# agreeing secondary sources are still S×2 (a confidence is never raised).
CONFIDENCE = {"P": "P", "S": "S", "S×2": "S×2", "S×3": "S×2", "S×5": "S×2", "I": "I", "P/I": "I", "S×2/I": "I"}


def rows(name):
    with open(REF / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def kaigo(kb):
    return kb.of_scheme("kaigo")


def test_two_schemes_share_period_ids_but_not_rules(kb, kaigo):
    assert kb.scheme == "shogai" and set(kb.schemes) == {"shogai", "kaigo"}
    assert {"R6", "R7", "R8"} <= set(kb.periods) and list(kaigo.periods) == ["R6", "R7", "R8"]
    assert kaigo.requirements["cp4"].label_ja == kb.requirements["cp4"].label_ja  # same id, own definition
    assert kaigo.requirements["cp5"].satisfied_when_ja != kb.requirements["cp5"].satisfied_when_ja
    assert "tokurei.a" in kaigo.requirements and "tokurei.a" not in kb.requirements
    assert set(kaigo.tiers["R8"]) == {"I-ro", "I-i", "II-ro", "II-i", "III", "IV", "SINGLE"}
    assert kb.services is kaigo.services and kb.for_service("home-help") is kaigo
    assert kaigo.for_service("employment-b") is kb and kb.cache_key != kaigo.cache_key


def test_rates_match_reference_both_ways(kaigo):
    want = {}
    for r in rows("rates.csv"):
        want[(r["period"], r["service_id"], r["tier"])] = (Decimal(r["rate_pct"]), CONFIDENCE[r["confidence"]])
    got = {k: (v.pct, v.cited.confidence) for k, v in kaigo.rates.items()}
    assert got == want
    assert len(want) == 848


def test_unknown_rates_are_absent_never_zero(kaigo):
    assert all(r.pct > 0 for r in kaigo.rates.values())
    r8 = [(s, t.id) for s in kaigo.own_services() for t in kaigo.tiers_for("R8", s)]
    unknown = [(s, t) for s, t in r8 if ("R8", s, t) not in kaigo.rates]
    assert len(unknown) == 138 and ("welfare-facility", "I-ro") in unknown


def test_services_match_reference(kaigo):
    ref = {r["service_id"]: r for r in rows("services.csv")}
    assert set(kaigo.own_services()) == set(ref) and len(ref) == 43
    for sid, r in ref.items():
        s = kaigo.services[sid]
        assert s.label_ja == r["name_ja"] and s.label_en and s.scheme == "kaigo"
        if r["cp5_applies"] == "yes":
            assert "cp5-applies" in s.groups
            assert (r["cp5_means"] in s.cp5_means) if r["cp5_means"] != "U" else not s.cp5_means
        elif "covered from" in r["note"]:
            assert s.groups >= {"single-tier"} and s.covered_from == dt.date(2026, 6, 1)
        else:
            assert s.groups == {"not-covered"}
    assert {"tokurei-route-a", "tokurei-route-b"} <= kaigo.services["small-multi"].groups


def test_workplace_items_and_rules_match_reference(kaigo):
    for r in rows("workplace_items.csv"):
        item = kaigo.items["list-R6" if r["list"] == "R6" else "list-R7"][int(r["no"])]
        assert item.category == r["category"] and item.label_ja == r["label_ja"]
    assert len(kaigo.items["list-R6"]) == 24 and len(kaigo.items["list-R7"]) == 28
    assert kaigo.rules["R7-low"].each_min == 1 and dict(kaigo.rules["R7-low"].category_min) == {"productivity": 2}
    assert {kaigo.rules[r].must_include for r in ("R7-high-17", "R7-high-18")} == {(17,), (18,)}


def test_unit_prices_match_reference(kaigo):
    n = 0
    for r in rows("unit_prices.csv"):
        for sid in r["services"].split():
            p = kaigo.prices[(sid, r["grade"])]
            assert p.yen == Decimal(r["yen_per_unit"]) and p.labour_share_pct == int(r["labour_share_pct"])
            assert p.cited.confidence == "I"  # S×2 value, inferred service grouping: the weaker part
            n += 1
    assert n == len(kaigo.prices)


def test_pledges_and_thresholds_match_reference(kaigo):
    ref = {(r["period"], r["pledgeable"]): r["deadline"] for r in rows("pledges.csv")}
    got = {(p.period, p.id): p.deadline.isoformat() for rules in kaigo.pledges.values() for p in rules}
    assert got == ref
    for pid in ("R6", "R7", "R8"):
        (cp4,) = [d for d in kaigo.derived[pid] if d.requirement == "cp4"]
        assert cp4.condition == ("field", "top_annual_wage", "ge", 4_400_000)


def test_v_tiers_follow_reference(kaigo):
    for r in rows("v_tiers.csv"):
        t = kaigo.tiers["R6"][r["tier"]]
        tok = 0 if r["old_tokutei_2024_05"] == "none" else int(r["old_tokutei_2024_05"])
        tests = {e[1]: e[3] for e in t.reachable_when[1]}
        assert tests == {"history.shogu": int(r["old_shogu_2024_05"]), "history.tokutei": tok,
                         "history.baseup": r["old_baseup_2024_05"] == "yes"}
        assert t.cited.confidence == "I"


def test_every_service_evaluates_in_every_period_with_tiers(kb, kaigo):
    days = {"R6": "2024-10-01", "R7": "2025-10-01", "R8": "2026-10-01"}
    evaluated = 0
    for sid in kaigo.own_services():
        for pid, day in days.items():
            if not kaigo.tiers_for(pid, sid):
                continue
            o, p = bind(Office(service=sid, as_of=dt.date.fromisoformat(day), met=frozenset({"cp1.1"})), kb)
            ev = evaluate(kb, o, p)
            assert p.id == pid and ev.kb is kaigo and ev.results, (sid, pid)
            evaluated += 1
    # 35 services with tiers Ⅰ–Ⅳ in three periods, 6 SINGLE-tier services in R8 only
    assert evaluated == 35 * 3 + 6


# --------------------------------------------------------------------------- SHACL

def test_shapes_catch_nodes_outside_every_scheme():
    g = rdflib.Graph()
    for f in ("kaigo/scheme.ttl", "shogai/scheme.ttl"):
        g.parse(ROOT / "kb" / f)
    clean = [v.text("en") for v in shacl_run(g)]
    assert not any("no scheme" in t or "outside it" in t or "default" in t for t in clean), clean
    ck = rdflib.Namespace("https://w3id.org/carekb/vocab#")
    stray = rdflib.URIRef("https://example.org/elsewhere/service/x")
    crossing = rdflib.URIRef("https://w3id.org/carekb/kaigo/service/crossing")  # a 介護 node naming a 障害 group
    for s in (stray, crossing):
        g.add((s, rdflib.RDF.type, ck.Service))
        g.add((s, ck.serviceId, rdflib.Literal(str(s)[-5:])))
        g.add((s, rdflib.RDFS.label, rdflib.Literal("試験", lang="ja")))
    g.add((crossing, ck.inGroup, rdflib.URIRef("https://w3id.org/carekb/shogai/service-group/cp5-applies")))
    violations = shacl_run(g)
    texts = [v.text("en") for v in violations]
    assert any("no scheme" in t and "elsewhere/service/x" in t for t in texts), texts
    assert any("outside it" in t and "kaigo/service/crossing" in t for t in texts), texts
    g.remove((rdflib.URIRef("https://w3id.org/carekb/kaigo/scheme"), ck.isDefault, None))
    g.add((rdflib.URIRef("https://w3id.org/carekb/kaigo/scheme"), ck.isDefault, rdflib.Literal(True)))
    assert any("default" in v.text("en") for v in shacl_run(g))


# --------------------------------------------------------------------------- a third scheme is data only

THIRD = """
@prefix ck: <https://w3id.org/carekb/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix d: <https://example.org/demo/> .
d:scheme a ck:Scheme ; dcterms:identifier "demo" ; void:uriSpace "https://example.org/demo/" ;
    rdfs:label "試験用の制度"@ja .
d:P1 a ck:Period ; ck:scheme d:scheme ; ck:periodId "R7" ; rdfs:label "試験期間"@ja ;
    ck:validFrom "2025-04-01"^^xsd:date ; ck:itemList d:list .
d:list a ck:WorkplaceItemList ; rdfs:label "項目"@ja .
d:all a ck:ServiceGroup ; rdfs:label "全サービス"@ja .
d:svc a ck:Service ; ck:serviceId "demo-service" ; rdfs:label "試験サービス"@ja ; ck:inGroup d:all .
d:req a ck:Action ; ck:requirementId "cp1" ; rdfs:label "試験要件"@ja .
d:T a ck:Tier ; ck:period d:P1 ; ck:tierId "ONLY" ; rdfs:label "唯一の区分"@ja ; ck:requires d:req ;
    ck:availableTo d:all ; ck:nominalRank 1 .
d:rate a ck:Rate ; ck:period d:P1 ; ck:service d:svc ; ck:tier d:T ; ck:ratePct 3.5 .
"""


def test_a_third_scheme_needs_no_python(tmp_path):
    overlay = tmp_path / "demo.ttl"
    overlay.write_text(THIRD, encoding="utf-8")
    kb = load_kb(overlays=[overlay], use_cache=False)
    demo = kb.for_service("demo-service")
    assert demo.scheme == "demo" and kb.scheme == "shogai" and list(demo.periods) == ["R7"]
    o, p = bind(check({"office": {"service": "試験サービス"}, "as_of": "2025-07-01"}, {}, "demo.yaml", kb), kb)
    ev = evaluate(kb, o, p)
    assert list(ev.results["ONLY"].missing) == ["cp1"] and ev.results["ONLY"].rate.pct == Decimal("3.5")
    o2, p2 = bind(Office(service="demo-service", as_of=dt.date(2025, 7, 1), met=frozenset({"cp1"})), kb)
    assert evaluate(kb, o2, p2).highest == "ONLY"
    # the other schemes are untouched
    assert kb.for_service("home-help").scheme == "kaigo" and "R8" in kb.periods


def test_generator_reproduces_the_generated_files(tmp_path):
    """tools/kaigo_ttl.py records how the tables became Turtle: re-running it changes nothing."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("kaigo_ttl", ROOT / "tools" / "kaigo_ttl.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.OUT = tmp_path
    for step in (gen.services, gen.rates, gen.unit_prices, gen.workplace_items, gen.v_tiers):
        step()
    for f in tmp_path.glob("*.ttl"):
        assert f.read_text(encoding="utf-8") == (ROOT / "kb" / "kaigo" / f.name).read_text(encoding="utf-8"), f.name
