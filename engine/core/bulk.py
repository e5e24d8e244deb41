"""One action over many records, set-based: screening a whole township, county or province.

Records are taken in batches by id (never the whole table). Each batch is one transaction: its
records are read and locked in one query (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
holds every other writer off), their sheets and transitions in two more, each is decided in
memory by the same compiled tables and the same `transition_allowed` a person's click uses, and
the moves are written with one UPDATE, one INSERT of audit rows (one a record, naming the rule,
the version and the reason, the same rows a move one at a time writes) and one INSERT into the
reactions' outbox. A record the rules refuse is reported with its reason and left as it is; the
rest of the batch moves. Two processes at once move each record once: the second waits for the
first's lock, then finds the record no longer in a starting state. With `dry_run` the decisions
are worked out and counted, and nothing is written.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import bindparam, func, select, update

from engine.store.audit import audit_many, audit_row, now
from engine.schema.workflow import Transition, Workflow
from engine.kernel.errors import InputError, NotFound, PermissionDenied, Problem
from engine.core.runtime import Runtime
from engine.core import policy, reactions
from engine.core.actors import SYSTEM, Actor
from engine.core.sheets import current_sheets, gathered_from, workflow_of
from engine.core.workflow import MERGED_INTO, TransitionRefused, after_moves, first_allowed, transition_audit
from engine.store.anyof import any_of
from engine.store.updates import change_column
from engine.core.counts import tally
from engine.lang.inputs import WrongInputType
from engine.lang.tables import DecisionError
from engine.store.tables import Record, RecordLink

RECORDS = Record.__table__


@dataclass
class BulkReport:
    considered: int = 0
    moved: Counter = field(default_factory=Counter)  # new state -> how many
    refused: Counter = field(default_factory=Counter)  # reason -> how many
    examples: dict[str, list[int]] = field(default_factory=dict)  # reason -> a few record ids

    def refuse(self, reason: str, record_id: int) -> None:
        self.refused[reason] += 1
        self.examples.setdefault(reason, [])
        if len(self.examples[reason]) < 5:
            self.examples[reason].append(record_id)


@dataclass(frozen=True)
class Move:
    record_id: int
    before: str
    to: str
    explanation: Mapping[str, Any] | None
    version: str
    form_id: str


@dataclass
class Plan:
    moves: list[Move] = field(default_factory=list)
    refused: list[tuple[int, str | Exception]] = field(default_factory=list)  # record id, why (code, words or error)


def plan_moves(session, rt: Runtime, actor: Actor, rows: list[Any], action: str, automatic: bool = False) -> Plan:
    """What `action` does to each record (records-table rows), decided in memory.

    Mirrors `workflow.move` check for check: the record's own profile version, a transition of
    that action from its state, the actor's roles and township, the condition and decision."""
    plan = Plan()
    by_version: dict[tuple[str, str], tuple[Runtime, Workflow, list[tuple[int, Transition]]]] = {}
    for row in rows:
        key = (row.profile_version, row.form_id)
        if key not in by_version:
            vrt = rt.for_version(row.profile_version)
            wf = workflow_of(vrt, row.form_id)
            found = [(i, t) for i, t in enumerate(wf.transitions) if t.action == action
                     and t.automatic == automatic] if wf else []
            by_version[key] = (vrt, wf, found)
    workflows = {row.id: by_version[(row.profile_version, row.form_id)][1] for row in rows}
    sheets = current_sheets(session, {i: wf for i, wf in workflows.items() if wf is not None and wf.gather})
    counts = tally(rt, session, rows) if any(wf is not None and wf.counts for wf in workflows.values()) else None
    for row in rows:
        vrt, wf, candidates = by_version[(row.profile_version, row.form_id)]
        if not candidates:
            plan.refused.append((row.id, "unknown_action"))
            continue
        if any(t.form for _, t in candidates):  # its form must be filled in, one record at a time
            plan.refused.append((row.id, "bulk_needs_form"))
            continue
        in_state = [(i, t) for i, t in candidates if row.state in t.from_]
        if not in_state:
            plan.refused.append((row.id, "wrong_state"))
            continue
        permitted = [(i, t) for i, t in in_state if automatic or actor is SYSTEM or actor.may(t.roles)]
        if not permitted:
            plan.refused.append((row.id, "not_allowed"))
            continue
        if not automatic and not policy.in_scope(rt, actor, row):
            plan.refused.append((row.id, "other_township"))
            continue
        values = vrt.form(row.form_id).values_of(row.data)
        if row.id in sheets:
            values.update(gathered_from(vrt, wf, sheets[row.id]))
        if counts is not None and wf.counts:
            values.update(counts.values(wf, row))
        try:
            chosen, explanation = first_allowed(vrt, wf, row.form_id, permitted, values, row.township)
        except (DecisionError, WrongInputType) as exc:  # this record's rules cannot decide; the rest go on
            plan.refused.append((row.id, exc))  # kept whole: its code and values say why in words
            continue
        if chosen is None:
            plan.refused.append((row.id, (explanation or {}).get("reason") or "condition_false"))
            continue
        plan.moves.append(Move(row.id, row.state, chosen.to, explanation, row.profile_version, row.form_id))
        if counts is not None and wf.counts:  # the next record of this batch sees this move in its counts
            counts.moved(wf, row, chosen.to)
    return plan


