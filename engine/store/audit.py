"""The append-only audit log: who did what, when, to which entity, with before and after."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from engine.store.db import connection_of
from engine.store.inserts import insert_dicts
from engine.store.tables import AuditEntry
from engine.kernel.clock import now as clock_now


def now() -> dt.datetime:
    return clock_now()


def audit(session: Session | Connection, *, actor: str, action: str, entity: str, entity_id: Any,
          before: dict | None, after: dict | None, version: str | None) -> None:
    """Add an audit row to the caller's transaction: it commits, or vanishes, with the change.
    Written at once with a plain INSERT (the ORM's flush of one object costs more than the row)."""
    audit_many(session, [audit_row(actor=actor, action=action, entity=entity, entity_id=entity_id,
                                   before=before, after=after, version=version)])


def audit_row(*, actor: str, action: str, entity: str, entity_id: Any, before: dict | None,
              after: dict | None, version: str | None, at: dt.datetime | None = None) -> dict[str, Any]:
    """An audit row for `audit_many`: the same columns `audit` writes."""
    return {"at": at or now(), "actor": actor, "action": action, "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id), "before": before, "after": after,
            "profile_version": version}


def audit_many(session: Session | Connection, rows: list[dict[str, Any]]) -> None:
    """Many audit rows in the caller's transaction, in one statement (bulk work: one row a record)."""
    insert_dicts(connection_of(session), AuditEntry.__table__, rows)
