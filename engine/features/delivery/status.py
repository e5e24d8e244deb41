"""A project's status and figures from its sheets, kept in the figures tables; the supervisors' views of them."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.store.audit import now
from engine.schema.delivery import Delivery
from engine.kernel.dates import stored_date
from engine.kernel.errors import NotFound
from engine.core.runtime import Runtime
from engine.core import policy, records
from engine.core.actors import SYSTEM, Actor
from engine.core.record_queries import not_merged, township_key
from engine.features.delivery.figures import FigureRow, TownshipScore, read_figures, township_scores, without_figures, write as write_figures
from engine.core.sheets import current_sheets, workflow_of
from engine.store.anyof import any_of
from engine.store.tables import FundEntry, FundPoolYear, Flag, Record

from engine.features.delivery.specs import allowed, project_batches, spec


def reached_milestones(d: Delivery, current: list[Record]) -> dict[str, dt.date]:
    """Milestone name -> the day of the earliest report saying it is reached."""
    out: dict[str, dt.date] = {}
    for row in current:
        if row.form_id == d.progress.form and row.data.get(d.progress.milestone):
            day = stored_date(row.data.get(d.progress.date)) or row.created_at.date()
            name = str(row.data[d.progress.milestone])
            out[name] = min(out.get(name, day), day)
    return out


@dataclass
class Milestone:
    name: str
    due: dt.date | None
    reached_on: dt.date | None
    sheet_id: int | None = None  # the milestone sheet that planned it

    def behind(self, today: dt.date, grace: int) -> bool:
        return self.reached_on is None and self.due is not None and self.due + dt.timedelta(days=grace) < today

    @property
    def on_time(self) -> bool:
        return self.reached_on is not None and (self.due is None or self.reached_on <= self.due)


@dataclass
class ProjectStatus:
    record: records.RecordView
    figures: dict[str, int]
    milestones: list[Milestone]
    unit: str = ""
    deadline: dt.date | None = None
    needs: Decimal = Decimal(0)
    allocated: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    flags: list[Flag] = field(default_factory=list)
    percent_reported: int | None = None  # the latest progress report's percent; None without a report
    follow_up_due: dt.date | None = None  # the earliest due date of the open follow-ups

    @property
    def watched(self) -> bool:
        return any(f.watch for f in self.flags)


def statuses(rt: Runtime, session: Session, d: Delivery, projects: list[Any], today: dt.date,
             actor: Actor) -> list[ProjectStatus]:
    """Each project's status (records-table rows), from their current sheets read in one go."""
    subjects = {r.id: workflow_of(rt.for_version(r.profile_version), r.form_id) for r in projects}
    current = current_sheets(session, subjects, status_forms(d))
    return [_status(rt, actor, d, r, today, current[r.id]) for r in projects]


def status_forms(d: Delivery) -> set[str]:
    """The sheet forms a project's status is computed from."""
    forms = {d.responsibility.form, d.milestones.form, d.progress.form, d.follow_up.form}
    if d.funding_needs is not None:
        forms.add(d.funding_needs.form)
    return forms


def _status(rt: Runtime, actor: Actor, d: Delivery, record: Any, today: dt.date, current: list[Any]) -> ProjectStatus:
    vrt = rt.for_version(record.profile_version)
    reached = reached_milestones(d, current)
    milestones = [Milestone(str(r.data.get(d.milestones.name)), stored_date(r.data.get(d.milestones.due)),
                            reached.get(str(r.data.get(d.milestones.name))), r.id)
                  for r in current if r.form_id == d.milestones.form]
    milestones.sort(key=lambda m: (m.due or dt.date.max, m.name))
    reports = sorted((r for r in current if r.form_id == d.progress.form),
                     key=lambda r: (stored_date(r.data.get(d.progress.date)) or dt.date.min, r.id))
    listing = next((r for r in reversed(current) if r.form_id == d.responsibility.form), None)
    deadline = stored_date(listing.data.get(d.responsibility.deadline)) if listing else None
    # Follow-up actions are open until their own workflow reaches a final state.
    follow_wf = workflow_of(vrt, d.follow_up.form)
    finals = {s.id for s in follow_wf.states if s.final} if follow_wf else set()
    open_follow = [r for r in current if r.form_id == d.follow_up.form and r.state not in finals]
    follow_dues = [due for r in open_follow if (due := stored_date(r.data.get(d.follow_up.due)))]
    percent_reported = int(reports[-1].data.get(d.progress.percent) or 0) if reports else None
    figures = day_figures(d, record.state, today, milestones, percent_reported, len(open_follow),
                          min(follow_dues, default=None), deadline)
    needs = Decimal(0)
    if d.funding_needs is not None:
        needs = sum((Decimal(str(r.data.get(d.funding_needs.amount) or 0)) for r in current
                     if r.form_id == d.funding_needs.form), Decimal(0))
    return ProjectStatus(record=policy.view(rt, actor, record), figures=figures, milestones=milestones,
                         unit=str(listing.data.get(d.responsibility.unit) or "") if listing else "", deadline=deadline,
                         needs=needs, percent_reported=percent_reported, follow_up_due=min(follow_dues, default=None))


