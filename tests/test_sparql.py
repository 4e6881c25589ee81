"""SPARQL for analysts: results as RDF, the query library on pyoxigraph vs rdflib, the CLI
(sparql, export), and the real `carekb serve` started on a free loopback port."""

import json
import os
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from carekb.app import sparql as store
from carekb.cli.main import main
from carekb.model.errors import CarekbError

from conftest import EXAMPLES, ROOT

CK = "https://w3id.org/carekb/vocab#"
PREFIX = f"PREFIX ck: <{CK}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
GUIDANCE_QUERIES = {"guidance-by-category-modality", "guidance-workplace"}


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture(scope="module")
def ds():
    return store.dataset([EXAMPLES])


@pytest.fixture(scope="module")
def ox(ds):
    return store.oxigraph_store(ds)


@pytest.fixture(scope="module")
def rdf(ds):
    return store.rdflib_graph(ds)


def select(st, text):
    return store.query_store(st, PREFIX + text)["results"]["bindings"]


def has_guidance(st) -> bool:
    return store.query_store(st, PREFIX + "ASK { ?g a ck:GuidanceItem }")["boolean"]


def comparable(result):
    """Order-free rows; rdflib answers an aggregate over no solution with one all-unbound row."""
    return [r for r in store.normalised(result) if any(t != ("unbound",) for t in r)]


# --------------------------------------------------------------------------- results as RDF

def test_results_match_the_json_contract(ds, ox):
    from carekb.app.results_rdf import evaluation_iri
    from carekb.app.report import to_dict

    assert len(ds.evaluations) >= 6
    for ev in ds.evaluations:
        d = to_dict(ev, alternatives=False)
        e = evaluation_iri(ev.office)
        rows = select(ox, f"SELECT ?h ?v WHERE {{ <{e}> a ck:Evaluation ; ck:kbVersion ?v . "
                          f"OPTIONAL {{ <{e}> ck:highestTier/ck:tierId ?h }} }}")
        assert len(rows) == 1 and rows[0]["v"]["value"] == ev.kb.version
        assert rows[0].get("h", {}).get("value") == d["highest"]
        attainable = {r["t"]["value"] for r in select(ox, f"SELECT ?t WHERE {{ <{e}> ck:attainableTier/ck:tierId ?t }}")}
        assert attainable == set(d["attainable"])
        gaps = select(ox, f"""SELECT ?t ?n ?p (COUNT(?a) AS ?actions) WHERE {{ <{e}> ck:target ?g . ?g ck:targetTier/ck:tierId ?t .
                              OPTIONAL {{ ?g ck:missingCount ?n ; ck:usesPledge ?p . OPTIONAL {{ ?g ck:missingAction ?a }} }} }}
                              GROUP BY ?t ?n ?p""")
        got = {r["t"]["value"]: (int(r["n"]["value"]) if "n" in r else None, r.get("p", {}).get("value"),
                                 int(r["actions"]["value"])) for r in gaps}
        want = {t["tier"]: (t.get("missing_count"), str(t["uses_pledge"]).lower() if t["reachable"] else None,
                            len(t.get("missing", ()))) for t in d["targets"]}
        assert got == want


