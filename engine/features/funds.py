"""The fund pool's ledger: money in, allocations to projects, payments, and reversals.

Every entry is one transaction that first locks the pool's row (FOR UPDATE on PostgreSQL; SQLite's
BEGIN IMMEDIATE serialises writers), then checks the pool's rules against sums computed in SQL,
then appends the entry with its audit row. So two staff paying against the same allocation at
once cannot overdraw it: the second waits, then sees the first's payment. Invariants:
the pool's total never exceeds its maximum (nor a source its range); allocations never exceed the
pool, and wait until the pool has reached its minimum; a project's allocation stays within the
per-project range; payments never exceed the project's allocation; an entry is reversed at most
once, and a reversal may not break any of these.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator

from sqlalchemy import case, func, select

from engine.store.audit import audit, now
from engine.schema.funds import FundPool
from engine.kernel.errors import InputError, MinshengError, NotFound, PermissionDenied, Problem
from engine.core.runtime import Runtime
from engine.core import policy
from engine.core.actors import SYSTEM, Actor, require
from engine.store.tables import FundEntry, FundPoolYear, Record
from engine.core.record_queries import not_merged, township_key
from engine.core.sheets import current_sheets

KINDS = ("contribution", "allocation", "payment")
MOST_YUAN = Decimal(10) ** 12  # a trillion yuan: no amount of one entry comes near it


class FundRefused(MinshengError):
    """The entry would break a rule of the pool; ``code`` and ``params`` say which."""

    words = "fund.refused."  # where the apps keep the words for each code

    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}")


def fen(amount: Any, field: str = "amount") -> int:
    """Yuan (text or Decimal, at most two decimals, more than zero) as whole fen."""
    try:
        value = Decimal(str(amount).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InputError({field: Problem("not_money", {"value": amount})}) from None
    if not value.is_finite() or value <= 0:
        raise InputError({field: Problem("minimum", {"limit": "0.01"})})
    if value >= MOST_YUAN:  # past any pool's size, and past what Decimal can quantize to the fen
        raise InputError({field: Problem("maximum", {"limit": f"{MOST_YUAN:,}"})})
    if value != value.quantize(Decimal("0.01")):
        raise InputError({field: Problem("money_precision", {"value": amount})})
    return int(value * 100)


def yuan(amount_fen: int) -> Decimal:
    return (Decimal(amount_fen) / 100).quantize(Decimal("0.01"))


def pool_rules(rt: Runtime, fund_id: str) -> FundPool:
    rules = rt.profile.funds.get(fund_id)
    if rules is None:
        raise NotFound(f"fund '{fund_id}'")
    return rules


def open_pool(rt: Runtime, actor: Actor, fund_id: str, year: int) -> int:
    """The year's pool (made the first time it is asked for)."""
    rules = pool_rules(rt, fund_id)
    require(actor, rules.roles.contribute + rules.roles.allocate, f"fund:{fund_id}")
    with rt.db.transaction() as session:
        found = session.scalar(select(FundPoolYear.id).where(FundPoolYear.fund_id == fund_id, FundPoolYear.year == year))
        if found:
            return found
        pool = FundPoolYear(fund_id=fund_id, year=year, created_at=now())
        session.add(pool)
        session.flush()
        audit(session, actor=actor.username, action="fund.pool_opened", entity="fund_pool", entity_id=pool.id,
              before=None, after={"fund": fund_id, "year": year}, version=rt.version)
        return pool.id


def _lock(rt: Runtime, session, pool_id: int) -> FundPoolYear:
    pool = session.scalars(rt.db.for_update(select(FundPoolYear).where(FundPoolYear.id == pool_id))).first()
    if pool is None:
        raise NotFound("pool")
    return pool


def _sum(session, pool_id: int, kind: str, **where) -> int:
    query = select(func.coalesce(func.sum(FundEntry.amount_fen), 0)).where(FundEntry.pool_id == pool_id,
                                                                          FundEntry.kind == kind)
    for column, value in where.items():
        query = query.where(getattr(FundEntry, column) == value)
    return int(session.scalar(query) or 0)


