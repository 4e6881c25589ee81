"""Benchmark `carekb batch`: N generated offices as a CSV, run as a subprocess to .xlsx and .csv.

    python bench/batch_bench.py [--sizes 1000,10000] [--seed 7] [--keep DIR]

Prints the machine, then per size and output format the wall time (KB load and process start
included) and offices per second. The issue's target: 10,000 offices in under 20 s.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import machine  # noqa: E402
from offices import generate  # noqa: E402

from carekb.app.batch import OFFICE_COLUMNS  # noqa: E402
from carekb.graph.kbload import load_kb  # noqa: E402


def row(o) -> dict:
    """An Office as the cells of one input row (the keys of OFFICE_COLUMNS)."""
    yes_no = lambda v: "はい" if v else "いいえ"  # noqa: E731
    return {
        "office.id": o.id, "office.name": o.name, "office.service": o.service, "office.employees": o.employees,
        "office.single_office_corp": yes_no(o.single_office_corp), "office.region": o.region,
        "office.monthly_units": o.monthly_units, "as_of": o.as_of.isoformat(),
        "history.shogu": o.shogu or "なし", "history.tokutei": o.tokutei or "なし", "history.baseup": yes_no(o.baseup),
        "met": " ".join(sorted(o.met)), "top_annual_wage": o.top_annual_wage or "",
        "workplace": " ".join(map(str, sorted(o.workplace))), "collab_corp": yes_no(o.collab_corp),
        "pledged": " ".join(sorted(o.pledged)),
    }


def write_offices(path: Path, n: int, seed: int) -> None:
    kb = load_kb()
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([c.ja for c in OFFICE_COLUMNS])
        for o in generate(kb, n, seed):
            cells = row(o)
            w.writerow([cells[c.key] for c in OFFICE_COLUMNS])


def run_batch(src: Path, out: Path) -> float:
    exe = shutil.which("carekb") or str(Path(sys.executable).with_name("carekb"))
    t = time.perf_counter()
    r = subprocess.run([exe, "batch", str(src), "--out", str(out), "--quiet"], capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"carekb batch failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", metavar="DIR", help="keep the generated input and outputs here")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="carekb-batch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            src = work / f"offices-{n}.csv"
            write_offices(src, n, args.seed)
            for suffix in (".xlsx", ".csv"):
                secs = run_batch(src, work / f"result-{n}{suffix}")
                print(f"{n:>7,} offices → {suffix:<5}  {secs:6.2f} s  {n / secs:8,.0f} offices/s")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
