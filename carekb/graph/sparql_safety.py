"""Limits on SPARQL that analysts type: what a query may contain, how long it may run, and how many
rows of its answer are read — for the embedded store and for remote endpoints alike.

A query runs in a forked child process when it has a time-out: pyoxigraph evaluates a query in
native code that no Python thread can interrupt, and a cross product of the KB with itself would
otherwise hold the CPU for hours.  Rows are read one at a time and reading stops at the cap, so
neither side ever materialises a result larger than the cap.
"""

from __future__ import annotations

import codecs
import json
import os
import pickle
import re
import select
import signal
import time

from carekb.model.errors import CarekbError

MAX_QUERY_BYTES = 1_000_000          # a hand-written query is a few kB; a megabyte is a mistake or an attack
DEFAULT_MAX_ROWS = 10_000
MAX_RESPONSE_BYTES = 512_000_000     # whole-graph CONSTRUCT of the KB is ~10 MB; this only stops a runaway
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")


class Triples(str):
    """N-Triples text of a CONSTRUCT/DESCRIBE answer; `truncated` tells whether the cap cut it."""

    truncated: bool = False


def _triples(lines: list[str], truncated: bool) -> Triples:
    out = Triples("\n".join(lines) + ("\n" if lines else ""))
    out.truncated = truncated
    return out


def _bindings(head: dict, rows: list[dict], truncated: bool) -> dict:
    out = {"head": head, "results": {"bindings": rows}}
    if truncated:
        out["truncated"] = True
    return out


def query_kind(text: str) -> str:
    """SELECT, ASK, CONSTRUCT, DESCRIBE or UPDATE, from the first keyword after the prologue."""
    body = re.sub(r"<[^<>\s]*>", "<>", text)  # IRIs first: they may contain '#'
    body = re.sub(r"(?m)#.*$", " ", body)
    body = re.sub(r"(?is)\b(PREFIX\s+[\w.-]*:\s*<>|BASE\s*<>)", " ", body)
    m = re.search(r"[A-Za-z]+", body)
    word = m.group().upper() if m else ""
    if word in UPDATE_WORDS:
        return "UPDATE"
    return word if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") else "SELECT"


def _strip_literals(text: str) -> str:
    """The query without IRIs, strings and comments, so that keywords inside them are not seen."""
    text = re.sub(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'', '""', text)
    text = re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', '""', text)
    text = re.sub(r"<[^<>\s]*>", "<>", text)
    return re.sub(r"(?m)#.*$", " ", text)


def check_query(text: str, source: str) -> None:
    """Refuse what a read-only analyst query must never do, before any store sees it."""
    if len(text) > MAX_QUERY_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
        raise CarekbError(f"query too large ({len(text.encode('utf-8', 'surrogatepass')):,} bytes; at most "
                          f"{MAX_QUERY_BYTES:,})", source)
    if "\0" in text:
        raise CarekbError("binary data (NUL bytes) in the query, not SPARQL text", source)
    if not text.strip():
        raise CarekbError("empty query", source)
    if query_kind(text) == "UPDATE":
        raise CarekbError("SPARQL updates are refused: carekb's stores are read-only (edit kb/*.ttl instead)", source)
    # SERVICE makes the store fetch a URL of the query's choosing (pyoxigraph has an HTTP client)
    if re.search(r"(?<![\w:?$])SERVICE(?![\w:-])", _strip_literals(text), flags=re.I):
        raise CarekbError("SERVICE (federated queries) is refused: carekb queries only its own graph", source)


# --------------------------------------------------------------------------- the embedded store

def term_json(t) -> dict:
    """A pyoxigraph term in the SPARQL 1.1 JSON results shape."""
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        out = {"type": "literal", "value": t.value}
        if t.language:
            out["xml:lang"] = t.language
        elif t.datatype.value != XSD_STRING:
            out["datatype"] = t.datatype.value
        return out
    return {"type": "triple", "value": {k: term_json(getattr(t, k)) for k in ("subject", "predicate", "object")}}


def read_local(result, max_rows: int | None):
    """A pyoxigraph answer as a SPARQL-JSON dict (or Triples), reading at most max_rows rows."""
    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        return {"head": {}, "boolean": bool(result)}
    truncated = False
    if isinstance(result, ox.QueryTriples):
        lines = []
        for t in result:
            if max_rows is not None and len(lines) >= max_rows:
                truncated = True
                break
            lines.append(f"{t} .")
        return _triples(lines, truncated)
    names = [v.value for v in result.variables]
    rows = []
    for sol in result:
        if max_rows is not None and len(rows) >= max_rows:
            truncated = True
            break
        rows.append({n: term_json(sol[n]) for n in names if sol[n] is not None})
    return _bindings({"vars": names}, rows, truncated)


