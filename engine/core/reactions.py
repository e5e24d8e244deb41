"""Events about records go to the workflow's reactions, durably.

An event some reaction listens to is written to the outbox (`reaction_events`) by `enqueue`, in
the transaction of the change it reports: it exists exactly when the change does. `drain` then
posts each waiting event in a transaction of its own that locks the record, reads the record's
pending events (`reaction_state`), posts to durable-rules, stores what is still pending, does what
the completed reactions ask for (a transition, a deadline, a notification, a task) with their
audit rows, and marks the event done. Nothing is half done: a crash before that commit leaves the
event waiting, and the next `drain` (every `tick`, every start of the app) finishes it. Several
processes may drain at once: the record's lock puts one record's events in order, once each.

The code that changes a record calls `drain` for that record right after its commit, so a person
sees the reaction's effect at once; an error in a reaction (a transition its rule refuses) is
audited, marks the event done, and reaches that caller.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.store.audit import audit, now
from engine.schema.workflow import REACTION_ACTIONS
from engine.kernel.errors import MinshengError, NotFound
from engine.core.rules_host import stream
from engine.core.runtime import Runtime
from engine.core.actors import Actor, require
from engine.core.deadlines import add_deadline
from engine.store.anyof import any_of
from engine.store.tables import ReactionEvent, ReactionState, Record, Task

STREAMS_PER_EVENT = 64  # an event's sequence numbers are id * 64 + its stream's index (unique)


@dataclass
class DrainReport:
    fired: list[str] = field(default_factory=list)  # reaction ids, in order
    refused: list[str] = field(default_factory=list)  # "record N: reaction: why"


def listening_workflow(rt: Runtime, form_id: str, version: str, event: str, name: str):
    """A record's workflow and its reaction set under the record's version, if a reaction
    listens to this event; else None (nothing is written for events nobody waits for)."""
    if form_id not in rt.forms:
        return None
    pinned = rt.for_version(version)
    form = pinned.profile.forms.get(form_id)
    if form is None or not form.workflow or not pinned.profile.workflows[form.workflow].reactions:
        return None
    reaction_set = pinned.reactions(form.workflow)
    if not reaction_set.listens_to(event, name):
        return None
    return pinned, form.workflow, reaction_set


def enqueue(session: Session, rt: Runtime, record: Record, event: str, name: str,
            source: tuple[str, dict] | None = None) -> bool:
    """Write the event to the outbox in the caller's transaction, if any reaction listens to it.

    ``source`` is the submitted form's id and document: a reaction with `where` counts only the
    submissions meeting it, decided now, under the record's version."""
    found = listening_workflow(rt, record.form_id, record.profile_version, event, name)
    if found is None:
        return False
    pinned, workflow_id, reaction_set = found
    streams = [name] if reaction_set.counts(event, name) else []
    if source is not None:
        values = pinned.form(source[0]).values_of(source[1]) if source[0] in pinned.forms else {}
        for r in reaction_set.reactions.values():
            if r.where and r.event == event and r.name == name:
                where = pinned.profile.conditions.get((workflow_id, source[0], f"where:{r.id}"))
                if where is None or where(values):
                    streams.append(stream(r))
    if not streams:
        return False  # only reactions with `where` listen, and this submission meets none of them
    enqueue_rows(session, [_row(record.id, event, name, streams, record.profile_version)])
    return True


def _row(record_id: int, event: str, name: str, streams: list[str], version: str) -> dict[str, Any]:
    return {"record_id": record_id, "event": event, "name": name, "streams": streams,
            "profile_version": version, "created_at": now(), "done_at": None, "outcome": None}


def enqueue_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Outbox rows prepared by a bulk write (see `event_row`), in one statement."""
    if rows:
        session.execute(ReactionEvent.__table__.insert(), rows)


def event_row(rt: Runtime, record_id: int, form_id: str, version: str, event: str,
              name: str) -> dict[str, Any] | None:
    """An outbox row for a bulk write (no `where` streams: bulk moves are transitions)."""
    if listening_workflow(rt, form_id, version, event, name) is None:
        return None
    return _row(record_id, event, name, [name], version)


def drain(rt: Runtime, record_ids: Iterable[int] | None = None, raise_refusals: bool = True,
          batch: int = 200) -> DrainReport:
    """Post every waiting event (of these records, or all), oldest first; see the module's doc."""
    report = DrainReport()
    wanted = None if record_ids is None else sorted(set(record_ids))
    if wanted == []:
        return report
    first_refusal: MinshengError | None = None
    last_id = 0  # events a reaction causes come later in id order, so the cursor reaches them too
    while True:
        with rt.db.read() as session:
            query = select(ReactionEvent.id, ReactionEvent.record_id).where(
                ReactionEvent.done_at.is_(None), ReactionEvent.id > last_id)
            if wanted is not None:
                query = query.where(any_of(ReactionEvent.record_id, wanted))
            waiting = session.execute(query.order_by(ReactionEvent.id).limit(batch)).all()
        if not waiting:
            break
        last_id = waiting[-1][0]
        for event_id, record_id in waiting:
            try:
                fired = _post_one(rt, event_id, record_id)
            except _Refused as refused:
                report.refused.append(refused.text)
                first_refusal = first_refusal or refused.error
                continue
            if fired is not None:
                report.fired += fired
    if first_refusal is not None and raise_refusals:
        raise first_refusal
    return report


class _Refused(Exception):
    def __init__(self, text: str, error: MinshengError):
        self.text, self.error = text, error


