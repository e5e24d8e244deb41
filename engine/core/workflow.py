"""Moving records through their workflow: actions people take, automatic transitions, deadlines.

A transition is one transaction: the state changes only if the record is still in the state the
action started from (so two people acting at once cannot both succeed), the action's form data is
stored, and the audit log gets a row with the decision that allowed it. A refused transition says
why and changes nothing.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import select, update

from engine.store.audit import audit, now
from engine.schema.workflow import Transition, Workflow
from engine.kernel.errors import MinshengError, NotFound
from engine.core.runtime import Runtime
from engine.core import events, policy, reactions, records, search
from engine.core.actors import SYSTEM, Actor
from engine.core.deadlines import add_deadline
from engine.core.sheets import SUBJECT, gathered
from engine.core.counts import tally
from engine.store.tables import AuditEntry, Record, RecordLink

MERGED_INTO = "merged_into"  # the link from a merged duplicate to the record it follows
SPLIT_FROM = "split_from"  # the link from a part to the suggestion it was split from


def after_moves(rt: Runtime, session, moved: list[tuple[int, str]]) -> None:
    """Run the registered hooks for these moved records (the core's moves and bulk moves call it)."""
    if moved:
        for hook in events.records_moved:
            hook(rt, session, moved)


class TransitionRefused(MinshengError):
    """The action cannot be taken now; ``code`` and ``params`` say why (the app words them)."""

    words = "refused."  # where the apps keep the words for each code

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}")


def _workflow(rt: Runtime, form_id: str) -> Workflow:
    form = rt.profile.forms[form_id]
    if not form.workflow:
        raise TransitionRefused("no_workflow", form=form_id)
    return rt.profile.workflows[form.workflow]


def record_values(rt: Runtime, form_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """A stored document as rules see it: money as Decimal, dates as dates."""
    return rt.form(form_id).values_of(document)


def transition_allowed(rt: Runtime, wf: Workflow, form_id: str, index: int, t: Transition,
                       values: Mapping[str, Any], decided: dict | None = None,
                       township: str | None = None) -> tuple[bool, dict[str, Any] | None]:
    """Whether the transition's condition and decision hold, with the decision's explanation.

    ``decided`` (one dict per record) keeps a table's decision for the next transition that asks
    the same table about the same values (reserve, pending, rejected: one decision, not three).
    ``township``: the record's, whose own rule files (where the county allows them) decide it."""
    condition = rt.profile.conditions.get((wf.id, form_id, index))
    if condition is not None and not condition(values):
        return False, None
    if t.decision is not None:
        key = (t.decision.rules, t.decision.table)
        if decided is not None and key in decided:
            outcome, explanation = decided[key]
        else:
            rules = rt.profile.rules_for(t.decision.rules, township)
            decision = rules.tables[t.decision.table].decide(values, rt.version)
            outcome, explanation = decision.outcome, decision.explanation()
            if decided is not None:
                decided[key] = (outcome, explanation)
        return outcome == t.decision.outcome, explanation
    return True, None


def first_allowed(rt: Runtime, wf: Workflow, form_id: str, permitted: list[tuple[int, Transition]],
                  values: Mapping[str, Any], township: str | None = None) -> tuple[Transition | None, dict[str, Any] | None]:
    """The first of these transitions (index, transition) whose condition and decision hold, with
    the last explanation seen (the reason a refusal gives when none holds)."""
    explanation, decided = None, {}
    values = {**rt.profile.county.clock_values(), **values}  # today, this_year; the record's own names win
    for i, t in permitted:
        ok, explanation = transition_allowed(rt, wf, form_id, i, t, values, decided, township)
        if ok:
            return t, explanation
    return None, explanation


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
    """Take an action on a record, in one transaction with its audit row; then its reactions."""
    with rt.db.transaction() as session:
        view = move(session, rt, actor, record_id, action, data, automatic)
    reactions.drain(rt, [record_id])  # after the commit: the transition stands either way
    return view


def move(session, rt: Runtime, actor: Actor, record_id: int, action: str,
         data: Mapping[str, Any] | None = None, automatic: bool = False) -> records.RecordView:
    """The transition inside the caller's transaction; its event goes to the reactions' outbox."""
    record = session.scalars(rt.db.for_update(select(Record).where(Record.id == record_id))).first()
    if record is None or record.form_id not in rt.forms:
        raise NotFound("record")
    # The record follows the rules of the version it started under, until it is migrated.
    vrt = rt.for_version(record.profile_version)
    wf = _workflow(vrt, record.form_id)
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
        policy.require_scope(rt, actor, record)
    values = decision_values(vrt, session, record)
    action_form = next((t.form for _, t in permitted if t.form), None)
    submission = None
    if action_form:
        submission = vrt.form(action_form).validate(data or {})
        values.update(submission.values)
    chosen, explanation = first_allowed(vrt, wf, record.form_id, permitted, values, record.township)
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
        search.index_records(session, vrt, [data_record])
        data_id = data_record.id
    audit(session, actor=actor.username, action="record.transition", entity="record", entity_id=record.id,
          before={"state": before}, after=transition_audit(chosen.to, action, explanation, data_id), version=version)
    session.flush()
    session.refresh(record)
    after_moves(rt, session, [(record.id, record.form_id)])
    reactions.enqueue(session, rt, record, "transition", action)
    return policy.view(rt, actor, record)


def transition_audit(state: str, action: str, explanation: Mapping[str, Any] | None,
                     data_record: int | None = None) -> dict[str, Any]:
    """What the audit row of a transition says after it (one shape for single and bulk moves)."""
    return {"state": state, "action": action, "decision": explanation, "data_record": data_record}


def _reaction_transition(session, rt: Runtime, pinned: Runtime, record: Record, reaction) -> None:
    workflow = _workflow(pinned, record.form_id)
    automatic = any(t.automatic for t in workflow.transitions if t.action == reaction.do.transition)
    move(session, rt, SYSTEM, record.id, reaction.do.transition, automatic=automatic)


reactions.register_action("transition", _reaction_transition)


def last_decision(rt: Runtime, record_id: int, before: dt.datetime | None = None) -> dict[str, Any] | None:
    """The latest decision taken about a record (from its audit rows), or the latest up to
    `before`: outcome, reason, rules, version, and when (`at`). A citizen's lookup and the answer
    letter show its reason; a ballot, the reason of the decision that put the project on it."""
    with rt.db.read() as session:
        rows = session.execute(select(AuditEntry.at, AuditEntry.after).where(
            AuditEntry.entity == "record", AuditEntry.entity_id == str(record_id),
            AuditEntry.action == "record.transition", *([AuditEntry.at <= before] if before else []))
            .order_by(AuditEntry.id.desc())).all()
    for at, after in rows:
        decision = (after or {}).get("decision")
        if decision:
            return {**decision, "at": at, "action": after.get("action")}
    return None


def decision_values(rt: Runtime, session, record: Record) -> dict[str, Any]:
    """What conditions and decision tables see: the record's fields, the gathered sheet lists and
    the workflow's counts of other records (quotas)."""
    values = record_values(rt, record.form_id, record.data)
    values.update(gathered(rt, session, record))
    wf = _workflow(rt, record.form_id)
    if wf.counts:
        values.update(tally(rt, session, [record]).values(wf, record))
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
        return add_deadline(session, record_id, name, due_at, payload)
