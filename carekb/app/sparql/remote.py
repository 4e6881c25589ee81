"""A remote SPARQL 1.1 endpoint: the protocol client (row cap, time-out, one-line errors) and the
compiled KB read from an endpoint's graph."""

from __future__ import annotations

import ipaddress
import re
import socket
import urllib.request

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
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # raises ValueError on a malformed host or port
    except ValueError as e:
        raise CarekbError(f"not a valid URL: {e}", "--endpoint", url) from None
    if port == 0 or not parts.hostname:
        raise CarekbError("not a valid URL: no host or port 0", "--endpoint", url)
    if _metadata_host(parts.hostname):
        raise CarekbError("link-local or unspecified address refused (cloud metadata, not a SPARQL endpoint)",
                          "--endpoint", url)
    graph = query_kind(text) in ("CONSTRUCT", "DESCRIBE")
    accept = "application/n-triples" if graph else "application/sparql-results+json"
    req = urllib.request.Request(url, data=urllib.parse.urlencode({"query": text}).encode(), method="POST",
                                 headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.build_opener(_NoRedirect).open(req, timeout=timeout) as resp:  # http(s) only, checked above
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed (it could point anywhere: another host, ftp://): it is an error."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise CarekbError(f"the endpoint redirects (HTTP {code}) to {newurl}: not followed; give that URL",
                          "--endpoint", req.full_url)


def _metadata_host(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        try:   # the legacy IPv4 forms the resolver also accepts: 2852039166, 0xa9.0xfe.0xa9.0xfe, 169.254.43518
            ip = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return False   # a name: resolved by the OS when connecting
    return ip.is_link_local or ip.is_unspecified


def kb_from_endpoint(url: str, timeout: float = DEFAULT_TIMEOUT_S):
    """The compiled KB read from a remote endpoint (its rules, not its results), for the solver."""
    import hashlib

    import rdflib

    nt = query_endpoint(url, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "--endpoint", timeout)
    if getattr(nt, "truncated", False):
        raise CarekbError("the endpoint cut its answer (a row or byte cap): the rules it sent are incomplete; "
                          "raise its cap (carekb serve --max-rows)", "--endpoint", url)
    g = rdflib.Graph()
    try:
        g.parse(data=nt, format="nt")
    except Exception as e:  # rdflib's parser errors: the endpoint's answer, not ours
        raise CarekbError(f"the endpoint sent N-Triples that do not parse ({type(e).__name__}: "
                          f"{str(e).splitlines()[0][:120] if str(e) else ''})", "--endpoint", url) from None
    version = "remote-" + hashlib.sha256("\n".join(sorted(nt.splitlines())).encode()).hexdigest()[:12]
    return build(g, version)