def _limit(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


def _append(session, rt: Runtime, actor: Actor, pool: FundPoolYear, kind: str, amount_fen: int, on_date: dt.date,
            **fields) -> int:
    entry = FundEntry(pool_id=pool.id, kind=kind, amount_fen=amount_fen, on_date=on_date, created_at=now(),
                      created_by=actor.username, **fields)
    session.add(entry)
    session.flush()
    audit(session, actor=actor.username, action=f"fund.{kind}", entity="fund_pool", entity_id=pool.id, before=None,
          after={"entry": entry.id, "amount": str(yuan(amount_fen)), "record": fields.get("record_id"),
                 "source": fields.get("source"), "reverses": fields.get("reverses_id")}, version=rt.version)
    return entry.id


def contribute(rt: Runtime, actor: Actor, pool_id: int, source: str, amount: Any, on_date: dt.date,
               document_ref: str | None = None) -> int:
    """Money put into the pool from one of its sources."""
    amount_fen = fen(amount)
    with rt.db.transaction() as session:
        pool = _lock(rt, session, pool_id)
        rules = pool_rules(rt, pool.fund_id)
        require(actor, rules.roles.contribute, f"fund:{pool.fund_id}")
        require_county_wide(actor)
        spec = next((s for s in rules.sources if s.id == source), None)
        if spec is None:
            raise InputError({"source": Problem("not_option", {"value": source})})
        total = _sum(session, pool_id, "contribution") + amount_fen
        if (top := _limit(rules.total.max)) is not None and total > top:
            raise FundRefused("pool_over_max", total=yuan(total), max=yuan(top))
        from_source = _sum(session, pool_id, "contribution", source=source) + amount_fen
        if spec.range and (top := _limit(spec.range.max)) is not None and from_source > top:
            raise FundRefused("source_over_max", source=source, total=yuan(from_source), max=yuan(top))
        return _append(session, rt, actor, pool, "contribution", amount_fen, on_date, source=source,
                       document_ref=document_ref)


def allocate(rt: Runtime, actor: Actor, pool_id: int, record_id: int, amount: Any, on_date: dt.date,
             approver: str | None = None, document_ref: str | None = None) -> int:
    """Money from the pool set aside for one project."""
    amount_fen = fen(amount)
    with rt.db.transaction() as session:
        pool = _lock(rt, session, pool_id)
        rules = pool_rules(rt, pool.fund_id)
        require(actor, rules.roles.allocate, f"fund:{pool.fund_id}")
        record = session.get(Record, record_id)
        if record is None or record.form_id != rules.form or record.state not in rules.project_states or \
                session.scalar(select(Record.id).where(Record.id == record_id, ~not_merged())):
            raise FundRefused("not_a_project", record=record_id)
        policy.require_scope(rt, actor, record)
        total = _sum(session, pool_id, "contribution")
        if (floor := _limit(rules.total.min)) is not None and total < floor:
            raise FundRefused("pool_under_min", total=yuan(total), min=yuan(floor))
        allocated = _sum(session, pool_id, "allocation") + amount_fen
        if allocated > total:
            raise FundRefused("over_pool", allocated=yuan(allocated), total=yuan(total))
        project = _sum(session, pool_id, "allocation", record_id=record_id) + amount_fen
        if rules.per_project and (top := _limit(rules.per_project.max)) is not None and project > top:
            raise FundRefused("project_over_max", project=yuan(project), max=yuan(top))
        if rules.share is not None:
            needs = _needs_fen(rt, session, rules, record)
            most = int(needs * rules.share.most)  # whole fen, rounded down: never more than the share
            if project > most:
                raise FundRefused("over_share", project=yuan(project), needs=yuan(needs), most=yuan(most),
                                  share=_percent(rules.share.most))
        return _append(session, rt, actor, pool, "allocation", amount_fen, on_date, record_id=record_id,
                       approver=approver, document_ref=document_ref)


def _needs_fen(rt: Runtime, session, rules: FundPool, record: Record) -> int:
    """The project's funding needs in fen: the amounts of its needs sheets that count now (a later
    sheet for the same item replaces the earlier, as everywhere)."""
    vrt = rt.for_version(record.profile_version)
    form = vrt.profile.forms.get(record.form_id)
    workflow = vrt.profile.workflows.get(form.workflow) if form is not None and form.workflow else None
    spec = rules.share.needs
    sheets = current_sheets(session, {record.id: workflow}, forms=[spec.form]).get(record.id, [])
    return sum(_fen_of(sheet.data.get(spec.amount)) for sheet in sheets if sheet.form_id == spec.form)


def _fen_of(stored: Any) -> int:
    """A stored money value (text with two decimals) in whole fen; 0 for none."""
    return int(Decimal(str(stored)) * 100) if stored not in (None, "") else 0


def _percent(fraction: Decimal) -> str:
    """0.7 as 70, 0.333 as 33.3: how the refusal names the share."""
    value = (fraction * 100).normalize()
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value)


