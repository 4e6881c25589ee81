"""A bounded load test of `carekb serve`: N concurrent clients for S seconds on loopback, each running
the query library (queries/*.rq, default parameters) round-robin.  Reports requests, errors (the
target is 0), throughput and p50/p95/max latency, and checks that the server refuses updates.

    python bench/load_test.py [--clients 8] [--seconds 30] [--with examples/]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import ROOT, machine  # noqa: E402

from carekb import store  # noqa: E402


def post(url: str, body: dict, accept: str, timeout: float) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=urllib.parse.urlencode(body).encode(), method="POST",
                                 headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback URL built here
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def library_queries() -> dict[str, str]:
    return {name: store.bind_params(q, {}) for name, q in store.library().items()}


def triple_count(base: str) -> str:
    return post(base + "/query", {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}, "text/csv", 30)[1].decode().split()[-1]


def client(url: str, queries: list[tuple[str, str]], start: int, deadline: float, timeout: float, out: list, errors: list):
    i = start
    while time.monotonic() < deadline:
        name, text = queries[i % len(queries)]
        i += 1
        t0 = time.perf_counter()
        try:
            status, body = post(url, {"query": text}, "application/sparql-results+json, application/n-triples", timeout)
            ok = status == 200 and body
        except OSError as e:
            status, ok = repr(e), False
        out.append((name, time.perf_counter() - t0))
        if not ok:
            errors.append((name, status))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--with", dest="profiles", default=str(ROOT / "examples"), help="profiles to load (default: examples/)")
    ap.add_argument("--timeout", type=int, default=30, help="the server's query time-out and each client's, in seconds")
    args = ap.parse_args()

    port = store.free_loopback_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "carekb.cli", "serve", "--port", str(port), "--with", args.profiles,
                               "--timeout", str(args.timeout)], stderr=subprocess.PIPE, text=True)
    try:
        store.wait_ready(base + "/query", server, seconds=120)
        queries = sorted(library_queries().items())
        # the server must refuse writes whatever a client sends
        refused = {}
        for path, body in (("/update", {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}),
                           ("/query", {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})):
            refused[path] = post(base + path, body, "*/*", 10)[0]
        count_before = triple_count(base)

        latencies: list = []
        errors: list = []
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=client, args=(base + "/query", queries, k, deadline, args.timeout, latencies, errors))
                   for k in range(args.clients)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        count_after = triple_count(base)
    finally:
        store.stop_server(server, grace=10)

    lat = [x for _, x in latencies]
    print(f"machine: {machine()}")
    print(f"server: carekb serve (checking proxy → oxigraph serve-read-only) on 127.0.0.1:{port}, --with {args.profiles}, "
          f"{count_before} triples")
    print(f"load: {args.clients} clients × {elapsed:.1f} s, {len(queries)} library queries round-robin")
    print(f"requests: {len(lat)}  errors: {len(errors)}  throughput: {len(lat) / elapsed:.1f}/s")
    if lat:
        print(f"latency: p50 {pct(lat, 50) * 1000:.1f} ms  p95 {pct(lat, 95) * 1000:.1f} ms  "
              f"max {max(lat) * 1000:.1f} ms  mean {statistics.mean(lat) * 1000:.1f} ms")
    by_query: dict[str, list[float]] = {}
    for name, x in latencies:
        by_query.setdefault(name, []).append(x)
    for name, xs in sorted(by_query.items(), key=lambda kv: -pct(kv[1], 95)):
        print(f"  {name:32} n={len(xs):5}  p95 {pct(xs, 95) * 1000:7.1f} ms")
    print("updates: " + ", ".join(f"POST {p} → HTTP {s}" for p, s in refused.items())
          + f"; triples before/after the run: {count_before}/{count_after}")
    for name, status in errors[:10]:
        print(f"  error: {name}: {status}")
    bad_update = any(s == 200 or s == 204 for s in refused.values()) or count_before != count_after
    return 1 if errors or bad_update else 0


if __name__ == "__main__":
    sys.exit(main())
