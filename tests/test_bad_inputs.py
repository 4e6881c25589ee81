"""The bad-input corpus (tests/data/bad/cases.yaml) through the command line: every case ends with
exit status 2 and one line naming the file (or option) and the problem, never a traceback, and
leaves no output file.  Plus atomic writes: an error mid-way leaves nothing behind."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from carekb.cli.main import main

from conftest import ROOT

BAD = Path(__file__).resolve().parent / "data" / "bad"
CASES = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))["cases"]

# Files too large to commit, built on demand (name -> bytes)
GENERATED = {
    "huge-profile.yaml": lambda: b"office: {service: home-care}\n# " + b"x" * 6_000_000 + b"\n",
    "huge-visit.yaml": lambda: b"temperature_c: 36.4\n# " + b"x" * 6_000_000 + b"\n",
    "huge-query.rq": lambda: b"SELECT * WHERE { " + b"?s ?p ?o . " * 200_000 + b"}\n",
    # 2.4 MB, under the size limit, but 1.2 million items: refused before PyYAML spends minutes and a gigabyte on it
    "million-item-list.yaml": lambda: b"office: {service: home-care}\nmet: [" + b"a," * 1_200_000 + b"]\n",
    # long but under the size limit: 20,000 unknown ids, the first one reported
    "long-met-list.yaml": lambda: ("office: {service: home-care}\nmet: [" + ", ".join(f"r{i}" for i in range(20_000))
                                   + "]\n").encode(),
}


def case_file(case: dict, tmp_path: Path) -> Path:
    name = case["file"]
    if name.startswith("generated/"):
        path = tmp_path / name.split("/", 1)[1]
        path.write_bytes(GENERATED[path.name]())
        return path
    if name.startswith("examples/"):
        return ROOT / name
    return BAD / name


def case_id(case: dict) -> str:
    return f"{case['file']}|{case['args'].split()[0]}" + (f"|{case['via']}" if case.get("via") else "")


def argv(case: dict, file: Path, out: Path) -> list[str]:
    return [a.replace("{file}", str(file)).replace("{out}", str(out)) for a in shlex.split(case["args"])]


# Japanese is the default: the corpus's `expect` texts are the English ones (run with CAREKB_LANG=en);
# in Japanese every case keeps its shape (exit 2, one line naming the file), and these say it in Japanese
EXPECT_JA = {
    "profile/does-not-exist.yaml|gap": "ファイルが見つかりません",
    "profile/unclosed-flow.yaml|gap": "2行1列: YAMLとして読めません: 「}」で閉じる前に終わっています",
    "profile/tab-indent.yaml|gap": "2行1列: YAMLとして読めません: 文字 '\\t' では始められません",
    "profile/deep-nesting.yaml|gap": "YAMLとして読めません: 入れ子が深すぎます",
    "profile/duplicate-top-key.yaml|gap": "4行目: キー 'met' が重複しています",
    "profile/empty.yaml|gap": "空のファイルです",
    "profile/list-not-mapping.yaml|gap": "プロファイルはキー（version、office、as_of など）の対応表です",
    "profile/unterminated.json|gap": "2行1列: JSONとして読めません",
    "profile/two-offices.ttl|gap": "ck:Office はちょうど1つ必要です（2 個あります）",
    "profile/shift-jis.yaml|gap": "UTF-8 のテキストではありません（Shift_JIS のようです。2行目、16バイト目）",
    "profile/utf-16.yaml|gap": "UTF-16 のテキストです: UTF-8 で保存してください",
    "generated/huge-profile.yaml|gap": "プロファイルとしては大きすぎるファイルです（6,000,032 バイト。上限 5,000,000）",
    "profile/workplace-26-r6.yaml|gap": "workplace: 項目 26 は R6 の一覧にありません（1–25: `carekb requirements --period R6` を参照）",
    "profile/date-2023-12.yaml|gap": "as_of: 2023-12-31 はこの KB が扱うルールの範囲外です: 旧加算は 2024-04-01 から",
    "profile/consult-before-coverage.yaml|gap":
        "office.service: 計画相談支援（consult-plan）には期間 R7 にこの加算の区分がありません（2026-06-01 から対象）",
    "visit/binary.yaml|visit": "バイナリファイルで、面会の申込み（YAML か JSON）ではありません",
    "visit/not-mapping.yaml|visit": "面会の申込みは項目名と値の組（マッピング）で書きます",
    "generated/huge-visit.yaml|visit": "面会の申込みとしては大きすぎるファイルです（6,000,023 バイト。上限 5,000,000）",
}


def check_message(case: dict, file: Path, text: str, lang: str = "en") -> None:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    # one line per problem (a profile reports all of its problems at once; the first is the case's)
    assert 1 <= len(lines) <= 21 and all(ln.startswith("carekb: error: ") for ln in lines), text
    if lang in langs(case)[:1]:
        assert case["expect"] in lines[0], text
    else:
        assert EXPECT_JA.get(case_id(case), "") in lines[0], text
    assert case.get("names", file.name) in lines[0], text
    assert "Traceback" not in text


def langs(case: dict) -> list[str]:
    """The languages a case runs in: the one its args name (--lang en), Japanese when its `expect` is
    Japanese, else both (the English `expect`, and in Japanese EXPECT_JA where given)."""
    named = re.search(r"--lang (\w+)", case["args"])
    if named:
        return [named.group(1)]
    said = re.sub(r"'[^']*'", "", case["expect"])   # values quoted from the input are no language ('サービス')
    return ["ja"] if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", said) else ["en", "ja"]


@pytest.mark.parametrize("case, lang", [(c, lang) for c in CASES if c.get("via") != "subprocess" for lang in langs(c)],
                         ids=lambda v: case_id(v) if isinstance(v, dict) else v)
def test_bad_input_through_cli(case, lang, tmp_path):
    file, out = case_file(case, tmp_path), tmp_path / "out"
    out.mkdir()
    r = CliRunner(env={"CAREKB_LANG": lang}).invoke(main, argv(case, file, out))
    assert r.exit_code == 2, (r.output, r.exception)
    check_message(case, file, r.output, lang)
    assert not list(out.rglob("*")), "an output (or temporary) file was left behind"


@pytest.mark.parametrize("case", [c for c in CASES if c.get("via") == "subprocess"], ids=case_id)
def test_bad_input_in_a_real_process(case, tmp_path):
    file, out = case_file(case, tmp_path), tmp_path / "out"
    out.mkdir()
    lang = langs(case)[0]
    p = subprocess.run([sys.executable, "-m", "carekb.cli", *argv(case, file, out)], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path, env={**os.environ, "CAREKB_LANG": lang})
    assert p.returncode == 2, p.stderr
    assert p.stdout == ""
    check_message(case, file, p.stderr, lang)
    assert not list(out.rglob("*"))


def test_every_japanese_expectation_is_a_case_run_in_japanese():
    assert set(EXPECT_JA) <= {case_id(c) for c in CASES if "ja" in langs(c)}


def test_every_corpus_file_is_a_case():
    """The corpus and its manifest stay in step: no orphan file, no case without its file."""
    named = {c["file"] for c in CASES}
    on_disk = {str(p.relative_to(BAD)) for p in BAD.rglob("*") if p.is_file() and p.name != "cases.yaml"}
    assert on_disk <= named, sorted(on_disk - named)
    for name in named:
        if name.startswith("generated/"):
            assert name.split("/", 1)[1] in GENERATED
        elif name.startswith("examples/"):
            assert (ROOT / name).is_file(), name
        elif "does-not-exist" not in name:
            assert (BAD / name).is_file(), name
    assert len(CASES) >= 150


# --------------------------------------------------------------------------- atomic writes

def test_write_atomically_leaves_nothing_when_interrupted(tmp_path, monkeypatch):
    import os

    from carekb.cli import common

    target = tmp_path / "result.ttl"
    target.write_bytes(b"old contents\n")

    def interrupted(src, dst):
        raise KeyboardInterrupt  # Ctrl-C between writing the temporary file and renaming it

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        common.write_atomically(target, b"new contents\n")
    assert [p.name for p in tmp_path.iterdir()] == ["result.ttl"]
    assert target.read_bytes() == b"old contents\n"  # the old file is intact, no half-new one


def test_export_error_mid_way_leaves_no_file(tmp_path, monkeypatch):
    from carekb.app import sparql as store
    from carekb.model.errors import CarekbError

    def failing(st, fmt):
        raise CarekbError("disk full while serialising", "export")

    monkeypatch.setattr(store, "serialize", failing)
    r = CliRunner().invoke(main, ["export", "-o", str(tmp_path / "kb.ttl")])
    assert r.exit_code == 2 and "disk full" in r.output
    assert not list(tmp_path.iterdir())


# os.fdopen(fd, "wb") is not matched: it writes the mkstemp file of the temp-file-and-rename pattern
WRITES = re.compile(r"\.write_text\(|\.write_bytes\(|(?<![\w])open\([^)]*['\"][wax]b?['\"]|\.open\(['\"][wax]"
                    r"|destination\s*=|\.to_csv\(|\.save\((?!buf|io\b|stream)")
ALLOWED = {  # where a raw write is the implementation of an atomic one, or goes to a private temp folder
    ("cli/common.py", "write_atomically"), ("carekb/graph/cache.py", "cached_build"),
    # batch outputs are written into the OutputSet's private .partial folder, then published by rename
    ("cli/batch_cmds.py", "write_template"), ("carekb/render/batch_out.py", "__init__"),
    ("carekb/render/csv_writer.py", "__init__"), ("carekb/render/publish.py", "publish"),
    ("carekb/render/xlsx_writer.py", "close"), ("carekb/render/xlsx_writer.py", "__init__"),
    ("carekb/render/zip_parts.py", "__init__"), ("carekb/render/zip_parts.py", "write_zip"),  # the xlsx writer's parts
    ("carekb/render/report_files.py", "add"),  # batch --reports: into the OutputSet's .partial folder too
    ("carekb/render/batch_out.py", "_render"),  # a worker's CSV part files: in the OutputSet's .partial folder too
    ("web/api_v1.py", "work"),  # an uploaded table, into a private TemporaryDirectory
    ("cli/common.py", "write_files_atomically"),  # -o /dev/stdout, /dev/full: into the device (a rename would replace it)
    ("cli/localized_help.py", "format_help_text"),  # click's HelpFormatter.write_text: the help buffer, not a file
}


def test_every_output_file_goes_through_an_atomic_write():
    """A raw write in cli/, carekb/, solver/ or web/ is a file a crash could leave half-written: route it through
    cli.common.write_atomically (temp file + rename) or add it here with the reason."""
    offenders = []
    for folder in ("cli", "carekb", "solver", "web"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            func = None
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                m = re.match(r"\s*def (\w+)", line)
                if m and not line.startswith("        "):
                    func = m.group(1)
                if WRITES.search(line) and (rel, func) not in ALLOWED:
                    offenders.append(f"{rel}:{n} in {func}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


# --------------------------------------------------------------------------- readable SHACL messages

def test_shacl_violation_names_key_value_and_yaml_line(kb, tmp_path):
    """The shapes are the second line of defence: an Office that bypassed the Python checks (as a
    library caller might build it) is reported by profile key and line, in Japanese and English."""
    from carekb.inputs.profile import Office
    from carekb.inputs.shapes import validate_office
    from carekb.model.errors import CarekbError

    f = tmp_path / "p.yaml"
    f.write_text("office:\n  service: home-care\n  employees: -3\nworkplace: [1, 40]\n", encoding="utf-8")
    o = Office(service="home-care", employees=-3, workplace=frozenset({1, 40}), source=str(f))
    with pytest.raises(CarekbError) as ja:
        validate_office(o)
    assert "office.employees (3行目): 0 以上でなければなりません (値: -3)" in str(ja.value)
    assert "workplace (4行目): 28 以下でなければなりません (値: 40)" in str(ja.value)
    with pytest.raises(CarekbError) as en:
        validate_office(o, "en")
    assert str(en.value).startswith(f"{f}: SHACL: office.employees (line 3): must be at least 0 (value: -3)")
    assert "sh:" not in str(en.value) and "urn:" not in str(en.value)  # no raw report terms


def test_kb_violations_are_readable(monkeypatch):
    """`validate --kb` lists each KB violation as node, property, message (ja/en) — from the shape's own message."""
    import rdflib

    from carekb.inputs import shapes
    from carekb.graph.kbload import kb_files, parse_graph

    g = parse_graph(kb_files())
    tier = next(g.subjects(rdflib.RDF.type, rdflib.URIRef(shapes.CK + "Tier")))
    g.remove((tier, rdflib.URIRef(shapes.CK + "requires"), None))
    found = [v for v in shapes.run(g) if v.path == "ck:requires"]
    assert found and found[0].message_ja == "区分に要件式 (ck:requires) がありません"
    assert found[0].message_en == "a tier without a requirement expression"
    assert shapes.kb_report_text(found, "en").startswith(found[0].focus + " ck:requires: a tier without")


