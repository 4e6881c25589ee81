"""Limits on SPARQL that analysts type: what a query may contain, how long it may run, and how many
rows of its answer are read — for the embedded store, remote endpoints and `carekb serve` alike.

What a query may contain is decided on a real parse (rdflib's SPARQL 1.1 grammar), never on text
patterns: comments, strings and IRIs cannot hide a SERVICE from a parser.  Two cheap scans of the
tokens come first, on the text as the store reads it and with \\u escapes expanded as the SPARQL
grammar defines them: they bound the nesting depth before a recursive parser sees the query, and
refuse the SERVICE keyword wherever a tokenizer finds it outside strings, IRIs and comments (belt
and braces, should the two parsers ever disagree).  Verdicts are cached by the query's hash.

A query runs in a child process when it has a time-out: pyoxigraph evaluates a query in native
code that no Python thread can interrupt.  The child is forked where the system can fork and
spawned elsewhere; on Linux it also leaves the network (an empty network namespace), so that even a
SERVICE that slipped past the check could reach no address.  Rows are read one at a time and reading
stops at the cap, so neither side ever materialises a result larger than the cap.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import multiprocessing
import os
import pickle
import re
import select
import signal
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from carekb.model.errors import CarekbError

MAX_QUERY_BYTES = 1_000_000          # a hand-written query is a few kB; a megabyte is a mistake or an attack
MAX_DEPTH = 32                       # nested { ( [ ; the query library needs 5, a 3,000-deep nest crashed oxigraph
DEFAULT_MAX_ROWS = 10_000
SERVER_CUT = "# truncated:"          # the last line of an N-Triples answer that carekb serve's cap cut
MAX_RESPONSE_BYTES = 512_000_000     # whole-graph CONSTRUCT of the KB is ~10 MB; this only stops a runaway
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
QUERY_FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}

# One pass, left to right, as a SPARQL tokenizer reads: what is skipped can never be a keyword or a bracket.
_TOKENS = re.compile(r'''
    (?P<skip> \#[^\r\n]*
            | """(?:(?:"|"")?(?:[^"\\]|\\[\s\S]))*"""
            | \'\'\'(?:(?:'|'')?(?:[^'\\]|\\[\s\S]))*\'\'\'
            | "(?:[^"\\\r\n]|\\.)*"
            | '(?:[^'\\\r\n]|\\.)*'
            | <[^<>"{}|^`\\\x00-\x20]*> )
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<word>(?<![\w:?$])[A-Za-z]+(?![\w:]))
''', re.X)
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_VERDICTS: OrderedDict[str, "Verdict"] = OrderedDict()
_VERDICTS_LOCK = threading.Lock()
_VERDICTS_MAX = 4096
_PARSE_LOCK = threading.Lock()
PARSE_STACK_BYTES = 512 << 20        # the parser recurses once per triple of a block: a deep stack, in its own thread
PARSE_RECURSION = 200_000


@dataclass(frozen=True)
class Verdict:
    """What the check concluded about one query text: its form, or why it is refused."""

    kind: str                    # SELECT, ASK, CONSTRUCT, DESCRIBE ("" when refused)
    refusal: str | None = None   # one line naming the reason
    forbidden: bool = False      # True: refused by policy (HTTP 403); False: not a valid query (HTTP 400)
    where: str | None = None


class Refused(CarekbError):
    """A query that carekb will not run; `forbidden` tells policy (403) from malformed input (400)."""

    def __init__(self, message: str, source: str | None, where: str | None = None, forbidden: bool = False):
        super().__init__(message, source, where)
        self.forbidden = forbidden


def expand_escapes(text: str) -> str:
    """The text with \\uXXXX and \\UXXXXXXXX code points expanded (SPARQL 1.1 §19.2)."""
    def one(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group()
    return _UCHAR.sub(one, text)


def scan(text: str) -> tuple[int, list[str]]:
    """(deepest bracket nesting, keywords in order) outside comments, strings and IRIs."""
    depth = deepest = 0
    words = []
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "word":
            words.append(m.group().upper())
    return deepest, words


def _first_form(words: list[str]) -> str:
    """The first keyword after the prologue (PREFIX and BASE take no other word)."""
    for w in words:
        if w not in ("PREFIX", "BASE"):
            return w
    return ""


def query_kind(text: str) -> str:
    """SELECT, ASK, CONSTRUCT, DESCRIBE or UPDATE, from the first keyword after the prologue."""
    word = _first_form(scan(text)[1])
    if word in UPDATE_WORDS:
        return "UPDATE"
    return word if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") else "SELECT"


def check_query(text: str, source: str) -> str:
    """Refuse what a read-only query must never do, before any store sees it; the query's form.

    Raises Refused (a CarekbError) with one line naming the reason."""
    size = len(text.encode("utf-8", "surrogatepass")) if len(text) * 4 > MAX_QUERY_BYTES else len(text)
    if size > MAX_QUERY_BYTES:
        raise Refused(f"query too large ({size:,} bytes; at most {MAX_QUERY_BYTES:,})", source, forbidden=True)
    v = verdict(text)
    if v.refusal:
        raise Refused(v.refusal, source, v.where, v.forbidden)
    return v.kind


def verdict(text: str) -> Verdict:
    """The cached verdict on a query text (the cache key is its SHA-256)."""
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    with _VERDICTS_LOCK:
        found = _VERDICTS.get(key)
        if found is not None:
            _VERDICTS.move_to_end(key)
            return found
    found = _judge(text)
    with _VERDICTS_LOCK:
        _VERDICTS[key] = found
        while len(_VERDICTS) > _VERDICTS_MAX:
            _VERDICTS.popitem(last=False)
    return found


def _judge(text: str) -> Verdict:
    if "\0" in text:
        return Verdict("", "binary data (NUL bytes) in the query, not SPARQL text")
    if not text.strip():
        return Verdict("", "empty query")
    views = [text] + ([expand_escapes(text)] if "\\" in text else [])
    for view in views:
        deepest, words = scan(view)
        if deepest > MAX_DEPTH:
            return Verdict("", f"query nested {deepest} levels deep (brackets {{ ( [ ); at most {MAX_DEPTH}",
                           forbidden=True)
        if _first_form(words) in UPDATE_WORDS:
            return _UPDATE
        if "SERVICE" in words:
            return _SERVICE
    tree = _parse(text)
    if isinstance(tree, tuple):  # not SPARQL to rdflib: oxigraph's message points at the exact place
        # (not for ASK: pyoxigraph evaluates ASK at once, the other forms only when their rows are read)
        return (_first_form(words) != "ASK" and _engine_syntax_error(text)) or tree[0]
    if isinstance(tree, Verdict):
        return tree
    names = set(_node_names(tree))
    if "ServiceGraphPattern" in names:
        return _SERVICE
    form = next((QUERY_FORMS[n] for n in names if n in QUERY_FORMS), "")
    return Verdict(form or "SELECT")


_UPDATE = Verdict("", "SPARQL updates are refused: carekb's stores are read-only (edit kb/*.ttl instead)", forbidden=True)
_SERVICE = Verdict("", "SERVICE (federated queries) is refused: carekb queries only its own graph", forbidden=True)


def _parse(text: str):
    """rdflib's parse tree of the query, the Verdict that refuses it, or (Verdict, True) when the
    text is not SPARQL at all.

    pyparsing recurses once per nested group and once per triple of a block, so the parse runs in
    a thread of its own with a deep stack and a raised recursion limit (the depth was bounded above)."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery

    out: dict = {}

    def run():
        try:
            out["tree"] = parseQuery(text)
        except ParseBaseException as e:  # updates were refused by the scan: this is not SPARQL at all
            out["verdict"] = Verdict("", f"malformed SPARQL: unexpected {getattr(e, 'found', '') or 'end of text'} "
                                         "(expected valid SPARQL 1.1 here)", where=_near(text, e.lineno, e.col))
            out["malformed"] = True
        except RecursionError:
            out["verdict"] = Verdict("", "query too long or too deeply nested for the safety check", forbidden=True)
        except Exception as e:  # noqa: BLE001 - whatever the parser trips on, the query is refused
            out["verdict"] = Verdict("", f"malformed SPARQL: {type(e).__name__}: {e}")

    with _PARSE_LOCK:
        old_stack = threading.stack_size()
        try:
            threading.stack_size(PARSE_STACK_BYTES)
            worker = threading.Thread(target=run, name="sparql-check", daemon=True)
        except (ValueError, RuntimeError):  # a platform that will not size stacks: the default
            worker = threading.Thread(target=run, name="sparql-check", daemon=True)
        finally:
            threading.stack_size(old_stack)
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, PARSE_RECURSION))
        try:
            worker.start()
            worker.join()
        finally:
            sys.setrecursionlimit(old_limit)
    if out.get("malformed"):
        return out["verdict"], True
    return out.get("verdict") or out["tree"]


