"""Delivery and supervision of chosen projects: late milestones, escalations, the dashboard.

What a project has (its responsibility list, milestones, progress reports, follow-up actions) is
stored as sheets on it; `delivery/*.yaml` says which forms and fields mean what. From those this
module derives a project's figures (milestones behind, progress, overdue follow-ups ...), raises
flags (a late milestone, once, through the deadline mechanism; an escalation rule that starts to
hold, checked by `minsheng tick`) and clears them when they no longer hold. Every flag keeps the
rule, the policy version and words a citizen can read.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator, Mapping

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.store.audit import audit, audit_many, audit_row, now
from engine.schema.delivery import Delivery
from engine.kernel.errors import NotFound
from engine.core.runtime import Runtime
from engine.core import events, records, sheets
from engine.core.events import JobResult
from engine.core.actors import SYSTEM, Actor, require
from engine.features.delivery_figures import FigureRow, TownshipScore, not_merged, read_figures, subjects_of, \
    township_key, township_scores, without_figures, write as write_figures
from engine.core.sheets import current_sheets, transitions_of, workflow_of
from engine.store.anyof import any_of
from engine.store.inserts import insert_returning_ids
from engine.store.tables import Deadline, FundEntry, FundPoolYear, Flag, Record

DEADLINE_PREFIX = "delivery:"  # deadlines named so are milestones falling due (no config id has a colon)
OVERDUE = "overdue"


def spec_for_form(rt: Runtime, form_id: str) -> Delivery | None:
    return next((d for d in rt.profile.delivery.values() if d.form == form_id), None)


def spec(rt: Runtime, delivery_id: str) -> Delivery:
    found = rt.profile.delivery.get(delivery_id)
    if found is None:
        raise NotFound(f"delivery '{delivery_id}'")
    return found


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def started_on(session: Session, record: Record, states: tuple[str, ...]) -> dt.date:
    """The day the project first entered delivery (was chosen)."""
    return _started(record, transitions_of(session, [record.id]).get(record.id, []), states)


def _started(record: Any, moves: list[tuple[Any, dict, dict]], states: tuple[str, ...]) -> dt.date:
    for at, _before, after in reversed(moves):  # oldest first
        if after.get("state") in states:
            return at.date()
    return record.created_at.date()


# -- what filing a sheet does (hooked into sheets: the core of sheets does not know delivery) --

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
        start = _started(subject, moves.get(record_id, []), d.states)
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
            due = _day(f.data.get(d.milestones.due))
            if due is not None:
                at = dt.datetime.combine(due + dt.timedelta(days=d.overdue.grace_days + 1), dt.time(),
                                         tzinfo=dt.timezone.utc)
                deadlines.append({"record_id": f.subject.id, "name": DEADLINE_PREFIX + d.id, "due_at": at,
                                  "fired_at": None, "created_at": now(),
                                  "payload": {"milestone": f.data.get(d.milestones.name), "sheet": f.sheet_id,
                                              "due": due.isoformat()}})
        elif f.form_id == d.progress.form and f.data.get(d.progress.milestone):
            name = str(f.data[d.progress.milestone])
            day = _day(f.data.get(d.progress.date))
            _clear(session, f.subject.id, OVERDUE, name, f"reported reached on {day} ({d.progress.form} #{f.sheet_id})",
                   vrt.version, dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc) if day else None)
    if deadlines:
        session.execute(Deadline.__table__.insert(), deadlines)
    refresh_figures(rt, session, [f.subject.id for f in filed if (d := spec_for_form(
        rt.for_version(f.subject.profile_version), f.subject.form_id)) is not None and f.form_id in status_forms(d)])


def _clear(session: Session, record_id: int, rule: str, subject: str, why: str, version: str,
           at: dt.datetime | None = None) -> bool:
    flag = session.scalars(select(Flag).where(Flag.record_id == record_id, Flag.rule == rule,
                                              Flag.subject == subject, Flag.cleared_at.is_(None))).first()
    if flag is None:
        return False
    flag.cleared_at, flag.cleared_reason = at or now(), why
    audit(session, actor="system", action="flag.cleared", entity="record", entity_id=record_id,
          before={"flag": flag.id, "rule": rule, "subject": subject}, after={"cleared": why}, version=version)
    return True


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
            reached[record_id] = set(_reached(d, rows))
        if payload.get("sheet") not in current_milestones[record_id]:
            continue  # the milestone was re-planned: its new date has its own deadline
        milestone = str(payload.get("milestone"))
        if milestone in reached[record_id]:
            continue
        words = d.overdue.reason.format(milestone=milestone, due=vrt.profile.county.date_text(_day(payload.get("due"))))
        to_raise.append(NewFlag(record_id, d, OVERDUE, milestone, False, d.overdue.notify, words,
                                subject.profile_version))
    return raise_flags(session, to_raise, at)


@events.deadlines_fired.register(DEADLINE_PREFIX)
def _milestones_fired(session: Session, rt: Runtime, fired: list[tuple[int, str, Mapping[str, Any]]],
                      at: dt.datetime) -> JobResult:
    return JobResult(Counter(flags_raised=len(milestones_due(session, rt, fired, at))))


@dataclass(frozen=True)
class NewFlag:
    record_id: int
    delivery: Delivery
    rule: str
    subject: str
    watch: bool
    notify: tuple[str, ...]
    reason: str
    version: str


def raise_flags(session: Session, flags: list[NewFlag], at: dt.datetime | None = None) -> list[NewFlag]:
    """Raise each flag unless one is open already (looked up for all at once, in the caller's
    transaction; the unique index on open flags holds against a second tick); the roles to notify
    are told in the audit log. Returns the flags raised."""
    if not flags:
        return []
    at = at or now()
    open_now = set(session.execute(select(Flag.record_id, Flag.rule, Flag.subject).where(
        any_of(Flag.record_id, sorted({f.record_id for f in flags})), Flag.cleared_at.is_(None))).all())
    rows, wanted = [], []
    for f in flags:
        key = (f.record_id, f.rule, f.subject)
        if key in open_now:
            continue
        open_now.add(key)
        wanted.append(f)
        rows.append({"record_id": f.record_id, "delivery_id": f.delivery.id, "rule": f.rule, "subject": f.subject,
                     "watch": f.watch, "notify": list(f.notify), "reason": f.reason, "version": f.version,
                     "raised_at": at, "cleared_at": None, "cleared_reason": None})
    if not rows:
        return []
    ids = insert_returning_ids(session, Flag.__table__, rows)
    audits = []
    for flag_id, f in zip(ids, wanted):
        audits.append(audit_row(actor="system", action="flag.raised", entity="record", entity_id=f.record_id,
                                before=None, after={"flag": flag_id, "rule": f.rule, "subject": f.subject,
                                                    "watch": f.watch, "reason": f.reason}, version=f.version))
        audits += [audit_row(actor="system", action="notify", entity="record", entity_id=f.record_id, before=None,
                             after={"role": role, "flag": flag_id, "reason": f.reason}, version=f.version)
                   for role in f.notify]
    audit_many(session, audits)
    return wanted


def _reached(d: Delivery, current: list[Record]) -> dict[str, dt.date]:
    """Milestone name -> the day of the earliest report saying it is reached."""
    out: dict[str, dt.date] = {}
    for row in current:
        if row.form_id == d.progress.form and row.data.get(d.progress.milestone):
            day = _day(row.data.get(d.progress.date)) or row.created_at.date()
            name = str(row.data[d.progress.milestone])
            out[name] = min(out.get(name, day), day)
    return out


# -- a project's figures ------------------------------------------------------------------------

@dataclass
class Milestone:
    name: str
    due: dt.date | None
    reached_on: dt.date | None
    sheet_id: int | None = None  # the milestone sheet that planned it

    def behind(self, today: dt.date, grace: int) -> bool:
        return self.reached_on is None and self.due is not None and self.due + dt.timedelta(days=grace) < today

    @property
    def on_time(self) -> bool:
        return self.reached_on is not None and (self.due is None or self.reached_on <= self.due)


@dataclass
class ProjectStatus:
    record: records.RecordView
    figures: dict[str, int]
    milestones: list[Milestone]
    unit: str = ""
    deadline: dt.date | None = None
    needs: Decimal = Decimal(0)
    allocated: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    flags: list[Flag] = field(default_factory=list)
    percent_reported: int | None = None  # the latest progress report's percent; None without a report
    follow_up_due: dt.date | None = None  # the earliest due date of the open follow-ups

    @property
    def watched(self) -> bool:
        return any(f.watch for f in self.flags)


def statuses(rt: Runtime, session: Session, d: Delivery, projects: list[Any], today: dt.date) -> list[ProjectStatus]:
    """Each project's status (records-table rows), from their current sheets read in one go."""
    subjects = {r.id: workflow_of(rt.for_version(r.profile_version), r.form_id) for r in projects}
    current = current_sheets(session, subjects, status_forms(d))
    return [_status(rt, d, r, today, current[r.id]) for r in projects]