def lock_rows(rt: Runtime, session, ids: Iterable[int], states: Iterable[str] | None = None,
              lock: bool = True) -> list[Any]:
    """The records with these ids (still in these states), read and, with `lock`, locked for this
    transaction, in id order: two bulk runs never wait on each other in a circle."""
    query = select(RECORDS).where(any_of(RECORDS.c.id, ids))
    if states is not None:
        query = query.where(RECORDS.c.state.in_(list(states)))
    query = query.order_by(RECORDS.c.id)
    return list(session.connection().execute(rt.db.for_update(query) if lock else query))


def apply_moves(session, rt: Runtime, actor: Actor, plan: Plan, action: str) -> list[int]:
    """Write the planned moves: states, merged duplicates that follow them, audit rows, outbox.
    Returns the records with an event waiting for their reactions."""
    if not plan.moves:
        return []
    at = now()
    changed = change_column(session.connection(), RECORDS, RECORDS.c.state,
                            [(m.record_id, m.before, m.to) for m in plan.moves])
    if changed not in (-1, len(plan.moves)):  # the rows were locked: nothing else can have moved them
        raise RuntimeError(f"bulk move changed {changed} of {len(plan.moves)} records")
    followers: dict[int, list[tuple[int, str]]] = {}
    for follower, target, state in session.execute(
            select(RecordLink.record_id, RecordLink.target_id, RECORDS.c.state)
            .join(RECORDS, RECORDS.c.id == RecordLink.record_id)
            .where(any_of(RecordLink.target_id, [m.record_id for m in plan.moves]), RecordLink.field_id == MERGED_INTO)
            .order_by(RecordLink.record_id)):
        followers.setdefault(target, []).append((follower, state))
    audits, follower_states = [], []
    for m in plan.moves:
        for follower, state in followers.get(m.record_id, []):
            follower_states.append({"b_id": follower, "b_to": m.to})
            audits.append(audit_row(actor=actor.username, action="record.transition", entity="record",
                                    entity_id=follower, before={"state": state},
                                    after={"state": m.to, "action": action, "decision": m.explanation,
                                           "followed": m.record_id}, version=m.version, at=at))
        audits.append(audit_row(actor=actor.username, action="record.transition", entity="record",
                                entity_id=m.record_id, before={"state": m.before},
                                after=transition_audit(m.to, action, m.explanation), version=m.version, at=at))
    if follower_states:
        session.execute(update(RECORDS).where(RECORDS.c.id == bindparam("b_id")).values(state=bindparam("b_to"))
                        .execution_options(synchronize_session=False), follower_states)
    audit_many(session, audits)
    after_moves(rt, session, [(m.record_id, m.form_id) for m in plan.moves])
    events = []
    for m in plan.moves:
        row = reactions.event_row(rt, m.record_id, m.form_id, m.version, "transition", action)
        if row is not None:
            events.append(row)
    reactions.enqueue_rows(session, events)
    return [e["record_id"] for e in events]


def act_on(rt: Runtime, actor: Actor, actions: Mapping[str, list[int]]) -> list[Move]:
    """Named records take named actions (action -> record ids) in one transaction, all or none: a
    vote's chosen projects one action, the others another. A missing or refused record refuses
    them all (NotFound, TransitionRefused, or the error of rules that could not decide; nothing
    written). Returns the moves made."""
    with rt.db.transaction() as session:
        moves, waiting = act_on_within(session, rt, actor, actions)
    reactions.drain(rt, waiting, raise_refusals=False)
    return moves


