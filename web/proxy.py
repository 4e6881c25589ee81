"""The front door of `carekb serve`: a small HTTP proxy that lets only read-only queries through to
the oxigraph server, which itself listens on a private loopback port.

`oxigraph serve-read-only` refuses updates, but it evaluates SERVICE — it would fetch any URL a
client names, from inside the network it runs in.  Every query is therefore checked here with the
same rules as `carekb sparql` (no update, no SERVICE, bounded size) before it is forwarded.
"""

from __future__ import annotations

import http.client
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from carekb.model.errors import CarekbError
from carekb.graph.sparql_safety import MAX_QUERY_BYTES, check_query


class QueryProxy(BaseHTTPRequestHandler):
    upstream: tuple[str, int] = ("127.0.0.1", 0)
    timeout_s: float = 30
    protocol_version = "HTTP/1.1"
    server_version = "carekb-serve"

    def log_message(self, fmt, *args):  # quiet: one line per request would drown the terminal
        pass

    def _reply(self, status: int, text: str) -> None:
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/query":
            return self._reply(404, "only /query is served (read-only SPARQL 1.1 Protocol)")
        query = urllib.parse.parse_qs(url.query).get("query")
        self._forward(query[0] if query else None)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/query":
            return self._reply(403 if url.path in ("/update", "/store") else 404, "updates are refused: read-only endpoint")
        declared = self.headers.get("Content-Length") or "0"
        if not declared.isdecimal():  # int() takes "-1", and reading -1 bytes waits for the client to close
            return self._reply(400, f"bad Content-Length {declared!r}")
        length = int(declared)
        if length > 3 * MAX_QUERY_BYTES:  # form encoding may triple the size
            return self._reply(413, f"query too large (at most {MAX_QUERY_BYTES:,} bytes)")
        body = self.rfile.read(length)
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if kind == "application/sparql-query":
            query = body.decode("utf-8", "replace")
        elif kind in ("application/x-www-form-urlencoded", ""):
            values = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("query")
            query = values[0] if values else None
        else:
            return self._reply(415, f"unsupported Content-Type {kind!r}")
        self._forward(query)

    def _refuse(self):
        self._reply(405, "read-only endpoint: only GET and POST /query")

    do_PUT = do_DELETE = do_PATCH = _refuse

    def _forward(self, query: str | None) -> None:
        if not query:
            return self._reply(400, "missing 'query' parameter")
        try:
            check_query(query, "query")
        except CarekbError as e:
            return self._reply(403 if "refused" in e.message else 400, e.message)
        conn = http.client.HTTPConnection(*self.upstream, timeout=self.timeout_s + 5)
        try:
            conn.request("POST", "/query", urllib.parse.urlencode({"query": query}),
                         {"Content-Type": "application/x-www-form-urlencoded",
                          "Accept": self.headers.get("Accept") or "application/sparql-results+json"})
            resp = conn.getresponse()
            self.send_response(resp.status)
            if resp.getheader("Content-Type"):
                self.send_header("Content-Type", resp.getheader("Content-Type"))
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while chunk := resp.read1(1 << 16):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (OSError, http.client.HTTPException) as e:
            if not self.wfile.closed:
                try:
                    self._reply(502, f"the query server failed: {e}")
                except OSError:
                    pass
        finally:
            conn.close()


def start_proxy(host: str, port: int, upstream_port: int, timeout_s: float) -> ThreadingHTTPServer:
    """Serve the proxy in a background thread; the caller calls .shutdown()."""
    handler = type("Proxy", (QueryProxy,), {"upstream": ("127.0.0.1", upstream_port), "timeout_s": timeout_s})
    server_class = type("Server", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET})
    try:
        server = server_class((host, port), handler)
    except OSError as e:
        raise CarekbError(f"cannot listen on {host}:{port}: {e.strerror}", "--port") from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