def status_forms(d: Delivery) -> set[str]:
    """The sheet forms a project's status is computed from."""
    forms = {d.responsibility.form, d.milestones.form, d.progress.form, d.follow_up.form}
    if d.funding_needs is not None:
        forms.add(d.funding_needs.form)
    return forms


def _status(rt: Runtime, d: Delivery, record: Any, today: dt.date, current: list[Any]) -> ProjectStatus:
    vrt = rt.for_version(record.profile_version)
    reached = _reached(d, current)
    milestones = [Milestone(str(r.data.get(d.milestones.name)), _day(r.data.get(d.milestones.due)),
                            reached.get(str(r.data.get(d.milestones.name))), r.id)
                  for r in current if r.form_id == d.milestones.form]
    milestones.sort(key=lambda m: (m.due or dt.date.max, m.name))
    reports = sorted((r for r in current if r.form_id == d.progress.form),
                     key=lambda r: (_day(r.data.get(d.progress.date)) or dt.date.min, r.id))
    listing = next((r for r in reversed(current) if r.form_id == d.responsibility.form), None)
    deadline = _day(listing.data.get(d.responsibility.deadline)) if listing else None
    # Follow-up actions are open until their own workflow reaches a final state.
    follow_wf = workflow_of(vrt, d.follow_up.form)
    finals = {s.id for s in follow_wf.states if s.final} if follow_wf else set()
    open_follow = [r for r in current if r.form_id == d.follow_up.form and r.state not in finals]
    follow_dues = [due for r in open_follow if (due := _day(r.data.get(d.follow_up.due)))]
    percent_reported = int(reports[-1].data.get(d.progress.percent) or 0) if reports else None
    figures = day_figures(d, record.state, today, milestones, percent_reported, len(open_follow),
                          min(follow_dues, default=None), deadline)
    needs = Decimal(0)
    if d.funding_needs is not None:
        needs = sum((Decimal(str(r.data.get(d.funding_needs.amount) or 0)) for r in current
                     if r.form_id == d.funding_needs.form), Decimal(0))
    return ProjectStatus(record=records.view_of(record), figures=figures, milestones=milestones,
                         unit=str(listing.data.get(d.responsibility.unit) or "") if listing else "", deadline=deadline,
                         needs=needs, percent_reported=percent_reported, follow_up_due=min(follow_dues, default=None))


