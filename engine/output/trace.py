"""One chain, end to end: what happened to a suggestion, from intake to its rating.

Assembled from what the stages stored: the record's audit rows (submitted, each action with the
rule's own reason), the ballot it stood in (the count's words), the money allocated and paid, its
milestones and progress, supervision, and the rectification ordered after a failed rating. A
merged duplicate's proposer sees the chain of the project it was merged into. The steps are data
(kind, day, values); the app words them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from engine.core.runtime import Runtime
from engine.kernel.dates import stored_date
from engine.features import delivery
from engine.core.actors import SYSTEM
from engine.store.tables import AuditEntry, FundEntry, Record, RecordLink, VoteCandidate, VoteRound
from engine.core.workflow import MERGED_INTO
from engine.features.funds import yuan


@dataclass(frozen=True)
class Step:
    kind: str  # submitted, action, vote, money, milestone, supervision, explanation, merged
    on: dt.date | None
    values: dict[str, Any] = field(default_factory=dict)


def trace(rt: Runtime, record_id: int, lang: str = "zh") -> list[Step]:
    """The steps of one suggestion in the order they happened (callers check who may see it):
    its submission, every action with the rule's reason, the ballot's words just before the vote's
    outcome, the public sheets filed on it (supervision, rectification ...), and at the end where
    it stands now: progress against its milestones and the money allocated and paid."""
    with rt.db.read() as session:
        record = session.get(Record, record_id)
        if record is None:
            return []
        target = session.scalar(select(RecordLink.target_id).where(RecordLink.record_id == record_id,
                                                                   RecordLink.field_id == MERGED_INTO))
    if target is not None:  # a duplicate follows the project it was merged into
        own = [s for s in _audit_steps(rt, record, lang) if s.kind == "submitted"]
        return own + [Step("merged", None, {"into": target})] + [s for s in trace(rt, target, lang)
                                                                  if s.kind != "submitted"]
    steps = _audit_steps(rt, record, lang)
    votes = _vote_steps(rt, record_id)
    if votes:
        outcome_actions = {a for v in rt.profile.votes.values() if v.form == record.form_id
                           for a in (v.chosen_action, v.not_chosen_action) if a}
        at = next((i for i, s in enumerate(steps) if s.values.get("action_id") in outcome_actions), len(steps))
        steps[at:at] = votes
    return steps + _delivery_steps(rt, record) + _money_steps(rt, record)


def _audit_steps(rt: Runtime, record: Record, lang: str) -> list[Step]:
    vrt = rt.for_version(record.profile_version)
    form = vrt.profile.forms[record.form_id]
    wf = vrt.profile.workflows.get(form.workflow) if form.workflow else None
    labels = {t.action: (t.label_en if lang == "en" and t.label_en else t.label)
              for t in (wf.transitions if wf else ()) if t.label}
    steps = []
    with rt.db.read() as session:
        rows = session.execute(select(AuditEntry.at, AuditEntry.action, AuditEntry.after).where(
            AuditEntry.entity == "record", AuditEntry.entity_id == str(record.id),
            AuditEntry.action.in_(("record.submit", "record.transition", "sheet.file"))).order_by(AuditEntry.id)).all()
        for at, action, after in rows:
            after = after or {}
            if action == "record.submit":
                steps.append(Step("submitted", _first_date(form, record.data) or at.date(), {}))
            elif action == "record.transition":
                decision = after.get("decision") or {}
                data_form = next((t.form for t in (wf.transitions if wf else ()) if t.action == after.get("action")
                                  and t.form), None)
                data = session.get(Record, after["data_record"]).data if after.get("data_record") else {}
                steps.append(Step("action", at.date(), {
                    "action_id": after.get("action"), "action": labels.get(after.get("action"), after.get("action")),
                    "state": vrt.state_label(record.form_id, after.get("state"), lang),
                    "reason": decision.get("reason") or "",
                    "fields": _public_fields(vrt, vrt.profile.forms.get(data_form), data, lang)}))
            else:
                sheet_form = vrt.profile.forms.get(after.get("sheet"))
                if sheet_form is None or not sheet_form.public:
                    continue
                data = after.get("data") or {}
                steps.append(Step("sheet", _first_date(sheet_form, data) or at.date(), {
                    "form": sheet_form.text(lang), "fields": _public_fields(vrt, sheet_form, data, lang)}))
    return steps


def _public_fields(rt: Runtime, form, data: dict, lang: str) -> list[tuple[str, str]]:
    """A public form's filled fields as (label, value), without private fields and files."""
    if form is None or not form.public:
        return []
    return [(f.text(lang), rt.display_value(form, f.id, data.get(f.id), lang)) for f in form.fields
            if not f.private and f.type != "file" and data.get(f.id) not in (None, "")]


def _first_date(form, data: dict) -> dt.date | None:
    """A record's own date (the day a suggestion was made, an inspection held ...), if it has one."""
    for f in form.fields:
        if f.type == "date" and data.get(f.id):
            return stored_date(data[f.id])
    return None


def _vote_steps(rt: Runtime, record_id: int) -> list[Step]:
    steps = []
    with rt.db.read() as session:
        rounds = session.scalars(select(VoteRound).join(VoteCandidate, VoteCandidate.round_id == VoteRound.id)
                                 .where(VoteCandidate.record_id == record_id, VoteRound.state == "counted")
                                 .order_by(VoteRound.id)).all()
        for r in rounds:
            line = next((ln for ln in (r.result or {}).get("lines", []) if str(ln.get("candidate")) == str(record_id)),
                        None)
            if line is not None:
                steps.append(Step("vote", (r.closed_at or r.created_at).date(),
                                  {"title": r.title, "reason": line.get("reason", ""), "chosen": bool(line.get("chosen"))}))
    return steps


def _money_steps(rt: Runtime, record: Record) -> list[Step]:
    with rt.db.read() as session:
        rows = session.execute(select(FundEntry.kind, FundEntry.amount_fen, FundEntry.on_date)
                               .where(FundEntry.record_id == record.id).order_by(FundEntry.id)).all()
    if not rows:
        return []
    allocated = sum(a for k, a, _ in rows if k == "allocation")
    paid = sum(a for k, a, _ in rows if k == "payment")
    return [Step("money", max(d for _, _, d in rows), {"allocated": yuan(allocated), "paid": yuan(paid)})]


def _delivery_steps(rt: Runtime, record: Record) -> list[Step]:
    """Where delivery stands: each milestone (planned, reached, on time) and the progress."""
    d = delivery.spec_for_form(rt, record.form_id)
    if d is None or record.state not in d.states + d.done_states:
        return []
    page = delivery.project_statuses(rt, SYSTEM, d.id, only=record.id)
    if not page.items:
        return []
    status = page.items[0]
    steps = [Step("milestone", m.reached_on or m.due, {"name": m.name, "due": m.due, "reached_on": m.reached_on,
                                                       "on_time": m.on_time}) for m in status.milestones]
    steps.append(Step("progress", None, {"percent": status.figures["percent"], "unit": status.unit,
                                         "deadline": status.deadline}))
    return steps
