"""SPARQL: the query library over the KB plus N offices' results, pyoxigraph vs rdflib, same run.

    python bench/sparql_bench.py                      # 10,000 offices' results (~1.5M triples; ~10 minutes)
    python bench/sparql_bench.py --offices 500 --rdflib-limit 20   # smoke size

Both engines get the same triples (the KB's Turtle and the results as N-Triples, built by
carekb.results_rdf exactly as `carekb sparql --with` does) and answer the same queries; the row
counts must agree or the run stops.  An rdflib query that runs past --rdflib-limit seconds is
stopped (it runs in a forked child) and its ratio is reported as a lower bound.  Not a test: no
timing assertions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import machine, peak_rss_mib  # noqa: E402

QUERIES = ["offices-by-tier", "common-missing-actions", "yen-left-on-table", "office-gaps", "rates-ranked",
           "tier-requirements"]


def results_nt(kb, offices, chunk: int = 5_000) -> tuple[bytes, int]:
    """N-Triples of every office's evaluation (the graph `carekb sparql --with` builds)."""
    from carekb.app.results_rdf import results_graph
    from carekb.solver.vectorized import evaluate_many

    parts = []
    for a in range(0, len(offices), chunk):
        g = results_graph(evaluate_many(kb, offices[a:a + chunk]))
        parts.append(g.serialize(format="nt", encoding="utf-8"))
    data = b"".join(parts)
    return data, data.count(b"\n")


def timed(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def timed_with_limit(fn, repeat: int, limit: float) -> tuple[float, object]:
    """timed() in a forked child (sharing the loaded graph); (inf, None) when it runs past `limit` s."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=lambda: child.send(timed(fn, repeat)))
    proc.start()
    ready = parent.poll(limit * repeat)
    out = parent.recv() if ready else (float("inf"), None)
    proc.kill()
    proc.join()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--offices", type=int, default=10_000)
    ap.add_argument("--rdflib-limit", type=float, default=300, help="seconds an rdflib query may run (per repeat)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per query and engine (best is reported)")
    args = ap.parse_args()

    from carekb.graph.kbload import kb_files, load_kb
    from carekb.app.sparql import Dataset, bind_params, named_query, oxigraph_store, rdflib_graph
    from offices import generate

    print(f"machine: {machine()}")
    kb = load_kb()
    t = time.perf_counter()
    nt, triples = results_nt(kb, generate(kb, args.offices, seed=3))
    print(f"results of {args.offices:,} offices as RDF: {triples:,} triples in {time.perf_counter() - t:.1f} s")
    ds = Dataset(kb_files(), nt)
    t = time.perf_counter()
    store = oxigraph_store(ds)
    print(f"load, pyoxigraph: {time.perf_counter() - t:.1f} s ({len(store):,} triples), peak RSS {peak_rss_mib():,.0f} MiB")
    t = time.perf_counter()
    graph = rdflib_graph(ds)
    print(f"load, rdflib:     {time.perf_counter() - t:.1f} s ({len(graph):,} triples), peak RSS {peak_rss_mib():,.0f} MiB")

    total_ox = total_rdf = 0.0
    lower = False
    print(f"{'query':28} {'rows':>8} {'pyoxigraph s':>13} {'rdflib s':>10} {'ratio':>8}")
    for name in QUERIES:
        text = bind_params(named_query(name), {})
        t_ox, rows_ox = timed(lambda: sum(1 for _ in store.query(text)), args.repeat)
        t_rdf, rows_rdf = timed_with_limit(lambda: sum(1 for _ in graph.query(text)), args.repeat, args.rdflib_limit)
        if rows_rdf is None:  # stopped: count the limit, so the ratio is a lower bound
            t_rdf, bound = args.rdflib_limit, "≥"
        elif rows_ox != rows_rdf:
            raise SystemExit(f"MISMATCH on {name}: pyoxigraph {rows_ox} rows, rdflib {rows_rdf} rows")
        else:
            bound = ""
        total_ox += t_ox
        total_rdf += t_rdf
        lower = lower or bool(bound)
        print(f"{name:28} {rows_ox:>8,} {t_ox:>13.3f} {bound + format(t_rdf, '.3f'):>10} {bound + format(t_rdf / t_ox, '.0f'):>7}×")
    mark = "≥" if lower else ""
    print(f"{'whole query set':28} {'':>8} {total_ox:>13.3f} {mark + format(total_rdf, '.3f'):>10} "
          f"{mark + format(total_rdf / total_ox, '.0f'):>7}×")


if __name__ == "__main__":
    main()
