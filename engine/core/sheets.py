"""Sheets: forms filed on a record without moving it (a member's score sheet, a department's
opinion, the answer sent to a proposer), and the lists the rules read from them.

A sheet is stored as a record of its own form, linked to its subject, with its own audit row.
Where the workflow says `one_per: member`, a later sheet by the same member replaces the earlier
one in what the rules see; the earlier one stays, so the history shows the correction.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping, Sequence

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session


from engine.store.audit import audit_many, audit_row, now
from engine.schema.workflow import Sheet, Workflow
from engine.kernel.dates import as_utc
from engine.kernel.errors import InputError, MinshengError, NotFound, Problem
from engine.core.runtime import Runtime
from engine.core import events, groups, policy, reactions, records, search
from engine.core.actors import SYSTEM, Actor, in_group, require, require_group
from engine.core.windows import require_open
from engine.store.anyof import any_of
from engine.store.inserts import insert_returning_ids
from engine.store.tables import AuditEntry, Record, RecordLink

SUBJECT = "subject"  # the link from a sheet (or an action's form data) to the record it is about
# What deciding from a record's sheets reads of them: not the title, search columns or import run
# (bulk work reads three sheets a record, and each column read costs its conversion).
SHEET_COLUMNS = ("id", "form_id", "state", "data", "profile_version", "created_at", "created_by", "township",
                 "station", "group_id")


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
    if not policy.in_scope(rt, actor, record):
        return []
    return [s for s in wf.sheets if record.state in s.states and (actor is SYSTEM or actor.may(s.roles))
            and (not s.group_only or in_group(actor, record.group_id))]


@dataclass(frozen=True)
class FiledRow:
    """A sheet just written, as the hooks see it (in the sheets' own transaction)."""

    subject: Any  # the record it is about (a records-table row)
    sheet_id: int
    form_id: str
    data: Mapping[str, Any]


@dataclass
class SheetsReport:
    filed: list[int] = field(default_factory=list)  # the sheets' record ids, in the order given
    refused: list[tuple[int, int, MinshengError]] = field(default_factory=list)  # index, subject id, why


def file_sheet(rt: Runtime, actor: Actor, record_id: int, form_id: str, raw: Mapping[str, Any],
               uploads: Mapping[str, tuple[str, bytes]] | None = None) -> records.RecordView:
    """Validate and store one sheet about a record, in one transaction with its audit row.

    A sheet whose form has a workflow of its own (a follow-up action) starts in its initial state."""
    with rt.db.transaction() as session:
        subjects = _subjects(session, [record_id])
        prepared = _prepare(session, rt, actor, subjects, [(record_id, form_id, raw)], uploads)
        if isinstance(prepared[0], MinshengError):
            raise prepared[0]
        sheet_ids, waiting = _write(session, rt, actor, subjects, [prepared[0]])
        shown = policy.view(rt, actor, session.get(Record, sheet_ids[0]))
    if waiting:
        reactions.drain(rt, waiting)
    return shown


def file_sheets(rt: Runtime, actor: Actor, items: Sequence[tuple[int, str, Mapping[str, Any]]],
                batch: int = 1000, progress: Callable[[int, int], None] | None = None) -> SheetsReport:
    """Many sheets (subject record id, sheet form, values), set-based: each batch is one
    transaction of a few statements. Every sheet is checked as `file_sheet` checks it (roles,
    township, the subject's state, the form's validation); a refused one is reported with its
    index and changes nothing, the others are stored, each with its audit row."""
    report = SheetsReport()
    for start in range(0, len(items), batch):
        chunk = items[start:start + batch]
        with rt.db.transaction() as session:
            subjects = _subjects(session, sorted({record_id for record_id, _, _ in chunk}))
            prepared = _prepare(session, rt, actor, subjects, chunk, None, bulk=True)
            good = [p for p in prepared if not isinstance(p, MinshengError)]
            for offset, p in enumerate(prepared):
                if isinstance(p, MinshengError):
                    report.refused.append((start + offset, chunk[offset][0], p))
            sheet_ids, waiting = _write(session, rt, actor, subjects, good)
        report.filed += sheet_ids
        reactions.drain(rt, waiting, raise_refusals=False)
        if progress:
            progress(min(start + batch, len(items)), len(items))
    return report


def _subjects(session: Session, ids: list[int]) -> dict[int, Any]:
    return {r.id: r for r in session.execute(select(Record.__table__).where(any_of(Record.id, ids)))}


@dataclass(frozen=True)
class _Prepared:
    record_id: int
    form_id: str
    document: Mapping[str, Any]
    title: str
    state: str | None
    version: str
    sheet: Sheet  # the workflow's entry for it (one_per, assigns_group ...)


def _prepare(session: Session, rt: Runtime, actor: Actor, subjects: Mapping[int, Any],
             items: Sequence[tuple[int, str, Mapping[str, Any]]],
             uploads: Mapping[str, tuple[str, bytes]] | None, bulk: bool = False) -> list[_Prepared | MinshengError]:
    """Each item checked and validated, or the reason it is refused (`bulk`: with the compiled
    schema check imports use, held to jsonschema's verdicts by a test)."""
    defaults: dict[str, dict[int, dict[str, str]]] = {}
    for form_id in {f for _, f, _ in items}:
        merged: dict[int, dict[str, str]] = {}
        for hook in events.sheet_defaults:
            for record_id, values in hook(rt, session, list(subjects.values()), form_id).items():
                merged.setdefault(record_id, {}).update(values)
        defaults[form_id] = merged
    out: list[_Prepared | MinshengError] = []
    versions: dict[str, str] = {}  # stored once per version and batch, not once per sheet
    for record_id, form_id, raw in items:
        try:
            subject = subjects.get(record_id)
            if subject is None or subject.form_id not in rt.forms:
                raise NotFound("record")
            vrt = rt.for_version(subject.profile_version)
            wf = workflow_of(vrt, subject.form_id)
            sheet = wf.sheet(form_id) if wf else None
            if sheet is None:
                raise NotFound("sheet")
            require(actor, sheet.roles, f"sheet:{form_id}")
            policy.require_scope(rt, actor, subject)
            if sheet.group_only:
                require_group(actor, subject.group_id)
            require_open(vrt.profile.county, vrt.profile.forms[form_id], actor)
            if subject.state not in sheet.states:
                raise InputError({"": Problem("wrong_state", {"state": vrt.state_label(subject.form_id,
                                                                                      subject.state)})})
            compiled = vrt.form(form_id)
            values = {**defaults[form_id].get(record_id, {}), **{k: v for k, v in raw.items() if v not in (None, "")}}
            for field_id, (name, content) in (uploads or {}).items():
                values[field_id] = records.store_upload(session, compiled, field_id, name, content)
            submission = compiled.validate(values, roles=None if actor is SYSTEM else actor.roles, bulk=bulk)
            records.check_township(vrt, actor, compiled, submission.document)  # a station's sheet in its name
            own_flow = workflow_of(vrt, form_id)
            out.append(_Prepared(record_id, form_id, submission.document,
                                 records.make_title(vrt, compiled, submission.document) or f"{form_id} #{record_id}",
                                 own_flow.initial if own_flow else None,
                                 versions.get(vrt.version) or versions.setdefault(vrt.version,
                                                                                  vrt.ensure_version(session)),
                                 sheet))
        except MinshengError as exc:
            out.append(exc)
    return out


def _write(session: Session, rt: Runtime, actor: Actor, subjects: Mapping[int, Any],
           prepared: list[_Prepared]) -> tuple[list[int], list[int]]:
    """Store the sheets, their links, what the hooks add, audit rows and reaction events.
    Returns the sheets' ids and the subjects with events waiting."""
    if not prepared:
        return [], []
    at = now()
    table = Record.__table__
    ids = insert_returning_ids(session, table, [
        {"form_id": p.form_id, "receipt_code": None, "state": p.state, "title": p.title,
         "township": subjects[p.record_id].township, "station": subjects[p.record_id].station, "channel": None,
         "data": p.document, "profile_version": p.version, "created_at": at, "created_by": actor.username,
         "source_key": None, "import_run_id": None} for p in prepared])
    search.index(session, [(sheet_id, search.record_terms(rt.form(p.form_id), p.title, p.document))
                           for sheet_id, p in zip(ids, prepared)])
    session.execute(RecordLink.__table__.insert(), [{"record_id": sheet_id, "field_id": SUBJECT,
                                                     "target_id": p.record_id} for sheet_id, p in zip(ids, prepared)])
    filed = [FiledRow(subjects[p.record_id], sheet_id, p.form_id, p.document) for sheet_id, p in zip(ids, prepared)]
    groups.assign(session, actor, ((subjects[p.record_id], p.sheet, p.document, p.version) for p in prepared), at)
    for hook in events.sheets_filed:
        hook(rt, session, filed)
    audit_many(session, [audit_row(actor=actor.username, action="sheet.file", entity="record", entity_id=p.record_id,
                                   before=None, after={"sheet": p.form_id, "sheet_record": sheet_id,
                                                       "data": p.document}, version=p.version, at=at)
                         for sheet_id, p in zip(ids, prepared)])
    waiting = sorted({p.record_id for p in prepared
                      if reactions.enqueue(session, rt, subjects[p.record_id], "submitted", p.form_id,
                                           source=(p.form_id, p.document))})
    return ids, waiting


def filed_sheets(rt: Runtime, actor: Actor, record_id: int) -> list[FiledSheet]:
    """Every sheet and action form filed on a record, oldest first, marking the replaced ones."""
    with rt.db.read() as session:
        subject = session.get(Record, record_id)
        if subject is None or subject.form_id not in rt.forms:
            raise NotFound("record")
        policy.require_read(rt, actor, subject)
        rows = linked_rows(session, record_id)
        wf = workflow_of(rt.for_version(subject.profile_version), subject.form_id)
        current = {r.id for r in current_sheets(session, {record_id: wf})[record_id]}
        return [FiledSheet(policy.view(rt, actor, r), r.id not in current) for r in rows
                if actor is SYSTEM or r.form_id not in rt.forms or actor.may(rt.forms[r.form_id].form.access.view)]


def current_sheets(session: Session, subjects: Mapping[int, Workflow | None],
                   forms: Collection[str] | None = None) -> dict[int, list[Any]]:
    """For many records at once (record id -> its workflow): the sheets that count, oldest first;
    with `forms`, only sheets of those forms (which ones count is decided per form, so leaving the
    others out changes nothing for these: a project's status need not read its nine ratings).

    Two queries whatever the number of records: the sheets linked to them, and the transitions of
    those that have sheets (a sheet from before the record last re-entered its states no longer
    counts). Rows are read-only rows with the records table's columns."""
    by_subject, moves = sheets_and_moves(session, subjects, forms)
    return {i: current_at(rows, subjects[i], moves.get(i, [])) for i, rows in by_subject.items()}


def sheets_and_moves(session: Session, subjects: Mapping[int, Workflow | None], forms: Collection[str] | None = None
                     ) -> tuple[dict[int, list[Any]], dict[int, list[tuple[Any, dict, dict]]]]:
    """Every sheet linked to these records (oldest first) and the transitions of those that have
    sheets (newest first): what `current_at` decides from."""
    ids = list(subjects)
    by_subject: dict[int, list[Any]] = {i: [] for i in ids}
    if not ids:
        return by_subject, {}
    table = Record.__table__
    query = (select(*(table.c[name] for name in SHEET_COLUMNS), RecordLink.target_id.label("subject_id"))
             .join(RecordLink, RecordLink.record_id == table.c.id)
             .where(any_of(RecordLink.target_id, ids), RecordLink.field_id == SUBJECT))
    if forms is not None:
        query = query.where(table.c.form_id.in_(sorted(forms)))
    # Core rows straight from the connection: the ORM's row processing costs more than the query
    for row in session.connection().execute(query.order_by(table.c.id)).all():
        by_subject[row.subject_id].append(row)
    with_sheets = [i for i, rows in by_subject.items()
                   if rows and subjects[i] is not None and any(subjects[i].sheet(r.form_id) for r in rows)]
    return by_subject, transitions_of(session, with_sheets)


def current_at(rows: list[Any], wf: Workflow | None, moves: list[tuple[Any, dict, dict]],
               at: dt.datetime | None = None) -> list[Any]:
    """The record's sheets that count, as they stood at the moment `at` (default: now): only the
    sheets and transitions until then are looked at (preview decides a stored decision again
    from the sheets it was made from)."""
    if at is not None:
        moment = as_utc(at)
        rows = [r for r in rows if as_utc(r.created_at) <= moment]
        moves = [m for m in moves if as_utc(m[0]) < moment]
    return _current(rows, wf, moves)


def linked_rows(session: Session, record_id: int) -> list[Record]:
    """Every sheet and action form filed on a record, oldest first."""
    return list(session.scalars(select(Record).join(RecordLink, RecordLink.record_id == Record.id)
                                .where(RecordLink.target_id == record_id, RecordLink.field_id == SUBJECT)
                                .order_by(Record.id)))


def transitions_of(session: Session, record_ids: list[int]) -> dict[int, list[tuple[Any, dict, dict]]]:
    """Each record's transitions (when, state before, state after), newest first."""
    out: dict[int, list[tuple[Any, dict, dict]]] = {}
    if not record_ids:
        return out
    for entity_id, at, before, after in session.connection().execute(
            select(AuditEntry.entity_id, AuditEntry.at, AuditEntry.before, AuditEntry.after).where(
                AuditEntry.entity == "record", any_of(AuditEntry.entity_id, [str(i) for i in record_ids]),
                AuditEntry.action == "record.transition").order_by(AuditEntry.id.desc())).all():
        out.setdefault(int(entity_id), []).append((at, before or {}, after or {}))
    return out


def _reentered_at(moves: list[tuple[Any, dict, dict]], states: tuple[str, ...]) -> Any:
    """When the record last came back into these states from outside them (a pending suggestion
    sent back to screening), or None: sheets from an earlier round no longer count."""
    for at, before, after in moves:
        if after.get("state") in states and before.get("state") not in states:
            return at
    return None


def _current(rows: list[Any], wf: Workflow | None, moves: list[tuple[Any, dict, dict]]) -> list[Any]:
    """The sheets that count: those of the present round, and for `one_per` sheets the latest per value."""
    latest: dict[tuple[str, Any], Any] = {}
    out = []
    since: dict[str, Any] = {}
    for row in rows:
        sheet = wf.sheet(row.form_id) if wf else None
        if sheet is not None and sheet.form not in since:
            since[sheet.form] = _reentered_at(moves, sheet.states)
        if sheet is not None and since[sheet.form] is not None and as_utc(row.created_at) < as_utc(since[sheet.form]):
            continue
        if sheet is not None and (sheet.one_per or sheet.single):
            latest[(row.form_id, row.data.get(sheet.one_per) if sheet.one_per else None)] = row
        else:
            out.append(row)
    return sorted(out + list(latest.values()), key=lambda r: r.id)


def gathered(rt: Runtime, session: Session, record: Record) -> dict[str, list]:
    """The workflow's `gather` lists for one record, typed as the rules expect them."""
    wf = workflow_of(rt, record.form_id)
    if wf is None or not wf.gather:
        return {}
    return gathered_from(rt, wf, current_sheets(session, {record.id: wf})[record.id])


def gathered_from(rt: Runtime, wf: Workflow, current: list[Any]) -> dict[str, list]:
    """The `gather` lists from a record's current sheets (see `current_sheets`)."""
    by_form: dict[str, list[Any]] = {}
    for row in current:
        by_form.setdefault(row.form_id, []).append(row)
    out: dict[str, list] = {}
    typed: dict[int, dict[str, Any]] = {}  # each sheet's values, typed once for every list
    for name, form_id, field_id, where in rt.gather_plan(wf.id):
        items = out[name] = []
        rows = by_form.get(form_id)
        if not rows or form_id not in rt.forms:
            continue
        for row in rows:
            values = typed.get(row.id)
            if values is None:
                values = typed[row.id] = rt.forms[form_id].values_of(row.data)
            value = values.get(field_id)
            if value is not None and (where is None or where(values)):
                items.append(value)
    return out


def listed_sheet(rt: Runtime, actor: Actor, form_id: str, sheet_form: str) -> Sheet:
    """The workflow's sheet `sheet_form` of the form's records, for an actor who may list them."""
    require(actor, rt.form(form_id).form.access.list, f"list:{form_id}")
    wf = workflow_of(rt, form_id)
    sheet = wf.sheet(sheet_form) if wf else None
    if sheet is None:
        raise NotFound("sheet")
    return sheet


def awaiting(rt: Runtime, actor: Actor, form_id: str, sheet_form: str, township: str | None = None,
             page: int = 1, page_size: int = 25) -> records.Page:
    """Records in a sheet's states that have no such sheet yet (e.g. suggestions not answered),
    oldest first, counted and paginated in SQL."""
    sheet = listed_sheet(rt, actor, form_id, sheet_form)
    linked = Record.__table__.alias("sheet")
    has_sheet = exists().where(and_(RecordLink.target_id == Record.id, RecordLink.field_id == SUBJECT,
                                    RecordLink.record_id == linked.c.id, linked.c.form_id == sheet_form))
    where = [Record.form_id == form_id, Record.state.in_(sheet.states), ~has_sheet,
             *(groups.group_scope(actor) if sheet.group_only else []), *policy.scope_sql(rt, actor, form_id)]
    if township:
        where.append(Record.township == township)
    page_size = max(1, min(page_size, 200))
    with rt.db.read() as session:
        total = session.scalar(select(func.count()).select_from(Record).where(*where)) or 0
        page = max(1, min(page, max(1, math.ceil(total / page_size))))
        rows = session.scalars(select(Record).where(*where).order_by(Record.id)
                               .limit(page_size).offset((page - 1) * page_size)).all()
        return records.Page(items=[policy.view(rt, actor, r) for r in rows], total=total, page=page,
                            page_size=page_size)