def pay(rt: Runtime, actor: Actor, pool_id: int, record_id: int, amount: Any, on_date: dt.date, payee: str,
        purpose: str, approver: str, document_ref: str) -> int:
    """A payment against a project's allocation, with its payee, purpose, approver and voucher."""
    amount_fen = fen(amount)
    missing = {k: Problem("required") for k, v in (("payee", payee), ("purpose", purpose), ("approver", approver),
                                                   ("document_ref", document_ref)) if not (v or "").strip()}
    if missing:
        raise InputError(missing)
    with rt.db.transaction() as session:
        pool = _lock(rt, session, pool_id)
        rules = pool_rules(rt, pool.fund_id)
        require(actor, rules.roles.pay, f"fund:{pool.fund_id}")
        record = session.get(Record, record_id)
        if record is None:
            raise FundRefused("not_a_project", record=record_id)
        policy.require_scope(rt, actor, record)
        allocated = _sum(session, pool_id, "allocation", record_id=record_id)
        paid = _sum(session, pool_id, "payment", record_id=record_id) + amount_fen
        if paid > allocated:
            raise FundRefused("over_allocation", paid=yuan(paid), allocated=yuan(allocated))
        return _append(session, rt, actor, pool, "payment", amount_fen, on_date, record_id=record_id, payee=payee,
                       purpose=purpose, approver=approver, document_ref=document_ref)


def reverse(rt: Runtime, actor: Actor, entry_id: int, reason: str, on_date: dt.date) -> int:
    """A correction: an entry of the same kind and the opposite amount, pointing at the original."""
    if not (reason or "").strip():
        raise InputError({"reason": Problem("required")})
    with rt.db.transaction() as session:
        original = session.get(FundEntry, entry_id)
        if original is None:
            raise NotFound("entry")
        pool = _lock(rt, session, original.pool_id)
        rules = pool_rules(rt, pool.fund_id)
        require(actor, getattr(rules.roles, {"contribution": "contribute", "allocation": "allocate",
                                             "payment": "pay"}[original.kind]), f"fund:{pool.fund_id}")
        project = session.get(Record, original.record_id) if original.record_id is not None else None
        if project is None:
            require_county_wide(actor)
        else:
            policy.require_scope(rt, actor, project)
        if original.reverses_id is not None:
            raise FundRefused("reversal_of_reversal")
        if session.scalar(select(FundEntry.id).where(FundEntry.reverses_id == entry_id)):
            raise FundRefused("already_reversed", entry=entry_id)
        if original.kind == "contribution":
            left = _sum(session, pool.id, "contribution") - original.amount_fen
            if left < (allocated := _sum(session, pool.id, "allocation")):
                raise FundRefused("would_leave_allocations_uncovered", total=yuan(left), allocated=yuan(allocated))
        if original.kind == "allocation":
            left = _sum(session, pool.id, "allocation", record_id=original.record_id) - original.amount_fen
            if left < (paid := _sum(session, pool.id, "payment", record_id=original.record_id)):
                raise FundRefused("would_leave_payments_uncovered", allocated=yuan(left), paid=yuan(paid))
        return _append(session, rt, actor, pool, original.kind, -original.amount_fen, on_date,
                       record_id=original.record_id, source=original.source, reverses_id=original.id,
                       purpose=reason[:500], payee=original.payee, approver=original.approver,
                       document_ref=original.document_ref)


@dataclass(frozen=True)
class Balance:
    total: Decimal
    allocated: Decimal
    paid: Decimal

    @property
    def unallocated(self) -> Decimal:
        return self.total - self.allocated


def balance(rt: Runtime, actor: Actor, pool_id: int, record_id: int | None = None) -> Balance:
    """The pool's (or one project's) money in, allocated and paid, summed in SQL."""
    with rt.db.read() as session:
        viewed_pool(session, rt, actor, pool_id)
        where = {} if record_id is None else {"record_id": record_id}
        return Balance(total=yuan(_sum(session, pool_id, "contribution")),
                       allocated=yuan(_sum(session, pool_id, "allocation", **where)),
                       paid=yuan(_sum(session, pool_id, "payment", **where)))


@dataclass(frozen=True)
class ProjectMoney:
    record_id: int
    title: str
    township: str | None
    allocated: Decimal
    paid: Decimal


def require_county_wide(actor: Actor) -> None:
    """Money into the county's pool (and its reversal) is the county's: an account limited to a
    township acts on that township's projects only."""
    if actor is not SYSTEM and actor.township:
        raise PermissionDenied(f"township:{actor.township}")


def project_scope(rt: Runtime, actor: Actor, fund_id: str) -> list:
    """Conditions on the projects an account sees the money of: its township's, or all."""
    return policy.scope_sql(rt, actor, pool_rules(rt, fund_id).form)


def viewed_pool(session, rt: Runtime, actor: Actor, pool_id: int) -> FundPoolYear:
    """The pool, after checking that the actor's role may see it."""
    pool = session.get(FundPoolYear, pool_id)
    if pool is None:
        raise NotFound("pool")
    require(actor, pool_rules(rt, pool.fund_id).roles.view, f"fund:{pool.fund_id}")
    return pool