def day_figures(d: Delivery, state: str, today: dt.date, milestones: list[Milestone], percent_reported: int | None,
                follow_ups_open: int, follow_up_due: dt.date | None, deadline: dt.date | None) -> dict[str, int]:
    """A project's figures as of `today`, from what its sheets say (the one place they are worked
    out, whether the sheets were just read or their kept figures were)."""
    done = state in d.done_states
    return {
        "milestones": len(milestones),
        "milestones_behind": 0 if done else sum(m.behind(today, d.overdue.grace_days) for m in milestones),
        "milestones_late": sum(1 for m in milestones if m.reached_on and m.due and m.reached_on > m.due),
        "percent": (100 if done else 0) if percent_reported is None else percent_reported,
        "follow_ups_open": follow_ups_open,
        "follow_up_days_overdue": (today - follow_up_due).days if follow_up_due and follow_up_due < today else 0,
        "days_past_deadline": (today - deadline).days if deadline and deadline < today and not done else 0,
    }


def kept_day_figures(session: Session, d: Delivery, projects: list[Any], today: dt.date) -> dict[int, dict[str, int]]:
    """`day_figures` of these projects (records-table rows) from their kept figures: two queries,
    no sheets read. Projects without kept figures are left out."""
    kept, milestones = read_figures(session, d.id, [r.id for r in projects])
    out = {}
    for record in projects:
        row = kept.get(record.id)
        if row is not None:
            out[record.id] = day_figures(d, record.state, today, [Milestone(*m) for m in milestones.get(record.id, [])],
                                         row.percent, row.follow_ups_open, row.follow_up_due, row.deadline)
    return out


def figures_of(rt: Runtime, delivery_id: str, record_id: int, today: dt.date | None = None) -> dict[str, int]:
    d = spec(rt, delivery_id)
    with rt.db.read() as session:
        record = session.execute(select(Record.__table__).where(Record.id == record_id)).first()
        if record is None:
            raise NotFound("record")
        return statuses(rt, session, d, [record], today or now().date(), SYSTEM)[0].figures


def _money(session: Session, d: Delivery, ids: list[int], year: int | None) -> dict[int, tuple[int, int]]:
    if d.fund is None or not ids:
        return {}
    allocated = func.coalesce(func.sum(case((FundEntry.kind == "allocation", FundEntry.amount_fen), else_=0)), 0)
    paid = func.coalesce(func.sum(case((FundEntry.kind == "payment", FundEntry.amount_fen), else_=0)), 0)
    query = (select(FundEntry.record_id, allocated, paid).join(FundPoolYear, FundPoolYear.id == FundEntry.pool_id)
             .where(FundPoolYear.fund_id == d.fund, any_of(FundEntry.record_id, ids)).group_by(FundEntry.record_id))
    if year is not None:
        query = query.where(FundPoolYear.year == year)
    return {r: (int(a), int(p)) for r, a, p in session.execute(query)}


def project_statuses(rt: Runtime, actor: Actor, delivery_id: str, township: str | None = None,
                     watched_only: bool = False, page: int = 1, page_size: int = 25,
                     today: dt.date | None = None, only: int | None = None) -> records.Page:
    """One page of projects with their figures, money and open flags (paginated in SQL);
    `only`: just that project."""
    d, _ = allowed(rt, actor, delivery_id)
    today = today or now().date()
    where = [Record.form_id == d.form, Record.state.in_(d.states + d.done_states), not_merged(),
             *policy.scope_sql(rt, actor, d.form)]
    if township:
        where.append(Record.township == township)
    if only is not None:
        where.append(Record.id == only)
    if watched_only:
        where.append(Record.id.in_(select(Flag.record_id).where(Flag.watch.is_(True), Flag.cleared_at.is_(None))))
    page_size = max(1, min(page_size, 200))
    with rt.db.read() as session:
        total = session.scalar(select(func.count()).select_from(Record).where(*where)) or 0
        page = max(1, min(page, max(1, math.ceil(total / page_size))))
        rows = list(session.execute(select(Record.__table__).where(*where).order_by(township_key(), Record.id)
                                    .limit(page_size).offset((page - 1) * page_size)))
        ids = [r.id for r in rows]
        money = _money(session, d, ids, None)
        flags: dict[int, list[Flag]] = {}
        for flag in session.scalars(select(Flag).where(any_of(Flag.record_id, ids), Flag.cleared_at.is_(None))
                                    .order_by(Flag.id)):
            flags.setdefault(flag.record_id, []).append(flag)
        items = []
        for row, status in zip(rows, statuses(rt, session, d, rows, today, actor)):
            allocated, paid = money.get(row.id, (0, 0))
            status.allocated, status.paid = Decimal(allocated) / 100, Decimal(paid) / 100
            status.flags = flags.get(row.id, [])
            items.append(status)
    return records.Page(items=items, total=total, page=page, page_size=page_size)


