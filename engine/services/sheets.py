"""Sheets: forms filed on a record without moving it (a member's score sheet, a department's
opinion, the answer sent to a proposer), and the lists the rules read from them.

A sheet is stored as a record of its own form, linked to its subject, with its own audit row.
Where the workflow says `one_per: member`, a later sheet by the same member replaces the earlier
one in what the rules see; the earlier one stays, so the history shows the correction.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from engine.audit import audit, now
from engine.config.workflow import Sheet, Workflow
from engine.errors import InputError, NotFound, Problem
from engine.runtime import Runtime
from engine.services import records
from engine.services.actors import SYSTEM, Actor, require, require_township
from engine.store.tables import AuditEntry, Record, RecordLink

SUBJECT = "subject"  # the link from a sheet (or an action's form data) to the record it is about


@dataclass(frozen=True)
class FiledSheet:
    view: records.RecordView
    replaced: bool  # a later sheet with the same one_per value counts instead, or it is from an earlier round


def workflow_of(rt: Runtime, form_id: str) -> Workflow | None:
    form = rt.profile.forms.get(form_id)
    return rt.profile.workflows.get(form.workflow) if form and form.workflow else None


def sheets_allowed(rt: Runtime, actor: Actor, record: records.RecordView) -> list[Sheet]:
    """The sheets this actor may file on the record in its present state."""
    rt = rt.for_version(record.profile_version)
    wf = workflow_of(rt, record.form_id)
    if wf is None:
        return []
    return [s for s in wf.sheets if record.state in s.states and (actor is SYSTEM or actor.may(s.roles))
            and (actor is SYSTEM or not actor.township or not record.township or actor.township == record.township)]


def file_sheet(rt: Runtime, actor: Actor, record_id: int, form_id: str, raw: Mapping[str, Any],
               uploads: Mapping[str, tuple[str, bytes]] | None = None) -> records.RecordView:
    """Validate and store one sheet about a record, in one transaction with its audit row.

    A sheet whose form has a workflow of its own (a follow-up action) starts in its initial state."""
    from engine.services import delivery
    with rt.db.transaction() as session:
        subject = session.get(Record, record_id)
        if subject is None or subject.form_id not in rt.forms:
            raise NotFound("record")
        vrt = rt.for_version(subject.profile_version)
        wf = workflow_of(vrt, subject.form_id)
        sheet = wf.sheet(form_id) if wf else None
        if sheet is None:
            raise NotFound("sheet")
        require(actor, sheet.roles, f"sheet:{form_id}")
        require_township(actor, subject.township)
        if subject.state not in sheet.states:
            raise InputError({"": Problem("wrong_state", {"state": vrt.state_label(subject.form_id, subject.state)})})
        compiled = vrt.form(form_id)
        raw = {**delivery.defaults(vrt, session, subject, form_id),
               **{k: v for k, v in raw.items() if v not in (None, "")}}
        for field_id, (name, content) in (uploads or {}).items():
            raw[field_id] = records.store_upload(session, compiled, field_id, name, content)
        submission = compiled.validate(raw, roles=None if actor is SYSTEM else actor.roles)
        version = vrt.ensure_version(session)
        own_flow = workflow_of(vrt, form_id)
        row = Record(form_id=form_id, title=records.make_title(vrt, compiled, submission.document)
                     or f"{form_id} #{record_id}", data=submission.document, profile_version=version,
                     created_at=now(), created_by=actor.username, township=subject.township,
                     station=subject.station, state=own_flow.initial if own_flow else None)
        session.add(row)
        session.flush()
        session.add(RecordLink(record_id=row.id, field_id=SUBJECT, target_id=subject.id))
        delivery.on_sheet(vrt, session, subject, row)
        audit(session, actor=actor.username, action="sheet.file", entity="record", entity_id=subject.id,
              before=None, after={"sheet": form_id, "sheet_record": row.id, "data": submission.document},
              version=version)
        view = records.view_of(row)
    from engine.services.reactions import react
    react(rt, "submitted", form_id, record_id, source=(form_id, submission.document))
    return view


def filed_sheets(rt: Runtime, actor: Actor, record_id: int) -> list[FiledSheet]:
    """Every sheet and action form filed on a record, oldest first, marking the replaced ones."""
    with rt.db.read() as session:
        subject = session.get(Record, record_id)
        if subject is None or subject.form_id not in rt.forms:
            raise NotFound("record")
        require(actor, rt.forms[subject.form_id].form.access.view, f"view:{subject.form_id}")
        rows = _linked(session, record_id)
        wf = workflow_of(rt.for_version(subject.profile_version), subject.form_id)
        current = {r.id for r in _current(session, record_id, rows, wf)}
        return [FiledSheet(records.view_of(r), r.id not in current) for r in rows
                if actor is SYSTEM or r.form_id not in rt.forms or actor.may(rt.forms[r.form_id].form.access.view)]


def _linked(session: Session, record_id: int) -> list[Record]:
    return list(session.scalars(select(Record).join(RecordLink, RecordLink.record_id == Record.id)
                                .where(RecordLink.target_id == record_id, RecordLink.field_id == SUBJECT)
                                .order_by(Record.id)))


def _transitions(session: Session, record_id: int) -> list[tuple[Any, dict, dict]]:
    """The record's transitions (when, state before, state after), newest first."""
    return [(at, before or {}, after or {}) for at, before, after in session.execute(
        select(AuditEntry.at, AuditEntry.before, AuditEntry.after).where(
            AuditEntry.entity == "record", AuditEntry.entity_id == str(record_id),
            AuditEntry.action == "record.transition").order_by(AuditEntry.id.desc()))]


