"""Query safety (carekb.graph.sparql_safety) against an adversarial corpus (tests/data/attack/*.rq):
every attack is refused with one line naming the reason, through `carekb sparql FILE.rq` and through
`carekb serve`, and no request ever reaches the loopback listener the test starts."""

import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from carekb.app import sparql as store
from carekb.cli.main import main
from carekb.graph import sparql_safety as safety
from carekb.model.errors import CarekbError

from conftest import ROOT
from test_web import running_server

ATTACKS = sorted((ROOT / "tests" / "data" / "attack").glob("*.rq"))
UPDATES = {"load.rq", "drop-all.rq", "insert-where-service.rq"}
ESCAPED = {"service-unicode-escape.rq"}          # oxigraph itself rejects it; refused all the same
CR_COMMENT = {"comment-carriage-return.rq"}      # rdflib's comment runs past \r, oxigraph's ends there


def reason(path: Path) -> str:
    if path.name in UPDATES:
        return "updates are refused"
    if path.name.startswith("nested"):
        return "levels deep"
    return "SERVICE"


class Listener:
    """A TCP listener on loopback that records every connection (and closes it at once)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.hits = []
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                conn.settimeout(0.5)
                self.hits.append(conn.recv(300))
            except OSError:
                self.hits.append(b"")
            conn.close()

    def settle(self):
        time.sleep(0.3)  # a fetch in flight would arrive by now
        return list(self.hits)

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


def attack_text(path: Path, port: int) -> str:
    """The attack with the listener's port; bytes decoded as they are (read_text would turn \r into \n)."""
    return path.read_bytes().decode("utf-8").replace("PORT", str(port))


def test_corpus_is_large_enough():
    assert len(ATTACKS) >= 20
    assert {"comment-triple-quotes.rq", "iri-with-quote.rq", "service-silent.rq", "service-variable.rq",
            "service-in-subquery.rq", "service-unicode-escape.rq", "service-prefixed-name.rq", "nested-3000.rq",
            "nested-10000.rq"} <= {p.name for p in ATTACKS}


def test_the_listener_sees_an_unchecked_service_query(listener):
    """The control: run on pyoxigraph without the check, SERVICE does reach the listener."""
    import pyoxigraph as ox

    before = len(listener.hits)
    try:
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/control> {{ ?s ?p ?o }} }}"))
    except OSError:
        pass
    assert len(listener.settle()) > before


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.name)
def test_check_refuses_every_attack(path, listener):
    text = attack_text(path, listener.port)
    started = time.perf_counter()
    with pytest.raises(CarekbError) as e:
        safety.check_query(text, path.name)
    assert reason(path) in e.value.message and "\n" not in str(e.value)
    assert e.value.forbidden
    assert time.perf_counter() - started < 5  # the 10,000-deep nest is refused before any parser recurses


@pytest.mark.parametrize("path", [p for p in ATTACKS if reason(p) == "SERVICE" and p.name not in ESCAPED | CR_COMMENT],
                         ids=lambda p: p.name)
def test_the_parse_alone_finds_service(path, listener):
    """The parse tree decides, not the text: every SERVICE is found there even without the token scan."""
    tree = safety._parse(attack_text(path, listener.port))
    assert "ServiceGraphPattern" in set(safety._node_names(tree))


def test_a_carriage_return_ends_a_comment_for_oxigraph_only():
    """Why the token scan stays: rdflib reads `# …\\rSERVICE …` as one comment, oxigraph as a comment and
    a SERVICE.  The scan ends comments where oxigraph does."""
    text = attack_text(ROOT / "tests/data/attack/comment-carriage-return.rq", 9)
    assert "ServiceGraphPattern" not in set(safety._node_names(safety._parse(text)))
    assert "SERVICE" in safety.scan(text)[1]


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.name)
def test_cli_refuses_without_reaching_the_listener(path, listener, tmp_path):
    f = tmp_path / path.name
    f.write_bytes(attack_text(path, listener.port).encode("utf-8"))
    before = len(listener.hits)
    r = CliRunner().invoke(main, ["sparql", str(f)])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("carekb: error: ") and len(r.output.strip().splitlines()) == 1
    assert reason(path) in r.output
    assert len(listener.settle()) == before


def test_harmless_lookalikes_are_allowed():
    for text in ('SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }" }',
                 "SELECT ?service WHERE { ?service ?p ?o }",
                 "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:SERVICE ?o }",
                 "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/> {}",
                 "SELECT * WHERE { ?s ?p <http://example.org/SERVICE> }"):
        assert safety.check_query(text, "q") == "SELECT", text