def _post_one(rt: Runtime, event_id: int, record_id: int) -> list[str] | None:
    """One waiting event, in one transaction; None if another process had done it first."""
    refusal: tuple[str, MinshengError] | None = None
    with rt.db.transaction() as session:
        record = session.scalars(rt.db.for_update(select(Record).where(Record.id == record_id))).first()
        row = session.get(ReactionEvent, event_id)
        if row is None or row.done_at is not None:
            return None
        found = (listening_workflow(rt, record.form_id, record.profile_version, row.event, row.name)
                 if record is not None else None)
        if found is None:  # the record was migrated to a version nobody there listens to this
            row.done_at, row.outcome = now(), "no reaction listens to this event"
            return []
        pinned, workflow_id, reaction_set = found
        state = session.get(ReactionState, (record_id, reaction_set.name))
        new = [{"event": row.event, "name": s, "seq": row.id * STREAMS_PER_EVENT + i}
               for i, s in enumerate(row.streams[:STREAMS_PER_EVENT])]
        completed, pending = reaction_set.post(record_id, state.pending if state else [], new)
        if state is None and pending:
            session.add(ReactionState(record_id=record_id, ruleset=reaction_set.name, pending=pending))
        elif state is not None and pending:
            state.pending = pending
        elif state is not None:
            session.delete(state)
        done = []
        values = None
        for reaction in completed:
            condition = pinned.profile.conditions.get((workflow_id, record.form_id, f"reaction:{reaction.id}"))
            if condition is not None:
                values = values or pinned.form(record.form_id).values_of(record.data)
                if not condition(values):
                    continue
            try:
                with session.begin_nested():  # a refused action undoes itself, not the count
                    audit(session, actor="system", action="reaction.fired", entity="record", entity_id=record_id,
                          before=None, after={"reaction": reaction.id, "event": row.event, "name": row.name,
                                              "do": reaction.do.model_dump(exclude_none=True)},
                          version=record.profile_version)
                    kind = next(k for k in REACTION_ACTIONS if getattr(reaction.do, k))
                    ACTIONS[kind](session, rt, pinned, record, reaction)
                done.append(reaction.id)
            except MinshengError as exc:
                audit(session, actor="system", action="reaction.refused", entity="record", entity_id=record_id,
                      before=None, after={"reaction": reaction.id, "event": row.event, "name": row.name,
                                          "why": str(exc)[:500]}, version=record.profile_version)
                refusal = (f"record {record_id}: {reaction.id}: {exc}", exc)
        row.done_at = now()
        row.outcome = ("fired: " + ", ".join(done) if done else "counted") + (
            f"; refused: {refusal[0]}" if refusal else "")
        row.outcome = row.outcome[:1000]
    if refusal is not None:
        raise _Refused(*refusal)
    return done


def waiting_events(rt: Runtime) -> int:
    """How many events wait to be posted (after a crash, or while another process drains)."""
    with rt.db.read() as session:
        return session.scalar(select(func.count()).select_from(ReactionEvent)
                              .where(ReactionEvent.done_at.is_(None))) or 0


# -- what a reaction can do (in the transaction of the event that completed it) --------------

def _set_deadline(session: Session, rt: Runtime, pinned: Runtime, record: Record, reaction) -> None:
    add_deadline(session, record.id, reaction.do.deadline, now() + dt.timedelta(days=reaction.do.days), {})


def _notify(session: Session, rt: Runtime, pinned: Runtime, record: Record, reaction) -> None:
    audit(session, actor="system", action="notify", entity="record", entity_id=record.id,
          before=None, after={"role": reaction.do.notify, "reaction": reaction.id}, version=record.profile_version)


def _open_task(session: Session, rt: Runtime, pinned: Runtime, record: Record, reaction) -> None:
    task = Task(record_id=record.id, name=reaction.do.task, role=reaction.do.role, opened_at=now())
    session.add(task)
    session.flush()
    audit(session, actor="system", action="task.open", entity="task", entity_id=task.id, before=None,
          after={"record": record.id, "name": task.name, "role": task.role, "reaction": reaction.id},
          version=record.profile_version)


# The registry of what a reaction can do (engine.schema.workflow.REACTION_ACTIONS names them). The
# workflow module registers "transition" itself (see `register_action`): the core of reactions
# does not know how records move.
ACTIONS: dict[str, Callable[..., None]] = {"deadline": _set_deadline, "notify": _notify, "task": _open_task}


def register_action(kind: str, do: Callable[[Session, Runtime, Runtime, Record, Any], None]) -> None:
    ACTIONS[kind] = do


def open_tasks(rt: Runtime, actor: Actor, limit: int = 200) -> list[Task]:
    """The open tasks for the actor's roles, oldest first."""
    with rt.db.read() as session:
        return list(session.scalars(select(Task).where(Task.role.in_(sorted(actor.roles)), Task.done_at.is_(None))
                                    .order_by(Task.id).limit(limit)))


def complete_task(rt: Runtime, actor: Actor, task_id: int) -> None:
    with rt.db.transaction() as session:
        task = session.get(Task, task_id)
        if task is None:
            raise NotFound("task")
        require(actor, (task.role,), f"task:{task.name}")
        if task.done_at is None:
            task.done_at, task.done_by = now(), actor.username
            audit(session, actor=actor.username, action="task.done", entity="task", entity_id=task_id,
                  before={"done": False}, after={"done": True}, version=None)