def test_result_links_are_kb_iris(ox):
    """Every IRI a result points to (tiers, periods, actions, pledges, services) is a typed node of the KB."""
    dangling = select(ox, """SELECT DISTINCT ?p ?o WHERE {
        { ?e a ck:Evaluation } UNION { ?e a ck:TargetGap }
        ?e ?p ?o . FILTER(isIRI(?o) && ?p != rdf:type && ?p NOT IN (ck:evaluates, ck:target))
        FILTER NOT EXISTS { ?o a ?class } }""".replace("rdf:type", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"))
    assert dangling == []
    kinds = {r["c"]["value"].split("#")[1] for r in select(ox, "SELECT DISTINCT ?c WHERE { ?g ck:missingAction/a ?c }")}
    assert {"Action", "WorkplaceItem", "PledgeRule"} <= kinds


def test_result_vocabulary_is_declared_with_labels(ox):
    missing = select(ox, """SELECT DISTINCT ?p WHERE {
        { ?e a ck:Evaluation } UNION { ?e a ck:TargetGap }
        { ?e ?p ?o } UNION { ?e a ?p }
        FILTER(STRSTARTS(STR(?p), STR(ck:)))
        FILTER NOT EXISTS { ?p rdfs:label ?ja , ?en FILTER(lang(?ja) = "ja" && lang(?en) = "en") } }""")
    assert missing == []


# --------------------------------------------------------------------------- the query library

def test_library_is_documented():
    lib = store.library()
    assert len(lib) >= 10
    for name, q in lib.items():
        assert q.title_ja and q.title_en and q.description, name
        for p in q.params.values():
            assert (p.default is not None or p.type == "lang") and p.doc, (name, p.name)   # lang: the reader's
            store.sparql_term(p.default or "ja", p.type, p.name)


@pytest.mark.parametrize("name", sorted(store.library()))
def test_library_query_equals_rdflib(name, ox, rdf):
    if name in GUIDANCE_QUERIES and not has_guidance(ox):
        pytest.skip("no guidance items in kb/guidance yet")
    text = store.bind_params(store.named_query(name), {})
    a = store.query_store(ox, text, name)
    b = store.query_rdflib(rdf, text)
    assert a["head"]["vars"] == b["head"]["vars"]
    assert comparable(a) == comparable(b)
    if name not in GUIDANCE_QUERIES:
        assert a["results"]["bindings"], f"{name} returns no row on the examples"


def test_library_answers(ox, ds):
    def q(name, **params):
        return store.query_store(ox, store.bind_params(store.named_query(name), params))["results"]["bindings"]

    ranked = [float(r["ratePct"]["value"]) for r in q("rates-ranked", period="R7")]
    assert ranked == sorted(ranked, reverse=True) and len(ranked) > 20
    reqs = {r["id"]["value"] for r in q("tier-requirements", period="R7", tier="II")}
    assert {"cp4", "visibility", "cp3", "wage.1", "R7-high", "R7-low"} <= reqs and "cp5" not in reqs
    changes = {(r["serviceId"]["value"], r["tierId"]["value"]): r["change"]["value"] for r in q("period-changes")}
    assert changes[("accompany-support", "I-ro")] == "new" and changes[("accompany-support", "I")] == "dropped"
    weak = {r["confidence"]["value"] for r in q("low-confidence", below="S")}
    assert weak and weak <= {"I", "U"}
    offices = q("offices-by-tier")
    rates = [float(o["ratePct"]["value"]) for o in offices if "ratePct" in o]
    assert rates == sorted(rates, reverse=True) and len(offices) == len(ds.evaluations)
    top = q("yen-left-on-table")[0]
    assert int(top["maxGainPerMonth"]["value"]) > 0
    common = q("common-missing-actions")
    assert int(common[0]["offices"]["value"]) >= int(common[-1]["offices"]["value"])


def test_parameters_are_substituted_safely():
    q = store.named_query("rates-ranked")
    text = store.bind_params(q, {"period": 'R8" } DROP ALL #'})
    assert '"R8\\" } DROP ALL #"' in text
    with pytest.raises(CarekbError, match="パラメータ 'nope' はありません"):   # the default language: ja
        store.bind_params(q, {"nope": "1"})
    with pytest.raises(CarekbError, match="真偽値 true/false の値として正しくありません"):
        store.bind_params(store.named_query("common-missing-actions"), {"next": "1) || true"})
    assert store.sparql_term("2026-06-01", "date", "d").endswith("#date>")
    with pytest.raises(CarekbError):
        store.sparql_term("2026-02-30", "date", "d")
    with pytest.raises(CarekbError):
        store.sparql_term("x> } DROP ALL {", "iri", "i")


# --------------------------------------------------------------------------- the command line

def test_cli_named_query_formats(ds):
    r = run("sparql", "-n", "rates-ranked", "-p", "period=R7", "--format", "csv")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "serviceId,service,tierId,ratePct,confidence" and len(lines) > 20
    r = run("sparql", "-n", "offices-by-tier", "--with", EXAMPLES, "--format", "json")
    d = json.loads(r.output)
    assert d["head"]["vars"][0] == "office" and len(d["results"]["bindings"]) == len(ds.evaluations)
    r = run("sparql", "-n", "tier-requirements", "--format", "tsv")
    assert r.output.splitlines()[0].startswith("?requirement\t?id") and "<https://w3id.org/carekb/shogai/req/cp4>" in r.output
    r = run("sparql", f"{PREFIX} ASK {{ ?t a ck:Tier }}")
    assert r.exit_code == 0 and r.output.strip() == "true"
    assert "rates-ranked" in run("sparql", "--list").output


def test_cli_malformed_query_exit_2_with_position():
    r = run("sparql", "SELECT ?x WHERE {\n  ?x ?p }")
    assert r.exit_code == 2
    assert "malformed SPARQL" in r.output and "line 2, column" in r.output and "expected" in r.output


def test_cli_updates_refused():
    for q in ("INSERT DATA { <a:b> <a:c> <a:d> }", f"{PREFIX} DELETE WHERE {{ ?s ?p ?o }}", "DROP ALL"):
        r = run("sparql", q)
        assert r.exit_code == 2 and "updates are refused" in r.output, q


def test_cli_bad_input_exit_2(tmp_path):
    assert run("sparql", "-n", "no-such-query").exit_code == 2
    assert run("sparql", "-n", "rates-ranked", "-p", "period").exit_code == 2
    assert run("sparql", "missing-file.rq").exit_code == 2
    r = run("sparql", "-n", "rates-ranked", "--endpoint", "ftp://example.org/sparql")
    assert r.exit_code == 2 and "http" in r.output
    r = run("sparql", "-n", "rates-ranked", "--endpoint", "http://127.0.0.1:9/query", "--with", EXAMPLES)
    assert r.exit_code == 2 and "--with" in r.output
    f = tmp_path / "q.rq"
    f.write_text("# param: t string IV -- a tier\nPREFIX ck: <https://w3id.org/carekb/vocab#>\n"
                 "SELECT ?tier WHERE { ?tier ck:tierId $t }\n")
    r = run("sparql", f, "-p", "t=II-ro", "--format", "csv")
    assert r.exit_code == 0 and sorted(r.output.splitlines()) == [  # both schemes have a tier II-ro
        "https://w3id.org/carekb/kaigo/R8/II-ro", "https://w3id.org/carekb/shogai/R8/II-ro", "tier"]


@pytest.mark.parametrize("fmt,parser", [("ttl", "turtle"), ("nt", "nt"), ("nq", "nquads"), ("jsonld", "json-ld")])
def test_export_round_trips(fmt, parser, tmp_path, ox):
    import rdflib

    out = tmp_path / f"carekb.{fmt}"
    r = run("export", "--format", fmt, "--with", EXAMPLES, "-o", out)
    assert r.exit_code == 0, r.output
    if fmt == "nq":  # rdflib's N-Quads reader warns on every quad: read it with pyoxigraph
        import pyoxigraph

        assert sum(1 for _ in pyoxigraph.parse(path=str(out), format=pyoxigraph.RdfFormat.N_QUADS)) == len(ox)
        return
    g = rdflib.Graph()
    g.parse(out, format=parser)
    assert len(g) == len(ox)


# --------------------------------------------------------------------------- the real server (carekb serve)

@pytest.fixture(scope="module")
def server():
    """`carekb serve` (the web server) on a free loopback port; its /query URL."""
    from carekb.web.hosts import free_loopback_port, wait_ready

    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}/query"
    proc = subprocess.Popen([sys.executable, "-m", "carekb.cli", "serve", "--port", str(port), "--with", str(EXAMPLES),
                             "--timeout", "20"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        wait_ready(url, proc, seconds=120)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # carekb serve stops its query workers, then exits
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        proc.stdout.close()
        proc.stderr.close()


def test_server_answers_the_library_like_the_embedded_store(server, ox):
    for name in sorted(store.library()):
        text = store.bind_params(store.named_query(name), {})
        assert comparable(store.query_endpoint(server, text, name)) == comparable(store.query_store(ox, text)), name


def test_server_via_cli_and_plain_http(server, ds):
    import urllib.parse
    import urllib.request

    r = run("sparql", "-n", "offices-by-tier", "--endpoint", server, "--format", "csv")
    assert r.exit_code == 0, r.output
    assert len(r.output.splitlines()) == 1 + len(ds.evaluations)
    body = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}).encode()
    req = urllib.request.Request(server, data=body, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.read().decode().splitlines()[0] == "n"


def test_server_refuses_updates(server):
    import urllib.error
    import urllib.parse
    import urllib.request

    update_url = server.rsplit("/", 1)[0] + "/update"
    body = urllib.parse.urlencode({"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}).encode()
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(urllib.request.Request(update_url, data=body), timeout=10)
    assert e.value.code in (403, 404, 405)
    assert store.query_endpoint(server, "ASK { <urn:a> ?p ?o }")["boolean"] is False
    r = run("sparql", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "--endpoint", server)
    assert r.exit_code == 2 and "updates are refused" in r.output


def test_server_malformed_query_exit_2(server):
    r = run("sparql", "SELECT ?x WHERE { ?x ?p }", "--endpoint", server)
    assert r.exit_code == 2 and "malformed SPARQL" in r.output and "line 1, column 26" in r.output


def test_rules_read_from_the_endpoint_match_the_local_kb(server):
    from carekb.graph.kbload import load_kb

    remote, local = store.kb_from_endpoint(server), load_kb()
    assert remote.rates == local.rates and remote.tiers.keys() == local.tiers.keys()
    assert remote.requirements.keys() == local.requirements.keys()


def test_gap_with_rules_from_the_endpoint_equals_local(server):
    """`--endpoint` wherever rules are read: the same answer as from the local kb/."""
    profile = str(EXAMPLES / "r8-employment-b.yaml")
    local = json.loads(CliRunner().invoke(main, ["gap", profile, "--format", "json"]).output)
    remote_run = CliRunner().invoke(main, ["gap", profile, "--format", "json", "--endpoint", server])
    assert remote_run.exit_code == 0, remote_run.output
    remote = json.loads(remote_run.output)
    assert remote["kb_version"].startswith("remote-")
    for key in ("highest", "rate_pct", "attainable", "targets", "yen_per_month"):
        assert remote[key] == local[key], key
    r = CliRunner().invoke(main, ["requirements", "--period", "R8", "--format", "json", "--endpoint", server])
    assert r.exit_code == 0 and len(json.loads(r.output)["tiers"]) == 7