def day_figures(d: Delivery, state: str, today: dt.date, milestones: list[Milestone], percent_reported: int | None,
                follow_ups_open: int, follow_up_due: dt.date | None, deadline: dt.date | None) -> dict[str, int]:
    """A project's figures as of `today`, from what its sheets say (the one place they are worked
    out, whether the sheets were just read or their kept figures were)."""
    done = state in d.done_states
    return {
        "milestones": len(milestones),
        "milestones_behind": 0 if done else sum(m.behind(today, d.overdue.grace_days) for m in milestones),
        "milestones_late": sum(1 for m in milestones if m.reached_on and m.due and m.reached_on > m.due),
        "percent": (100 if done else 0) if percent_reported is None else percent_reported,
        "follow_ups_open": follow_ups_open,
        "follow_up_days_overdue": (today - follow_up_due).days if follow_up_due and follow_up_due < today else 0,
        "days_past_deadline": (today - deadline).days if deadline and deadline < today and not done else 0,
    }


def kept_day_figures(session: Session, d: Delivery, projects: list[Any], today: dt.date) -> dict[int, dict[str, int]]:
    """`day_figures` of these projects (records-table rows) from their kept figures: two queries,
    no sheets read. Projects without kept figures are left out."""
    kept, milestones = read_figures(session, d.id, [r.id for r in projects])
    out = {}
    for record in projects:
        row = kept.get(record.id)
        if row is not None:
            out[record.id] = day_figures(d, record.state, today, [Milestone(*m) for m in milestones.get(record.id, [])],
                                         row.percent, row.follow_ups_open, row.follow_up_due, row.deadline)
    return out


def figures_of(rt: Runtime, delivery_id: str, record_id: int, today: dt.date | None = None) -> dict[str, int]:
    d = spec(rt, delivery_id)
    with rt.db.read() as session:
        record = session.execute(select(Record.__table__).where(Record.id == record_id)).first()
        if record is None:
            raise NotFound("record")
        return statuses(rt, session, d, [record], today or now().date())[0].figures


