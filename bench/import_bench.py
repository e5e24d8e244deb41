"""Benchmark: import a generated 12345-hotline CSV into a fresh SQLite file.

Target (issue 2): at least 15,000 rows/s with validation, resident memory under 300 MB
throughout. Prints both, and exits 1 if a target is missed.

    python -m bench.import_bench --rows 1000000
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.gen_hotline import generate
from bench.memory import PeakMemory
from engine.core.runtime import Runtime
from engine.core.actors import SYSTEM
from engine.core.importer import import_file

TARGET_ROWS_PER_S = 15_000
TARGET_MB = 300


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--config", default="config")
    parser.add_argument("--workdir", default=None, help="where the CSV and database go (default: a temp dir)")
    args = parser.parse_args(argv)

    work = Path(args.workdir or tempfile.mkdtemp(prefix="minsheng-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"hotline_{args.rows}.csv"
    if not csv_path.exists():
        print(f"generating {args.rows:,} rows -> {csv_path}", flush=True)
        generate(args.config, csv_path, args.rows)
    db_path = work / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    rt = Runtime.open(args.config, f"sqlite:///{db_path}")

    last = [0.0]

    def progress(fraction: float, report) -> None:
        now = time.perf_counter()
        if now - last[0] > 5:
            last[0] = now
            print(f"  {fraction:6.1%}  {report.rows_read:>9,} rows", flush=True)

    with PeakMemory() as memory:
        start = time.perf_counter()
        report = import_file(rt, SYSTEM, "hotline_12345", csv_path, progress=progress)
        seconds = time.perf_counter() - start
    rate = report.rows_read / seconds
    print(f"rows read {report.rows_read:,}  added {report.rows_added:,}  rejected {report.rows_rejected:,}  "
          f"duplicate {report.rows_duplicate:,}")
    print(f"import: {seconds:.1f} s, {rate:,.0f} rows/s (target >= {TARGET_ROWS_PER_S:,}); "
          f"{report.seconds_writing:.1f} s of it writing to the database")
    print(f"peak resident memory: importing process {memory.peak_self_mb:.0f} MB, "
          f"with its preparing processes {memory.peak_total_mb:.0f} MB (target < {TARGET_MB} MB)")
    ok = rate >= TARGET_ROWS_PER_S and memory.peak_total_mb < TARGET_MB
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
