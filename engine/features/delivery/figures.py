"""The townships' scorecard in SQL, over each project's figures kept in two tables.

A project's figures come from its sheets (see `delivery.statuses`); reading every project's sheets
for every look at the dashboard does not scale to a province, so what the sheets say is kept in
`project_figures` and `project_milestones`, rewritten in the transaction that changes them. What
depends on the day (milestones due so far, behind, on time) and on the project's state (completed,
rated, under rectification) is worked out in the query, so the rows never go stale by themselves.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, NamedTuple

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import Session

from engine.schema.delivery import Delivery
from engine.core.record_queries import not_merged, township_key
from engine.core.sheets import SUBJECT
from engine.store.anyof import any_of
from engine.store.tables import Flag, FundEntry, FundPoolYear, ProjectFigures, ProjectMilestone, Record, RecordLink

FIGURES = ProjectFigures.__table__
MILESTONES = ProjectMilestone.__table__
RECORDS = Record.__table__


class FigureRow(NamedTuple):
    """What one project's current sheets say (the input of `write`)."""
    record_id: int
    deadline: dt.date | None
    percent: int | None  # the latest progress report's, None without one
    follow_ups_open: int
    follow_up_due: dt.date | None  # the earliest due date of the open follow-ups
    milestones: list[tuple[str, dt.date | None, dt.date | None, int]]  # name, due, reached on, sheet


@dataclass
class TownshipScore:
    township: str
    projects: int = 0
    completed: int = 0
    milestones_due: int = 0
    on_time: int = 0
    behind: int = 0
    watched: int = 0
    open_follow_ups: int = 0
    rated: int = 0
    rectifying: int = 0
    percent_sum: int = 0
    allocated: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)

    @property
    def on_time_rate(self) -> Decimal | None:
        return None if not self.milestones_due else (Decimal(100) * self.on_time / self.milestones_due).quantize(Decimal("0.1"))

    @property
    def mean_percent(self) -> Decimal | None:
        return None if not self.projects else (Decimal(self.percent_sum) / self.projects).quantize(Decimal("0.1"))


def write(session: Session, delivery_id: str, rows: list[FigureRow]) -> None:
    """Replace these projects' figures and milestones (three statements whatever their number)."""
    if not rows:
        return
    ids = [r.record_id for r in rows]
    session.execute(delete(FIGURES).where(FIGURES.c.delivery_id == delivery_id, any_of(FIGURES.c.record_id, ids)))
    session.execute(delete(MILESTONES).where(MILESTONES.c.delivery_id == delivery_id,
                                             any_of(MILESTONES.c.record_id, ids)))
    session.execute(FIGURES.insert(), [
        {"record_id": r.record_id, "delivery_id": delivery_id, "deadline": r.deadline,
         "deadline_year": r.deadline.year if r.deadline else None, "percent": r.percent,
         "follow_ups_open": r.follow_ups_open, "follow_up_due": r.follow_up_due} for r in rows])
    milestones = [{"record_id": r.record_id, "delivery_id": delivery_id, "name": name[:200], "due": due,
                   "reached_on": reached, "sheet_id": sheet_id} for r in rows for name, due, reached, sheet_id in r.milestones]
    if milestones:
        session.execute(MILESTONES.insert(), milestones)


def read_figures(session: Session, delivery_id: str, record_ids: list[int]) -> tuple[dict[int, Any], dict[int, list]]:
    """The kept figures (record id -> row) and milestones (record id -> [(name, due, reached on,
    sheet)], by due date) of these projects: two queries."""
    kept = {r.record_id: r for r in session.execute(select(FIGURES).where(
        FIGURES.c.delivery_id == delivery_id, any_of(FIGURES.c.record_id, record_ids)))}
    milestones: dict[int, list] = {}
    for row in session.execute(select(MILESTONES.c.record_id, MILESTONES.c.name, MILESTONES.c.due,
                                      MILESTONES.c.reached_on, MILESTONES.c.sheet_id).where(
            MILESTONES.c.delivery_id == delivery_id, any_of(MILESTONES.c.record_id, record_ids))
            .order_by(MILESTONES.c.record_id, MILESTONES.c.id)):
        milestones.setdefault(row.record_id, []).append((row.name, row.due, row.reached_on, row.sheet_id))
    return kept, milestones


def projects_where(d: Delivery, township: str | None) -> list:
    """The projects a delivery spec follows."""
    where = [RECORDS.c.form_id == d.form, RECORDS.c.state.in_(d.states + d.done_states), not_merged()]
    if township:
        where.append(RECORDS.c.township == township)
    return where


