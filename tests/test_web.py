"""`carekb serve`, the real server on a free loopback port: the SPARQL 1.1 Protocol at /query, the JSON
API at /api/v1 (answers equal to the command line's JSON for every example), docs, limits, CORS and
the API key."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from click.testing import CliRunner

from carekb.cli.main import main
from carekb.web.hosts import free_loopback_port, wait_ready

from conftest import EXAMPLES, ROOT

PROFILES = sorted(EXAMPLES.glob("*.yaml"))
OVERLAYS = sorted((EXAMPLES / "overlays").glob("*.ttl"))


@contextlib.contextmanager
def running_server(*args, env=None):
    """`carekb serve ARGS` on a free loopback port, started as a user would; yields its base URL."""
    port = free_loopback_port()
    proc = subprocess.Popen([sys.executable, "-m", "carekb.cli", "serve", "--port", str(port), *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        key = (env or {}).get("CAREKB_API_KEY")
        wait_ready(base + "/query", proc, seconds=120, headers={"X-API-Key": key} if key else None)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        proc.stderr.close()


@pytest.fixture(scope="module")
def server():
    with running_server("--with", str(EXAMPLES), "--max-rows", "1000", "--timeout", "20") as base:
        yield base


def http(method, url, body=None, headers=None, timeout=60):
    """(status, headers, body bytes) of one request."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def cli_json(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, (json.loads(r.output) if r.exit_code == 0 else r.output.strip())


# --------------------------------------------------------------------------- /query

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def test_get_post_form_and_post_direct_agree(server):
    q = urllib.parse.quote(COUNT)
    answers = [http("GET", f"{server}/query?query={q}", headers={"Accept": "text/csv"}),
               http("POST", f"{server}/query", urllib.parse.urlencode({"query": COUNT}).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"}),
               http("POST", f"{server}/query", COUNT.encode(),
                    {"Content-Type": "application/sparql-query; charset=utf-8", "Accept": "text/csv"})]
    assert {a[0] for a in answers} == {200}
    assert len({a[2] for a in answers}) == 1
    assert int(answers[0][2].decode().split()[-1]) > 10_000


@pytest.mark.parametrize("accept,ctype,check", [
    ("application/sparql-results+json", "application/sparql-results+json",
     lambda b: json.loads(b)["results"]["bindings"][0]["id"]["value"]),
    ("application/sparql-results+xml", "application/sparql-results+xml", lambda b: b"<sparql" in b and b"<literal" in b),
    ("text/csv", "text/csv", lambda b: b.decode().splitlines()[0] == "t,id"),
    ("text/tab-separated-values", "text/tab-separated-values", lambda b: b.decode().splitlines()[0] == "?t\t?id"),
    ("*/*", "application/sparql-results+json", lambda b: "head" in json.loads(b)),
    ("text/html;q=0.9, text/csv;q=0.5", "text/csv", lambda b: b.startswith(b"t,id")),
])
def test_results_by_accept(server, accept, ctype, check):
    q = "PREFIX ck: <https://w3id.org/carekb/vocab#> SELECT ?t ?id WHERE { ?t a ck:Tier ; ck:tierId ?id } LIMIT 3"
    status, headers, body = http("POST", f"{server}/query", q.encode(),
                                 {"Content-Type": "application/sparql-query", "Accept": accept})
    assert status == 200 and headers["Content-Type"].startswith(ctype)
    assert check(body)
    assert headers["X-Carekb-Rows"] == "3" and "X-Carekb-Truncated" not in headers


def test_unacceptable_format_is_406(server):
    status, _, body = http("GET", f"{server}/query?query=ASK%7B%7D", headers={"Accept": "image/png"})
    assert status == 406 and b"image/png" in body


def test_service_description_on_get_without_query(server):
    status, headers, body = http("GET", f"{server}/query")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    import rdflib

    g = rdflib.Graph().parse(data=body.decode(), format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, rdflib.RDF.type, sd.Service) in g
    assert (None, sd.endpoint, rdflib.URIRef(f"{server}/query")) in g


def test_row_cap_is_visible(server):
    status, headers, body = http("POST", f"{server}/query", b"SELECT * WHERE { ?s ?p ?o }",
                                 {"Content-Type": "application/sparql-query"})
    d = json.loads(body)
    assert status == 200 and len(d["results"]["bindings"]) == 1000 and d["truncated"] is True
    assert headers["X-Carekb-Truncated"].startswith("rows") and headers["X-Carekb-Rows"] == "1000"
    status, headers, body = http("POST", f"{server}/query", b"CONSTRUCT WHERE { ?s ?p ?o }",
                                 {"Content-Type": "application/sparql-query", "Accept": "application/n-triples"})
    lines = body.decode().splitlines()
    assert status == 200 and len(lines) == 1001 and lines[-1].startswith("# truncated:")
    import rdflib

    assert len(rdflib.Graph().parse(data=body.decode(), format="nt")) == 1000  # still a valid document


def test_byte_cap_cuts_at_a_row():
    import pyoxigraph as ox

    from carekb.web.sparql_results import write

    st = ox.Store()
    for i in range(100):
        st.add(ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal("x" * 50)))
    for fmt in ("json", "xml", "csv", "tsv"):
        w = write(st.query("SELECT * WHERE { ?s ?p ?o }"), fmt, 10_000, 2_000)
        assert w.truncated == "bytes" and 0 < w.rows < 100 and len(w.body) < 3_000
    w = write(st.query("SELECT * WHERE { ?s ?p ?o }"), "json", 10_000, 2_000)
    assert len(json.loads(w.body)["results"]["bindings"]) == w.rows


