"""SPARQL over the KB (+ solver results): an embedded pyoxigraph store, a remote SPARQL 1.1
endpoint client, the query library (queries/*.rq) and the oxigraph server.

Every query answer is returned in the SPARQL 1.1 Query Results JSON shape
(`{"head": {"vars": [...]}, "results": {"bindings": [...]}}` or `{"head": {}, "boolean": b}`),
whether it came from the embedded store or from an endpoint, so that output formats and tests
treat both alike.  CONSTRUCT and DESCRIBE answers are N-Triples text.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path

from carekb.model.errors import CarekbError
from carekb.graph.sparql_safety import check_query, in_child, query_kind, read_local, read_remote

PREFIXES = {
    "ck": "https://w3id.org/carekb/vocab#",
    "sg": "https://w3id.org/carekb/shogai/",
    "r6": "https://w3id.org/carekb/shogai/R6/",
    "r7": "https://w3id.org/carekb/shogai/R7/",
    "r8": "https://w3id.org/carekb/shogai/R8/",
    "req": "https://w3id.org/carekb/shogai/req/",
    "wp": "https://w3id.org/carekb/shogai/workplace/",
    "pl": "https://w3id.org/carekb/shogai/pledge/",
    "svc": "https://w3id.org/carekb/shogai/service/",
    "grp": "https://w3id.org/carekb/shogai/service-group/",
    "rate": "https://w3id.org/carekb/shogai/rate/",
    "office": "https://w3id.org/carekb/office/",
    "eval": "https://w3id.org/carekb/evaluation/",
    "src": "https://w3id.org/carekb/source/",
    "cat": "https://w3id.org/carekb/guidance/category/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
}
DEFAULT_TIMEOUT_S = 30


# --------------------------------------------------------------------------- building the data

@dataclass
class Dataset:
    """The KB's Turtle files plus the N-Triples of any evaluated profiles."""

    files: list[Path]
    results_nt: bytes = b""
    evaluations: list = field(default_factory=list)


def dataset(profiles=(), as_of=None, kb=None) -> Dataset:
    from carekb.graph.kbload import kb_files

    ds = Dataset(kb_files())
    if profiles:
        from carekb.app.results_rdf import evaluate_profiles, results_graph

        ds.evaluations = evaluate_profiles(profiles, kb, as_of)
        ds.results_nt = results_graph(ds.evaluations).serialize(format="nt", encoding="utf-8")
    return ds


def oxigraph_store(ds: Dataset):
    """An in-memory pyoxigraph Store with the whole graph in its default graph."""
    import pyoxigraph as ox

    store = ox.Store()
    for f in ds.files:
        try:
            store.bulk_load(path=str(f), format=ox.RdfFormat.TURTLE)
        except SyntaxError as e:
            raise CarekbError(f"not valid Turtle: {e}", str(f)) from None
    if ds.results_nt:
        store.bulk_load(input=ds.results_nt, format=ox.RdfFormat.N_TRIPLES)
    return store


def rdflib_graph(ds: Dataset):
    """The same graph in rdflib (slower; used to cross-check the embedded store)."""
    from carekb.graph.kbload import parse_graph

    g = parse_graph(ds.files)
    if ds.results_nt:
        g.parse(data=ds.results_nt.decode(), format="nt")
    return g


EXPORT_FORMATS = {"ttl": "TURTLE", "nt": "N_TRIPLES", "nq": "N_QUADS", "jsonld": None}


def serialize(store, fmt: str) -> bytes:
    """The whole store as Turtle, N-Triples, N-Quads or JSON-LD (the last through rdflib)."""
    import pyoxigraph as ox

    if fmt == "jsonld":
        import rdflib

        g = rdflib.Graph()
        g.parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode(), format="nt")
        for k, v in PREFIXES.items():
            g.bind(k, v)
        return g.serialize(format="json-ld", context=dict(PREFIXES), indent=1,
                           encoding="utf-8")
    rdf_format = getattr(ox.RdfFormat, EXPORT_FORMATS[fmt])
    if fmt == "nq":
        return store.dump(format=rdf_format)
    if fmt == "ttl":
        return store.dump(format=rdf_format, from_graph=ox.DefaultGraph(), prefixes=PREFIXES)
    return store.dump(format=rdf_format, from_graph=ox.DefaultGraph())


# --------------------------------------------------------------------------- queries

def _position(message: str, text: str) -> str:
    """'line L, column C: <the line>' from pyoxigraph's 'error at L:C: ...'."""
    m = re.search(r"at (\d+):(\d+)", message)
    if not m:
        return ""
    line, col = int(m.group(1)), int(m.group(2))
    lines = text.splitlines() or [""]
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return f"line {line}, column {col}" + (f" (near: {shown[:80]})" if shown else "")


