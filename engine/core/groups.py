"""Groups that records are assigned to (county.yaml `groups`: supervision groups, say).

A workflow's sheet with `assigns_group: <field>` puts its record in the group that field names;
a later such sheet moves it. A sheet with `group_only: true` is then filed only by members of the
record's group (engine.core.actors.in_group), and a member's start page counts only their groups'
records for it. The group is a column of the record, so lists and counts read it without joins.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.core.actors import SYSTEM, Actor
from engine.schema.workflow import Sheet
from engine.store.audit import audit_many, audit_row
from engine.store.tables import Record


def assign(session: Session, actor: Actor, filed: Iterable[tuple[Any, Sheet | None, dict, str]],
           at: dt.datetime) -> None:
    """Assign the subjects of sheets that name a group: (subject row, the workflow's entry for the
    sheet, the sheet's values, the version) each. One UPDATE per group named, one audit row a
    record whose group changes; the last sheet about a record wins, as it is the latest."""
    wanted: dict[int, tuple[Any, str, str]] = {}
    for subject, sheet, document, version in filed:
        if sheet is not None and sheet.assigns_group and document.get(sheet.assigns_group):
            wanted[subject.id] = (subject, str(document[sheet.assigns_group]), version)
    moved = {record_id: w for record_id, w in wanted.items() if w[0].group_id != w[1]}
    by_group: dict[str, list[int]] = {}
    for record_id, (_, group, _) in moved.items():
        by_group.setdefault(group, []).append(record_id)
    for group, ids in by_group.items():
        session.execute(update(Record).where(Record.id.in_(ids)).values(group_id=group)
                        .execution_options(synchronize_session=False))
    audit_many(session, [audit_row(actor=actor.username, action="record.group", entity="record", entity_id=record_id,
                                   before={"group": subject.group_id}, after={"group": group}, version=version, at=at)
                         for record_id, (subject, group, version) in moved.items()])


def group_scope(actor: Actor) -> list:
    """Conditions on records for the members of groups (none for anyone else)."""
    if actor is SYSTEM or not actor.groups:
        return []
    return [Record.group_id.in_(sorted(actor.groups))]