def _projects(rt: Runtime, d: Delivery, township: str | None = None, batch: int = 1000) -> Iterator[list[int]]:
    """The ids of every project being or having been delivered, in batches, oldest first."""
    last = 0
    while True:
        with rt.db.read() as session:
            query = select(Record.id).where(Record.form_id == d.form, Record.state.in_(d.states + d.done_states),
                                            Record.id > last, not_merged())
            if township:
                query = query.where(Record.township == township)
            ids = list(session.scalars(query.order_by(Record.id).limit(batch)))
        if not ids:
            return
        yield ids
        last = ids[-1]


@dataclass
class EscalationReport:
    raised: int = 0
    cleared: int = 0
    details: list[str] = field(default_factory=list)


def check_escalations(rt: Runtime, at: dt.datetime | None = None) -> EscalationReport:
    """Every escalation rule against every project under delivery: a flag when a rule starts to
    hold (its roles told once), cleared when it stops. Run by `minsheng tick`, as of `at`.

    Projects are read in batches, each with a few queries; the flags that change in a batch are
    written in one transaction (which looks at the open flags again, so two ticks at once still
    raise a flag once)."""
    at = at or now()
    today = at.date()
    report = EscalationReport()
    for d in rt.profile.delivery.values():
        if not d.escalations:
            continue
        for ids in _projects(rt, d):
            raising: list[NewFlag] = []
            clearing = []
            with rt.db.read() as session:
                flagged = set(session.execute(select(Flag.record_id, Flag.rule).where(
                    any_of(Flag.record_id, ids), Flag.subject == "", Flag.cleared_at.is_(None))).all())
                projects = list(session.execute(select(Record.__table__).where(any_of(Record.id, ids))
                                                .order_by(Record.id)))
                groups: dict[int, tuple[Runtime, Delivery, list]] = {}  # one per version's delivery spec
                for record in projects:
                    vrt = rt.for_version(record.profile_version)
                    vd = vrt.profile.delivery.get(d.id)
                    if vd is not None:
                        groups.setdefault(id(vd), (vrt, vd, []))[2].append(record)
                for vrt, vd, group in groups.values():
                    figures = kept_day_figures(session, vd, group, today)
                    unkept = [r for r in group if r.id not in figures]  # none once `tick` has kept them
                    figures.update({r.id: s.figures for r, s in zip(unkept, statuses(rt, session, vd, unkept, today))})
                    for record in group:
                        _escalate(vrt, vd, record, figures[record.id], flagged, raising, clearing)
            if not raising and not clearing:
                continue
            with rt.db.transaction() as session:
                for raised in raise_flags(session, raising, at):
                    report.raised += 1
                    report.details.append(f"record {raised.record_id}: {raised.rule}")
                for record_id, version, rule, figures in clearing:
                    if _clear(session, record_id, rule.id, "", _no_longer(rule.when, figures), version, at):
                        report.cleared += 1
    return report


@events.tick_jobs
def _tick_escalations(rt: Runtime, at: dt.datetime) -> JobResult:
    """Every tick: projects without kept figures (after an upgrade) get them, then the escalation rules."""
    for d in rt.profile.delivery.values():
        keep_figures(rt, d)
    report = check_escalations(rt, at)
    return JobResult(Counter(flags_raised=report.raised, flags_cleared=report.cleared), report.details)


def _escalate(vrt: Runtime, d: Delivery, record: Any, figures: Mapping[str, int], flagged: set,
              raising: list, clearing: list) -> None:
    """Which of the project's escalation flags must be raised or cleared now."""
    values = {k: Decimal(v) for k, v in figures.items()}
    for rule in d.escalations:
        holds = vrt.profile.conditions[("delivery", d.id, f"escalation:{rule.id}")](values)
        if holds and (record.id, rule.id) not in flagged:
            raising.append(NewFlag(record.id, d, rule.id, "", rule.watch_list, rule.notify,
                                   rule.reason.format(**figures), record.profile_version))
        elif not holds and (record.id, rule.id) in flagged:
            clearing.append((record.id, record.profile_version, rule, figures))


def _no_longer(when: str, figures: Mapping[str, int]) -> str:
    shown = ", ".join(f"{k} = {v}" for k, v in figures.items() if k in when)
    return f"no longer: {when} ({shown})"


# -- what supervisors see -----------------------------------------------------------------------