def parser_message(msg: str) -> str:
    """The parser's message on one line, with its long Unicode character classes named instead."""
    msg = re.sub(r"\[[^\[\]]*\\u\{[^\]]*\]", "a name character", msg, flags=re.S)
    return " ".join(msg.split())


def query_store(store, text: str, source: str = "<query>", max_rows: int | None = None,
                timeout: float | None = None):
    """Run a read-only query on a pyoxigraph store: a SPARQL-JSON dict, or N-Triples text for graphs.

    At most max_rows rows are read (the dict then says "truncated": true); with a timeout the query
    runs in a child process that is killed when time runs out (see carekb.sparql_safety)."""
    check_query(text, source)
    if timeout is None:
        return _run_local(store, text, source, max_rows)
    return in_child(lambda: _run_local(store, text, source, max_rows), timeout, source)


def _run_local(store, text: str, source: str, max_rows: int | None):
    try:
        return read_local(store.query(text), max_rows)
    except SyntaxError as e:
        msg = parser_message(str(e))
        raise CarekbError(f"malformed SPARQL: {msg}", source, _position(msg, text) or None) from None
    except (OSError, RuntimeError, ValueError, TypeError) as e:
        raise CarekbError(f"query failed: {parser_message(str(e))}", source) from None


def query_rdflib(graph, text: str):
    """The same as query_store but with rdflib (SELECT/ASK only): a SPARQL-JSON dict."""
    res = graph.query(text)
    if res.type == "ASK":
        return {"head": {}, "boolean": bool(res.askAnswer)}
    if res.type != "SELECT":
        return res.serialize(format="nt").decode()
    return json.loads(res.serialize(format="json"))


# --------------------------------------------------------------------------- remote endpoints