def money_sums():
    """SUM expressions of what was allocated and what was paid, in fen, over the entries grouped."""
    return (func.coalesce(func.sum(case((FundEntry.kind == "allocation", FundEntry.amount_fen), else_=0)), 0),
            func.coalesce(func.sum(case((FundEntry.kind == "payment", FundEntry.amount_fen), else_=0)), 0))


def by_project(rt: Runtime, actor: Actor, pool_id: int, limit: int = 500, offset: int = 0) -> list[ProjectMoney]:
    """Allocation and spending per project, summed and paged in SQL."""
    with rt.db.read() as session:
        pool = viewed_pool(session, rt, actor, pool_id)
        allocated, paid = money_sums()
        rows = session.execute(
            select(Record.id, Record.title, Record.township, allocated, paid)
            .join(FundEntry, FundEntry.record_id == Record.id)
            .where(FundEntry.pool_id == pool_id, *project_scope(rt, actor, pool.fund_id))
            .group_by(Record.id, Record.title, Record.township).order_by(Record.township, Record.id)
            .limit(limit).offset(offset)).all()
    return [ProjectMoney(r, t, tw, yuan(int(a)), yuan(int(p))) for r, t, tw, a, p in rows]


def by_township(rt: Runtime, actor: Actor, pool_id: int) -> list[tuple[str | None, Decimal, Decimal]]:
    """Allocation and spending per township (township, allocated, paid), summed in SQL over every
    project of the pool, in the profile's order of townships."""
    with rt.db.read() as session:
        pool = viewed_pool(session, rt, actor, pool_id)
        allocated, paid = money_sums()
        rows = session.execute(select(Record.township, allocated, paid).join(FundEntry, FundEntry.record_id == Record.id)
                               .where(FundEntry.pool_id == pool_id, *project_scope(rt, actor, pool.fund_id))
                               .group_by(Record.township)).all()
    order = {t.id: i for i, t in enumerate(rt.profile.county.townships)}
    return sorted(((tw, yuan(int(a)), yuan(int(p))) for tw, a, p in rows), key=lambda r: order.get(r[0], len(order)))


def ledger_rows(rt: Runtime, actor: Actor, pool_id: int, page: int = 1000) -> Iterator[list[Any]]:
    """Every entry of the pool, oldest first, as the ledger's rows for the audit office (read in
    pages, so memory stays flat however long the pool's year was)."""
    with rt.db.read() as session:
        scope = project_scope(rt, actor, viewed_pool(session, rt, actor, pool_id).fund_id)
    last_id = 0
    while True:
        with rt.db.read() as session:
            rows = session.execute(select(FundEntry, Record.title).outerjoin(Record, Record.id == FundEntry.record_id)
                                   .where(FundEntry.pool_id == pool_id, FundEntry.id > last_id, *scope)
                                   .order_by(FundEntry.id).limit(page)).all()
        if not rows:
            return
        for entry, title in rows:
            yield [entry.id, entry.on_date, entry.kind, entry.source or "", title or "", yuan(entry.amount_fen),
                   entry.payee or "", entry.purpose or "", entry.approver or "", entry.document_ref or "",
                   entry.reverses_id or "", entry.created_by, entry.created_at.replace(tzinfo=None)]
            last_id = entry.id


def eligible_projects(rt: Runtime, actor: Actor, fund_id: str, limit: int = 500) -> list[tuple[int, str, str | None]]:
    """Projects that may receive money (in the pool's project states): id, title, township,
    by township then id; at most `limit` (a county's projects for a year are far fewer)."""
    rules = pool_rules(rt, fund_id)
    require(actor, rules.roles.allocate + rules.roles.pay + rules.roles.view, f"fund:{fund_id}")
    with rt.db.read() as session:
        return [tuple(r) for r in session.execute(
            select(Record.id, Record.title, Record.township).where(Record.form_id == rules.form,
                                                                   Record.state.in_(rules.project_states), not_merged(),
                                                                   *policy.scope_sql(rt, actor, rules.form))
            .order_by(township_key(), Record.id).limit(limit))]


def recent_entries(rt: Runtime, actor: Actor, pool_id: int, limit: int = 20) -> list[tuple[FundEntry, str | None]]:
    """The latest entries of the pool, newest first, with the project's title."""
    with rt.db.read() as session:
        scope = project_scope(rt, actor, viewed_pool(session, rt, actor, pool_id).fund_id)
        return [(e, title) for e, title in session.execute(
            select(FundEntry, Record.title).outerjoin(Record, Record.id == FundEntry.record_id)
            .where(FundEntry.pool_id == pool_id, *scope).order_by(FundEntry.id.desc()).limit(limit))]
