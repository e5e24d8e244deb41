"""`minsheng tick`: what is due by the clock, done in batches.

Every run first finishes the reactions a crash left waiting, then fires the deadlines that have
passed (a batch of them claimed, audited and acted on in one transaction: milestones flagged late,
the deadline transitions taken, their events put in the reactions' outbox), takes the automatic
transitions that apply (set-based, like `minsheng act`), closes the ballots whose time has come,
fills in the scorecard's figures of projects that have none (after an upgrade), applies the
escalation rules, and posts the reactions all this caused.

Safe to run twice, or in two processes at once: a deadline is claimed by an UPDATE only one of
them can win, and a record moves only if it is still in its starting state under its lock.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from engine.kernel import clock
from engine.store.audit import audit_many, audit_row, now
from engine.core.runtime import Runtime
from engine import features  # noqa: F401  (registers the features' hooks and jobs)
from engine.core import events, reactions
from engine.core.events import JobResult
from engine.core.actors import SYSTEM
from engine.core.bulk import apply_moves, lock_rows, plan_moves
from engine.core.sheets import workflow_of
from engine.store.anyof import any_of
from engine.store.tables import Deadline, Record

DEADLINES = Deadline.__table__


@dataclass
class TickReport:
    """What a tick did. Besides its own counts, the features' jobs add theirs by name
    (`rounds_closed`, `flags_raised`, `flags_cleared`, ...), read as attributes; a count no job
    reported is 0."""

    deadlines_fired: int = 0
    transitions_taken: int = 0
    reactions_fired: int = 0
    counts: Counter = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> int:
        if name.startswith("_") or name in ("counts", "details"):
            raise AttributeError(name)
        return self.counts[name]

    def add(self, result: JobResult) -> None:
        self.counts.update(result.counts)
        self.details += result.details


def tick(rt: Runtime, at: dt.datetime | None = None, batch: int = 2000) -> TickReport:
    """Everything due as of `at` (default: now); see the module's doc."""
    if at is not None:  # as of that moment (tests, the demo): what it does is stamped with it too
        with clock.at(at):
            return tick(rt, None, batch)
    at = now()
    report = TickReport()
    _drain(rt, None, report)  # what a crash between a commit and its reactions left undone
    last_id = 0
    while True:
        with rt.db.read() as session:
            due = list(session.scalars(select(Deadline.id).where(
                Deadline.fired_at.is_(None), Deadline.due_at <= at, Deadline.id > last_id)
                .order_by(Deadline.id).limit(batch)))
        if not due:
            break
        last_id = due[-1]
        _fire_batch(rt, due, at, report)
    _automatic_transitions(rt, at.date(), report)
    for job in events.tick_jobs:  # the features' work (closing ballots, escalation rules)
        report.add(job(rt, at))
    _drain(rt, None, report)
    return report


def _drain(rt: Runtime, record_ids, report: TickReport) -> None:
    drained = reactions.drain(rt, record_ids, raise_refusals=False)
    report.reactions_fired += len(drained.fired)
    report.details += [f"reaction refused: {why}" for why in drained.refused]


def _fire_batch(rt: Runtime, ids: list[int], at: dt.datetime, report: TickReport) -> None:
    """Claim these deadlines (those another tick has not fired meanwhile) and act on them, in one
    transaction."""
    with rt.db.transaction() as session:
        claimed = list(session.execute(
            update(DEADLINES).where(any_of(DEADLINES.c.id, ids), DEADLINES.c.fired_at.is_(None)).values(fired_at=at)
            .returning(DEADLINES.c.id, DEADLINES.c.record_id, DEADLINES.c.name, DEADLINES.c.payload)))
        claimed.sort(key=lambda r: r.id)
        report.deadlines_fired += len(claimed)
        audit_many(session, [audit_row(actor="system", action="deadline.fired", entity="deadline", entity_id=d.id,
                                       before=None, after={"record": d.record_id, "name": d.name,
                                                           "payload": d.payload}, version=rt.version, at=at)
                             for d in claimed])
        owned: dict[str, tuple[Any, list]] = {}  # deadlines a feature set under its prefix, by prefix
        others = []
        for d in claimed:
            if d.record_id is None:
                continue
            owner = events.deadlines_fired.owner_of(d.name)
            if owner is None:
                others.append(d)
            else:
                owned.setdefault(owner[0], (owner[1], []))[1].append((d.record_id, d.name, dict(d.payload or {})))
        for handler, fired in owned.values():
            report.add(handler(session, rt, fired, at))
        waiting = _deadline_effects(session, rt, others, report)
    _drain(rt, waiting, report)


def _deadline_effects(session, rt: Runtime, fired: list[Any], report: TickReport) -> list[int]:
    """The events of fired deadlines, and the transitions waiting for them (`deadline:` in the
    workflow), taken as the system; returns the records with events waiting."""
    if not fired:
        return []
    rows = {r.id: r for r in lock_rows(rt, session, sorted({d.record_id for d in fired}))}
    events, by_action = [], {}
    for d in fired:
        row = rows.get(d.record_id)
        if row is None:
            continue
        event = reactions.event_row(rt, row.id, row.form_id, row.profile_version, "deadline", d.name)
        if event is not None:
            events.append(event)
        wf = workflow_of(rt.for_version(row.profile_version), row.form_id) if row.form_id in rt.forms else None
        t = next((t for t in wf.transitions if t.automatic and t.deadline == d.name and row.state in t.from_),
                 None) if wf else None
        if t is not None:  # else the record moved on meanwhile: the deadline has nothing left to do
            by_action.setdefault(t.action, {})[row.id] = row
    reactions.enqueue_rows(session, events)
    waiting = [e["record_id"] for e in events]
    for action, group in by_action.items():
        plan = plan_moves(session, rt, SYSTEM, list(group.values()), action, automatic=True)
        waiting += apply_moves(session, rt, SYSTEM, plan, action)
        report.transitions_taken += len(plan.moves)
        report.details += [f"record {m.record_id}: {action} -> {m.to}" for m in plan.moves]
    return waiting


def _automatic_transitions(rt: Runtime, today: dt.date, report: TickReport, batch: int = 1000) -> None:
    """Transitions taken by a condition or a date, each record by the workflow of its own version,
    in batches of records that are decided and moved together."""
    with rt.db.read() as session:
        groups = session.execute(select(Record.form_id, Record.profile_version).where(Record.state.is_not(None))
                                 .distinct()).all()
    for form_id, version in groups:
        if form_id not in rt.forms:
            continue
        vrt = rt.for_version(version)
        wf = workflow_of(vrt, form_id)
        if wf is None:
            continue
        for t in wf.transitions:
            if not t.automatic or t.deadline or (t.on_date and t.on_date > today):
                continue  # deadline transitions are taken when their deadline fires
            last_id = 0
            while True:
                with rt.db.read() as session:
                    ids = list(session.scalars(select(Record.id).where(
                        Record.form_id == form_id, Record.profile_version == version, Record.state.in_(t.from_),
                        Record.id > last_id).order_by(Record.id).limit(batch)))
                if not ids:
                    break
                last_id = ids[-1]
                with rt.db.transaction() as session:
                    plan = plan_moves(session, rt, SYSTEM, lock_rows(rt, session, ids, t.from_), t.action,
                                      automatic=True)
                    waiting = apply_moves(session, rt, SYSTEM, plan, t.action)
                report.transitions_taken += len(plan.moves)
                report.details += [f"record {m.record_id}: {t.action} -> {m.to}" for m in plan.moves]
                _drain(rt, waiting, report)