def without_figures(session: Session, d: Delivery, limit: int) -> list[int]:
    """Projects with no figures yet (just upgraded, or come into delivery before the rows were kept)."""
    kept = select(FIGURES.c.record_id).where(FIGURES.c.delivery_id == d.id, FIGURES.c.record_id == RECORDS.c.id)
    # ordered by `id + 0` so that SQLite finds the few projects by their form and state (an index)
    # rather than walking every record of the form in id order
    return list(session.scalars(select(RECORDS.c.id).where(*projects_where(d, None), ~kept.exists())
                                .order_by(RECORDS.c.id + 0).limit(limit)))


def subjects_of(session: Session, sheet_ids: Iterable[int]) -> list[int]:
    """The records these sheets (follow-up actions) are filed on."""
    return sorted(set(session.scalars(select(RecordLink.target_id).where(
        any_of(RecordLink.record_id, list(sheet_ids)), RecordLink.field_id == SUBJECT))))


def township_scores(session: Session, d: Delivery, today: dt.date, township: str | None, year: int | None,
                    current_year: int) -> dict[str, TownshipScore]:
    """Each township's scorecard as of `today`: three GROUP BY queries (projects, milestones, money).
    With `year`: the projects whose completion deadline falls in it (those without a deadline yet
    count in `current_year`)."""
    figures = FIGURES.alias("f")
    town = township_key()
    joined = RECORDS.outerjoin(figures, and_(figures.c.record_id == RECORDS.c.id, figures.c.delivery_id == d.id))
    where = projects_where(d, township)
    if year is not None:
        where.append(func.coalesce(figures.c.deadline_year, current_year) == year)
    done = RECORDS.c.state.in_(d.done_states)

    def counted(condition) -> object:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    watched = RECORDS.c.id.in_(select(Flag.record_id).where(Flag.watch.is_(True), Flag.cleared_at.is_(None)))
    percent = case((figures.c.percent.is_(None), case((done, 100), else_=0)), else_=figures.c.percent)
    scores: dict[str, TownshipScore] = {}
    for township_id, projects, completed, rated, rectifying, percent_sum, follow_ups, on_watch in session.execute(
            select(town, func.count(), counted(done),
                   counted(RECORDS.c.state.in_(d.rated_states)), counted(RECORDS.c.state.in_(d.rectification_states)),
                   func.coalesce(func.sum(percent), 0), func.coalesce(func.sum(figures.c.follow_ups_open), 0),
                   counted(watched))
            .select_from(joined).where(*where).group_by(town)):
        scores[township_id] = TownshipScore(township_id, projects=projects, completed=completed, rated=rated, rectifying=rectifying,
                                     percent_sum=int(percent_sum), open_follow_ups=int(follow_ups),
                                     watched=on_watch)
    milestones = MILESTONES.alias("m")
    due = and_(milestones.c.due.is_not(None), milestones.c.due < today)
    late_after = today - dt.timedelta(days=d.overdue.grace_days)
    for township_id, due_so_far, on_time, behind in session.execute(
            select(town, counted(due),
                   counted(and_(due, milestones.c.reached_on.is_not(None), milestones.c.reached_on <= milestones.c.due)),
                   counted(and_(~done, milestones.c.reached_on.is_(None), milestones.c.due.is_not(None),
                                milestones.c.due < late_after)))
            .select_from(joined.join(milestones, and_(milestones.c.record_id == RECORDS.c.id,
                                                      milestones.c.delivery_id == d.id)))
            .where(*where).group_by(town)):
        score = scores[township_id]
        score.milestones_due, score.on_time, score.behind = due_so_far, on_time, behind
    if d.fund is not None:
        allocated = func.coalesce(func.sum(case((FundEntry.kind == "allocation", FundEntry.amount_fen), else_=0)), 0)
        paid = func.coalesce(func.sum(case((FundEntry.kind == "payment", FundEntry.amount_fen), else_=0)), 0)
        for township_id, allocated_fen, paid_fen in session.execute(
                select(town, allocated, paid)
                .select_from(joined.join(FundEntry, FundEntry.record_id == RECORDS.c.id)
                             .join(FundPoolYear, FundPoolYear.id == FundEntry.pool_id))
                .where(*where, FundPoolYear.fund_id == d.fund).group_by(town)):
            scores[township_id].allocated = Decimal(int(allocated_fen)) / 100
            scores[township_id].paid = Decimal(int(paid_fen)) / 100
    return scores