def in_child(fn, timeout: float, source: str):
    """fn() in a forked process, killed after `timeout` seconds; its value or its CarekbError."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
        os.close(rfd)
        try:  # the kernel stops the child even if the parent is killed before it can
            import resource

            cpu = int(timeout) + 2
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        except (ImportError, ValueError, OSError):
            pass
        try:
            payload = pickle.dumps(("ok", fn()))
        except CarekbError as e:
            payload = pickle.dumps(("error", (e.message, e.source, e.where)))
        except BaseException as e:  # noqa: BLE001 - reported to the parent as a failed query
            payload = pickle.dumps(("error", (f"query failed: {e}", source, None)))
        try:
            with os.fdopen(wfd, "wb") as f:
                f.write(payload)
        finally:
            os._exit(0)
    os.close(wfd)
    chunks, deadline, finished = [], time.monotonic() + timeout, False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([rfd], [], [], left)
            if ready:
                chunk = os.read(rfd, 1 << 20)
                if not chunk:
                    finished = True
                    break
                chunks.append(chunk)
    finally:
        os.close(rfd)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if not finished:
        raise CarekbError(f"the query ran longer than {timeout:g} s and was stopped (--timeout)", source)
    if not chunks:
        raise CarekbError("the query process ended without an answer", source)
    kind, value = pickle.loads(b"".join(chunks))  # noqa: S301 - our own child's bytes
    if kind == "error":
        raise CarekbError(*value)
    return value


# --------------------------------------------------------------------------- remote endpoints

def read_remote(resp, graph: bool, max_rows: int | None, deadline: float, url: str):
    """Read an endpoint's answer incrementally: N-Triples lines or SPARQL-JSON rows, up to max_rows."""
    if graph:
        return _remote_triples(resp, max_rows, deadline, url)
    return _remote_json(resp, max_rows, deadline, url)


def _reader(resp, deadline: float, url: str):
    total = 0
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    while True:
        if time.monotonic() > deadline:
            raise CarekbError("the endpoint did not finish its answer in time (--timeout)", "--endpoint", url)
        chunk = resp.read1(1 << 16) if hasattr(resp, "read1") else resp.read(1 << 16)
        total += len(chunk)
        if total > MAX_RESPONSE_BYTES:
            raise CarekbError(f"the endpoint's answer exceeds {MAX_RESPONSE_BYTES:,} bytes", "--endpoint", url)
        if not chunk:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        yield decoder.decode(chunk)


def _remote_triples(resp, max_rows, deadline, url) -> Triples:
    lines, buf, truncated = [], "", False
    for text in _reader(resp, deadline, url):
        buf += text
        *complete, buf = buf.split("\n")
        for line in complete:
            if line.strip() and not line.lstrip().startswith("#"):
                if max_rows is not None and len(lines) >= max_rows:
                    truncated = True
                    break
                lines.append(line)
        if truncated:
            break
    if not truncated and buf.strip():
        lines.append(buf)
    return _triples(lines, truncated)


_BINDINGS = re.compile(r'"bindings"\s*:\s*\[')


def _remote_json(resp, max_rows, deadline, url) -> dict:
    """SPARQL-JSON, decoding the bindings array one row at a time so reading can stop at the cap."""
    bad = CarekbError("the endpoint did not answer with SPARQL JSON results", "--endpoint", url)
    dec = json.JSONDecoder()
    chunks = _reader(resp, deadline, url)
    buf, m = "", None
    for text in chunks:
        buf += text
        m = _BINDINGS.search(buf)
        if m:
            break
    if not m:  # an ASK answer, or not SPARQL JSON at all
        try:
            return json.loads(buf)
        except ValueError:
            raise bad from None
    prefix, pos, rows, truncated = buf[:m.end()], m.end(), [], False
    while True:
        while pos < len(buf) and buf[pos] in " \t\r\n,":
            pos += 1
        if pos < len(buf) and buf[pos] == "]":
            break
        if max_rows is not None and len(rows) >= max_rows and pos < len(buf):
            truncated = True
            break
        try:
            row, end = dec.raw_decode(buf, pos)
        except ValueError:
            more = next(chunks, None)
            if more is None:
                raise bad from None
            buf = buf[pos:] + more
            pos = 0
            continue
        if not isinstance(row, dict):
            raise bad
        rows.append(row)
        pos = end
    if not truncated:  # the document with its bindings emptied: gives head, and checks the whole shape
        try:
            head = json.loads(prefix + buf[pos:] + "".join(chunks))["head"]
        except (ValueError, KeyError, TypeError):
            raise bad from None
    else:
        hm = re.search(r'"head"\s*:\s*(\{[^{}]*\})', prefix)
        try:
            head = json.loads(hm.group(1)) if hm else None
        except ValueError:
            head = None
    if not isinstance(head, dict):
        head = {"vars": sorted({k for r in rows for k in r})}
    return _bindings(head, rows, truncated)
