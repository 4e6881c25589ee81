"""A remote SPARQL 1.1 endpoint: the protocol client (row cap, time-out, one-line errors) and the
compiled KB read from an endpoint's graph."""

from __future__ import annotations

import re

from carekb.model.errors import CarekbError
from carekb.graph.kbload import build
from carekb.graph.sparql_safety import check_query, query_kind, read_remote
from carekb.app.sparql.local import _position

DEFAULT_TIMEOUT_S = 30


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

    nt = query_endpoint(url, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "--endpoint", timeout)
    if getattr(nt, "truncated", False):
        raise CarekbError("the endpoint cut its answer (a row or byte cap): the rules it sent are incomplete; "
                          "raise its cap (carekb serve --max-rows)", "--endpoint", url)
    g = rdflib.Graph()
    g.parse(data=nt, format="nt")
    version = "remote-" + hashlib.sha256("\n".join(sorted(nt.splitlines())).encode()).hexdigest()[:12]
    return build(g, version)
