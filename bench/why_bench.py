"""What the "why needed" of the gap contract (targets[].actions[].required_by, solver/why_needed.py
why_needed_all) costs: the JSON report of N generated offices, and the why_needed part of it.
Prints figures; asserts nothing.

    python bench/why_bench.py --offices 2000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import machine  # noqa: E402
from offices import generate  # noqa: E402

from carekb.app.report import to_dict  # noqa: E402
from carekb.graph.kbload import load_kb  # noqa: E402
from carekb.inputs.profile import bind  # noqa: E402
from carekb.solver.why_needed import why_needed_all  # noqa: E402
from carekb.solver.gap import evaluate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--offices", type=int, default=2000)
    args = ap.parse_args()
    kb = load_kb()
    evs = []
    for o in generate(kb, args.offices):
        okb = kb.for_service(o.service)
        bound, period = bind(o, okb, o.as_of)
        evs.append(evaluate(okb, bound, period))
    targets = sum(len(ev.targets) for ev in evs)
    t0 = time.perf_counter()
    for ev in evs:
        to_dict(ev, alternatives=False)
    t1 = time.perf_counter()
    for ev in evs:
        why_needed_all(ev, ev.targets)
    t2 = time.perf_counter()
    print(f"machine: {machine()}")
    print(f"{len(evs)} offices, {targets} target tiers (one process)")
    print(f"  JSON report (to_dict) with required_by: {t1 - t0:6.2f} s ({1e6 * (t1 - t0) / len(evs):5.0f} µs/office)")
    print(f"  of which why_needed_all:                {t2 - t1:6.2f} s ({1e6 * (t2 - t1) / max(targets, 1):5.0f} µs/target)")


if __name__ == "__main__":
    main()
