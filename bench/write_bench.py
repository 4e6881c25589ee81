"""Benchmark the writing stage of `carekb batch` alone: the pipeline runs once for N offices (both
pledge modes), its OfficeResult items are kept in memory, then only writing them is timed, to CSV
(summary, actions, errors) and to XLSX, in this process.

    python bench/write_bench.py [--offices FILE.csv | -n 10000] [--repeat 3] [--formats csv,xlsx] [--lang ja]
                                [--encoding utf-8|cp932] [--profile csv|xlsx]

Prints per format the min and median of `--repeat` writes, the rows written per table, the MB of
the published files, and µs per action row. Targets (issue #14, 100,000 offices): CSV ≤ 2.5 s,
XLSX ≤ 6 s; 10,000 offices take a tenth.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import machine  # noqa: E402
from batch_bench import write_offices  # noqa: E402

from carekb.app import batch as b  # noqa: E402
from carekb.app import fidelity  # noqa: E402
from carekb.graph.kbload import load_kb  # noqa: E402
from carekb.render.batch_out import writer_for  # noqa: E402
from carekb.render.publish import OutputSet  # noqa: E402

DEFAULT_INPUT = Path("/tmp/b14/o10k.csv")


def results(kb, src: Path) -> list:
    """Every OfficeResult and RowError of the file, in order (both pledge modes)."""
    return list(b.stream(kb, b.open_offices(src), modes=b.MODES))


def write(kb, items: list, out: Path, lang: str, encoding: str) -> tuple[float, float, dict, int]:
    """(wall seconds, CPU seconds, rows per table, bytes published) of writing `items` to `out`, as
    `carekb batch` does (CPU: this process, system time included: on a shared machine the fairer figure)."""
    notes = fidelity.batch_notes(kb)
    out.parent.mkdir(parents=True, exist_ok=True)
    t, cpu = time.perf_counter(), time.process_time()
    with OutputSet(out.parent) as outputs:
        w = writer_for(out, outputs, kb, b.MODES, lang, encoding, notes)
        for item in items:
            w.add(item)
        w.close()
        outputs.publish()
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    size = sum(p.stat().st_size for p in out.parent.iterdir() if p.is_file())
    return elapsed, cpu, w.rows, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--offices", type=Path, help=f"input table (default {DEFAULT_INPUT} if -n is 10000 and it exists)")
    ap.add_argument("-n", type=int, default=10_000, help="offices to generate when no input is given (seed 7)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default="csv,xlsx")
    ap.add_argument("--lang", default="ja", choices=["ja", "en"])
    ap.add_argument("--encoding", default="utf-8", choices=["utf-8", "cp932"])
    ap.add_argument("--profile", choices=["csv", "xlsx"], help="print a cProfile of one write of this format instead")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    work = Path(tempfile.mkdtemp(prefix="carekb-write-bench-"))
    try:
        src = args.offices or (DEFAULT_INPUT if args.n == 10_000 and DEFAULT_INPUT.exists() else None)
        if src is None:
            src = work / "offices.csv"
            write_offices(src, args.n, 7)
        kb = load_kb()
        t = time.perf_counter()
        items = results(kb, src)
        print(f"{len(items):,} results of {src} evaluated in {time.perf_counter() - t:.1f} s (not counted)")
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            write(kb, items, work / args.profile / f"r.{args.profile}", args.lang, args.encoding)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
            return
        for fmt in args.formats.split(","):
            runs = []
            for k in range(args.repeat):
                folder = work / f"{fmt}{k}"
                runs.append(write(kb, items, folder / f"r.{fmt}", args.lang, args.encoding))
                shutil.rmtree(folder)
            secs, cpus = [r[0] for r in runs], [r[1] for r in runs]
            rows, size = runs[0][2], runs[0][3]
            per_row = min(cpus) / max(1, rows.get("summary", 0) + rows.get("actions", 0)) * 1e6
            print(f".{fmt:<5} wall min {min(secs):6.2f} s  median {statistics.median(secs):6.2f} s  CPU min "
                  f"{min(cpus):6.2f} s ({per_row:.2f} µs a row)  rows {', '.join(f'{k} {v:,}' for k, v in rows.items())}  "
                  f"{size / 1e6:,.1f} MB  load {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