def test_updates_and_dataset_parameters_refused(server):
    assert http("POST", f"{server}/update", b"update=DROP+ALL", {"Content-Type": "application/x-www-form-urlencoded"})[0] == 403
    assert http("POST", f"{server}/query", b"DROP ALL", {"Content-Type": "application/sparql-update"})[0] == 403
    assert http("POST", f"{server}/query", b"update=DROP+ALL", {"Content-Type": "application/x-www-form-urlencoded"})[0] == 403
    status, _, body = http("GET", f"{server}/query?query=ASK%7B%7D&default-graph-uri=urn:g")
    assert status == 400 and b"default-graph-uri" in body
    assert http("PUT", f"{server}/query", b"x")[0] == 405
    status, _, body = http("POST", f"{server}/query", b"SELECT ?x WHERE { ?x ?p }", {"Content-Type": "application/sparql-query"})
    assert status == 400 and b"malformed SPARQL" in body and len(body.strip().splitlines()) == 1
    assert http("POST", f"{server}/query", b"x", {"Content-Type": "text/plain"})[0] == 415


def test_request_size_limit_and_chunked_body(server):
    import http.client as client

    port = int(server.rsplit(":", 1)[1])
    conn = client.HTTPConnection("127.0.0.1", port, timeout=30)  # refused on its headers, before any byte of body
    conn.putrequest("POST", "/query")
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader("Content-Length", "4000000")
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 413 and b"too large" in resp.read()
    conn.close()
    # a chunked body is read as one body (not as a second request)
    conn = client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/query", body=iter([b"ASK { ?s ?p ", b"?o }"]),
                 headers={"Content-Type": "application/sparql-query"}, encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 200 and b"true" in resp.read()
    conn.close()


def test_cors(server):
    status, headers, _ = http("OPTIONS", f"{server}/query", headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] in ("*", "http://example.org")
    _, headers, _ = http("GET", f"{server}/query?query=ASK%7B%7D", headers={"Origin": "http://example.org"})
    assert headers["Access-Control-Allow-Origin"] in ("*", "http://example.org")


# --------------------------------------------------------------------------- /api/v1

@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.name)
def test_api_gap_equals_cli_json(server, path):
    code, expected = cli_json("gap", path, "--format", "json")
    status, _, body = http("POST", f"{server}/api/v1/gap", {"profile": path.read_text(encoding="utf-8")})
    if code == 0:
        assert status == 200, body
        assert json.loads(body) == expected
    else:  # not an office profile: the same one-line refusal, 400
        assert status == 400
        answer = json.loads(body)
        assert "\n" not in answer["error"] and answer["error"] == answer["errors"][0]
        for line in answer["errors"]:  # each problem as the command line words it (the source differs)
            assert line.split(": ", 1)[1] in expected, line


