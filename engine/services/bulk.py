"""One action over many records: screening a whole township or county from the command line.

Records are read in pages by id (never the whole table); each is moved by the same
`workflow.transition` a person's click uses, in its own transaction, so one refusal (too few
score sheets, say) does not stop the rest and every move has its own audit row. With `dry_run`
the decisions are worked out and counted, and nothing is written.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import func, select

from engine.errors import InputError, MinshengError, NotFound, Problem
from engine.runtime import Runtime
from engine.services.actors import SYSTEM, Actor
from engine.services.sheets import workflow_of
from engine.services.workflow import TransitionRefused, decision_values, transition, transition_allowed
from engine.store.tables import Record


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


def _reason(exc: TransitionRefused) -> str:
    explanation = exc.params.get("explanation") or {}
    return explanation.get("reason") or exc.code


def bulk_action(rt: Runtime, actor: Actor, form_id: str, action: str, township: str | None = None,
                dry_run: bool = False, progress: Callable[[int, int], None] | None = None,
                batch: int = 200) -> BulkReport:
    """Take `action` on every record of the form (of one township) in a state it starts from."""
    wf = workflow_of(rt, form_id)
    if wf is None or not any(t.action == action and not t.automatic for t in wf.transitions):
        raise NotFound(f"action '{action}' of form '{form_id}'")
    if any(t.form for t in wf.transitions if t.action == action):
        raise InputError({"": Problem("bulk_needs_form", {"action": action})})
    starts = sorted({s for t in wf.transitions if t.action == action for s in t.from_})
    where = [Record.form_id == form_id, Record.state.in_(starts)]
    if township:
        if township not in {t.id for t in rt.profile.county.townships}:
            raise NotFound(f"township '{township}'")
        where.append(Record.township == township)
    with rt.db.read() as session:
        total = session.scalar(select(func.count()).select_from(Record).where(*where)) or 0
    report = BulkReport()
    last_id = 0
    while True:
        with rt.db.read() as session:
            ids = session.scalars(select(Record.id).where(*where, Record.id > last_id)
                                  .order_by(Record.id).limit(batch)).all()
        if not ids:
            break
        for record_id in ids:
            last_id = record_id
            report.considered += 1
            try:
                if dry_run:
                    report.moved[_would_move(rt, actor, record_id, action)] += 1
                else:
                    report.moved[transition(rt, actor, record_id, action).state] += 1
            except TransitionRefused as exc:
                report.refuse(_reason(exc), record_id)
            except MinshengError as exc:  # not allowed for this actor, say: counted, not fatal
                report.refuse(f"{type(exc).__name__}: {exc}", record_id)
            if progress:
                progress(report.considered, total)
    return report


def _would_move(rt: Runtime, actor: Actor, record_id: int, action: str) -> str:
    """The state the action would take the record to, worked out without writing."""
    with rt.db.read() as session:
        record = session.get(Record, record_id)
        vrt = rt.for_version(record.profile_version)
        wf = workflow_of(vrt, record.form_id)
        values = decision_values(vrt, session, record)
    explanation = None
    for i, t in enumerate(wf.transitions):
        if t.action != action or t.automatic or record.state not in t.from_ or not (actor is SYSTEM or actor.may(t.roles)):
            continue
        ok, explanation = transition_allowed(vrt, wf, record.form_id, i, t, values)
        if ok:
            return t.to
    raise TransitionRefused("condition_false", action=action, explanation=explanation)
