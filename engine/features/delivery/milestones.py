"""What filing and moving do for delivery (hooked into the core): default dates, milestones' deadlines, kept
figures; and what a milestone falling due does: a late flag unless it was reached."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.audit import now
from engine.kernel.dates import stored_date
from engine.kernel.errors import NotFound
from engine.core.runtime import Runtime
from engine.core import events, sheets
from engine.core.events import JobResult
from engine.features.delivery.figures import read_figures, subjects_of
from engine.core.sheets import current_sheets, transitions_of, workflow_of
from engine.store.anyof import any_of
from engine.store.tables import Deadline, Record

from engine.features.delivery.specs import DEADLINE_PREFIX, OVERDUE, spec_for_form, started
from engine.features.delivery.flags import NewFlag, clear_flag, raise_flags
from engine.features.delivery.status import reached_milestones, refresh_figures, status_forms


@events.sheet_defaults
def defaults_for(rt: Runtime, session: Session, subjects: list[Any], form_id: str) -> dict[int, dict[str, str]]:
    """Dates the responsibility list is filled with by default (the profile's `defaults`), for
    each of these projects; read with one query for all."""
    wanted = {}
    for subject in subjects:
        d = spec_for_form(rt.for_version(subject.profile_version), subject.form_id)
        if d is not None and form_id == d.responsibility.form and d.responsibility.defaults:
            wanted[subject.id] = (subject, d)
    moves = transitions_of(session, list(wanted))
    out: dict[int, dict[str, str]] = {}
    for record_id, (subject, d) in wanted.items():
        start = started(subject, moves.get(record_id, []), d.states)
        out[record_id] = {name: (dt.date(start.year, 12, 31) if rule.end_of_year
                                 else start + dt.timedelta(days=rule.days_after_start)).isoformat()
                          for name, rule in d.responsibility.defaults.items()}
    return out


def default_values(rt: Runtime, record_id: int, form_id: str) -> dict[str, str]:
    with rt.db.read() as session:
        subject = session.get(Record, record_id)
        if subject is None:
            raise NotFound("record")
        return defaults_for(rt, session, [subject], form_id).get(record_id, {})


@events.sheets_filed
def on_sheets(rt: Runtime, session: Session, filed: list[sheets.FiledRow]) -> None:
    """In the sheets' own transaction: a milestone sets its deadline; a progress report naming a
    milestone clears that milestone's late flag."""
    deadlines = []
    for f in filed:
        vrt = rt.for_version(f.subject.profile_version)
        d = spec_for_form(vrt, f.subject.form_id)
        if d is None:
            continue
        if f.form_id == d.milestones.form:
            due = stored_date(f.data.get(d.milestones.due))
            if due is not None:
                at = dt.datetime.combine(due + dt.timedelta(days=d.overdue.grace_days + 1), dt.time(),
                                         tzinfo=dt.timezone.utc)
                deadlines.append({"record_id": f.subject.id, "name": DEADLINE_PREFIX + d.id, "due_at": at,
                                  "fired_at": None, "created_at": now(),
                                  "payload": {"milestone": f.data.get(d.milestones.name), "sheet": f.sheet_id,
                                              "due": due.isoformat()}})
        elif f.form_id == d.progress.form and f.data.get(d.progress.milestone):
            name = str(f.data[d.progress.milestone])
            day = stored_date(f.data.get(d.progress.date))
            clear_flag(session, f.subject.id, OVERDUE, name, f"reported reached on {day} ({d.progress.form} #{f.sheet_id})",
                   vrt.version, dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc) if day else None)
    if deadlines:
        session.execute(Deadline.__table__.insert(), deadlines)
    refresh_figures(rt, session, [f.subject.id for f in filed if (d := spec_for_form(
        rt.for_version(f.subject.profile_version), f.subject.form_id)) is not None and f.form_id in status_forms(d)])


def milestones_due(session: Session, rt: Runtime, fired: list[tuple[int, str, Mapping[str, Any]]],
                   at: dt.datetime | None = None) -> list[NewFlag]:
    """Milestones whose planned date has passed (record id, deadline name, payload), in the caller's
    transaction: each is flagged late unless a report says it is reached, or it was replaced by a
    later milestone sheet, or the project is no longer being delivered. Returns the flags raised.

    A few queries for the whole batch: the projects, their kept milestones, their open flags."""
    if not fired:
        return []
    ids = sorted({record_id for record_id, _, _ in fired})
    subjects = {r.id: r for r in session.execute(select(Record.__table__).where(any_of(Record.id, ids)))}
    versions = {i: rt.for_version(r.profile_version) for i, r in subjects.items()}
    # Which milestone sheets count and which milestones are reached: from the kept figures (two
    # queries), or for projects without them, from the milestone sheets and progress reports.
    current_milestones: dict[int, set[int]] = {}
    reached: dict[int, set[str]] = {}
    for delivery_id in {name[len(DEADLINE_PREFIX):] for _, name, _ in fired}:
        kept, milestones = read_figures(session, delivery_id, ids)
        for record_id in kept:
            current_milestones[record_id] = {m[3] for m in milestones.get(record_id, [])}
            reached[record_id] = {m[0] for m in milestones.get(record_id, []) if m[2] is not None}
    unkept = {i: r for i, r in subjects.items() if i not in current_milestones}
    forms = {form for vrt in set(versions.values()) for d in vrt.profile.delivery.values()
             for form in (d.milestones.form, d.progress.form)}
    sheets_of = current_sheets(session, {i: workflow_of(versions[i], r.form_id) for i, r in unkept.items()}, forms)
    to_raise = []
    for record_id, name, payload in fired:
        subject = subjects.get(record_id)
        if subject is None:
            continue
        vrt = versions[record_id]
        d = vrt.profile.delivery.get(name[len(DEADLINE_PREFIX):])
        if d is None or subject.state not in d.states:
            continue
        if record_id in unkept:
            rows = sheets_of[record_id]
            current_milestones[record_id] = {r.id for r in rows if r.form_id == d.milestones.form}
            reached[record_id] = set(reached_milestones(d, rows))
        if payload.get("sheet") not in current_milestones[record_id]:
            continue  # the milestone was re-planned: its new date has its own deadline
        milestone = str(payload.get("milestone"))
        if milestone in reached[record_id]:
            continue
        words = d.overdue.reason.format(milestone=milestone, due=vrt.profile.county.date_text(stored_date(payload.get("due"))))
        to_raise.append(NewFlag(record_id, d, OVERDUE, milestone, False, d.overdue.notify, words,
                                subject.profile_version))
    return raise_flags(session, to_raise, at)


@events.deadlines_fired.register(DEADLINE_PREFIX)
def _milestones_fired(session: Session, rt: Runtime, fired: list[tuple[int, str, Mapping[str, Any]]],
                      at: dt.datetime) -> JobResult:
    return JobResult(Counter(flags_raised=len(milestones_due(session, rt, fired, at))))


@events.records_moved
def _figures_after_moves(rt: Runtime, session: Session, moved: list[tuple[int, str]]) -> None:
    """A project that moves, or one of whose follow-up actions moves, has its figures rewritten."""
    projects = {d.form for d in rt.profile.delivery.values()}
    follow_ups = {d.follow_up.form for d in rt.profile.delivery.values()}
    ids = [i for i, form_id in moved if form_id in projects]
    ids += subjects_of(session, [i for i, form_id in moved if form_id in follow_ups])
    refresh_figures(rt, session, ids)
