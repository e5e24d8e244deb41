"""Benchmark: a province's year on one machine, stage by stage, against the scale targets.

A generated province (1,900 townships with a liaison station each, sharing the Sangzhi profile's
rules) goes through the year: 1,000,000 suggestions imported from a 12345 export, three score
sheets each filed in bulk, the whole province screened with `minsheng act screen`'s code, a
ballot in every township (35 deputies each, every ballot cast through the code the ballot page
uses, then closed and counted; a run-off where the last places tied), every chosen project given
a responsibility list and three milestones, `tick` on a day all three milestones have fallen
due, nine ratings per completed project
and the evaluation they decide (the poorly rated ordered to rectify, some rectified and evaluated
again), money allocated and paid to some projects from the year's pool, then the townships'
scorecard and the annual report. The store it leaves (`--workdir`) serves `bench.app_bench
--province`. Each stage prints its time, rows per second and the peak memory of this process and
its children together; the last lines say PASS or MISS against the targets. `--scale 0.01` runs a hundredth (19 townships, 10,000 suggestions) in about
a minute. Setting a record's state directly (as if pre-reviewed, as if completed) is marked as
setup and is not timed.

    python -m bench.province [--scale 1.0] [--workdir DIR]     (PostgreSQL: set DATABASE_URL)
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

import yaml
from sqlalchemy import func, select, update

from apps.i18n import report_words
from bench.gen_hotline import generate
from engine.output import reports
from engine.core.runtime import Runtime
from engine.features import delivery, funds, voting
from engine.core import importer, sheets, workflow
from engine.core.actors import SYSTEM, Actor
from engine.core.bulk import bulk_action
from engine.jobs import tick
from engine.store.tables import Record, VoteCandidate, VoteRound

ROOT = Path(__file__).resolve().parents[1]
DEPUTIES = 35
PLACES = 21  # per township (about 40,000 projects in 1,900 townships); one candidate more (差额)
D = "livelihood_delivery"
TARGETS = {"import": 20_000, "screen": 20_000, "cast": 2_000, "tick": 20_000}  # rows per second


def peak_mb() -> float:
    """Peak resident memory of this process plus its largest child (the import's preparer), MB."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


class Stages:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, int, str]] = []

    def run(self, name: str, unit: str, fn):
        started = time.perf_counter()
        count = fn()
        seconds = time.perf_counter() - started
        self.rows.append((name, seconds, count, unit))
        rate = f"{count / seconds:,.0f} {unit}/s" if count else ""
        print(f"{name:<34} {seconds:8.1f} s  {count:>10,} {unit:<12} {rate:<22} peak {peak_mb():,.0f} MB", flush=True)
        return count

    def rate(self, name: str) -> float:
        _, seconds, count, _ = next(r for r in self.rows if r[0] == name)
        return count / seconds if seconds else float("inf")


