"""Deadlines kept in the database, so they survive restarts; `minsheng tick` fires each once."""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy.orm import Session

from engine.store.audit import audit, now
from engine.store.tables import Deadline


def add_deadline(session: Session, record_id: int | None, name: str, due_at: dt.datetime,
                 payload: Mapping[str, Any]) -> int:
    """A deadline in the caller's transaction, with its audit row."""
    deadline = Deadline(record_id=record_id, name=name, due_at=due_at, payload=dict(payload), created_at=now())
    session.add(deadline)
    session.flush()
    audit(session, actor="system", action="deadline.set", entity="deadline", entity_id=deadline.id,
          before=None, after={"record": record_id, "name": name, "due_at": due_at.isoformat()}, version=None)
    return deadline.id
