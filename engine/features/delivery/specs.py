"""Which delivery spec a project or a form falls under, and the dates a project's figures start from."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.schema.delivery import Delivery
from engine.kernel.errors import NotFound
from engine.core.runtime import Runtime
from engine.core.actors import SYSTEM, Actor, require
from engine.core.record_queries import not_merged
from engine.core.sheets import transitions_of
from engine.store.tables import Record




DEADLINE_PREFIX = "delivery:"  # deadlines named so are milestones falling due (no config id has a colon)


OVERDUE = "overdue"


def spec_for_form(rt: Runtime, form_id: str) -> Delivery | None:
    return next((d for d in rt.profile.delivery.values() if d.form == form_id), None)


def spec(rt: Runtime, delivery_id: str) -> Delivery:
    found = rt.profile.delivery.get(delivery_id)
    if found is None:
        raise NotFound(f"delivery '{delivery_id}'")
    return found


def started_on(session: Session, record: Record, states: tuple[str, ...]) -> dt.date:
    """The day the project first entered delivery (was chosen)."""
    return started(record, transitions_of(session, [record.id]).get(record.id, []), states)


def started(record: Any, moves: list[tuple[Any, dict, dict]], states: tuple[str, ...]) -> dt.date:
    for at, _before, after in reversed(moves):  # oldest first
        if after.get("state") in states:
            return at.date()
    return record.created_at.date()


def allowed(rt: Runtime, actor: Actor, delivery_id: str) -> tuple[Delivery, str | None]:
    d = spec(rt, delivery_id)
    require(actor, d.roles.view, f"delivery:{delivery_id}")
    return d, (actor.township if actor is not SYSTEM and actor.township else None)


def project_batches(rt: Runtime, d: Delivery, township: str | None = None, batch: int = 1000) -> Iterator[list[int]]:
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