def act_on_within(session, rt: Runtime, actor: Actor, actions: Mapping[str, list[int]]) -> tuple[list[Move], list[int]]:
    """`act_on` in the caller's transaction (a count and the moves it decides commit together).
    Returns the moves and the records whose reactions wait for the transaction's commit."""
    rows = {row.id: row for row in lock_rows(rt, session, [i for ids in actions.values() for i in ids])}
    if any(i not in rows for ids in actions.values() for i in ids):
        raise NotFound("record")
    plans = {action: plan_moves(session, rt, actor, [rows[i] for i in ids], action)
             for action, ids in actions.items()}
    refused = [(i, reason) for plan in plans.values() for i, reason in plan.refused]
    if refused:
        record_id, reason = refused[0]
        if isinstance(reason, Exception):
            raise reason
        raise TransitionRefused(reason, record=record_id)
    waiting, moves = [], []
    for action, plan in plans.items():
        waiting += apply_moves(session, rt, actor, plan, action)
        moves += plan.moves
    return moves, waiting


def act_on_selected(rt: Runtime, actor: Actor, action: str,
                    ids: list[int]) -> tuple[list[Move], list[tuple[int, str | Exception]]]:
    """Records a user selected in a list take the action, each checked and decided as one move
    would be (roles, township, state, the rules): the refused are returned with the reason (a
    code, the rules' own words, or the error of rules that could not decide) and stay as they
    are, the others move in one transaction, each with its audit row."""
    with rt.db.transaction() as session:
        rows = lock_rows(rt, session, ids)
        plan = plan_moves(session, rt, actor, rows, action)
        waiting = apply_moves(session, rt, actor, plan, action)
    reactions.drain(rt, waiting, raise_refusals=False)
    found = {row.id for row in rows}
    return plan.moves, [(i, "not_found") for i in ids if i not in found] + plan.refused


def bulk_action(rt: Runtime, actor: Actor, form_id: str, action: str, township: str | None = None,
                dry_run: bool = False, progress: Callable[[int, int], None] | None = None,
                batch: int = 1000) -> BulkReport:
    """Take `action` on every record of the form (of one township) in a state it starts from."""
    wf = workflow_of(rt, form_id)
    if wf is None or not any(t.action == action and not t.automatic for t in wf.transitions):
        raise NotFound(f"action '{action}' of form '{form_id}'")
    if any(t.form for t in wf.transitions if t.action == action):
        raise InputError({"": Problem("bulk_needs_form", {"action": action})})
    if township and township not in {t.id for t in rt.profile.county.townships}:
        raise NotFound(f"township '{township}'")
    if actor is not SYSTEM and actor.township and township and township != actor.township:
        raise PermissionDenied(f"township:{township}")
    township = township or (actor.township if actor is not SYSTEM else None)
    starts = sorted({s for t in wf.transitions if t.action == action for s in t.from_})
    where = [RECORDS.c.form_id == form_id, RECORDS.c.state.in_(starts), *policy.scope_sql(rt, actor, form_id, RECORDS)]
    if township:
        where.append(RECORDS.c.township == township)
    with rt.db.read() as session:
        total = session.scalar(select(func.count()).select_from(RECORDS).where(*where)) or 0
    report = BulkReport()
    last_id = 0
    while True:
        with rt.db.read() as session:
            ids = list(session.scalars(select(RECORDS.c.id).where(*where, RECORDS.c.id > last_id)
                                       .order_by(RECORDS.c.id).limit(batch)))
        if not ids:
            break
        last_id = ids[-1]
        if dry_run:
            with rt.db.read() as session:
                plan = plan_moves(session, rt, actor, lock_rows(rt, session, ids, starts, lock=False), action)
            waiting = []
        else:
            with rt.db.transaction() as session:
                plan = plan_moves(session, rt, actor, lock_rows(rt, session, ids, starts), action)
                waiting = apply_moves(session, rt, actor, plan, action)
        for m in plan.moves:
            report.moved[m.to] += 1
        for record_id, reason in plan.refused:
            report.refuse(str(reason), record_id)
        report.considered += len(plan.moves) + len(plan.refused)
        reactions.drain(rt, waiting, raise_refusals=False)
        if progress:
            progress(report.considered, total)
    return report

