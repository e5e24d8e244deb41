"""Benchmark: screening a whole county from the command line, as `minsheng act screen` does.

Seeds N suggestions with three members' score sheets each under the Sangzhi profile, then times
the bulk action: each suggestion is decided from its sheets by rules/screening.yaml and moved in
its own transaction with its audit row. Reports suggestions per second for the seeding (sheets
filed one by one, as the app files them) and for the screening, and the outcome counts.

    python -m bench.screening_bench [--n 2000] [--db path]
"""
from __future__ import annotations

import random
import time

from bench.sangzhi_db import open_from_args
from engine.core import records, sheets
from engine.core.actors import SYSTEM
from engine.core.bulk import bulk_action



def main() -> None:
    rt, n = open_from_args("screening", 2000)
    townships = [t.id for t in rt.profile.county.townships]
    stations = {t: rt.stations_of(t)[0] for t in townships}
    rng = random.Random(1)
    started = time.perf_counter()
    for i in range(n):
        township = townships[i % len(townships)]
        view = records.submit(rt, SYSTEM, "suggestion", {
            "title": f"第{i}号建议：硬化村组道路", "content": "组上道路仍是泥土路，雨天无法通行。", "category": "roads",
            "township": township, "station": stations[township], "channel": "hotline_12345",
            "proposer_name": "张建国", "phone": "13912345678", "submitted_on": "2025-03-04"})
        for member in ("甲", "乙", "丙"):
            sheets.file_sheet(rt, SYSTEM, view.id, "screening_score", {
                "member": member, "member_kind": "deputy",
                **{c: rng.randint(1, 5) for c in ("necessity", "feasibility", "universality", "urgency")}})
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    report = bulk_action(rt, SYSTEM, "suggestion", "screen")
    screened = time.perf_counter() - started
    print(f"seeded {n:,} suggestions with 3 sheets each in {seeded:.1f} s "
          f"({n / seeded:,.0f} suggestions/s, {4 * n / seeded:,.0f} writes/s)")
    print(f"screened {report.considered:,} in {screened:.1f} s ({report.considered / screened:,.0f} suggestions/s): "
          + ", ".join(f"{state} {count}" for state, count in report.moved.most_common()))
    rt.db.dispose()


if __name__ == "__main__":
    main()
