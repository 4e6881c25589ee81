"""A bounded load test of `carekb serve` on loopback: it starts the server, measures, and stops it.

1. Latency of one light query, one client, taking turns: through carekb's /query answered from its
   answer cache, through /query evaluated by a worker (Cache-Control: no-cache), straight to the
   engine's own HTTP server (`oxigraph serve-read-only` on the same data, started here for the
   comparison only), and in process (pyoxigraph, no HTTP).  Target: /query p50 within 1.5× of the
   engine's server.  The load average before the run is printed: the machine may be shared.
2. Load: N clients for S seconds, each cycling through the query library (60 ms to 1.2 s each), two
   heavy queries (a 20,000-row cross product; an aggregate over a self-join), all sent with
   Cache-Control: no-cache so that a worker evaluates every one, and API calls (POST /api/v1/gap on
   the example profiles, GET /api/v1/services).  Prints requests, errors (the target is 0: every
   answer must have its expected status), p50/p95 per kind, and checks that updates are refused and
   the graph is unchanged.

    python bench/load_test.py [--clients 8] [--seconds 30] [--with examples/]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import ROOT, machine  # noqa: E402

from carekb.app import sparql as store  # noqa: E402
from carekb.web.hosts import free_loopback_port, wait_ready  # noqa: E402

LIGHT = "PREFIX ck: <https://w3id.org/carekb/vocab#> SELECT ?t ?id WHERE { ?t a ck:Tier ; ck:tierId ?id } LIMIT 5"
HEAVY = {  # each takes the engine seconds; the time-out and the caps have their own tests
    "cross-product, 20,000 rows": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 20000",
    "self-join count": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?o . ?b ?p ?o }",
}
JSON_ACCEPT = "application/sparql-results+json"


# --------------------------------------------------------------------------- the engine's own server

def oxigraph_binary() -> str:
    """The `oxigraph` command of the PyPI package `oxigraph` (beside this Python, else on PATH)."""
    here = Path(sys.executable).parent / "oxigraph"
    found = str(here) if here.is_file() else shutil.which("oxigraph")
    if not found:
        raise SystemExit("bench: the oxigraph server is not installed (pip install oxigraph)")
    return found


def start_oxigraph(nquads: bytes, tmp: Path, port: int, timeout_s: int) -> subprocess.Popen:
    """`oxigraph serve-read-only` on 127.0.0.1:port with the same graph (loaded with `oxigraph load`)."""
    data, location = tmp / "carekb.nq", tmp / "db"
    data.write_bytes(nquads)
    subprocess.run([oxigraph_binary(), "load", "--location", str(location), "--file", str(data)],
                   check=True, capture_output=True, timeout=300)
    return subprocess.Popen([oxigraph_binary(), "serve-read-only", "--location", str(location), "--bind",
                             f"127.0.0.1:{port}", "--timeout-s", str(timeout_s)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen, grace: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)


# --------------------------------------------------------------------------- clients

class Client:
    """One keep-alive HTTP connection (reopened after an error)."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout, self.conn = port, timeout, None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def query(self, text: str, accept: str = JSON_ACCEPT, fresh: bool = False):
        body = urllib.parse.urlencode({"query": text}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        if fresh:  # carekb serve: evaluate again, not from its answer cache
            headers["Cache-Control"] = "no-cache"
        return self.request("POST", "/query", body, headers)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def light_latency(servers: list[tuple[int, bool]], n: int) -> list[list[float]]:
    """n timings of the light query on each (port, fresh) in turn (a busy machine slows all alike)."""
    clients = [(Client(port, 30), fresh) for port, fresh in servers]
    for c, fresh in clients:
        c.query(LIGHT, fresh=fresh)  # warm the connection and the verdict cache
    out: list[list[float]] = [[] for _ in servers]
    for _ in range(n):
        for (c, fresh), xs in zip(clients, out):
            t0 = time.perf_counter()
            status, _ = c.query(LIGHT, fresh=fresh)
            xs.append(time.perf_counter() - t0)
            if status != 200:
                raise SystemExit(f"bench: light query answered HTTP {status}")
    return out


def in_process_latency(nquads: bytes, n: int) -> list[float]:
    import pyoxigraph as ox

    st = ox.Store()
    st.bulk_load(input=nquads, format=ox.RdfFormat.N_QUADS)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        list(st.query(LIGHT))
        out.append(time.perf_counter() - t0)
    return out


def office_profiles() -> list[tuple[str, dict]]:
    """The examples that are office profiles (those `carekb.load_profile` accepts), as API bodies (YAML text)."""
    import carekb

    kb = carekb.load_kb()
    out = []
    for f in sorted((ROOT / "examples").glob("*.yaml")):
        try:
            carekb.load_profile(str(f), kb=kb)
        except Exception:  # noqa: BLE001 - not an office profile (a roster, a visit, …)
            continue
        out.append((f.stem, {"profile": f.read_text(encoding="utf-8"), "options": {}}))
    return out


def worker(port: int, jobs: list, start: int, deadline: float, timeout: float, out: list, errors: list):
    c = Client(port, timeout)
    i = start
    while time.monotonic() < deadline:
        kind, name, call, expected = jobs[i % len(jobs)]
        i += 1
        t0 = time.perf_counter()
        try:
            status, body = call(c)
            ok = status in expected and bool(body)
        except (OSError, http.client.HTTPException) as e:
            status, ok = repr(e), False
        out.append((kind, name, time.perf_counter() - t0))
        if not ok:
            errors.append((kind, name, status))


def jobs_list(profiles) -> list:
    lib = {name: store.bind_params(q, {}) for name, q in store.library().items()}
    # every query is evaluated afresh (no-cache): the load falls on the workers, the worst case
    jobs = [("library", name, (lambda c, t=text: c.query(t, JSON_ACCEPT + ", application/n-triples", fresh=True)),
             (200,)) for name, text in sorted(lib.items())]
    # a heavy query ends 200 (cut by the row cap) or 503 (stopped by the time-out): both are answers
    jobs += [("heavy", name, (lambda c, t=text: c.query(t, fresh=True)), (200, 503)) for name, text in HEAVY.items()]
    for name, body in profiles:
        data = json.dumps(body).encode()
        jobs.append(("api", f"gap {name}", (lambda c, d=data: c.request("POST", "/api/v1/gap", d,
                                                                          {"Content-Type": "application/json"})), (200,)))
    jobs.append(("api", "services", lambda c: c.request("GET", "/api/v1/services"), (200,)))
    return jobs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--with", dest="profiles", default=str(ROOT / "examples"), help="profiles to load (default: examples/)")
    ap.add_argument("--timeout", type=int, default=10, help="the server's query time-out, in seconds")
    ap.add_argument("--samples", type=int, default=300, help="light queries for the latency comparison")
    args = ap.parse_args()

    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    nquads = store.serialize(store.oxigraph_store(store.dataset([args.profiles])), "nq")
    port, ox_port = free_loopback_port(), free_loopback_port()
    server = subprocess.Popen([sys.executable, "-m", "carekb.cli", "serve", "--port", str(port), "--with", args.profiles,
                               "--timeout", str(args.timeout)], stderr=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="carekb-bench-") as tmp:
        engine = start_oxigraph(nquads, Path(tmp), ox_port, args.timeout)
        try:
            wait_ready(f"http://127.0.0.1:{port}/query", server, seconds=180)
            wait_ready(f"http://127.0.0.1:{ox_port}/query", engine, seconds=60)
            via_carekb, via_worker, via_engine = light_latency([(port, False), (port, True), (ox_port, False)],
                                                               args.samples)
            in_process = in_process_latency(nquads, args.samples)
            profiles = office_profiles()
            jobs = jobs_list(profiles)
            probe = Client(port, 30)
            refused = {"POST /update": probe.request("POST", "/update", b"update=DROP+ALL",
                                                     {"Content-Type": "application/x-www-form-urlencoded"})[0],
                       "POST /query INSERT": probe.query("INSERT DATA { <urn:a> <urn:b> <urn:c> }")[0]}
            count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
            before = probe.query(count, "text/csv")[1].decode().split()[-1]

            latencies: list = []
            errors: list = []
            deadline = time.monotonic() + args.seconds
            threads = [threading.Thread(target=worker, args=(port, jobs, k * 3, deadline, args.timeout + 30,
                                                             latencies, errors))
                       for k in range(args.clients)]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
            after = probe.query(count, "text/csv")[1].decode().split()[-1]
            alive = probe.query("ASK {}")[0] == 200
        finally:
            stop(server)
            stop(engine)

    print(f"machine: {machine()}; load average before the run {load_before}")
    print(f"server: carekb serve (uvicorn + 4 spawned query workers) on 127.0.0.1:{port}, --with {args.profiles}, "
          f"{before} triples; engine baseline: oxigraph serve-read-only on the same data")
    p50_c, p50_w, p50_e = pct(via_carekb, 50), pct(via_worker, 50), pct(via_engine, 50)
    print(f"light query, 1 client, {args.samples} each, taking turns (keep-alive), p50 / p95:")
    print(f"  /query (answer cache)          {p50_c * 1000:6.2f} / {pct(via_carekb, 95) * 1000:6.2f} ms")
    print(f"  /query, no-cache (a worker)    {p50_w * 1000:6.2f} / {pct(via_worker, 95) * 1000:6.2f} ms")
    print(f"  oxigraph serve-read-only       {p50_e * 1000:6.2f} / {pct(via_engine, 95) * 1000:6.2f} ms")
    print(f"  pyoxigraph in process          {pct(in_process, 50) * 1000:6.3f} / {pct(in_process, 95) * 1000:6.3f} ms")
    for label, p in (("answer cache", p50_c), ("no-cache", p50_w)):
        ratio = p / p50_e
        print(f"ratio /query ({label}) ÷ engine server, p50: {ratio:.2f}×  "
              f"(target ≤ 1.5×: {'met' if ratio <= 1.5 else 'NOT met'})")
    lat = [x for _, _, x in latencies]
    print(f"load: {args.clients} clients × {elapsed:.1f} s, {len(jobs)} jobs round-robin "
          f"({len(profiles)} example profiles through the API)")
    print(f"requests: {len(lat)}  errors: {len(errors)}  throughput: {len(lat) / elapsed:.1f}/s  "
          f"p50 {pct(lat, 50) * 1000:.1f} ms  p95 {pct(lat, 95) * 1000:.1f} ms  max {max(lat, default=0) * 1000:.0f} ms")
    for kind in ("library", "heavy", "api"):
        xs = [x for k, _, x in latencies if k == kind]
        errs = sum(1 for k, _, _ in errors if k == kind)
        print(f"  {kind:7} n={len(xs):5}  p50 {pct(xs, 50) * 1000:8.1f} ms  p95 {pct(xs, 95) * 1000:8.1f} ms  errors {errs}")
    print("updates: " + ", ".join(f"{k} → HTTP {v}" for k, v in refused.items())
          + f"; triples before/after: {before}/{after}; server answering after the run: {alive}")
    for kind, name, status in errors[:10]:
        print(f"  error: {kind} {name}: {status}")
    bad = any(v not in (400, 403) for v in refused.values()) or before != after or not alive
    return 1 if errors or bad else 0


if __name__ == "__main__":
    sys.exit(main())