def _allowed(rt: Runtime, actor: Actor, delivery_id: str) -> tuple[Delivery, str | None]:
    d = spec(rt, delivery_id)
    require(actor, d.roles.view, f"delivery:{delivery_id}")
    return d, (actor.township if actor is not SYSTEM and actor.township else None)


def _money(session: Session, d: Delivery, ids: list[int], year: int | None) -> dict[int, tuple[int, int]]:
    if d.fund is None or not ids:
        return {}
    allocated = func.coalesce(func.sum(case((FundEntry.kind == "allocation", FundEntry.amount_fen), else_=0)), 0)
    paid = func.coalesce(func.sum(case((FundEntry.kind == "payment", FundEntry.amount_fen), else_=0)), 0)
    query = (select(FundEntry.record_id, allocated, paid).join(FundPoolYear, FundPoolYear.id == FundEntry.pool_id)
             .where(FundPoolYear.fund_id == d.fund, any_of(FundEntry.record_id, ids)).group_by(FundEntry.record_id))
    if year is not None:
        query = query.where(FundPoolYear.year == year)
    return {r: (int(a), int(p)) for r, a, p in session.execute(query)}


def project_statuses(rt: Runtime, actor: Actor, delivery_id: str, township: str | None = None,
                     watched_only: bool = False, page: int = 1, page_size: int = 25,
                     today: dt.date | None = None, only: int | None = None) -> records.Page:
    """One page of projects with their figures, money and open flags (paginated in SQL);
    `only`: just that project."""
    d, own = _allowed(rt, actor, delivery_id)
    township = own or township
    today = today or now().date()
    where = [Record.form_id == d.form, Record.state.in_(d.states + d.done_states), not_merged()]
    if township:
        where.append(Record.township == township)
    if only is not None:
        where.append(Record.id == only)
    if watched_only:
        where.append(Record.id.in_(select(Flag.record_id).where(Flag.watch.is_(True), Flag.cleared_at.is_(None))))
    page_size = max(1, min(page_size, 200))
    with rt.db.read() as session:
        total = session.scalar(select(func.count()).select_from(Record).where(*where)) or 0
        page = max(1, min(page, max(1, math.ceil(total / page_size))))
        rows = list(session.execute(select(Record.__table__).where(*where).order_by(township_key(), Record.id)
                                    .limit(page_size).offset((page - 1) * page_size)))
        ids = [r.id for r in rows]
        money = _money(session, d, ids, None)
        flags: dict[int, list[Flag]] = {}
        for flag in session.scalars(select(Flag).where(any_of(Flag.record_id, ids), Flag.cleared_at.is_(None))
                                    .order_by(Flag.id)):
            flags.setdefault(flag.record_id, []).append(flag)
        items = []
        for row, status in zip(rows, statuses(rt, session, d, rows, today)):
            allocated, paid = money.get(row.id, (0, 0))
            status.allocated, status.paid = Decimal(allocated) / 100, Decimal(paid) / 100
            status.flags = flags.get(row.id, [])
            items.append(status)
    return records.Page(items=items, total=total, page=page, page_size=page_size)


def scorecard(rt: Runtime, actor: Actor, delivery_id: str, today: dt.date | None = None,
              year: int | None = None) -> list[TownshipScore]:
    """Each township's delivery record for its annual assessment: projects, completed, milestones
    due so far and reached on time, behind, on the watch list, open follow-ups, money. With `year`:
    the projects whose completion deadline falls in that year (those without a responsibility list
    yet count in the profile's current year). Counted in the database over the kept figures
    (`delivery_figures`); projects found without them get them first."""
    d, own = _allowed(rt, actor, delivery_id)
    keep_figures(rt, d)
    with rt.db.read() as session:
        scores = township_scores(session, d, today or now().date(), own, year, rt.profile.county.year)
    order = {t.id: i for i, t in enumerate(rt.profile.county.townships)}
    return sorted(scores.values(), key=lambda s: order.get(s.township, len(order)))


# -- the kept figures -----------------------------------------------------------------------------

def refresh_figures(rt: Runtime, session: Session, record_ids: list[int]) -> None:
    """Rewrite these projects' kept figures from their current sheets, in the caller's transaction."""
    if not record_ids:
        return
    rows = list(session.execute(select(Record.__table__).where(any_of(Record.id, sorted(set(record_ids))))
                                .order_by(Record.id)))
    for d in rt.profile.delivery.values():
        group = [r for r in rows if r.form_id == d.form and r.state in d.states + d.done_states]
        write_figures(session, d.id, [
            FigureRow(r.id, s.deadline, s.percent_reported, s.figures["follow_ups_open"], s.follow_up_due,
                      [(m.name, m.due, m.reached_on, m.sheet_id) for m in s.milestones])
            for r, s in zip(group, statuses(rt, session, d, group, now().date()))])


