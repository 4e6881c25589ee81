"""Benchmarks: print figures with the machine's description.  Not a test; no timing assertions.

    python bench/bench.py                 # 1k and 10k offices, cold start, constraint-model baseline
    python bench/bench.py --sizes 1000,10000,100000 --baseline 30
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


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gap_analysis(kb, offices):
    from carekb.solver.gap import evaluate
    from carekb.solver.report import to_dict

    for o in offices:
        to_dict(evaluate(kb, o, kb.period_at(o.as_of)), alternatives=False)


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
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--baseline", type=int, default=20, help="offices in the constraint-model sample (0: skip)")
    args = ap.parse_args()

    from carekb.kbload import load_kb
    from offices import generate

    print(f"machine: {machine()}")
    t = time.perf_counter()
    kb = load_kb(use_cache=False)
    print(f"KB parse (rdflib, no cache): {time.perf_counter() - t:.2f} s, {kb.triples} triples, version {kb.version}")
    t = time.perf_counter()
    from carekb import kbload
    kbload._memory.clear()
    kb = load_kb()
    print(f"KB load from cache: {1000 * (time.perf_counter() - t):.1f} ms")
    print(f"cold start `carekb gap PROFILE --format json` (median of 5): {cold_start():.3f} s")
    for n in [int(s) for s in args.sizes.split(",") if s]:
        offices = generate(kb, n)
        t = time.perf_counter()
        gap_analysis(kb, offices)
        dt = time.perf_counter() - t
        print(f"gap analysis, {n:>7,} offices in-process: {dt:7.2f} s ({1e6 * dt / n:6.0f} µs/office), peak RSS {peak_rss_mib():.0f} MiB")
    if args.baseline:
        sample = generate(kb, args.baseline * 5, seed=99)
        csp_t, dnf_t, done = baseline(kb, sample, 30.0)
        dnf_per = dnf_t / len(sample)
        print(f"constraint-model baseline on {done} offices (all tiers, gaps ≤ 6 actions): {csp_t:.1f} s "
              f"= {csp_t / max(done, 1):.2f} s/office; DNF {1000 * dnf_per:.2f} ms/office; ratio ≈ {csp_t / max(done, 1) / dnf_per:,.0f}×; "
              "all minimum efforts identical")


if __name__ == "__main__":
    main()