# --------------------------------------------------------------------------- the endpoint: caps, time-outs, refusals

@pytest.fixture()
def fake_endpoint():
    """A local HTTP server that answers every POST with a canned (possibly endless or slow) body."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = {"chunks": [], "delay": 0.0, "sent": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *a):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            try:
                for chunk in state["chunks"]():
                    self.wfile.write(chunk)
                    state["sent"] += len(chunk)
                    time.sleep(state["delay"])
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/query", state
    server.shutdown()


def _rows(n):
    yield b'{"head": {"vars": ["s"]}, "results": {"bindings": ['
    for i in range(n):
        yield (b", " if i else b"") + b'{"s": {"type": "literal", "value": "%d"}}' % i
    yield b"]}}"


def test_remote_rows_are_capped_and_reading_stops(fake_endpoint):
    from carekb.app import sparql as store

    url, state = fake_endpoint
    state["chunks"] = lambda: _rows(10**7)  # ~400 MB if read to the end
    r = store.query_endpoint(url, "SELECT ?s WHERE { ?s ?p ?o }", max_rows=25, timeout=20)
    assert [b["s"]["value"] for b in r["results"]["bindings"]] == [str(i) for i in range(25)]
    assert r["truncated"] is True and r["head"] == {"vars": ["s"]}
    assert state["sent"] < 50_000_000


def test_remote_complete_answer_in_any_key_order(fake_endpoint):
    from carekb.app import sparql as store

    url, state = fake_endpoint
    body = b'{"results": {"bindings": [{"s": {"type": "uri", "value": "urn:a"}}]}, "head": {"vars": ["s"]}}'
    state["chunks"] = lambda: [body[i:i + 7] for i in range(0, len(body), 7)]  # split mid-token
    r = store.query_endpoint(url, "SELECT ?s WHERE { ?s ?p ?o }", max_rows=10)
    assert r == {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "urn:a"}}]}}


def test_remote_slow_answer_hits_the_time_out(fake_endpoint):
    import time

    from carekb.app import sparql as store
    from carekb.model.errors import CarekbError

    url, state = fake_endpoint
    state["chunks"], state["delay"] = lambda: _rows(10**6), 0.05  # trickles: each read is quick, the whole is not
    t0 = time.monotonic()
    with pytest.raises(CarekbError, match="did not finish its answer in time"):
        store.query_endpoint(url, "SELECT ?s WHERE { ?s ?p ?o }", timeout=2)
    assert time.monotonic() - t0 < 6


def test_remote_garbage_is_a_clear_error(fake_endpoint):
    from carekb.app import sparql as store
    from carekb.model.errors import CarekbError

    url, state = fake_endpoint
    state["chunks"] = lambda: [b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": oops']
    with pytest.raises(CarekbError, match="did not answer with SPARQL JSON results"):
        store.query_endpoint(url, "SELECT ?s WHERE { ?s ?p ?o }")


@pytest.mark.parametrize("lang, said", [("ja", "結果は 7行で打ち切りました（--max-rows）"),
                                        ("en", "result truncated at 7 rows (--max-rows)")])
def test_local_rows_are_capped_and_said_so(lang, said):
    r = CliRunner().invoke(main, ["sparql", "SELECT * WHERE { ?s ?p ?o }", "--max-rows", "7", "--format", "csv",
                                  "--lang", lang])
    assert r.exit_code == 0
    lines = r.output.strip().splitlines()
    assert lines[-1] == f"carekb: warning: {said}"
    assert len(lines) == 1 + 7 + 1  # header, rows, warning


def test_serve_refuses_updates_service_and_other_methods(tmp_path):
    """The real `carekb serve` (the web server and its query workers), on loopback."""
    import urllib.error
    import urllib.request

    from carekb.app import sparql as store
    from carekb.web.hosts import free_loopback_port, wait_ready

    port = free_loopback_port()
    proc = subprocess.Popen([sys.executable, "-m", "carekb.cli", "serve", "--port", str(port)], cwd=tmp_path,
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/query"
    try:
        wait_ready(url, proc, seconds=120)

        def status(method, path, data, ctype="application/x-www-form-urlencoded"):
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                         headers={"Content-Type": ctype})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()

        assert status("POST", "/update", b"update=INSERT+DATA+%7B%3Curn%3Aa%3E%3Curn%3Ab%3E%3Curn%3Ac%3E%7D")[0] == 403
        code, text = status("POST", "/query", b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", "application/sparql-query")
        assert code == 403 and "updates are refused" in text
        code, text = status("POST", "/query", b"SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
                            "application/sparql-query")
        assert code == 403 and "SERVICE" in text
        assert status("PUT", "/store?default", b"<urn:a> <urn:b> <urn:c> .", "application/n-triples")[0] in (404, 405)
        assert status("DELETE", "/query", None)[0] == 405
        assert store.query_endpoint(url, "ASK { <urn:a> ?p ?o }")["boolean"] is False  # nothing was written
        r = store.query_endpoint(url, "SELECT * WHERE { ?s ?p ?o }", max_rows=5)
        assert len(r["results"]["bindings"]) == 5 and r["truncated"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "127.0.0.1" in err and "warning" not in err  # loopback: no exposure warning, no private port banner
    assert "Listening for requests" not in err


def test_loopback_detection():
    from carekb.web.hosts import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.org")


def test_csp_engine_has_a_time_limit(tmp_path, monkeypatch):
    """--engine csp used to run past a minute on a large gap: now one clear line when its time is up."""
    from carekb.solver import csp

    monkeypatch.setattr(csp, "CSP_SECONDS", 0.2)
    profile = tmp_path / "empty-office.yaml"
    profile.write_text("office: {service: employment-b}\nas_of: 2026-07-01\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["gap", str(profile), "--engine", "csp", "--lang", "en"])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("carekb: error: --engine csp: the constraint solver found no answer within 0.2 s")
    assert len(r.output.splitlines()) == 1
