"""Benchmark `carekb batch` end to end: N generated offices as a CSV, run as a subprocess (process
start to files published) to .csv and .xlsx, both pledge modes (the default).

    python bench/batch_bench.py [--sizes 10000,100000] [--formats csv,xlsx] [--repeat 3] [--seed 7] [--keep DIR]
    python bench/batch_bench.py --in-process 100000     # evaluation of both modes only, no files
    python bench/batch_bench.py --in-process 100000 --solve-only   # only its solver part (solver/columnar.py)

Prints the machine, then per size and format the min and median wall time of `--repeat` runs,
the read / evaluate / write split of the fastest run (from the hidden `--timings` option), and
the peak RSS of the run (parent and workers, each: ru_maxrss of the process tree's largest).
Targets (issue #14): 100,000 offices → CSV ≤ 8 s and ≤ 1 GiB; → XLSX ≤ 12 s; in-process
evaluation of both modes ≤ 3 s; 300,000 offices within 1 GiB.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import machine  # noqa: E402
from offices import generate  # noqa: E402

from carekb.app.batch_columns import OFFICE_COLUMNS  # noqa: E402
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


def run_batch(src: Path, out: Path) -> tuple[float, str, float, float]:
    """(wall seconds, the --timings line, peak RSS MiB of the largest process of the run, CPU seconds of
    the run and its workers: on a shared machine the wall time alone misleads)."""
    exe = shutil.which("carekb") or str(Path(sys.executable).with_name("carekb"))
    # the previous run's gigabytes still being written back would compete for the cores: measure this run alone
    os.sync()
    t = time.perf_counter()
    # /usr/bin/time is not everywhere: wait4's rusage of the child gives the peak of the largest process
    # as an installed carekb starts: with its modules' bytecode cached (pip compiles it at install; an
    # environment with PYTHONDONTWRITEBYTECODE would compile ~110 modules from source at every start)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    p = subprocess.Popen([exe, "batch", str(src), "--out", str(out), "--quiet", "--timings"], stderr=subprocess.PIPE,
                         text=True, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    err = p.stderr.read()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"carekb batch failed ({code}): {err.strip()[-2000:]}")
    split = next((line for line in err.splitlines() if line.startswith("timings:")), "")
    return elapsed, split.removeprefix("timings: "), usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def in_process(n: int, seed: int, repeat: int, solve_only: bool = False) -> None:
    """Evaluation of both pledge modes for n generated offices in this one process, no I/O: the batch's
    own path (app/batch_eval.briefs: situations, buckets, array tie-break, brief tuples). The first
    run includes compiling the rules; the others find them compiled, as a batch's later chunks do.
    solve_only: time only the solver's part, `columnar.solve_jobs` as briefs() calls it (the slots of
    every tier, no brief tuples)."""
    from carekb.app.batch_eval import briefs
    from carekb.solver import columnar
    from carekb.solver.vectorized import gc_paused

    def solve(kb, offices, modes):
        with gc_paused():    # as briefs() runs it
            taken, _, _ = columnar.solve_jobs(kb, offices, modes)
            return offices if taken is None else [o for o, t in zip(offices, taken) if t]

    kb = load_kb()
    offices = generate(kb, n, seed)
    times, cpu = [], []
    for _ in range(repeat + 1):
        t, c = time.perf_counter(), time.process_time()
        assert len((solve if solve_only else briefs)(kb, offices, (True, False))) == n
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(f"in-process {'columnar.solve_jobs' if solve_only else 'evaluation'}, both pledge modes, {n:,} offices: first (compiling) {times[0]:.2f} s; then min "
          f"{min(times[1:]):.2f} s, median {statistics.median(times[1:]):.2f} s (CPU min {min(cpu[1:]):.2f} s)  "
          f"load {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--formats", default="csv,xlsx")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", metavar="DIR", help="keep the generated input and outputs here")
    ap.add_argument("--in-process", type=int, metavar="N", help="time only the evaluation of N offices, both modes")
    ap.add_argument("--solve-only", action="store_true", help="with --in-process: time only the solver's part")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    if args.in_process:
        in_process(args.in_process, args.seed, args.repeat, args.solve_only)
        return
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="carekb-batch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            src = work / f"offices-{n}.csv"
            if not src.exists():
                write_offices(src, n, args.seed)
            for fmt in args.formats.split(","):
                runs = [run_batch(src, work / f"result-{n}.{fmt}") for _ in range(args.repeat)]
                walls = [r[0] for r in runs]
                best = min(runs)
                print(f"{n:>7,} offices → .{fmt:<5} min {min(walls):6.2f} s  median {statistics.median(walls):6.2f} s  "
                      f"({best[1]})  CPU {best[3]:.1f} s  peak RSS {max(r[2] for r in runs):,.0f} MiB  load {os.getloadavg()[0]:.1f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
