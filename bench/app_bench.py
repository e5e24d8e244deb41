"""Benchmark: each generated page's script run, measured with Streamlit's AppTest, over a store
holding at least 1,000,000 suggestions. Target: every page under 300 ms.

    python -m bench.app_bench                      # builds the million-row store first (about 2 min)
    python -m bench.app_bench --db /path/bench.db  # reuse a store built before
    python -m bench.app_bench --province DIR       # the store a `bench.province --workdir DIR` run left

An imported store has suggestions only; the store of a province's year also has projects under
delivery, counted ballots, a fund pool and rectified projects, so the supervision dashboard (with
the townships' scorecard), the fund page, the vote results and the lookup of a rectified
project's chain are measured on it too.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

TARGET_MS = 300
ROOT = Path(__file__).resolve().parents[1]


def build_store(config: str, work: Path, rows: int) -> Path:
    from bench.gen_hotline import generate
    from engine.core.runtime import Runtime
    from engine.core.actors import SYSTEM
    from engine.core.importer import import_file
    csv_path = work / f"hotline_{rows}.csv"
    if not csv_path.exists():
        generate(config, csv_path, rows)
    db_path = work / "app_bench.db"
    rt = Runtime.open(config, f"sqlite:///{db_path}")
    print(f"importing {rows:,} rows into {db_path} ...", flush=True)
    import_file(rt, SYSTEM, "hotline_12345", csv_path)
    return db_path


def page_script(render: str, *args) -> str:
    module, name = render.rsplit(".", 1)
    return f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom {module} import {name}\n{name}(*{args!r})\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config")
    parser.add_argument("--db", type=Path, help="an SQLite store built by an earlier run")
    parser.add_argument("--province", type=Path, help="the --workdir of a bench.province run (its profile and store)")
    parser.add_argument("--rows", type=int, default=1_060_000, help="rows to import (about 5%% are rejected)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    if args.province:
        args.config, args.db = str(args.province / "profile"), args.province / "province.db"
    db_path = args.db or build_store(args.config, Path(tempfile.mkdtemp(prefix="minsheng-app-")), args.rows)
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["MINSHENG_CONFIG"] = str(Path(args.config).resolve())
    from streamlit.testing.v1 import AppTest
    from engine.core.runtime import Runtime
    from engine.core.actors import Actor
    from engine.store.tables import Record, RecordLink, VoteRound

    rt = Runtime.open(args.config, os.environ["DATABASE_URL"])
    with rt.db.read() as session:
        total = session.scalar(select(func.count()).select_from(Record).where(Record.form_id == "suggestion"))
        some = session.scalars(select(Record).where(Record.form_id == "suggestion").order_by(Record.id).limit(1)
                               .offset(total // 2)).first()
        report = Record.__table__.alias("report")  # a project with a rectification report filed on it
        rectified = session.scalars(select(Record).join(RecordLink, RecordLink.target_id == Record.id)
                                    .join(report, report.c.id == RecordLink.record_id)
                                    .where(report.c.form_id == "rectification_report").limit(1)).first()
        voted = session.scalar(select(VoteRound.township).where(VoteRound.state == "counted").limit(1))
    print(f"suggestions stored: {total:,}")
    # a word of a title found in many suggestions, and one of the content of the middle suggestion
    common_word, rare_word = some.title[2:4], some.data.get("content", "")[4:8]
    print(f"searching for {common_word!r} and {rare_word!r}")
    staff = Actor("bench", "bench", frozenset({"liaison_staff"}))
    screener = Actor("bench", "bench", frozenset({"screening_group"}), some.township)
    last_page = (total + 24) // 25
    def listed(at):
        return bool(at.dataframe) and "/" in at.caption[0].value

    cases = [  # name, script, who, session state or query, what the page must show
        ("public form", page_script("apps.web.page_form.render_form_page", "suggestion"), None, {},
         lambda at: len(at.text_input) >= 3),
        ("lookup by receipt code", page_script("apps.web.page_lookup.render_lookup_page"), None,
         {"code": some.receipt_code}, lambda at: bool(at.metric) and at.subheader[0].value == some.title),
        ("list, first page", page_script("apps.web.page_records.render_list_page", "suggestion"), staff, {}, listed),
        ("list, middle page", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"page.suggestion": last_page // 2}, lambda at: listed(at) and f" {last_page // 2} /" in at.caption[0].value),
        ("list, filtered by township", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"filter.suggestion.township": some.township}, listed),
        ("list, filtered by category", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"filter.suggestion.category": "water"}, listed),
        ("list, searched for a word", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"search.suggestion": common_word}, listed),
        ("list, searched for two words", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"search.suggestion": f"{common_word} {rare_word}"}, listed),
        ("list, searched and filtered", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"search.suggestion": common_word, "filter.suggestion.township": some.township}, listed),
        ("list, sorted by title", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"sort.suggestion": "title"}, listed),
        ("list, sorted by station", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"sort.suggestion": "station"}, listed),
        ("list, sorted by category", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"sort.suggestion": "category"}, listed),
        ("list, sorted by date", page_script("apps.web.page_records.render_list_page", "suggestion"), staff,
         {"sort.suggestion": "submitted_on"}, listed),
        ("list, filtered by township, sorted by category", page_script("apps.web.page_records.render_list_page",
                                                                      "suggestion"), staff,
         {"sort.suggestion": "category", "filter.suggestion.township": some.township}, listed),
        ("list, searched, sorted by category", page_script("apps.web.page_records.render_list_page", "suggestion"),
         staff, {"sort.suggestion": "category", "search.suggestion": common_word}, listed),
        ("start page of a township's screener", page_script("apps.web.page_start.render_start_page"), screener, {},
         lambda at: bool(at.metric) and at.metric[0].value != "0"),
        ("screening grid of a township", page_script("apps.web.page_sheet_grid.render_sheet_grid_page", "suggestion",
                                                     "screening_score"), screener, {},
         lambda at: len(at.dataframe) >= 1 or any("待填记录" in c.value for c in at.caption)),
        ("public projects page", page_script("apps.web.page_projects.render_projects_page", "livelihood_delivery"),
         None, {}, lambda at: bool(at.title)),
        ("record detail", page_script("apps.web.page_records.render_record_page"), staff, {"record.id": some.id},
         lambda at: at.title[0].value == some.title),
        ("accounts page", page_script("apps.web.page_accounts.render_accounts_page"),
         Actor("bench", "bench", frozenset({"administrator"})), {}, lambda at: len(at.metric) == 3),
    ]
    staff_office = Actor("bench", "bench", frozenset({"congress_staff"}))
    finance = Actor("bench", "bench", frozenset({"finance"}))
    if rectified is not None and voted is not None:
        cases += [
            ("dashboard with the scorecard", page_script("apps.web.page_delivery.render_delivery_page",
                                                         "livelihood_delivery"), staff_office, {},
             lambda at: len(at.metric) >= 6 and at.metric[0].value != "0" and len(at.dataframe) >= 2),
            ("fund page", page_script("apps.web.page_funds.render_funds_page", "livelihood_pool"), finance, {},
             lambda at: len(at.metric) >= 4 and at.metric[1].value != "0.00"),
            ("vote results of a township", page_script("apps.web.page_votes.render_results_page"), None,
             {"results.township": voted}, lambda at: bool(at.subheader)),
            ("lookup of a rectified project", page_script("apps.web.page_lookup.render_lookup_page"), None,
             {"code": rectified.receipt_code}, lambda at: at.subheader[0].value == rectified.title),
        ]
    else:
        print("(no projects, ballots or rectified projects in this store: the dashboard, fund, results and chain "
              "pages are measured on a province store, --province DIR)")
    worst = 0.0
    for name, script, who, state, shows in cases:
        at = AppTest.from_string(script, default_timeout=60)
        if who is not None:
            at.session_state["actor"] = who
        query = {k: v for k, v in state.items() if k == "code"}
        for key, value in state.items():
            if key != "code":
                at.session_state[key] = value
        at.query_params.update(query)
        timings = []
        for _ in range(args.runs + 1):
            start = time.perf_counter()
            at.run()
            timings.append((time.perf_counter() - start) * 1000)
        if at.exception or not shows(at):
            print(f"{name}: the page did not show what it should: {at.exception or at.main}")
            return 1
        median = statistics.median(timings[1:])  # the first run warms caches
        worst = max(worst, median)
        print(f"{name:30} median {median:6.1f} ms   max {max(timings[1:]):6.1f} ms")
    ok = worst < TARGET_MS
    print(f"slowest page median {worst:.1f} ms (target < {TARGET_MS} ms): {'PASS' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
