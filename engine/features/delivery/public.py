"""The public projects page (a public notice board online): every project of a delivery spec that says
`public: true`, with what anyone may know: township, unit, money, progress, state and the
deputies' rating in the rules' words. Never the dashboard's alerts or anyone's personal data."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from engine.core import policy, records
from engine.core.actors import ANONYMOUS, SYSTEM
from engine.core.record_queries import not_merged, township_key
from engine.core.runtime import Runtime
from engine.features.delivery.specs import spec
from engine.features.delivery.status import project_statuses
from engine.kernel.errors import NotFound, PermissionDenied
from engine.store.anyof import any_of
from engine.store.tables import AuditEntry, Record


@dataclass(frozen=True)
class PublicProject:
    record_id: int
    title: str
    township: str | None
    state: str
    unit: str
    allocated: Decimal
    paid: Decimal
    percent: int
    rating: str | None  # the words of the latest decision taken after completion (the deputies' rating)


def _public_spec(rt: Runtime, delivery_id: str):
    d = spec(rt, delivery_id)
    if not d.public:
        raise PermissionDenied(f"delivery:{delivery_id}")
    return d


def public_projects(rt: Runtime, delivery_id: str, township: str | None = None, page: int = 1,
                    page_size: int = 25) -> records.Page:
    """One page of the public projects, by township (in SQL); each with its figures."""
    d = _public_spec(rt, delivery_id)
    statuses = project_statuses(rt, SYSTEM, delivery_id, township, page=page, page_size=page_size)
    ids = [s.record.id for s in statuses.items]
    ratings = _ratings(rt, d, ids)
    items = [PublicProject(s.record.id, s.record.title, s.record.township, s.record.state or "", s.unit,
                           s.allocated, s.paid, int(s.figures.get("percent") or 0), ratings.get(s.record.id))
             for s in statuses.items]
    return records.Page(items=items, total=statuses.total, page=statuses.page, page_size=statuses.page_size)


def public_project(rt: Runtime, delivery_id: str, record_id: int) -> records.RecordView:
    """One of the page's projects as anyone may see it (no private field), so its chain may be
    shown; any other record is not found here."""
    d = _public_spec(rt, delivery_id)
    with rt.db.read() as session:
        record = session.scalars(select(Record).where(
            Record.id == record_id, Record.form_id == d.form, Record.state.in_(d.states + d.done_states),
            not_merged())).first()
        if record is None:
            raise NotFound("record")
        return policy.view(rt, ANONYMOUS, record)  # as the public may see it


def public_townships(rt: Runtime, delivery_id: str) -> list[tuple[str, int]]:
    """Townships with public projects, and how many each, in the profile's order."""
    d = _public_spec(rt, delivery_id)
    with rt.db.read() as session:
        counts = dict(session.execute(select(township_key(), func.count()).where(
            Record.form_id == d.form, Record.state.in_(d.states + d.done_states), not_merged())
            .group_by(township_key())).all())
    return [(t.id, counts[t.id]) for t in rt.profile.county.townships if counts.get(t.id)]


def _ratings(rt: Runtime, d, ids: list[int]) -> dict[int, str]:
    """Each project's latest decision taken from a delivered state (the rating), in its words."""
    if not ids:
        return {}
    with rt.db.read() as session:
        rows = session.execute(select(AuditEntry.entity_id, AuditEntry.before, AuditEntry.after).where(
            AuditEntry.entity == "record", any_of(AuditEntry.entity_id, [str(i) for i in ids]),
            AuditEntry.action == "record.transition").order_by(AuditEntry.id)).all()
    found: dict[int, str] = {}
    for entity_id, before, after in rows:
        decision = (after or {}).get("decision") or {}
        if (before or {}).get("state") in d.done_states and decision.get("reason"):
            found[int(entity_id)] = decision["reason"]
    return found