def _engine_syntax_error(text: str) -> Verdict | None:
    """oxigraph's own syntax error for a text that rdflib could not parse (its positions are exact).

    Asked of an empty store, and only by _judge after the token scan found no SERVICE: should oxigraph accept
    the text after all, it is evaluated over no data, reaches nothing, and rdflib's message stands."""
    import pyoxigraph as ox

    try:
        ox.Store().query(text)
    except SyntaxError as e:
        msg = " ".join(re.sub(r"\[[^\[\]]*\\u\{[^\]]*\]", "a name character", str(e), flags=re.S).split())
        m = re.search(r"at (\d+):(\d+)", msg)
        return Verdict("", f"malformed SPARQL: {msg}", where=_near(text, int(m.group(1)), int(m.group(2))) if m else None)
    except Exception:  # noqa: BLE001 - accepted, or failed otherwise: rdflib's message is kept
        return None
    return None


def _near(text: str, line: int, col: int) -> str:
    lines = text.splitlines() or [""]
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return f"line {line}, column {col}" + (f" (near: {shown[:80]})" if shown else "")


def _node_names(tree):
    """The names of every grammar rule in rdflib's parse tree (iterative: the tree may be deep)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node.name
            stack.extend(node.values())
        elif isinstance(node, ParseResults):
            stack.extend(node)
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())


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


def drop_network() -> bool:
    """Leave every network (Linux: a new user and network namespace with no interface but a
    loopback that is down), so this process can open no connection at all.  Best effort: False
    where the system does not allow it; the query check stands on its own."""
    global _offline
    if _offline or not sys.platform.startswith("linux"):
        return _offline
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        # CLONE_NEWUSER | CLONE_NEWNET; a second call would fail (no uid mapping inside): remember it
        _offline = libc.unshare(0x10000000 | 0x40000000) == 0
    except (OSError, AttributeError):
        pass
    return _offline


_offline = False


def _limit_cpu(timeout: float) -> None:
    try:  # the kernel stops the child even if the parent is killed before it can
        import resource

        cpu = int(timeout) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    except (ImportError, ValueError, OSError):
        pass


def _outcome(fn, source: str) -> bytes:
    try:
        return pickle.dumps(("ok", fn()))
    except CarekbError as e:
        return pickle.dumps(("error", (e.message, e.source, e.where)))
    except BaseException as e:  # noqa: BLE001 - reported to the parent as a failed query
        return pickle.dumps(("error", (f"query failed: {e}", source, None)))


def _spawned(fn, timeout: float, source: str, conn) -> None:
    """The body of a spawned child: fn must be picklable (a module-level function or a partial)."""
    drop_network()
    _limit_cpu(timeout)
    conn.send_bytes(_outcome(fn, source))
    conn.close()


def in_child(fn, timeout: float, source: str):
    """fn() in a child process, killed after `timeout` seconds; its value or its CarekbError.

    Forked where the system can fork (fn may then be any callable); spawned elsewhere (Windows),
    where fn must be picklable."""
    if not hasattr(os, "fork"):
        return _in_spawned_child(fn, timeout, source)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
        os.close(rfd)
        drop_network()
        _limit_cpu(timeout)
        payload = _outcome(fn, source)
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
        raise _timed_out(timeout, source)
    return _unpacked(b"".join(chunks))


def _in_spawned_child(fn, timeout: float, source: str):
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_spawned, args=(fn, timeout, source, send), daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise _timed_out(timeout, source)
        try:
            payload = receive.recv_bytes()
        except EOFError:
            payload = b""
    finally:
        receive.close()
        if proc.is_alive():
            proc.kill()
        proc.join()
    return _unpacked(payload)


def _timed_out(timeout: float, source: str) -> CarekbError:
    return CarekbError(f"the query ran longer than {timeout:g} s and was stopped (--timeout)", source)


def _unpacked(payload: bytes):
    if not payload:
        raise CarekbError("the query process ended without an answer", None)
    kind, value = pickle.loads(payload)  # noqa: S301 - our own child's bytes
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
            if line.startswith(SERVER_CUT):  # carekb serve's row or byte cap cut the answer
                truncated = True
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
            rest = json.loads(prefix + buf[pos:] + "".join(chunks))
            head = rest["head"]
        except (ValueError, KeyError, TypeError):
            raise bad from None
        truncated = rest.get("truncated") is True  # cut by the server's cap (carekb serve says so)
    else:
        hm = re.search(r'"head"\s*:\s*(\{[^{}]*\})', prefix)
        try:
            head = json.loads(hm.group(1)) if hm else None
        except ValueError:
            head = None
    if not isinstance(head, dict):
        head = {"vars": sorted({k for r in rows for k in r})}
    return _bindings(head, rows, truncated)
