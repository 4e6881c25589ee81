"""Benchmark the batch row check (cells → checked, bound Office) in one process: the full path
(row profile dict → inputs.profile.check → bind) against carekb.app.batch_rows.check_row (row by
row) and carekb.app.batch_rows_columns.check_rows (a chunk column by column, as a batch worker
runs it: without the profile documents, and with them).

    python bench/row_check_bench.py [FILE.csv] [--rows N] [--repeat 3] [--skip-slow] [--gc] [--chunk 10000]

FILE defaults to 100,000 generated offices (bench/batch_bench.py `write_offices`, seed 7) written
to a temporary file. The rows are read into memory first: the figures are the check alone, no
reading, no evaluation. Prints CPU and wall µs per row, min (and median) of `--repeat` passes, and
how many rows the fast path sent down the full path. Target (issue #14): ≤ 15 µs a row row by row,
half of that a chunk at a time.
Results are held a span (6,000 rows) at a time and the cyclic collector is paused during a pass,
as a batch worker does; `--gc` leaves it on, to show what it would cost (about twice the time).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import machine  # noqa: E402
from batch_bench import write_offices  # noqa: E402

from carekb.app import batch_rows, batch_rows_columns  # noqa: E402
from carekb.app.batch import open_offices  # noqa: E402
from carekb.graph.kbload import load_kb  # noqa: E402

SPAN = 6_000     # rows a batch worker holds at once (carekb.app.batch)


def timed(check, kb, offices, rows, repeat: int, collect: bool, chunk: int = 0,
          documents: bool = True) -> tuple[list[float], list[float]]:
    """(CPU, wall) seconds per row of each pass; every pass starts with empty memos (a new run).
    `chunk`: check_rows over chunks of that many rows instead of `check` row by row."""
    source, cols, roster = offices.sheet.source, offices.cols, offices.roster
    cpu, wall = [], []
    for _ in range(repeat):
        batch_rows._state = None
        held: list = []
        gc.collect()
        if not collect:
            gc.disable()
        t, c = time.perf_counter(), time.process_time()
        if chunk:
            for start in range(0, len(rows), chunk):
                held = batch_rows_columns.check_rows(kb, source, rows[start:start + chunk], cols, roster, None,
                                                     documents)
        else:
            for n, cells in rows:
                held.append(check(kb, source, n, cells, cols, roster, None))
                if len(held) >= SPAN:
                    held = []
        cpu.append((time.process_time() - c) / len(rows))
        wall.append((time.perf_counter() - t) / len(rows))
        gc.enable()
    return cpu, wall


def show(label: str, cpu: list[float], wall: list[float]) -> str:
    return (f"  {label:<16} CPU min {min(cpu) * 1e6:6.1f} µs/row  median {statistics.median(cpu) * 1e6:6.1f}  "
            f"(wall min {min(wall) * 1e6:6.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", help="an offices table (default: 100,000 generated offices)")
    ap.add_argument("--rows", type=int, default=100_000, help="offices to generate when no file is given")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-slow", action="store_true", help="time the fast path only")
    ap.add_argument("--gc", action="store_true", help="leave the cyclic collector on during a pass")
    ap.add_argument("--chunk", type=int, default=10_000, help="rows of a chunk for check_rows (a worker's chunk)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    kb = load_kb()
    with tempfile.TemporaryDirectory(prefix="carekb-row-bench-") as tmp:
        path = Path(args.file) if args.file else Path(tmp) / "offices.csv"
        if not args.file:
            write_offices(path, args.rows, 7)
        offices = open_offices(path)
        rows = list(offices.sheet.rows)
    fallbacks = 0
    slow_row = batch_rows.check_row_slow

    def counting(*a):
        nonlocal fallbacks
        fallbacks += 1
        return slow_row(*a)

    batch_rows.check_row_slow = counting
    try:
        fast = timed(batch_rows.check_row, kb, offices, rows, args.repeat, args.gc)
    finally:
        batch_rows.check_row_slow = slow_row
    print(f"{len(rows):,} rows of {path.name}, collector {'on' if args.gc else 'paused'}"
          + f"; load average {os.getloadavg()[0]:.1f} (CPU time is the steadier figure on a shared machine)")
    print(show("fast check_row", *fast) + f"  {fallbacks // args.repeat:,} rows a pass went down the full path")
    for documents in (False, True):
        chunked = timed(None, kb, offices, rows, args.repeat, args.gc, args.chunk, documents)
        print(show("check_rows" + (" +doc" if documents else ""), *chunked)
              + f"  {min(fast[0]) / min(chunked[0]):.1f}× faster than check_row"
              + ("" if documents else " (as a worker runs it: no profile documents)"))
    if not args.skip_slow:
        slow = timed(slow_row, kb, offices, rows, args.repeat, args.gc)
        print(show("full path", *slow) + f"  fast is {min(slow[0]) / min(fast[0]):.1f}× faster")


if __name__ == "__main__":
    main()