def scorecard(rt: Runtime, actor: Actor, delivery_id: str, today: dt.date | None = None,
              year: int | None = None) -> list[TownshipScore]:
    """Each township's delivery record for its annual assessment: projects, completed, milestones
    due so far and reached on time, behind, on the watch list, open follow-ups, money. With `year`:
    the projects whose completion deadline falls in that year (those without a responsibility list
    yet count in the profile's current year). Counted in the database over the kept figures
    (`delivery_figures`); projects found without them get them first."""
    d, own = allowed(rt, actor, delivery_id)
    keep_figures(rt, d)
    with rt.db.read() as session:
        scores = township_scores(session, d, today or now().date(), own, year, rt.profile.county.year)
    order = {t.id: i for i, t in enumerate(rt.profile.county.townships)}
    return sorted(scores.values(), key=lambda s: order.get(s.township, len(order)))


def refresh_figures(rt: Runtime, session: Session, record_ids: list[int]) -> None:
    """Rewrite these projects' kept figures from their current sheets, in the caller's transaction."""
    if not record_ids:
        return
    rows = list(session.execute(select(Record.__table__).where(any_of(Record.id, sorted(set(record_ids))))
                                .order_by(Record.id)))
    for d in rt.profile.delivery.values():
        group = [r for r in rows if r.form_id == d.form and r.state in d.states + d.done_states]
        write_figures(session, d.id, [
            FigureRow(r.id, s.deadline, s.percent_reported, s.figures["follow_ups_open"], s.follow_up_due,
                      [(m.name, m.due, m.reached_on, m.sheet_id) for m in s.milestones])
            for r, s in zip(group, statuses(rt, session, d, group, now().date(), SYSTEM))])


def keep_figures(rt: Runtime, d: Delivery, batch: int = 1000) -> int:
    """Give every project without kept figures its figures, a batch a transaction; how many.
    One indexed query when there are none to give (as after the first time)."""
    done = 0
    while True:
        with rt.db.read() as session:
            ids = without_figures(session, d, batch)
        if not ids:
            return done
        with rt.db.transaction() as session:
            refresh_figures(rt, session, ids)
        done += len(ids)


def responsibility_rows(rt: Runtime, actor: Actor, delivery_id: str, township: str | None = None,
                        lang: str = "zh") -> Iterator[list[str]]:
    """One row per project: title, township, the profile's columns, the milestones."""
    d, own = allowed(rt, actor, delivery_id)
    township = own or township
    towns = {t.id: rt.reference_label("townships", t.id, lang) for t in rt.profile.county.townships}
    form = rt.profile.forms[d.responsibility.form]
    for ids in project_batches(rt, d, township):
        with rt.db.read() as session:
            projects = list(session.execute(select(Record.__table__).where(any_of(Record.id, ids))
                                            .order_by(township_key(), Record.id)))
            sheets = current_sheets(session, {r.id: workflow_of(rt.for_version(r.profile_version), r.form_id)
                                              for r in projects}, {d.responsibility.form, d.milestones.form})
            for record in projects:
                current = sheets[record.id]
                listing = next((r for r in reversed(current) if r.form_id == d.responsibility.form), None)
                shown = {c: rt.display_value(form, c, listing.data.get(c), lang) for c in d.responsibility.columns
                         } if listing else {}
                milestones = sorted(((stored_date(r.data.get(d.milestones.due)), str(r.data.get(d.milestones.name)))
                                     for r in current if r.form_id == d.milestones.form),
                                    key=lambda m: (m[0] or dt.date.max, m[1]))
                yield ([record.title, towns.get(record.township or "", record.township or "")]
                       + [str(shown.get(c, "")) for c in d.responsibility.columns]
                       + ["; ".join(f"{name} {day.isoformat() if day else ''}".strip() for day, name in milestones)])


def responsibility_headings(rt: Runtime, delivery_id: str, project: str, township: str, milestones: str,
                            lang: str = "zh") -> list[str]:
    d = spec(rt, delivery_id)
    form = rt.profile.forms[d.responsibility.form]
    return [project, township] + [form.field(c).text(lang) for c in d.responsibility.columns] + [milestones]
