"""Events about records go to the workflow's reactions; what they ask for is done here, after the
event's own transaction has committed, so a failing reaction reaches the caller and is audited."""
from __future__ import annotations

import datetime as dt

from engine.audit import audit, now
from engine.runtime import Runtime
from sqlalchemy import select

from engine.errors import NotFound
from engine.services.actors import SYSTEM, Actor, require
from engine.store.tables import Record, Task


def react(rt: Runtime, event: str, name: str, record_id: int, source: tuple[str, dict] | None = None) -> list[str]:
    """Post an event about a record; run every reaction it completes. Returns their ids.

    ``source`` is the submitted form's id and document, for reactions that count only the
    submissions meeting their `where`."""
    from engine.services.workflow import record_values
    with rt.db.read() as session:
        record = session.get(Record, record_id)
        if record is None or record.form_id not in rt.forms:
            return []
        form_id, version, data = record.form_id, record.profile_version, dict(record.data)
    pinned = rt.for_version(version)
    form = pinned.profile.forms.get(form_id)
    if form is None or not form.workflow or not pinned.profile.workflows[form.workflow].reactions:
        return []
    reaction_set = pinned.reactions(form.workflow)
    done = []
    streams = [name]
    values = record_values(pinned, source[0], source[1]) if source is not None else None
    for r in reaction_set.reactions.values():
        if r.where and r.event == event and r.name == name and values is not None:
            where = pinned.profile.conditions.get((form.workflow, source[0], f"where:{r.id}"))
            if where is None or where(values):
                streams.append(f"{name}|{r.id}")  # this submission counts for that reaction
    fired = [reaction for stream in streams for reaction in reaction_set.post(event, stream, record_id)]
    for reaction in fired:
        condition = pinned.profile.conditions.get((form.workflow, form_id, f"reaction:{reaction.id}"))
        if condition is not None and not condition(record_values(pinned, form_id, data)):
            continue
        with rt.db.transaction() as session:
            audit(session, actor="system", action="reaction.fired", entity="record", entity_id=record_id,
                  before=None, after={"reaction": reaction.id, "event": event, "name": name,
                                      "do": reaction.do.model_dump(exclude_none=True)}, version=version)
        ACTIONS[next(k for k in ACTIONS if getattr(reaction.do, k))](rt, pinned, form.workflow, record_id,
                                                                      reaction, version)
        done.append(reaction.id)
    return done


def _take_transition(rt, pinned, workflow_id, record_id, reaction, version) -> None:
    from engine.services.workflow import transition
    automatic = any(t.automatic for t in pinned.profile.workflows[workflow_id].transitions
                    if t.action == reaction.do.transition)
    transition(rt, SYSTEM, record_id, reaction.do.transition, automatic=automatic)


def _set_deadline(rt, pinned, workflow_id, record_id, reaction, version) -> None:
    from engine.services.workflow import set_deadline
    set_deadline(rt, record_id, reaction.do.deadline, now() + dt.timedelta(days=reaction.do.days), {})


def _notify(rt, pinned, workflow_id, record_id, reaction, version) -> None:
    with rt.db.transaction() as session:
        audit(session, actor="system", action="notify", entity="record", entity_id=record_id,
              before=None, after={"role": reaction.do.notify, "reaction": reaction.id}, version=version)


def _open_task(rt, pinned, workflow_id, record_id, reaction, version) -> None:
    with rt.db.transaction() as session:
        task = Task(record_id=record_id, name=reaction.do.task, role=reaction.do.role, opened_at=now())
        session.add(task)
        session.flush()
        audit(session, actor="system", action="task.open", entity="task", entity_id=task.id, before=None,
              after={"record": record_id, "name": task.name, "role": task.role, "reaction": reaction.id},
              version=version)


# The registry of what a reaction can do (engine.config.profile.REACTION_ACTIONS names them).
ACTIONS = {"transition": _take_transition, "deadline": _set_deadline, "notify": _notify, "task": _open_task}


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
