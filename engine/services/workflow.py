"""Moving records through their workflow: actions people take, automatic transitions, deadlines.

A transition is one transaction: the state changes only if the record is still in the state the
action started from (so two people acting at once cannot both succeed), the action's form data is
stored, and the audit log gets a row with the decision that allowed it. A refused transition says
why and changes nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from sqlalchemy import select, update

from engine.audit import audit, now
from engine.config.workflow import Transition, Workflow
from engine.errors import MinshengError, NotFound
from engine.runtime import Runtime
from engine.services import records
from engine.services.actors import SYSTEM, Actor, require_township
from engine.services.sheets import SUBJECT, gathered
from engine.store.tables import AuditEntry, Deadline, Record, RecordLink

MERGED_INTO = "merged_into"  # the link from a merged duplicate to the record it follows
SPLIT_FROM = "split_from"  # the link from a part to the suggestion it was split from


class TransitionRefused(MinshengError):
    """The action cannot be taken now; ``code`` and ``params`` say why (the app words them)."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}")


@dataclass
class TickReport:
    deadlines_fired: int = 0
    transitions_taken: int = 0
    rounds_closed: int = 0
    flags_raised: int = 0
    flags_cleared: int = 0
    details: list[str] = field(default_factory=list)


def _workflow(rt: Runtime, form_id: str) -> Workflow:
    form = rt.profile.forms[form_id]
    if not form.workflow:
        raise TransitionRefused("no_workflow", form=form_id)
    return rt.profile.workflows[form.workflow]


