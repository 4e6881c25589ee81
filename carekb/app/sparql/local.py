"""Queries on the embedded store: read-only, row-capped, optionally in a child process with a time-out;
parser errors as one line with line and column; and an order-free form of answers for comparing stores."""

from __future__ import annotations

import functools
import json
import os
import re

from carekb.model.errors import CarekbError
from carekb.graph.sparql_safety import check_query, in_child, read_local

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
    if not hasattr(os, "fork"):  # a spawned child cannot share the store: it reloads it from N-Quads
        nq = store.dump(format=_nquads())
        return in_child(functools.partial(_run_reloaded, nq, text, source, max_rows), timeout, source)
    return in_child(lambda: _run_local(store, text, source, max_rows), timeout, source)


def _nquads():
    import pyoxigraph as ox

    return ox.RdfFormat.N_QUADS


def _run_reloaded(nq: bytes, text: str, source: str, max_rows: int | None):
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(input=nq, format=ox.RdfFormat.N_QUADS)
    return _run_local(store, text, source, max_rows)


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
