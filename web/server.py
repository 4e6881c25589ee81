"""`carekb serve`: one process running the ASGI application on uvicorn, plus its query workers.

    server process (uvicorn, one event loop)        query workers (spawned, --workers of them)
    ├─ /query  → checks shape, Accept, limits  ──pipe──▶ check (parse) → pyoxigraph store → write answer
    ├─ /api/v1 → carekb.app.api in threads (the KB is loaded once; overlays per request)
    └─ /, /docs, /openapi.json

The graph lives only inside the workers (each has its own in-memory store, loaded from N-Quads the
server made once); they have no socket, so nothing but the server can query them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from carekb.model.errors import CarekbError
from carekb.app import api
from carekb.app.sparql import dataset, oxigraph_store
from carekb.web.app import Settings, create_app
from carekb.web.hosts import base_url, is_loopback
from carekb.web.protocol import FASTEST
from carekb.web.query_pool import QueryPool

KEEP_ALIVE_S = 5
GRACEFUL_S = 5


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 7878
    profiles: tuple = ()
    as_of: object = None
    timeout: float = 30
    workers: int = 4
    max_rows: int = 100_000
    max_bytes: int = 64_000_000
    max_connections: int = 100
    api_key: str | None = None
    settings: Settings = field(default_factory=Settings)


def check_exposure(opts: ServeOptions) -> None:
    if not is_loopback(opts.host) and not opts.api_key:
        raise CarekbError("listening beyond loopback needs an API key: --api-key KEY or CAREKB_API_KEY=KEY", "--host",
                          opts.host)


def build(opts: ServeOptions):
    """(app, pool): the graph loaded into the workers and the KB for the API; the caller closes the pool."""
    check_exposure(opts)
    import pyoxigraph as ox

    store = oxigraph_store(dataset(opts.profiles, opts.as_of))
    triples = len(store)
    nquads = store.dump(format=ox.RdfFormat.N_QUADS)
    del store
    pool = QueryPool(nquads, workers=opts.workers, timeout=opts.timeout, max_rows=opts.max_rows,
                     max_bytes=opts.max_bytes)
    pool.start()
    try:
        kb = api.load_kb()
        settings = opts.settings
        settings.api_key = opts.api_key
        app = create_app(pool, kb, triples, settings)
    except BaseException:
        pool.close()
        raise
    return app, pool


def uvicorn_server(app, opts: ServeOptions):
    import uvicorn

    config = uvicorn.Config(app, host=opts.host, port=opts.port, http=FASTEST, ws="none", lifespan="off",
                            log_level="warning", access_log=False, timeout_keep_alive=KEEP_ALIVE_S,
                            limit_concurrency=opts.max_connections, timeout_graceful_shutdown=GRACEFUL_S,
                            h11_max_incomplete_event_size=64 * 1024, server_header=False)
    return uvicorn.Server(config)


def listen(host: str, port: int):
    """The listening socket, bound before anything slow is loaded so a busy port fails at once."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # IPPROTO_TCP: asyncio then sets TCP_NODELAY
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise CarekbError(f"cannot listen on {host}:{port}: {e.strerror}", "--port") from None
    except (socket.gaierror, UnicodeError) as e:
        sock.close()
        raise CarekbError(f"not an address of this machine: {e}", "--host", host) from None
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock


def run(opts: ServeOptions, echo=print) -> None:
    """Serve until Ctrl-C or SIGTERM; prints the URLs once the server listens."""
    import asyncio

    check_exposure(opts)
    sock = listen(opts.host, opts.port)
    try:
        app, pool = build(opts)
    except BaseException:
        sock.close()
        raise
    server = uvicorn_server(app, opts)
    base = base_url(opts.host, opts.port)

    def announce():
        echo(f"carekb: SPARQL endpoint (read-only)  {base}/query")
        echo(f"carekb: JSON API                     {base}/api/v1/  (docs {base}/docs, {base}/openapi.json)")
        echo(f"carekb: web page                     {base}/")
        echo(f"carekb: {opts.workers} query workers, time-out {opts.timeout:g} s, at most {opts.max_rows:,} rows / "
             f"{opts.max_bytes:,} bytes an answer" + ("" if pool.offline else "; the workers could not leave the "
                                                      "network here: SERVICE is refused by the query check alone"))
        echo("carekb: Ctrl-C to stop")
        if not is_loopback(opts.host):
            echo(f"carekb: warning: listening on {opts.host}: reachable from other machines; every request to "
                 "/query and /api/ needs the API key; put TLS in front (a reverse proxy) on any real network")

    async def main():
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            announce()
        await task

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        pool.close()
        sock.close()