def province_profile(workdir: Path, townships: int) -> Path:
    """The Sangzhi profile with a province's townships and stations (and no demo year)."""
    target = workdir / "profile"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "config", target)
    (target / "demo.yaml").unlink()
    county_path = target / "county.yaml"
    county = yaml.safe_load(county_path.read_text(encoding="utf-8"))
    county["townships"] = [{"id": f"p{i:04d}", "name": f"第{i:04d}乡镇"} for i in range(1, townships + 1)]
    county["stations"] = [{"id": f"q{i:04d}", "name": f"第{i:04d}联络站", "township": f"p{i:04d}"}
                          for i in range(1, townships + 1)]
    county_path.write_text(yaml.safe_dump(county, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def ids_in(rt: Runtime, state: str, batch: int = 5000):
    last = 0
    while True:
        with rt.db.read() as session:
            ids = list(session.scalars(select(Record.id).where(Record.form_id == "suggestion", Record.state == state,
                                                               Record.id > last).order_by(Record.id).limit(batch)))
        if not ids:
            return
        yield ids
        last = ids[-1]


def rectify_some(rt: Runtime, rng: random.Random, count: int = 20) -> None:
    """Setup, not timed: the poorly rated get a rectification order, `count` of them report it done
    and are rated and evaluated again, so the chain of a rectified project can be looked up."""
    failing = [i for ids in ids_in(rt, "rectifying") for i in ids]
    order = {"responsible_unit": "乡镇人民政府", "problems": "群众满意度不高", "explanation": "测评未达标"}
    for start in range(0, len(failing), 4000):
        sheets.file_sheets(rt, SYSTEM, [(i, "rectification_order", order) for i in failing[start:start + 4000]])
    for record_id in failing[:count]:
        workflow.transition(rt, SYSTEM, record_id, "report_rectified", {"done_on": "2025-12-20",
                                                                       "measures": "已按要求整改"})
        sheets.file_sheets(rt, SYSTEM, [(record_id, "project_rating", {"rater": f"代表{k}", "channel": "online",
                                                                        "rating": "satisfied"}) for k in range(9)])
    rectified = bulk_action(rt, SYSTEM, "suggestion", "evaluate").moved if failing else {}
    print(f"  rectification orders: {len(failing):,}; rectified and evaluated again: {sum(rectified.values()):,}")


def fund_some(rt: Runtime, projects: int = 2000) -> int:
    """The pool of the year filled, and the first `projects` projects given money and paid, one
    call each as on the fund page."""
    finance = Actor("finance", "财政", frozenset({"finance"}))
    pool = funds.open_pool(rt, finance, "livelihood_pool", 2025)
    funds.contribute(rt, finance, pool, "county", "10000000", dt.date(2025, 3, 1))
    with rt.db.read() as session:
        ids = list(session.scalars(select(Record.id).where(Record.form_id == "suggestion", Record.state.in_(
            ("evaluated", "rectifying", "re_evaluating"))).order_by(Record.id).limit(projects)))
    for record_id in ids:
        funds.allocate(rt, finance, pool, record_id, "2000", dt.date(2025, 4, 1))
        funds.pay(rt, finance, pool, record_id, "1000", dt.date(2025, 6, 1), payee="施工单位", purpose="工程款",
                  approver="财政局", document_ref=f"记账凭证{record_id}")
    return 1 + 2 * len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the province (0.01: a hundredth)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the profile, CSV and SQLite file go")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="province-"))
    workdir.mkdir(parents=True, exist_ok=True)
    n_townships = max(3, round(1900 * args.scale))
    n_suggestions = round(1_000_000 * args.scale)
    profile = province_profile(workdir, n_townships)
    if not os.environ.get("DATABASE_URL"):
        for leftover in workdir.glob("province.db*"):  # a fresh file for every run
            leftover.unlink()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'province.db'}"
    rt = Runtime.open(profile, url)
    with rt.db.read() as session:
        if session.scalar(select(func.count()).select_from(Record)):
            raise SystemExit("the benchmark needs an empty database: DATABASE_URL holds records already")
    print(f"province: {n_townships:,} townships, {n_suggestions:,} suggestions; database {rt.db.engine.dialect.name}")
    rng = random.Random(1)
    stages = Stages()

    csv_path = workdir / "hotline.csv"
    generate(str(profile), csv_path, n_suggestions)
    stages.run("import 12345 export", "rows", lambda: importer.import_file(
        rt, SYSTEM, "hotline_12345", csv_path).rows_read)

    def score_sheets() -> int:
        filed = 0
        for ids in ids_in(rt, "received", 1000):
            items = [(i, "screening_score", {"member": m, "member_kind": "deputy",
                                             **{c: rng.choice((2, 3, 4, 4, 5, 5)) for c in
                                                ("necessity", "feasibility", "universality", "urgency")}})
                     for i in ids for m in ("甲", "乙", "丙")]
            filed += len(sheets.file_sheets(rt, SYSTEM, items, batch=3000).filed)
        return filed
    stages.run("score sheets (3 each)", "sheets", score_sheets)
    screened = {}
    stages.run("screen the province", "suggestions",
               lambda: screened.setdefault("r", bulk_action(rt, SYSTEM, "suggestion", "screen", batch=2000)).considered)
    print("  outcomes: " + ", ".join(f"{s} {c:,}" for s, c in screened["r"].moved.most_common()))

    # setup, not timed: three reserve projects per township become candidates, as if pre-reviewed
    with rt.db.transaction() as session:
        chosen_ids = []
        for t in rt.profile.county.townships:
            ids = list(session.scalars(select(Record.id).where(Record.form_id == "suggestion", Record.township == t.id,
                                                               Record.state == "reserve").limit(PLACES + 1)))
            chosen_ids.append((t.id, ids))
            session.execute(update(Record).where(Record.id.in_(ids)).values(state="candidate"))
    presidium = Actor("presidium", "主席团", frozenset({"congress_staff"}))
    rounds = []
    keys: dict[int, str] = {}  # each round's count key, kept by its presidium until the count
    for township, ids in chosen_ids:
        if len(ids) < PLACES + 1:
            continue
        roster = [(f"d{township}_{k}", f"代表{k}", "present") for k in range(DEPUTIES)]
        round_id = voting.create_round(rt, presidium, "township_congress", township, f"{township} 2025", PLACES,
                                       ids, roster)
        keys[round_id] = voting.open_round(rt, presidium, round_id)
        rounds.append((round_id, township, ids))

    def cast_all() -> int:
        cast = 0
        for round_id, township, ids in rounds:
            for k in range(DEPUTIES):
                deputy = Actor(f"d{township}_{k}", f"代表{k}", frozenset({"deputy"}), township=township)
                voting.cast(rt, deputy, round_id, {str(c): "yes" for c in rng.sample(ids, PLACES)})
                cast += 1
        return cast
    stages.run("ballots cast (35 per township)", "ballots", cast_all)

    def close_and_count() -> int:
        for round_id, _, _ in rounds:
            voting.close_round(rt, presidium, round_id)
            voting.count_round(rt, presidium, round_id, count_key=keys[round_id])
        return len(rounds)
    stages.run("close and count every ballot", "ballots", close_and_count)

    def runoffs() -> int:
        """Where the last places tied, the count set up a run-off among the tied: it is held too
        (and again, should it tie again), each ballot cast and counted as above."""
        cast = 0
        for _ in range(5):
            with rt.db.read() as session:
                drafts = session.execute(select(VoteRound.id, VoteRound.township, VoteRound.places)
                                         .where(VoteRound.state == "draft").order_by(VoteRound.id)).all()
                candidates = {}
                for round_id, record_id in session.execute(select(VoteCandidate.round_id, VoteCandidate.record_id)
                                                           .where(VoteCandidate.round_id.in_([d.id for d in drafts]))):
                    candidates.setdefault(round_id, []).append(record_id)
            if not drafts:
                break
            for round_id, township, places in drafts:
                keys[round_id] = voting.open_round(rt, presidium, round_id)
                for k in range(DEPUTIES):
                    deputy = Actor(f"d{township}_{k}", f"代表{k}", frozenset({"deputy"}), township=township)
                    chosen_now = rng.sample(candidates[round_id], min(places, len(candidates[round_id])))
                    voting.cast(rt, deputy, round_id, {str(c): "yes" for c in chosen_now})
                    cast += 1
                voting.close_round(rt, presidium, round_id)
                voting.count_round(rt, presidium, round_id, count_key=keys[round_id])
        return cast
    stages.run("run-offs where the last places tied", "ballots", runoffs)
    with rt.db.read() as session:
        chosen = session.scalar(select(func.count()).select_from(Record).where(Record.state == "chosen")) or 0
    print(f"  chosen projects: {chosen:,}")

    def delivery_sheets() -> int:
        filed = 0
        for ids in ids_in(rt, "chosen"):
            items = [(i, "responsibility_list", {"supervising_unit": "县人大常委会", "implementing_unit": "乡镇人民政府",
                                                 "leading_official": "分管副乡长", "team": "村建站、财政所",
                                                 "acceptance_standard": "验收合格", "deadline": "2025-12-31"}) for i in ids]
            items += [(i, "milestone", {"name": name, "due": due}) for i in ids for name, due in (
                ("前期工作完成", "2025-05-31"), ("主体工程完工", "2025-09-30"), ("竣工验收", "2025-11-30"))]
            filed += len(sheets.file_sheets(rt, SYSTEM, items, batch=4000).filed)
        bulk_action(rt, SYSTEM, "suggestion", "start")
        return filed
    stages.run("responsibility lists and milestones", "sheets", delivery_sheets)
    fired = {}
    stages.run("tick on the day milestones fall due", "deadlines",
               lambda: fired.setdefault("r", tick(rt, dt.datetime(2025, 12, 5, 8, tzinfo=dt.timezone.utc))).deadlines_fired)
    print(f"  late milestones flagged: {fired['r'].flags_raised:,}")

    # setup, not timed: the projects are completed, as if accepted
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.form_id == "suggestion", Record.state == "delivering")
                        .values(state="completed"))

    def ratings() -> int:
        filed = 0
        for ids in ids_in(rt, "completed"):
            items = [(i, "project_rating", {"rater": f"代表{k}", "channel": "online",
                                            "rating": rng.choice(("satisfied", "satisfied", "basic", "unsatisfied"))})
                     for i in ids for k in range(9)]
            filed += len(sheets.file_sheets(rt, SYSTEM, items, batch=4500).filed)
        return filed
    stages.run("ratings (9 per project)", "ratings", ratings)
    evaluated = {}
    stages.run("evaluate every project", "projects",
               lambda: evaluated.setdefault("r", bulk_action(rt, SYSTEM, "suggestion", "evaluate")).considered)
    print("  outcomes: " + ", ".join(f"{s} {c:,}" for s, c in evaluated["r"].moved.most_common()))
    rectify_some(rt, rng)
    stages.run("fund pool: allocations and payments", "entries", lambda: fund_some(rt))
    stages.run("scorecard of every township", "townships", lambda: len(delivery.scorecard(rt, SYSTEM, D)))
    stages.run("annual report", "tables", lambda: len(reports.build(rt, SYSTEM, "annual_report", 2025,
                                                                   report_words("zh"))[2]))
    rt.db.dispose()

    print()
    longest = max(stages.rows, key=lambda r: r[1])
    verdicts = [("every stage under 60 s", longest[1] < 60, f"longest: {longest[0]} {longest[1]:.1f} s"),
                ("import >= 20,000 rows/s", stages.rate("import 12345 export") >= TARGETS["import"],
                 f"{stages.rate('import 12345 export'):,.0f}"),
                ("screening >= 20,000 suggestions/s", stages.rate("screen the province") >= TARGETS["screen"],
                 f"{stages.rate('screen the province'):,.0f}"),
                ("ballots >= 2,000 cast/s", stages.rate("ballots cast (35 per township)") >= TARGETS["cast"],
                 f"{stages.rate('ballots cast (35 per township)'):,.0f}"),
                ("tick >= 20,000 due milestones/s", stages.rate("tick on the day milestones fall due") >= TARGETS["tick"],
                 f"{stages.rate('tick on the day milestones fall due'):,.0f}"),
                ("scorecard and report under 5 s", all(r[1] < 5 for r in stages.rows if r[0] in (
                    "scorecard of every township", "annual report")), ""),
                ("peak memory under 500 MB", peak_mb() < 500, f"{peak_mb():,.0f} MB")]
    scale_note = "" if args.scale == 1 else f" (at scale {args.scale}: times are for that size)"
    for name, ok, figure in verdicts:
        print(f"{'PASS' if ok else 'MISS'}  {name}: {figure}{scale_note}")


if __name__ == "__main__":
    main()