def test_depth_and_length_limits():
    ok = "SELECT * WHERE " + "{ " * 20 + "?s ?p ?o " + "} " * 20
    assert safety.check_query(ok, "q") == "SELECT"
    deep = "SELECT * WHERE " + "{ " * (safety.MAX_DEPTH + 1) + "} " * (safety.MAX_DEPTH + 1)
    with pytest.raises(CarekbError, match="levels deep"):
        safety.check_query(deep, "q")
    # pyparsing recurses once per triple of a block: 3,000 triples parse on the checker's deep stack
    flat = "SELECT * WHERE { " + " ".join(f"?s{i} <urn:p> ?o{i} ." for i in range(3000)) + " }"
    assert safety.check_query(flat, "q") == "SELECT"
    with pytest.raises(CarekbError, match="too large"):
        safety.check_query("SELECT * WHERE { ?s ?p ?o } #" + "x" * safety.MAX_QUERY_BYTES, "q")


def test_verdicts_are_cached_by_hash(monkeypatch):
    text = "SELECT * WHERE { ?s ?p ?o } LIMIT 3 # cached"
    assert safety.check_query(text, "q") == "SELECT"
    monkeypatch.setattr(safety, "_parse", lambda _t: pytest.fail("parsed twice"))
    assert safety.check_query(text, "q") == "SELECT"


def test_a_spawned_child_runs_and_times_out_where_fork_is_missing(monkeypatch):
    """Portable time-outs: without os.fork (Windows) the query runs in a spawned child."""
    st = store.oxigraph_store(store.dataset())
    monkeypatch.delattr(os, "fork")
    r = store.query_store(st, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", timeout=60)
    assert int(r["results"]["bindings"][0]["n"]["value"]) == len(st)
    started = time.monotonic()
    with pytest.raises(CarekbError, match="longer than 2 s"):
        store.query_store(st, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout=2)
    assert time.monotonic() - started < 30


def _service_from_offline_child(port: int):
    offline = safety.drop_network()
    import pyoxigraph as ox

    try:
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/offline> {{ ?s ?p ?o }} }}"))
    except OSError:
        pass
    return offline


def test_query_children_leave_the_network(listener):
    """Defence in depth: a SERVICE that slipped past the check finds no network in a query child."""
    import functools

    before = len(listener.hits)
    offline = safety.in_child(functools.partial(_service_from_offline_child, listener.port), 30, "q")
    if not offline:
        if os.environ.get("CI") and sys.platform.startswith("linux"):
            pytest.fail("user namespaces are unavailable in CI: the workers cannot leave the network")
        pytest.skip("this system does not let a process leave the network (no user namespaces)")
    assert len(listener.settle()) == before


# --------------------------------------------------------------------------- through the server

@pytest.fixture(scope="module")
def server():
    with running_server("--timeout", "5") as base:
        yield base


def _post(url: str, data: bytes, ctype: str):
    req = urllib.request.Request(url, data=data, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.name)
def test_server_refuses_without_reaching_the_listener(path, server, listener):
    text = attack_text(path, listener.port)
    before = len(listener.hits)
    for data, ctype in ((urllib.parse.urlencode({"query": text}).encode(), "application/x-www-form-urlencoded"),
                        (text.encode(), "application/sparql-query")):
        status, body = _post(server + "/query", data, ctype)
        assert status == 403, body
        assert reason(path) in body and len(body.strip().splitlines()) == 1
    if len(text) < 4000:
        status, body = _post(server + "/query?" + urllib.parse.urlencode({"query": text}), b"", "")
    assert len(listener.settle()) == before
    with urllib.request.urlopen(server + "/query?query=ASK%7B%7D", timeout=30) as resp:  # still up
        assert resp.status == 200


def test_server_survives_the_deep_nests_and_a_runaway_query(server):
    for name in ("nested-3000.rq", "nested-10000.rq", "nested-parentheses-10000.rq"):
        text = (ROOT / "tests/data/attack" / name).read_text()
        assert _post(server + "/query", text.encode(), "application/sparql-query")[0] == 403
    started = time.monotonic()
    status, body = _post(server + "/query", b"SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                         "application/sparql-query")
    assert status == 503 and "longer than 5 s" in body  # an error status, never a 200 with a cut body
    assert time.monotonic() - started < 30
    status, body = _post(server + "/query", b"ASK { ?s ?p ?o }", "application/sparql-query")
    assert status == 200 and "true" in body  # a fresh worker took the killed one's place


def test_the_endpoint_client_checks_before_sending(listener):
    """`--endpoint` reads: the query is refused here, the endpoint never sees it."""
    before = len(listener.hits)
    text = attack_text(ROOT / "tests/data/attack/comment-triple-quotes.rq", listener.port)
    with pytest.raises(CarekbError, match="SERVICE"):
        store.query_endpoint(f"http://127.0.0.1:{listener.port}/query", text)
    assert len(listener.settle()) == before