def keep_figures(rt: Runtime, d: Delivery, batch: int = 1000) -> int:
    """Give every project without kept figures its figures, a batch a transaction; how many.
    One indexed query when there are none to give (as after the first time)."""
    done = 0
    while True:
        with rt.db.read() as session:
            ids = without_figures(session, d, batch)
        if not ids:
            return done
        with rt.db.transaction() as session:
            refresh_figures(rt, session, ids)
        done += len(ids)


@events.records_moved
def _figures_after_moves(rt: Runtime, session: Session, moved: list[tuple[int, str]]) -> None:
    """A project that moves, or one of whose follow-up actions moves, has its figures rewritten."""
    projects = {d.form for d in rt.profile.delivery.values()}
    follow_ups = {d.follow_up.form for d in rt.profile.delivery.values()}
    ids = [i for i, form_id in moved if form_id in projects]
    ids += subjects_of(session, [i for i, form_id in moved if form_id in follow_ups])
    refresh_figures(rt, session, ids)


def open_flags(rt: Runtime, actor: Actor, delivery_id: str, for_roles: bool = False, limit: int = 200) -> list[tuple[Flag, str, str | None]]:
    """Open flags, newest first, with the project's title and township; `for_roles`: only those
    the actor's roles were told about."""
    d, own = _allowed(rt, actor, delivery_id)
    query = (select(Flag, Record.title, Record.township).join(Record, Record.id == Flag.record_id)
             .where(Flag.delivery_id == d.id, Flag.cleared_at.is_(None)).order_by(Flag.id.desc()).limit(limit))
    if own:
        query = query.where(Record.township == own)
    with rt.db.read() as session:
        rows = [(f, t, tw) for f, t, tw in session.execute(query)]
    if for_roles and actor is not SYSTEM:
        rows = [r for r in rows if set(r[0].notify) & set(actor.roles)]
    return rows


def flags_of(rt: Runtime, record_id: int) -> list[Flag]:
    """Every flag of one project, open and cleared, oldest first (the record page shows them)."""
    with rt.db.read() as session:
        return list(session.scalars(select(Flag).where(Flag.record_id == record_id).order_by(Flag.id)))


# -- the official responsibility list ------------------------------------------------------------

def responsibility_rows(rt: Runtime, actor: Actor, delivery_id: str, township: str | None = None,
                        lang: str = "zh") -> Iterator[list[str]]:
    """One row per project: title, township, the profile's columns, the milestones."""
    d, own = _allowed(rt, actor, delivery_id)
    township = own or township
    towns = {t.id: rt.reference_label("townships", t.id, lang) for t in rt.profile.county.townships}
    form = rt.profile.forms[d.responsibility.form]
    for ids in _projects(rt, d, township):
        with rt.db.read() as session:
            projects = list(session.execute(select(Record.__table__).where(any_of(Record.id, ids))
                                            .order_by(township_key(), Record.id)))
            sheets = current_sheets(session, {r.id: workflow_of(rt.for_version(r.profile_version), r.form_id)
                                              for r in projects}, {d.responsibility.form, d.milestones.form})
            for record in projects:
                current = sheets[record.id]
                listing = next((r for r in reversed(current) if r.form_id == d.responsibility.form), None)
                shown = {c: rt.display_value(form, c, listing.data.get(c), lang) for c in d.responsibility.columns
                         } if listing else {}
                milestones = sorted(((_day(r.data.get(d.milestones.due)), str(r.data.get(d.milestones.name)))
                                     for r in current if r.form_id == d.milestones.form),
                                    key=lambda m: (m[0] or dt.date.max, m[1]))
                yield ([record.title, towns.get(record.township or "", record.township or "")]
                       + [str(shown.get(c, "")) for c in d.responsibility.columns]
                       + ["; ".join(f"{name} {day.isoformat() if day else ''}".strip() for day, name in milestones)])


def responsibility_headings(rt: Runtime, delivery_id: str, project: str, township: str, milestones: str,
                            lang: str = "zh") -> list[str]:
    d = spec(rt, delivery_id)
    form = rt.profile.forms[d.responsibility.form]
    return [project, township] + [form.field(c).text(lang) for c in d.responsibility.columns] + [milestones]
