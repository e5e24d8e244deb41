"""Benchmark: 100,000 records each posting events to the reactions in one process.

The Sangzhi profile with one more reaction, "three department opinions on a suggestion notify the
congress staff" (`count: 3`). Every record gets one opinion event; every tenth gets three, so its
reaction fires. The events go through the outbox and are posted one transaction each, as in the
app. The benchmark prints the events a second and this process's memory after every tenth of the
records, and PASS/MISS for: no error, every reaction fired exactly once, no per-record state left in
durable-rules, and memory flat (the last tenth within 25 MB of the first).

    python -m bench.reactions_bench [--records 100000] [--workdir DIR]     (PostgreSQL: set DATABASE_URL)
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.gen_hotline import generate
from bench.memory import rss_mb
from engine.core.rules_host import pending_in_process
from engine.core.runtime import Runtime
from engine.core import importer, reactions
from engine.core.actors import SYSTEM
from engine.store.tables import AuditEntry, ReactionState, Record

ROOT = Path(__file__).resolve().parents[1]
EVERY = 10  # every tenth record gets three opinions
OPINION_FORM = """\
id: opinion
label: 部门审查意见
title: "{department}"
access: {submit: [review_panel], list: [review_panel], view: [review_panel]}
fields:
  - {id: subject, label: 项目, type: reference, to: "form:suggestion", required: true}
  - {id: department, label: 部门, type: text, required: true}
"""
REACTION = """\
  - id: three_opinions
    event: submitted
    name: opinion
    count: 3
    do: {notify: congress_staff}
"""


def bench_profile(workdir: Path) -> Path:
    target = workdir / "profile"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "config", target)
    (target / "demo.yaml").unlink()
    (target / "forms/opinion.yaml").write_text(OPINION_FORM, encoding="utf-8")
    path = target / "workflows/suggestion.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("reactions:\n", "reactions:\n" + REACTION, 1), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="reactions-"))
    workdir.mkdir(parents=True, exist_ok=True)
    profile = bench_profile(workdir)
    if not os.environ.get("DATABASE_URL"):
        for leftover in workdir.glob("reactions.db*"):
            leftover.unlink()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'reactions.db'}"
    rt = Runtime.open(profile, url)
    with rt.db.read() as session:
        if session.scalar(select(func.count()).select_from(Record)):
            raise SystemExit("the benchmark needs an empty database: DATABASE_URL holds records already")
    csv_path = workdir / "hotline.csv"
    generate(str(profile), csv_path, round(args.records * 1.07))  # about 6% of the rows are refused by the import
    importer.import_file(rt, SYSTEM, "hotline_12345", csv_path)
    with rt.db.read() as session:
        ids = list(session.scalars(select(Record.id).where(Record.form_id == "suggestion").order_by(Record.id)
                                   .limit(args.records)))
        version = session.scalar(select(Record.profile_version).limit(1))
    reaction_set = rt.reactions("suggestion")
    print(f"{len(ids):,} records on {rt.db.engine.dialect.name}; a tenth of them get three opinions")

    tenth = max(1, -(-len(ids) // 10))  # ten parts, the last perhaps smaller
    memory, posted, errors, left_in_process = [], 0, 0, 0
    started = time.perf_counter()
    for start in range(0, len(ids), tenth):
        part = ids[start:start + tenth]
        rows = [reactions.event_row(rt, record_id, "suggestion", version, "submitted", "opinion")
                for n, record_id in enumerate(part, start=start)
                for _ in range(3 if n % EVERY == 0 else 1)]
        with rt.db.transaction() as session:  # the outbox rows, as submitting the opinions writes them
            reactions.enqueue_rows(session, rows)
        try:
            reactions.drain(rt, part, raise_refusals=True)
        except Exception as exc:  # noqa: BLE001 (counted and shown: the benchmark's verdict)
            errors += 1
            print(f"  error: {exc}")
        posted += len(rows)
        left_in_process = max(left_in_process, len(pending_in_process(reaction_set)))
        memory.append(rss_mb())
        seconds = time.perf_counter() - started
        print(f"  {start + len(part):>9,} records  {posted:>9,} events  {posted / seconds:8,.0f} events/s  "
              f"RSS {memory[-1]:6.0f} MB", flush=True)
    with rt.db.read() as session:
        fired = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "reaction.fired"))
        notified = session.scalar(select(func.count(func.distinct(AuditEntry.entity_id))).where(
            AuditEntry.action == "notify"))
        pending_rows = session.scalar(select(func.count()).select_from(ReactionState))
    expected = len(range(0, len(ids), EVERY))
    rt.db.dispose()
    print()
    verdicts = [("no error", errors == 0, f"{errors} errors"),
                ("every reaction fired once", fired == notified == expected,
                 f"{fired:,} fired, {notified:,} records notified, {expected:,} expected"),
                ("the partial counts are in the database", pending_rows == len(ids) - expected,
                 f"{pending_rows:,} records with one opinion counted so far"),
                ("no per-record state in the process", left_in_process == 0, f"{left_in_process} events held"),
                ("memory flat", memory[-1] - memory[0] < 25, f"{memory[0]:.0f} MB -> {memory[-1]:.0f} MB")]
    for name, ok, figure in verdicts:
        print(f"{'PASS' if ok else 'MISS'}  {name}: {figure}")


if __name__ == "__main__":
    main()