def test_api_calls_equal_cli_json(server):
    import yaml

    path = EXAMPLES / "r7-after-school-day.yaml"
    as_dict = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
    calls = [
        ("gap", {"as_of": "2025-07-01", "no_pledge": True, "target": "II"},
         ["gap", path, "--as-of", "2025-07-01", "--no-pledge", "--target", "II"]),
        ("tiers", {}, ["tiers", path]),
        ("explain", {"tier": "I"}, ["explain", path, "I"]),
        ("whatif", {"add": ["cp4"]}, ["whatif", path, "--add", "cp4"]),
        ("plan", {"budget": 3}, ["plan", path, "--budget", "3"]),
    ]
    for call, options, argv in calls:
        code, expected = cli_json(*argv, "--format", "json")
        assert code == 0, expected
        status, _, body = http("POST", f"{server}/api/v1/{call}", {"profile": as_dict, "options": options})
        assert status == 200, (call, body)
        assert json.loads(body) == expected, call
    for call, argv in (("services", ["services"]), ("requirements?period=R7", ["requirements", "--period", "R7"])):
        status, _, body = http("GET", f"{server}/api/v1/{call}")
        assert status == 200 and json.loads(body) == cli_json(*argv, "--format", "json")[1], call


def cli_table(*args, columns: int) -> str:
    """What `carekb ARGS --format table` prints in a terminal COLUMNS wide."""
    r = CliRunner(env={"COLUMNS": str(columns), "CAREKB_WIDE": None, "CAREKB_AMBIGUOUS_WIDE": None}).invoke(
        main, [str(a) for a in args] + ["--format", "table"])
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("columns", [100, 60])
def test_api_text_equals_cli_table(server, columns):
    """?format=text&width=N answers the very text the command prints in an N-column terminal (the page shows it)."""
    path = EXAMPLES / "r7-after-school-day.yaml"
    calls = [
        ("tiers", {}, ["tiers", path]),
        ("explain", {"tier": "I", "lang": "en"}, ["explain", path, "I", "--lang", "en"]),
        ("explain", {"tier": "II", "full": True}, ["explain", path, "II", "--full"]),
        ("whatif", {"add": ["cp4"], "set": ["top_annual_wage=4700000"]},
         ["whatif", path, "--add", "cp4", "--set", "top_annual_wage=4700000"]),
        ("plan", {"budget": 3}, ["plan", path, "--budget", "3"]),
        ("gap", {"no_pledge": True, "target": "III"}, ["gap", path, "--no-pledge", "--target", "III"]),
    ]
    for call, options, argv in calls:
        status, headers, body = http("POST", f"{server}/api/v1/{call}?format=text&width={columns}",
                                     {"profile": path.read_text(encoding="utf-8"), "options": options})
        assert status == 200 and headers["Content-Type"].startswith("text/plain"), (call, body)
        assert body.decode("utf-8") == cli_table(*argv, columns=columns), (call, options)
    # gap: the same text but for the closing "next commands" paragraph, which names the user's file
    expected = cli_table("gap", path, columns=columns)
    status, _, body = http("POST", f"{server}/api/v1/gap?format=text&width={columns}",
                           {"profile": path.read_text(encoding="utf-8")})
    text = body.decode("utf-8")
    assert status == 200 and "■ Ⅰ (13.4%)" in text and str(path) not in text
    assert expected.startswith(text.rstrip("\n") + "\n\n次の一手: ") and str(path) in expected
    assert max(len(line) for line in text.splitlines()) <= columns  # ASCII bound; the width is by display columns
    for query, word in (("format=xml", "format"), ("format=text&width=5", "width"), ("format=text&width=99999", "width")):
        status, _, body = http("POST", f"{server}/api/v1/gap?{query}", {"profile": path.read_text(encoding="utf-8")})
        assert status == 400 and word in json.loads(body)["error"], query


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_api_rule_overlay_per_request(server, overlay):
    profile = EXAMPLES / "r8-employment-b.yaml"
    code, expected = cli_json("gap", profile, "--rules-overlay", overlay, "--format", "json")
    assert code == 0, expected
    body = {"profile": profile.read_text(encoding="utf-8"),
            "overlays": [{"name": overlay.name, "turtle": overlay.read_text(encoding="utf-8")}]}
    status, _, answer = http("POST", f"{server}/api/v1/gap", body)
    assert status == 200, answer
    got = json.loads(answer)
    plain = json.loads(http("POST", f"{server}/api/v1/gap", {"profile": profile.read_text(encoding="utf-8")})[2])
    assert got["kb_version"] == expected["kb_version"] != plain["kb_version"]  # the overlay is in the version
    assert [(o["file"], o["sha256"]) for o in got["rules_overlays"]] == \
        [(overlay.name, o["sha256"]) for o in expected["rules_overlays"]]
    for key in ("highest", "rate_pct", "targets", "yen_per_month"):
        assert got[key] == expected[key], key


