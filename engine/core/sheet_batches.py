"""Sheets in batches: the records a grid of sheets is filled for (a township's suggestions for its
screening group, a department's projects), with which persons have already filed on each.

The grid itself is saved through `sheets.file_sheets`: every row checked as a single sheet is,
the good rows stored (each with its audit row), the refused ones reported by their index.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select

from engine.core import policy, records
from engine.core.actors import Actor, require
from engine.core.groups import group_scope
from engine.core.runtime import Runtime
from engine.core.sheets import SUBJECT, listed_sheet
from engine.schema.workflow import Sheet
from engine.store.anyof import any_of
from engine.store.tables import Record, RecordLink

MAX_GRID_RECORDS = 50  # rows enough for a sitting, few enough for a screen


@dataclass(frozen=True)
class GridRecord:
    record: records.RecordView
    filed_by: frozenset[str]  # the `one_per` values (members, departments) that have filed on it


@dataclass(frozen=True)
class Grid:
    sheet: Sheet
    records: list[GridRecord]
    total: int  # records in the sheet's states in scope (lacking it, if one a record); the grid holds the oldest


def one_a_record(sheet: Sheet) -> bool:
    """A sheet each record takes once (an answer, a responsibility list): a grid of it is for the
    records still without one. A sheet `one_per` person is once a person; any other, as often as
    there is something to report (progress reports)."""
    return not sheet.one_per and (sheet.single or sheet.awaited)


def grid_for(rt: Runtime, actor: Actor, form_id: str, sheet_form: str, township: str | None = None,
             limit: int = MAX_GRID_RECORDS) -> Grid:
    """The oldest records (of the user's township) in the sheet's states, with who has filed;
    for a sheet a record takes once, the oldest still without it."""
    sheet = listed_sheet(rt, actor, form_id, sheet_form)
    require(actor, sheet.roles, f"sheet:{sheet_form}")
    where = [Record.form_id == form_id, Record.state.in_(sheet.states), *policy.scope_sql(rt, actor, form_id),
             *(group_scope(actor) if sheet.group_only else [])]  # a member's: their groups' records
    if township:
        where.append(Record.township == township)
    if one_a_record(sheet):
        linked = Record.__table__.alias("filed")
        where.append(~exists().where(RecordLink.target_id == Record.id, RecordLink.field_id == SUBJECT,
                                     RecordLink.record_id == linked.c.id, linked.c.form_id == sheet_form))
    limit = max(1, min(limit, MAX_GRID_RECORDS))
    with rt.db.read() as session:
        total = session.scalar(select(func.count()).select_from(Record).where(*where)) or 0
        rows = session.scalars(select(Record).where(*where).order_by(Record.id).limit(limit)).all()
        filed: dict[int, set[str]] = {r.id: set() for r in rows}
        if rows:
            sheet_rows = Record.__table__.alias("sheet")
            for target, data in session.execute(
                    select(RecordLink.target_id, sheet_rows.c.data)
                    .join(sheet_rows, sheet_rows.c.id == RecordLink.record_id)
                    .where(any_of(RecordLink.target_id, list(filed)), RecordLink.field_id == SUBJECT,
                           sheet_rows.c.form_id == sheet_form)):
                filed[target].add(str((data or {}).get(sheet.one_per, "")) if sheet.one_per else "")
        views = [policy.view(rt, actor, r) for r in rows]
    return Grid(sheet, [GridRecord(v, frozenset(filed[v.id])) for v in views], total)
