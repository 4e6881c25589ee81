"""Benchmarks: print figures with the machine's description.  Not a test; no timing assertions.

    python bench/bench.py                                  # 1k, 10k and 100k offices, cold start, baseline
    python bench/bench.py --sizes 1000 --baseline 5        # smoke size (seconds)

Gap analysis = every tier of every office solved exactly (minimum-effort sets), reported as the
JSON contract of `carekb gap` (solver.report.to_dict), through solver.vectorized.reports on all
CPUs.  A random sample is re-solved one office at a time with the plain solver; any difference
stops the run.  The baseline is the python-constraint model (iterative deepening on effort).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def peak_rss_mib(children: bool = False) -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF).ru_maxrss / 1024


def gap_analysis(kb, offices, workers=None, shape="summary") -> list:
    from carekb.solver.vectorized import reports

    return [d for chunk in reports(kb, offices, workers=workers, shape=shape) for d in chunk]


def check_sample(kb, offices, results, k: int = 300, seed: int = 1) -> int:
    """Re-solve a random sample one office at a time with the plain solver; stop on any difference."""
    import random

    from carekb.solver.gap import evaluate
    from carekb.solver.vectorized import summary

    picks = random.Random(seed).sample(range(len(offices)), min(k, len(offices)))
    for i in picks:
        o = offices[i]
        want = summary(evaluate(kb, o, kb.period_at(o.as_of)))
        if want != results[i]:
            raise SystemExit(f"MISMATCH office {o.id}: fast path {results[i]} vs plain solver {want}")
    return len(picks)


def cold_start(runs: int = 5) -> float:
    exe = Path(sys.executable).with_name("carekb")
    cmd = [str(exe), "gap", str(ROOT / "examples" / "r7-after-school-day.yaml"), "--format", "json"]
    subprocess.run(cmd, capture_output=True, check=True)  # warm the on-disk KB cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def baseline(kb, offices, per_office_limit: float) -> tuple[float, float, int]:
    """The same tiers solved by the python-constraint model (iterative deepening) vs the DNF path."""
    from carekb.solver.csp import solve_tier_csp
    from carekb.solver.gap import cost_function, evaluate
    from carekb.solver.rules import Context

    csp_t = dnf_t = 0.0
    done = 0
    for o in offices:
        p = kb.period_at(o.as_of)
        t = time.perf_counter()
        ev = evaluate(kb, o, p)
        dnf_t += time.perf_counter() - t
        if any(r.reachable and r.cost > 6 for r in ev.results.values()):
            continue  # larger gaps take the constraint model minutes per tier
        ctx = Context(kb, p, o)
        t = time.perf_counter()
        for r in ev.results.values():
            got = solve_tier_csp(ctx, r.tier, cost_function(o), limit=7)
            if got.reachable != r.reachable or (r.reachable and got.cost != r.cost):
                raise SystemExit(f"MISMATCH office {o.id} tier {r.tier.id}: csp {got.cost} dnf {r.cost}")
        csp_t += time.perf_counter() - t
        done += 1
        if csp_t > per_office_limit * len(offices):
            break
    return csp_t, dnf_t, done


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--json-up-to", type=int, default=10_000, help="also time the full JSON report up to this size")
    ap.add_argument("--workers", type=int, default=None, help="processes for the gap analysis (default: one per CPU)")
    ap.add_argument("--baseline", type=int, default=20, help="offices in the constraint-model sample (0: skip)")
    args = ap.parse_args()

    from carekb.graph.kbload import load_kb
    from offices import generate

    print(f"machine: {machine()}")
    t = time.perf_counter()
    kb = load_kb(use_cache=False)
    print(f"KB parse (rdflib, no cache): {time.perf_counter() - t:.2f} s, {kb.triples} triples, version {kb.version}")
    t = time.perf_counter()
    from carekb.graph import kbload
    kbload._memory.clear()
    kb = load_kb()
    print(f"KB load from cache: {1000 * (time.perf_counter() - t):.1f} ms")
    print(f"cold start `carekb gap PROFILE --format json` (median of 5): {cold_start():.3f} s")
    per_office = None
    for n in [int(s) for s in args.sizes.split(",") if s]:
        offices = generate(kb, n)
        t = time.perf_counter()
        results = gap_analysis(kb, offices, args.workers)
        dt = time.perf_counter() - t
        per_office = dt / n
        checked = check_sample(kb, offices, results)
        print(f"gap analysis, {n:>7,} offices: {dt:7.2f} s ({1e6 * dt / n:6.0f} µs/office), peak RSS "
              f"{peak_rss_mib():,.0f} MiB (workers {peak_rss_mib(True):,.0f} MiB); {checked} sampled offices "
              "identical to the plain solver")
        if n <= args.json_up_to:
            t = time.perf_counter()
            from carekb.app.report import to_dict
            gap_analysis(kb, offices, args.workers, shape=lambda ev: to_dict(ev, alternatives=False))
            dt = time.perf_counter() - t
            print(f"  the same with the full JSON report per office: {dt:7.2f} s ({1e6 * dt / n:6.0f} µs/office)")
        del offices, results
    if args.baseline:
        sample = generate(kb, args.baseline * 5, seed=99)
        csp_t, dnf_t, done = baseline(kb, sample, 30.0)
        dnf_per, csp_per = dnf_t / len(sample), csp_t / max(done, 1)
        print(f"constraint-model baseline on {done} offices (all tiers, gaps ≤ 6 actions): {csp_t:.1f} s "
              f"= {csp_per:.2f} s/office, all minimum efforts identical; ratio ≈ {csp_per / dnf_per:,.0f}× against "
              f"the one-office solver ({1000 * dnf_per:.2f} ms/office)"
              + (f", ≈ {csp_per / per_office:,.0f}× against the batch path ({1e6 * per_office:.0f} µs/office)"
                 if per_office else ""))


if __name__ == "__main__":
    main()