def test_api_user_rates_per_request(server, tmp_path):
    """options.rates is the text of a --rates CSV: the answer equals the CLI's with that file."""
    rates = tmp_path / "rates.csv"
    rates.write_text("period,service,tier,rate_pct,source\nR8,employment-b,II-ro,11.5,my copy of the notice\n",
                     encoding="utf-8")
    profile = EXAMPLES / "r8-employment-b.yaml"
    code, expected = cli_json("gap", profile, "--rates", rates, "--format", "json")
    assert code == 0, expected
    body = {"profile": profile.read_text(encoding="utf-8"), "options": {"rates": rates.read_text(encoding="utf-8")}}
    status, _, answer = http("POST", f"{server}/api/v1/gap", body)
    assert status == 200, answer
    got = json.loads(answer)
    assert [u["file"] for u in got["user_rates"]] == ["options.rates"]  # never the server's temporary path
    for u in expected["user_rates"]:
        u["file"] = "options.rates"
    assert got == expected
    assert any("user-supplied" in w and "my copy of the notice" in w for w in got["warnings"])
    body["options"]["rates"] = "period,service,tier,rate_pct\nR8,employment-b,II-ro,lots\n"
    status, _, answer = http("POST", f"{server}/api/v1/gap", body)
    assert status == 400 and "rates.csv" in json.loads(answer)["error"] and "2行目" in json.loads(answer)["error"]   # the server speaks Japanese unless CAREKB_LANG=en


def test_api_bad_input_is_one_line_never_500(server):
    cases = [
        ({"profile": {"version": 1, "office": {"service": "no-such-service"}}}, 400, "no-such-service"),
        ({"profile": {"version": 1, "office": {"service": "after-school-day"}}, "options": {"colour": 1}}, 400, "colour"),
        ({"profile": {"version": 1, "office": {"service": "after-school-day"}}, "options": {"no_pledge": "yes"}}, 400,
         "no_pledge"),
        ({"profile": {"version": 1, "office": {"service": "after-school-day"}}, "options": {"as_of": "2025-02-30"}}, 400,
         "2025-02-30"),
        ({"options": {}}, 422, "profile"),
        ({"profile": 12}, 422, "profile"),
        ({"profile": "/etc/passwd"}, 400, ""),  # text, never a path on the server
    ]
    for body, status, word in cases:
        got, _, answer = http("POST", f"{server}/api/v1/gap", body)
        message = json.loads(answer)["error"]
        assert got == status and word in message and "\n" not in message and "Traceback" not in message, (body, message)
        assert "root:" not in message
    got, _, answer = http("POST", f"{server}/api/v1/explain", {"profile": {"version": 1}, "options": {}})
    assert got == 400 and "tier" in json.loads(answer)["error"]
    got, _, answer = http("POST", f"{server}/api/v1/gap", b"{not json", {"Content-Type": "application/json"})
    assert got == 422 and "\n" not in json.loads(answer)["error"]