def query_endpoint(url: str, text: str, source: str = "<query>", timeout: float = DEFAULT_TIMEOUT_S,
                   max_rows: int | None = None):
    """SPARQL 1.1 Protocol: POST the query (form-encoded), JSON results (N-Triples for graphs).

    The answer is read incrementally and reading stops after max_rows rows ("truncated": true) or
    when `timeout` seconds have passed in all."""
    import http.client
    import time
    import urllib.error
    import urllib.parse
    import urllib.request

    check_query(text, source)
    if not re.match(r"https?://", url):
        raise CarekbError("the endpoint must be an http:// or https:// URL", "--endpoint", url)
    try:
        _ = urllib.parse.urlsplit(url).port  # raises ValueError on a malformed host or port
    except ValueError as e:
        raise CarekbError(f"not a valid URL: {e}", "--endpoint", url) from None
    graph = query_kind(text) in ("CONSTRUCT", "DESCRIBE")
    accept = "application/n-triples" if graph else "application/sparql-results+json"
    req = urllib.request.Request(url, data=urllib.parse.urlencode({"query": text}).encode(), method="POST",
                                 headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only, checked above
            return read_remote(resp, graph, max_rows, deadline, url)
    except urllib.error.HTTPError as e:
        detail = e.read(4096).decode("utf-8", "replace").strip().splitlines()
        msg = detail[0] if detail else e.reason
        if e.code == 400:
            raise CarekbError(f"malformed SPARQL (the endpoint says: {msg})", source, _position(msg, text) or None) from None
        raise CarekbError(f"endpoint answered HTTP {e.code}: {msg}", "--endpoint", url) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise CarekbError(f"cannot reach the endpoint: {reason}", "--endpoint", url) from None
    except http.client.InvalidURL as e:
        raise CarekbError(f"not a valid URL: {e}", "--endpoint", url) from None
    except http.client.HTTPException as e:
        raise CarekbError(f"the endpoint broke off its answer ({type(e).__name__})", "--endpoint", url) from None


def kb_from_endpoint(url: str, timeout: float = DEFAULT_TIMEOUT_S):
    """The compiled KB read from a remote endpoint (its rules, not its results), for the solver."""
    import hashlib

    import rdflib

    from carekb.graph.kbload import build

    nt = query_endpoint(url, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "--endpoint", timeout)
    g = rdflib.Graph()
    g.parse(data=nt, format="nt")
    version = "remote-" + hashlib.sha256("\n".join(sorted(nt.splitlines())).encode()).hexdigest()[:12]
    return build(g, version)


# --------------------------------------------------------------------------- the query library

@dataclass
class Param:
    name: str
    type: str           # string, boolean, integer, decimal, date, iri
    default: str | None
    doc: str = ""


@dataclass
class NamedQuery:
    name: str
    path: Path | None
    text: str
    title_ja: str = ""
    title_en: str = ""
    description: str = ""
    params: dict[str, Param] = field(default_factory=dict)


PARAM_TYPES = {
    "string": None,
    "boolean": re.compile(r"true|false"),
    "integer": re.compile(r"[+-]?\d+"),
    "decimal": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "iri": re.compile(r"[^\s<>\"{}|^`\\]+:[^\s<>\"{}|^`\\]*"),
}


def queries_dir() -> Path:
    """queries/, the data subpackage `carekb.queries` (the query library)."""
    return Path(str(resources.files("carekb.queries")))


def parse_header(name: str, text: str, path: Path | None = None) -> NamedQuery:
    """Header comments: `# title-ja:`, `# title-en:`, `# description:` (repeatable) and
    `# param: NAME TYPE DEFAULT -- what it is` (DEFAULT `-` for none)."""
    q = NamedQuery(name, path, text)
    desc = []
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = re.match(r"#\s*([\w-]+)\s*:\s*(.*)$", line)
        if not m:
            continue
        key, value = m.group(1).lower(), m.group(2).strip()
        if key == "title-ja":
            q.title_ja = value
        elif key == "title-en":
            q.title_en = value
        elif key == "description":
            desc.append(value)
        elif key == "param":
            spec, _, doc = value.partition("--")
            parts = spec.strip().split(None, 2)
            if len(parts) != 3 or parts[1] not in PARAM_TYPES:
                raise CarekbError(f"bad param header {value!r} (expected: NAME TYPE DEFAULT -- doc; "
                                  f"types: {', '.join(PARAM_TYPES)})", str(path or name))
            default = None if parts[2] == "-" else parts[2]
            q.params[parts[0]] = Param(parts[0], parts[1], default, doc.strip())
    q.description = " ".join(desc)
    return q


def library() -> dict[str, NamedQuery]:
    return {f.stem: parse_header(f.stem, f.read_text(encoding="utf-8"), f)
            for f in sorted(queries_dir().glob("*.rq"))}


def named_query(name: str) -> NamedQuery:
    lib = library()
    if name not in lib:
        raise CarekbError(f"unknown query '{name}' (known: {', '.join(lib)})", "--query-name")
    return lib[name]


def sparql_term(value: str, ptype: str, name: str) -> str:
    """A parameter value as one SPARQL term, validated: it can never change the query's structure."""
    if ptype == "string":
        return f'"{_escaped(value)}"'
    if not PARAM_TYPES[ptype].fullmatch(value):
        raise CarekbError(f"{value!r} is not a valid {ptype}", "--param", name)
    if ptype in ("integer", "boolean"):
        return value
    if ptype == "decimal":
        return f'"{value}"^^<http://www.w3.org/2001/XMLSchema#decimal>'
    if ptype == "date":
        import datetime as dt

        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise CarekbError(f"impossible date {value!r}", "--param", name) from None
        return f'"{value}"^^<http://www.w3.org/2001/XMLSchema#date>'
    return f"<{value}>"


def bind_params(q: NamedQuery, given: dict[str, str]) -> str:
    """The query text with each `$name` replaced by its (validated) value or default."""
    for k in given:
        if k not in q.params:
            known = ", ".join(q.params) or "none"
            raise CarekbError(f"query '{q.name}' has no parameter '{k}' (parameters: {known})", "--param", k)
    text = q.text
    for name, p in q.params.items():
        value = given.get(name, p.default)
        if value is None:
            raise CarekbError(f"query '{q.name}' needs --param {name}=… ({p.doc})", "--param", name)
        term = sparql_term(value, p.type, name)
        text = re.sub(r"\$" + re.escape(name) + r"\b", lambda _m: term, text)
    return text


# --------------------------------------------------------------------------- output

def compact(iri: str) -> str:
    for k, v in PREFIXES.items():
        if iri.startswith(v) and re.fullmatch(r"[\w.\-]*", iri[len(v):]):
            return f"{k}:{iri[len(v):]}"
    return f"<{iri}>"


def term_text(t: dict | None, short: bool = True) -> str:
    if t is None:
        return ""
    if t["type"] == "uri":
        return compact(t["value"]) if short else t["value"]
    if t["type"] == "bnode":
        return f"_:{t['value']}"
    return t["value"]


def _escaped(text: str) -> str:
    """Text for inside a "…" SPARQL or N-Triples literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def nt_term(t: dict | None) -> str:
    """A term in N-Triples/Turtle syntax (SPARQL TSV results)."""
    if t is None:
        return ""
    if t["type"] == "uri":
        return f"<{t['value']}>"
    if t["type"] == "bnode":
        return f"_:{t['value']}"
    v = _escaped(t["value"])
    if "xml:lang" in t:
        return f'"{v}"@{t["xml:lang"]}'
    dtype = t.get("datatype")
    if dtype and dtype != "http://www.w3.org/2001/XMLSchema#string":
        return f'"{v}"^^<{dtype}>'
    return f'"{v}"'


def render(result, fmt: str) -> str:
    """A result in table, csv, tsv (SPARQL 1.1 CSV/TSV) or json (SPARQL 1.1 JSON) form."""
    import csv
    import io

    if isinstance(result, str):  # CONSTRUCT / DESCRIBE
        return result.rstrip("\n")
    if fmt == "json":
        return json.dumps(result, ensure_ascii=False, indent=1)
    if "boolean" in result:
        return {"csv": "_askResult\n", "tsv": "?_askResult\n"}.get(fmt, "") + ("true" if result["boolean"] else "false")
    names = result["head"]["vars"]
    rows = result["results"]["bindings"]
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(names)
        for r in rows:
            w.writerow([term_text(r.get(n), short=False) for n in names])
        return out.getvalue().rstrip("\r\n")
    if fmt == "tsv":
        lines = ["\t".join(f"?{n}" for n in names)]
        lines += ["\t".join(nt_term(r.get(n)) for n in names) for r in rows]
        return "\n".join(lines)
    from carekb.cli.common import table

    more = "; truncated: more rows not read" if is_truncated(result) else ""
    return table([[term_text(r.get(n)) for n in names] for r in rows], names) + f"\n({len(rows)} rows{more})"


def is_truncated(result) -> bool:
    """Whether the row cap cut this answer short."""
    return bool(getattr(result, "truncated", False) if isinstance(result, str) else result.get("truncated"))


# --------------------------------------------------------------------------- comparing answers

def normalised(result) -> list:
    """An order-free, store-independent form of a SPARQL-JSON result (numbers by value)."""
    from decimal import Decimal, InvalidOperation

    if isinstance(result, str):
        return sorted(line for line in result.splitlines() if line.strip())
    if "boolean" in result:
        return [result["boolean"]]
    xsd = "http://www.w3.org/2001/XMLSchema#"
    numeric = {xsd + t for t in ("integer", "decimal", "double", "float", "int", "long")}

    def term(t):
        if t is None:
            return ("unbound",)
        if t["type"] in ("literal", "typed-literal"):
            dtype = t.get("datatype")
            if dtype in numeric:
                try:
                    return ("number", Decimal(t["value"]).normalize())
                except InvalidOperation:
                    pass
            if dtype == xsd + "string":
                dtype = None
            return ("literal", t["value"], t.get("xml:lang", "").lower(), dtype or "")
        if t["type"] == "bnode":
            return ("bnode",)
        return ("uri", t["value"])

    names = result["head"]["vars"]
    return sorted((tuple(term(r.get(n)) for n in names) for r in result["results"]["bindings"]), key=repr)


# --------------------------------------------------------------------------- the oxigraph server

def oxigraph_binary() -> str:
    """The `oxigraph` command of the PyPI package `oxigraph` (beside this Python, else on PATH)."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file():
        return str(here)
    found = shutil.which("oxigraph")
    if not found:
        raise CarekbError("the oxigraph server is not installed (pip install oxigraph)")
    return found


def load_server_db(store, location: Path) -> None:
    """Write the graph into an oxigraph database folder with `oxigraph load` (N-Quads)."""
    import subprocess

    data = location.parent / "carekb-data.nq"
    data.write_bytes(serialize(store, "nq"))
    proc = subprocess.run([oxigraph_binary(), "load", "--location", str(location), "--file", str(data)],
                          capture_output=True, text=True, timeout=300)
    data.unlink()
    if proc.returncode != 0:
        raise CarekbError(f"oxigraph load failed: {proc.stderr.strip()[-500:]}")


def start_server(location: Path, host: str, port: int, timeout_s: int = DEFAULT_TIMEOUT_S, **popen):
    """`oxigraph serve-read-only` on host:port with a query time-out; the caller must stop it."""
    import subprocess

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    cmd = [oxigraph_binary(), "serve-read-only", "--location", str(location), "--bind", bind,
           "--timeout-s", str(timeout_s)]
    return subprocess.Popen(cmd, **popen)


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (for a server started right after)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc, seconds: float = 30.0) -> None:
    """Poll the endpoint with ASK {} until it answers, the process exits, or time runs out."""
    import time

    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CarekbError(f"the oxigraph server exited with status {proc.returncode}", url)
        try:
            query_endpoint(url, "ASK {}", "<readiness check>", timeout=2)
            return
        except CarekbError as e:
            last = e
            time.sleep(0.1)
    raise CarekbError(f"the oxigraph server did not answer within {seconds:.0f} s ({last})", url)


def stop_server(proc, grace: float = 5.0) -> None:
    import subprocess

    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)
