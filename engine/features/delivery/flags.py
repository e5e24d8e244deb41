"""Delivery's flags on projects (a late milestone, an escalation): raised once, cleared with the reason, listed."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.store.audit import audit, audit_many, audit_row, now
from engine.schema.delivery import Delivery
from engine.core.runtime import Runtime
from engine.core.actors import SYSTEM, Actor
from engine.store.anyof import any_of
from engine.store.inserts import insert_returning_ids
from engine.core.record_queries import not_merged
from engine.store.tables import AuditEntry, Flag, Record

from engine.features.delivery.specs import allowed


def clear_flag(session: Session, record_id: int, rule: str, subject: str, why: str, version: str,
           at: dt.datetime | None = None) -> bool:
    flag = session.scalars(select(Flag).where(Flag.record_id == record_id, Flag.rule == rule,
                                              Flag.subject == subject, Flag.cleared_at.is_(None))).first()
    if flag is None:
        return False
    flag.cleared_at, flag.cleared_reason = at or now(), why
    audit(session, actor="system", action="flag.cleared", entity="record", entity_id=record_id,
          before={"flag": flag.id, "rule": rule, "subject": subject}, after={"cleared": why}, version=version)
    return True


@dataclass(frozen=True)
class NewFlag:
    record_id: int
    delivery: Delivery
    rule: str
    subject: str
    watch: bool
    notify: tuple[str, ...]
    reason: str
    version: str


def raise_flags(session: Session, flags: list[NewFlag], at: dt.datetime | None = None) -> list[NewFlag]:
    """Raise each flag unless one is open already (looked up for all at once, in the caller's
    transaction; the unique index on open flags holds against a second tick); the roles to notify
    are told in the audit log. Returns the flags raised."""
    if not flags:
        return []
    at = at or now()
    open_now = set(session.execute(select(Flag.record_id, Flag.rule, Flag.subject).where(
        any_of(Flag.record_id, sorted({f.record_id for f in flags})), Flag.cleared_at.is_(None))).all())
    rows, wanted = [], []
    for f in flags:
        key = (f.record_id, f.rule, f.subject)
        if key in open_now:
            continue
        open_now.add(key)
        wanted.append(f)
        rows.append({"record_id": f.record_id, "delivery_id": f.delivery.id, "rule": f.rule, "subject": f.subject,
                     "watch": f.watch, "notify": list(f.notify), "reason": f.reason, "version": f.version,
                     "raised_at": at, "cleared_at": None, "cleared_reason": None})
    if not rows:
        return []
    ids = insert_returning_ids(session, Flag.__table__, rows)
    audits = []
    for flag_id, f in zip(ids, wanted):
        audits.append(audit_row(actor="system", action="flag.raised", entity="record", entity_id=f.record_id,
                                before=None, after={"flag": flag_id, "rule": f.rule, "subject": f.subject,
                                                    "watch": f.watch, "reason": f.reason}, version=f.version))
        audits += [audit_row(actor="system", action="notify", entity="record", entity_id=f.record_id, before=None,
                             after={"role": role, "flag": flag_id, "reason": f.reason}, version=f.version)
                   for role in f.notify]
    audit_many(session, audits)
    return wanted


def open_flags(rt: Runtime, actor: Actor, delivery_id: str, for_roles: bool = False, limit: int = 200) -> list[tuple[Flag, str, str | None]]:
    """Open flags, newest first, with the project's title and township; `for_roles`: only those
    the actor's roles were told about."""
    d, own = allowed(rt, actor, delivery_id)
    query = (select(Flag, Record.title, Record.township).join(Record, Record.id == Flag.record_id)
             .where(Flag.delivery_id == d.id, Flag.cleared_at.is_(None)).order_by(Flag.id.desc()).limit(limit))
    if own:
        query = query.where(Record.township == own)
    with rt.db.read() as session:
        rows = [(f, t, tw) for f, t, tw in session.execute(query)]
    if for_roles and actor is not SYSTEM:
        rows = [r for r in rows if set(r[0].notify) & set(actor.roles)]
    return rows


def flags_of(rt: Runtime, record_id: int) -> list[Flag]:
    """Every flag of one project, open and cleared, oldest first (the record page shows them)."""
    with rt.db.read() as session:
        return list(session.scalars(select(Flag).where(Flag.record_id == record_id).order_by(Flag.id)))


@dataclass(frozen=True)
class Alert:
    """Something on the dashboard that needs this user: an open flag (`reason` in the rule's words)
    or a project a deadline put in a late state (`state`; the page says what the state means)."""

    record_id: int
    title: str
    township: str | None
    raised_at: dt.datetime
    reason: str = ""
    state: str | None = None


def alerts_for(rt: Runtime, actor: Actor, delivery_id: str, limit: int = 50) -> list[Alert]:
    """What needs this user, newest first, within the user's township: the open flags the user's
    roles were told about, and the projects in a state their deadline put them in (a
    rectification overdue) that the user's roles can act on (a transition or a sheet), so the
    alerts agree with the statuses the dashboard lists."""
    d, own = allowed(rt, actor, delivery_id)
    alerts = [Alert(f.record_id, title, tw, f.raised_at, reason=f.reason)
              for f, title, tw in open_flags(rt, actor, delivery_id, for_roles=True, limit=limit)]
    form = rt.profile.forms[d.form]
    wf = rt.profile.workflows.get(form.workflow) if form.workflow else None
    late = [s for s in (wf.late_states() if wf else ())
            if actor is SYSTEM or set(actor.roles) & wf.roles_acting_in(s)]
    if late:
        query = (select(Record.id, Record.title, Record.township, Record.state)
                 .where(Record.form_id == d.form, Record.state.in_(late), not_merged())
                 .order_by(Record.id.desc()).limit(limit))
        if own:
            query = query.where(Record.township == own)
        with rt.db.read() as session:
            projects = session.execute(query).all()
            # when each came to its state: its latest transition (one grouped query for the page)
            since = dict(session.execute(
                select(AuditEntry.entity_id, func.max(AuditEntry.at))
                .where(AuditEntry.entity == "record", any_of(AuditEntry.entity_id, [str(p.id) for p in projects]),
                       AuditEntry.action == "record.transition")
                .group_by(AuditEntry.entity_id)).all()) if projects else {}
        alerts += [Alert(p.id, p.title, p.township, since.get(str(p.id)) or now(), state=p.state) for p in projects]
    return sorted(alerts, key=lambda a: a.raised_at, reverse=True)[:limit]