def test_api_batch_upload(server, tmp_path):
    src = EXAMPLES / "batch" / "offices.csv"
    out = tmp_path / "out.json"
    r = CliRunner().invoke(main, ["batch", str(src), "--out", str(out)])
    assert r.exit_code == 0, r.output
    expected = json.loads(out.read_text(encoding="utf-8"))
    boundary = "carekbboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"offices.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + src.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, _, answer = http("POST", f"{server}/api/v1/batch", body,
                             {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 200, answer
    got = json.loads(answer)
    assert got["results"] == expected
    bad = body.replace(b'filename="offices.csv"', b'filename="offices.txt"')
    status, _, answer = http("POST", f"{server}/api/v1/batch", bad,
                             {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 400 and "offices.txt" in json.loads(answer)["error"]


def test_openapi_docs_and_page_work_offline(server):
    status, _, body = http("GET", f"{server}/openapi.json")
    paths = json.loads(body)["paths"]
    assert status == 200 and {"/api/v1/gap", "/api/v1/batch", "/api/v1/services", "/query"} <= set(paths)
    status, _, html = http("GET", f"{server}/docs")
    assert status == 200
    import re

    assets = re.findall(rb'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets and all(not a.startswith((b"http:", b"https:", b"//")) for a in assets)
    for a in assets:
        assert http("GET", server + a.decode())[0] == 200
    status, headers, page = http("GET", f"{server}/")
    assert status == 200 and "ギャップ分析" in page.decode()
    assert not re.search(rb'(?:src|href)="(?:https?:)?//', page)  # no external assets


# --------------------------------------------------------------------------- limits and exposure

def test_api_key_beyond_loopback_and_when_set(tmp_path):
    r = subprocess.run([sys.executable, "-m", "carekb.cli", "serve", "--host", "0.0.0.0", "--port",
                        str(free_loopback_port())], capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in os.environ.items() if k != "CAREKB_API_KEY"})
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "API key" in r.stderr
    with running_server("--workers", "1", env={"CAREKB_API_KEY": "s3cret"}) as base:
        assert http("GET", f"{base}/query?query=ASK%7B%7D")[0] == 401
        assert http("GET", f"{base}/query?query=ASK%7B%7D", headers={"X-API-Key": "wrong"})[0] == 401
        assert http("GET", f"{base}/query?query=ASK%7B%7D", headers={"X-API-Key": "s3cret"})[0] == 200
        assert http("GET", f"{base}/api/v1/services", headers={"Authorization": "Bearer s3cret"})[0] == 200
        assert http("GET", f"{base}/api/v1/services")[0] == 401
        assert http("GET", f"{base}/")[0] == 200  # the page asks for the key itself


def test_body_that_never_comes_gets_408():
    import anyio

    from carekb.web.limits import RequestLimits

    async def app(scope, receive, send):
        pytest.fail("the application must not see a request whose body never came")

    sent = []

    async def receive():
        await anyio.sleep(60)

    async def send(message):
        sent.append(message)

    mw = RequestLimits(app, max_body=100, max_upload=100, body_timeout=0.3, api_key=None)
    scope = {"type": "http", "method": "POST", "path": "/query", "headers": [(b"expect", b"100-continue")]}
    anyio.run(mw, scope, receive, send)
    assert sent[0]["status"] == 408


def test_slow_headers_are_cut_off():
    """A client that trickles its request headers is disconnected (uvicorn alone would wait forever)."""
    import asyncio

    import uvicorn

    from carekb.web.protocol import TimedH11Protocol

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    quick = type("Quick", (TimedH11Protocol,), {"header_timeout": 0.5})
    port = free_loopback_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=quick, lifespan="off",
                                           log_level="error"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            time.sleep(1.2)
            s.settimeout(3)
            assert s.recv(100) == b""  # closed by the server
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:  # a whole request is answered
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_dead_worker_is_replaced_and_the_pool_goes_on():
    """A worker that dies (a query the engine cannot survive) costs that query a 500, not the server."""
    import asyncio

    import pyoxigraph as ox

    from carekb.web.query_pool import QueryPool

    st = ox.Store()
    st.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.NamedNode("urn:c")))
    pool = QueryPool(st.dump(format=ox.RdfFormat.N_QUADS), workers=1, timeout=30)
    pool.start()

    async def scenario():
        first = await pool.run("ASK { ?s ?p ?o }", None)
        pool._workers[0].proc.kill()  # as a crash in native code would end it
        pool._workers[0].proc.join(5)
        crashed = await pool.run("ASK { ?s ?p ?o }", None, fresh=True)
        again = await pool.run("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "text/csv")
        kept = await pool.run("ASK { ?s ?p ?o }", None)  # the graph never changes: a repeated query is kept
        assert kept is first and pool.answers.hits == 1
        return first, crashed, again

    try:
        first, crashed, again = asyncio.run(scenario())
    finally:
        pool.close()
    assert first.status == 200 and b"true" in first.body
    assert crashed.status == 500 and b"server goes on" in crashed.body
    assert again.status == 200 and again.body.decode().splitlines() == ["s,p,o", "urn:a,urn:b,urn:c"]
    assert pool.replaced == 1
