"""Benchmark: the supervision dashboard and `minsheng tick` over a county's projects under delivery.

Seeds N chosen projects (Sangzhi profile), each with a responsibility list, three milestones and
one or two progress reports, then times what supervisors and cron do: one dashboard page of 25
projects with their figures and money, the townships' scorecard (every project read in batches),
the responsibility list as XLSX, and `tick` as of a day when milestones fall due (late ones
flagged, escalation rules checked for every project).

    python -m bench.delivery_bench [--n 1000] [--db path]
"""
from __future__ import annotations

import datetime as dt
import io
import random
import time

from sqlalchemy import update

from bench.sangzhi_db import open_from_args
from engine.features import delivery
from engine.output import delivery_files
from engine.core import records, sheets
from engine.core.actors import SYSTEM
from engine.jobs import tick
from engine.core.workflow import transition
from engine.store.tables import Record

D = "livelihood_delivery"


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    print(f"{label}: {(time.perf_counter() - started) * 1000:,.0f} ms")
    return result


def main() -> None:
    rt, n = open_from_args("delivery", 1000)
    townships = [t.id for t in rt.profile.county.townships]
    rng = random.Random(1)
    started = time.perf_counter()
    for i in range(n):
        township = townships[i % len(townships)]
        view = records.submit(rt, SYSTEM, "suggestion", {
            "title": f"第{i}号项目：硬化村组道路", "content": "组上道路仍是泥土路，雨天无法通行。", "category": "roads",
            "township": township, "station": rt.stations_of(township)[0], "channel": "hotline_12345",
            "proposer_name": "张建国", "phone": "13912345678", "submitted_on": "2025-03-04"})
        with rt.db.transaction() as session:  # as if chosen by the vote
            session.execute(update(Record).where(Record.id == view.id).values(state="chosen"))
        sheets.file_sheet(rt, SYSTEM, view.id, "responsibility_list", {
            "supervising_unit": "县人大常委会", "implementing_unit": "乡镇人民政府", "leading_official": "分管副乡长",
            "team": "村建站、财政所", "deadline": "2025-12-31", "acceptance_standard": "验收合格"})
        for name, due in (("前期工作完成", "2025-05-31"), ("主体工程完工", "2025-09-30"), ("竣工验收", "2025-11-30")):
            sheets.file_sheet(rt, SYSTEM, view.id, "milestone", {"name": name, "due": due})
        transition(rt, SYSTEM, view.id, "start")
        if rng.random() < 0.8:
            sheets.file_sheet(rt, SYSTEM, view.id, "progress_report", {
                "report_date": "2025-05-20", "percent": 20, "milestone": "前期工作完成", "text": "按计划推进。"})
    seeded = time.perf_counter() - started
    print(f"seeded {n:,} projects (7 writes each) in {seeded:.1f} s")
    result = timed("tick as of 2025-06-01 (milestones due, escalations for every project)",
                   lambda: tick(rt, dt.datetime(2025, 6, 1, 8, tzinfo=dt.timezone.utc)))
    print(f"  deadlines fired {result.deadlines_fired:,}, flags raised {result.flags_raised:,}")
    today = dt.date(2025, 10, 15)
    timed("tick again as of 2025-10-01", lambda: tick(rt, dt.datetime(2025, 10, 1, 8, tzinfo=dt.timezone.utc)))
    timed("dashboard: first page of 25 projects", lambda: delivery.project_statuses(rt, SYSTEM, D, today=today))
    timed("dashboard: page 20, watch list only",
          lambda: delivery.project_statuses(rt, SYSTEM, D, watched_only=True, page=20, today=today))
    timed("dashboard: one township", lambda: delivery.project_statuses(rt, SYSTEM, D, township="t05", today=today))
    timed(f"scorecard over {n:,} projects", lambda: delivery.scorecard(rt, SYSTEM, D, today))
    headings = delivery.responsibility_headings(rt, D, "项目", "乡镇", "里程碑")
    timed("responsibility list XLSX", lambda: delivery_files.responsibility_xlsx(rt, SYSTEM, D, headings, io.BytesIO()))
    rt.db.dispose()


if __name__ == "__main__":
    main()
