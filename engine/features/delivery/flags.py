"""Delivery's flags on projects (a late milestone, an escalation): raised once, cleared with the reason, listed."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.audit import audit, audit_many, audit_row, now
from engine.schema.delivery import Delivery
from engine.core.runtime import Runtime
from engine.core.actors import SYSTEM, Actor
from engine.store.anyof import any_of
from engine.store.inserts import insert_returning_ids
from engine.store.tables import Flag, Record

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