def _reentered_at(moves: list[tuple[Any, dict, dict]], states: tuple[str, ...]) -> Any:
    """When the record last came back into these states from outside them (a pending suggestion
    sent back to screening), or None: sheets from an earlier round no longer count."""
    for at, before, after in moves:
        if after.get("state") in states and before.get("state") not in states:
            return at
    return None


def _current(session: Session, record_id: int, rows: list[Record], wf: Workflow | None) -> list[Record]:
    """The sheets that count: those of the present round, and for `one_per` sheets the latest per value."""
    latest: dict[tuple[str, Any], Record] = {}
    out = []
    since: dict[str, Any] = {}
    moves = None
    for row in rows:
        sheet = wf.sheet(row.form_id) if wf else None
        if sheet is not None and sheet.form not in since:
            if moves is None:  # read once per record, and only if it has sheets
                moves = _transitions(session, record_id)
            since[sheet.form] = _reentered_at(moves, sheet.states)
        if sheet is not None and since[sheet.form] is not None and _aware(row.created_at) < _aware(since[sheet.form]):
            continue
        if sheet is not None and (sheet.one_per or sheet.single):
            latest[(row.form_id, row.data.get(sheet.one_per) if sheet.one_per else None)] = row
        else:
            out.append(row)
    return sorted(out + list(latest.values()), key=lambda r: r.id)


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def gathered(rt: Runtime, session: Session, record: Record) -> dict[str, list]:
    """The workflow's `gather` lists for one record, typed as the rules expect them."""
    wf = workflow_of(rt, record.form_id)
    if wf is None or not wf.gather:
        return {}
    rows = _current(session, record.id, _linked(session, record.id), wf)
    out: dict[str, list] = {}
    for name, spec in wf.gather.items():
        where = rt.profile.conditions.get((wf.id, spec.form, f"gather:{name}"))
        items = []
        for row in rows:
            if row.form_id != spec.form or spec.form not in rt.forms:
                continue
            values = rt.form(spec.form).values_of(row.data)
            if where is None or where(values):
                items.append(values.get(spec.field))
        out[name] = [v for v in items if v is not None]
    return out


def awaiting(rt: Runtime, actor: Actor, form_id: str, sheet_form: str, township: str | None = None,
             page: int = 1, page_size: int = 25) -> records.Page:
    """Records in a sheet's states that have no such sheet yet (e.g. suggestions not answered),
    oldest first, counted and paginated in SQL."""
    compiled = rt.form(form_id)
    require(actor, compiled.form.access.list, f"list:{form_id}")
    wf = workflow_of(rt, form_id)
    sheet = wf.sheet(sheet_form) if wf else None
    if sheet is None:
        raise NotFound("sheet")
    township = actor.township if actor is not SYSTEM and actor.township else township
    linked = Record.__table__.alias("sheet")
    has_sheet = exists().where(and_(RecordLink.target_id == Record.id, RecordLink.field_id == SUBJECT,
                                    RecordLink.record_id == linked.c.id, linked.c.form_id == sheet_form))
    where = [Record.form_id == form_id, Record.state.in_(sheet.states), ~has_sheet]
    if township:
        where.append(Record.township == township)
    page_size = max(1, min(page_size, 200))
    with rt.db.read() as session:
        total = session.scalar(select(func.count()).select_from(Record).where(*where)) or 0
        page = max(1, min(page, max(1, math.ceil(total / page_size))))
        rows = session.scalars(select(Record).where(*where).order_by(Record.id)
                               .limit(page_size).offset((page - 1) * page_size)).all()
        return records.Page(items=[records.view_of(r) for r in rows], total=total, page=page, page_size=page_size)