def record_values(rt: Runtime, form_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """A stored document as rules see it: money as Decimal, dates as dates."""
    return rt.form(form_id).values_of(document)


def transition_allowed(rt: Runtime, wf: Workflow, form_id: str, index: int, t: Transition,
             values: Mapping[str, Any]) -> tuple[bool, dict[str, Any] | None]:
    """Whether the transition's condition and decision hold, with the decision's explanation."""
    condition = rt.profile.conditions.get((wf.id, form_id, index))
    if condition is not None and not condition(values):
        return False, None
    if t.decision is not None:
        decision = rt.profile.rules[t.decision.rules].tables[t.decision.table].decide(values, rt.version)
        return decision.outcome == t.decision.outcome, decision.explanation()
    return True, None


def available_actions(rt: Runtime, actor: Actor, record: records.RecordView) -> list[Transition]:
    """The actions this actor may take on the record now (one entry per action)."""
    rt = rt.for_version(record.profile_version)
    if not rt.profile.forms[record.form_id].workflow:
        return []
    wf = _workflow(rt, record.form_id)
    seen, out = set(), []
    for t in wf.transitions:
        if not t.automatic and record.state in t.from_ and actor.may(t.roles) and t.action not in seen:
            seen.add(t.action)
            out.append(t)
    return out


def transition(rt: Runtime, actor: Actor, record_id: int, action: str,
               data: Mapping[str, Any] | None = None, automatic: bool = False) -> records.RecordView:
    view = _transition(rt, actor, record_id, action, data, automatic)
    from engine.services.reactions import react
    react(rt, "transition", action, record_id)  # after the commit: the transition stands either way
    return view


def _transition(rt: Runtime, actor: Actor, record_id: int, action: str,
                data: Mapping[str, Any] | None, automatic: bool) -> records.RecordView:
    with rt.db.transaction() as session:
        query = select(Record).where(Record.id == record_id)
        if not rt.db.is_sqlite:
            query = query.with_for_update()  # SQLite's BEGIN IMMEDIATE already serialises writers
        record = session.scalars(query).first()
        if record is None or record.form_id not in rt.forms:
            raise NotFound("record")
        # The record follows the rules of the version it started under, until it is migrated.
        rt = rt.for_version(record.profile_version)
        wf = _workflow(rt, record.form_id)
        candidates = [(i, t) for i, t in enumerate(wf.transitions) if t.action == action and t.automatic == automatic]
        if not candidates:
            raise TransitionRefused("unknown_action", action=action)
        in_state = [(i, t) for i, t in candidates if record.state in t.from_]
        if not in_state:
            raise TransitionRefused("wrong_state", action=action, state=record.state)
        permitted = [(i, t) for i, t in in_state if automatic or actor is SYSTEM or actor.may(t.roles)]
        if not permitted:
            raise TransitionRefused("not_allowed", action=action)
        if not automatic:
            require_township(actor, record.township)
        values = decision_values(rt, session, record)
        action_form = next((t.form for _, t in permitted if t.form), None)
        submission = None
        if action_form:
            submission = rt.form(action_form).validate(data or {})
            values.update(submission.values)
        explanation = None
        chosen = None
        for i, t in permitted:
            ok, explanation = transition_allowed(rt, wf, record.form_id, i, t, values)
            if ok:
                chosen = t
                break
        if chosen is None:
            raise TransitionRefused("condition_false", action=action, explanation=explanation)
        before = record.state
        moved = session.execute(
            update(Record).where(Record.id == record.id, Record.state == before).values(state=chosen.to))
        if moved.rowcount != 1:  # someone else moved it first
            raise TransitionRefused("changed_meanwhile", action=action)
        version = record.profile_version
        _move_followers(session, actor, record.id, chosen.to, action, explanation, version)
        data_id = None
        if submission is not None:
            data_record = Record(form_id=action_form, title=f"{action} #{record.id}"[:300], data=submission.document,
                                 profile_version=version, created_at=now(), created_by=actor.username)
            session.add(data_record)
            session.flush()
            session.add(RecordLink(record_id=data_record.id, field_id=SUBJECT, target_id=record.id))
            data_id = data_record.id
        audit(session, actor=actor.username, action="record.transition", entity="record", entity_id=record.id,
              before={"state": before}, after={"state": chosen.to, "action": action, "decision": explanation,
                                               "data_record": data_id}, version=version)
        session.flush()
        session.refresh(record)
        return records.view_of(record)


def last_decision(rt: Runtime, record_id: int) -> dict[str, Any] | None:
    """The latest decision taken about a record (from its audit rows): outcome, reason, rules,
    version, and when (`at`). A citizen's lookup and the answer letter show its reason."""
    with rt.db.read() as session:
        rows = session.execute(select(AuditEntry.at, AuditEntry.after).where(
            AuditEntry.entity == "record", AuditEntry.entity_id == str(record_id),
            AuditEntry.action == "record.transition").order_by(AuditEntry.id.desc())).all()
    for at, after in rows:
        decision = (after or {}).get("decision")
        if decision:
            return {**decision, "at": at, "action": after.get("action")}
    return None


def decision_values(rt: Runtime, session, record: Record) -> dict[str, Any]:
    """What conditions and decision tables see: the record's fields and the gathered sheet lists."""
    values = record_values(rt, record.form_id, record.data)
    values.update(gathered(rt, session, record))
    return values


def _move_followers(session, actor: Actor, record_id: int, state: str, action: str,
                    explanation: Mapping[str, Any] | None, version: str) -> None:
    """Duplicates merged into this record take its new state, each with its own audit row, so
    every proposer of a merged suggestion hears the outcome."""
    followers = session.scalars(select(Record).join(RecordLink, RecordLink.record_id == Record.id).where(
        RecordLink.target_id == record_id, RecordLink.field_id == MERGED_INTO)).all()
    for follower in followers:
        before = follower.state
        follower.state = state
        audit(session, actor=actor.username, action="record.transition", entity="record", entity_id=follower.id,
              before={"state": before}, after={"state": state, "action": action, "decision": explanation,
                                               "followed": record_id}, version=version)


def set_deadline(rt: Runtime, record_id: int | None, name: str, due_at: dt.datetime,
                 payload: Mapping[str, Any]) -> int:
    """Keep a deadline in the database, so it survives restarts; `tick` fires it once."""
    with rt.db.transaction() as session:
        deadline = Deadline(record_id=record_id, name=name, due_at=due_at, payload=dict(payload), created_at=now())
        session.add(deadline)
        session.flush()
        audit(session, actor="system", action="deadline.set", entity="deadline", entity_id=deadline.id,
              before=None, after={"record": record_id, "name": name, "due_at": due_at.isoformat()}, version=None)
        return deadline.id


def tick(rt: Runtime, at: dt.datetime | None = None, batch: int = 500) -> TickReport:
    """Fire every deadline that has passed and take every automatic transition that applies.

    Safe to run twice, or in two processes at once: a deadline is claimed by an UPDATE that only
    one of them can win, and a transition only moves a record still in its starting state.
    """
    if at is not None:  # as of that moment (tests, the demo): what it does is stamped with it too
        from engine import clock
        with clock.at(at):
            return tick(rt, None, batch)
    at = now()
    report = TickReport()
    last_id = 0
    while True:
        with rt.db.read() as session:
            due = session.scalars(select(Deadline.id).where(Deadline.fired_at.is_(None), Deadline.due_at <= at,
                                                            Deadline.id > last_id).order_by(Deadline.id).limit(batch)).all()
        if not due:
            break
        for deadline_id in due:
            last_id = deadline_id
            if _fire(rt, deadline_id, at, report):
                report.deadlines_fired += 1
    report.transitions_taken += _automatic_transitions(rt, at.date(), report)
    from engine.services.voting import close_due  # ballots whose declared closing time has come
    closed = close_due(rt, at)
    report.rounds_closed = len(closed)
    report.details += [f"ballot {round_id}: closed at its declared time" for round_id in closed]
    from engine.services.delivery import check_escalations  # projects behind, follow-ups overdue
    escalations = check_escalations(rt, at)
    report.flags_raised += escalations.raised
    report.flags_cleared += escalations.cleared
    report.details += escalations.details
    return report


def _fire(rt: Runtime, deadline_id: int, at: dt.datetime, report: TickReport) -> bool:
    with rt.db.transaction() as session:
        claimed = session.execute(update(Deadline).where(Deadline.id == deadline_id, Deadline.fired_at.is_(None))
                                  .values(fired_at=at))
        if claimed.rowcount != 1:
            return False  # another tick fired it
        deadline = session.get(Deadline, deadline_id)
        audit(session, actor="system", action="deadline.fired", entity="deadline", entity_id=deadline_id,
              before=None, after={"record": deadline.record_id, "name": deadline.name, "payload": deadline.payload},
              version=rt.version)
        record = session.get(Record, deadline.record_id) if deadline.record_id else None
        name, payload = deadline.name, dict(deadline.payload or {})
    from engine.services import delivery
    if name.startswith(delivery.DEADLINE_PREFIX):  # a milestone's planned date has passed
        if record is not None and delivery.deadline_fired(rt, name, record.id, payload, at):
            report.flags_raised += 1
        return True
    if record is not None:
        from engine.services.reactions import react
        react(rt, "deadline", name, record.id)
    if record is not None and record.form_id in rt.forms:
        rt = rt.for_version(record.profile_version)
    if record is not None and record.form_id in rt.forms and rt.profile.forms[record.form_id].workflow:
        wf = _workflow(rt, record.form_id)
        for t in wf.transitions:
            if t.automatic and t.deadline == name and record.state in t.from_:
                try:
                    transition(rt, SYSTEM, record.id, t.action, automatic=True)
                except TransitionRefused:
                    pass  # the record moved on meanwhile: the deadline has nothing left to do
                break
    return True


def _automatic_transitions(rt: Runtime, today: dt.date, report: TickReport) -> int:
    """Each record by the workflow of its own profile version."""
    taken = 0
    with rt.db.read() as session:
        groups = session.execute(select(Record.form_id, Record.profile_version).where(Record.state.is_not(None))
                                 .distinct()).all()
    for form_id, version in groups:
        if form_id not in rt.forms:
            continue
        vrt = rt.for_version(version)
        form = vrt.profile.forms.get(form_id)
        if form is None or not form.workflow:
            continue
        wf = vrt.profile.workflows[form.workflow]
        for i, t in enumerate(wf.transitions):
            if not t.automatic or t.deadline or (t.on_date and t.on_date > today):
                continue  # deadline transitions are taken when their deadline fires
            last_id = 0
            while True:
                with rt.db.read() as session:
                    rows = session.execute(select(Record.id, Record.data).where(
                        Record.form_id == form_id, Record.profile_version == version, Record.state.in_(t.from_),
                        Record.id > last_id).order_by(Record.id).limit(500)).all()
                if not rows:
                    break
                for record_id, data in rows:
                    last_id = record_id
                    if wf.gather:
                        with rt.db.read() as session:
                            values = decision_values(vrt, session, session.get(Record, record_id))
                    else:
                        values = record_values(vrt, form_id, data)
                    ok, _ = transition_allowed(vrt, wf, form_id, i, t, values)
                    if not ok:
                        continue
                    try:
                        transition(rt, SYSTEM, record_id, t.action, automatic=True)
                    except TransitionRefused:
                        continue  # another tick moved it first
                    taken += 1
                    report.details.append(f"record {record_id}: {t.action} -> {t.to}")
    return taken
