"""The yearly report to the county congress: each section of reports/*.yaml counted from the
stored records, ballots, ledger and delivery, then laid out as XLSX (a sheet and a bar chart per
section) and PDF (a table and a bar chart per section). Records are counted in the database
(GROUP BY), never read one by one.

The words of the fixed columns (township, allocated ...) come from the caller, like the other
exports, so the engine holds no label of its own.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from sqlalchemy import case, func, select

from engine.output.cells import looks_like_formula
from engine.schema.reports import Report, Section
from engine.output.documents import fill
from engine.kernel.errors import NotFound
from engine.core.runtime import Runtime
from engine.core.actors import SYSTEM, Actor, require
from engine.core.workflow import MERGED_INTO
from engine.store.tables import FundEntry, FundPoolYear, Record, RecordLink, VoteCandidate, VoteRound
from engine.features import delivery
from engine.features.voting import chosen_in
from engine.output import pdf as layout

# The words the caller gives for the fixed columns.
WORDS = ("count", "state", "township", "candidates", "places", "ballots", "chosen", "allocated", "paid", "projects",
         "completed", "on_time_rate", "rated", "rectifying", "total")


@dataclass(frozen=True)
class Table:
    heading: str
    columns: list[str]
    rows: list[list[Any]]  # the first cell names the row; the others are figures
    chart: int  # the column the bar chart shows


def report(rt: Runtime, report_id: str) -> Report:
    found = rt.profile.reports.get(report_id)
    if found is None:
        raise NotFound(f"report '{report_id}'")
    return found


def build(rt: Runtime, actor: Actor, report_id: str, year: int, words: Mapping[str, str],
          lang: str = "zh") -> tuple[str, list[str], list[Table]]:
    """The report's title, opening paragraphs and tables for one year."""
    spec = report(rt, report_id)
    require(actor, spec.roles, f"report:{report_id}")
    county = rt.profile.county
    tables = [_section(rt, spec, s, year, words, lang) for s in spec.sections]
    with rt.db.read() as session:
        total = session.scalar(select(func.count()).where(*_of_year(spec, year, merged=True)))
    values = {"county": county.name, "congress": county.congress, "year": str(year), "total": str(total)}
    return fill(spec.title, values), [fill(p, values) for p in spec.paragraphs], tables


def _section(rt: Runtime, spec: Report, s: Section, year: int, words: Mapping[str, str], lang: str) -> Table:
    heading = s.text(lang)
    if s.count_by:
        return _counted(rt, spec, s, year, words, lang)
    if s.votes:
        return _votes(rt, s.votes, heading, year, words, lang)
    if s.fund:
        return _fund(rt, s.fund, heading, year, words, lang)
    return _delivery(rt, s.delivery, heading, year, words, lang)


def _of_year(spec: Report, year: int, merged: bool) -> list[Any]:
    """The conditions for the form's records made in the year (by its year field, stored as an
    ISO date), with or without the duplicates merged into another record."""
    conditions = [Record.form_id == spec.form, Record.data[spec.year_field].as_string().like(f"{year:04d}-%")]
    if not merged:
        conditions.append(Record.id.not_in(select(RecordLink.record_id).where(RecordLink.field_id == MERGED_INTO)))
    return conditions


def _count_of_year(rt: Runtime, spec: Report, year: int, merged: bool, by: Any) -> Counter:
    """How many of the year's records there are per value of `by` (a column or JSON field): one
    GROUP BY in the database, whatever the number of records."""
    with rt.db.read() as session:
        rows = session.execute(select(by, func.count()).where(*_of_year(spec, year, merged)).group_by(by)).all()
    out: Counter = Counter()
    for key, n in rows:
        out["" if key is None else str(key)] += n
    return out


def _counted(rt: Runtime, spec: Report, s: Section, year: int, words: Mapping[str, str], lang: str) -> Table:
    form = rt.profile.forms[spec.form]
    if s.count_by == "state":
        states = _count_of_year(rt, spec, year, s.merged, Record.state)
        if s.groups:
            rows = [[g.text(lang), sum(states[x] for x in g.states)] for g in s.groups]
        else:
            rows = [[rt.state_label(spec.form, state, lang), n] for state, n in states.most_common()]
    else:
        values = _count_of_year(rt, spec, year, s.merged, Record.data[s.count_by].as_string())
        f = form.field(s.count_by)
        order = [o.id for o in f.options] if f.options else None
        if f.type == "reference" and f.to == "townships":
            order = [t.id for t in rt.profile.county.townships]
        keys = [k for k in order if values[k]] if order else [k for k, _ in values.most_common()]
        keys += [k for k in values if k not in keys]
        rows = [[rt.display_value(form, s.count_by, k, lang) or "—", values[k]] for k in keys]
    rows.append([words["total"], sum(r[1] for r in rows)])
    first = words["state"] if s.count_by == "state" else form.field(s.count_by).text(lang)
    return Table(s.text(lang), [first, words["count"]], rows, 1)


def _towns(rt: Runtime, lang: str) -> dict[str, str]:
    return {t.id: rt.reference_label("townships", t.id, lang) for t in rt.profile.county.townships}


def _votes(rt: Runtime, vote_id: str, heading: str, year: int, words: Mapping[str, str], lang: str) -> Table:
    towns = _towns(rt, lang)
    start = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.timezone.utc)
    # the candidates counted in a subquery: PostgreSQL cannot group by the JSON result
    candidates = (select(func.count()).select_from(VoteCandidate).where(VoteCandidate.round_id == VoteRound.id)
                  .scalar_subquery())
    with rt.db.read() as session:
        rounds = session.execute(
            select(VoteRound.id, VoteRound.township, VoteRound.places, VoteRound.result, candidates)
            .where(VoteRound.vote_id == vote_id, VoteRound.kind == "first", VoteRound.state == "counted",
                   VoteRound.closed_at >= start, VoteRound.closed_at < end)
            .order_by(VoteRound.township, VoteRound.id)).all()
    rows = [[towns.get(tw, tw or "—"), candidates, places, int((result or {}).get("ballots") or 0),
             len(chosen_in(rt, round_id))] for round_id, tw, places, result, candidates in rounds]
    rows.append([words["total"]] + [sum(r[i] for r in rows) for i in range(1, 5)])
    return Table(heading, [words["township"], words["candidates"], words["places"], words["ballots"],
                           words["chosen"]], rows, 4)


def _fund(rt: Runtime, fund_id: str, heading: str, year: int, words: Mapping[str, str], lang: str) -> Table:
    towns = _towns(rt, lang)
    allocated = func.coalesce(func.sum(case((FundEntry.kind == "allocation", FundEntry.amount_fen), else_=0)), 0)
    paid = func.coalesce(func.sum(case((FundEntry.kind == "payment", FundEntry.amount_fen), else_=0)), 0)
    with rt.db.read() as session:
        sums = session.execute(
            select(Record.township, allocated, paid).join(FundEntry, FundEntry.record_id == Record.id)
            .join(FundPoolYear, FundPoolYear.id == FundEntry.pool_id)
            .where(FundPoolYear.fund_id == fund_id, FundPoolYear.year == year)
            .group_by(Record.township)).all()
    by_town = {tw: (Decimal(a) / 100, Decimal(p) / 100) for tw, a, p in sums}
    rows = [[towns.get(tw, tw), *by_town[tw]] for tw in list(towns) + [t for t in by_town if t not in towns]
            if tw in by_town]
    rows.append([words["total"], sum((r[1] for r in rows), Decimal(0)), sum((r[2] for r in rows), Decimal(0))])
    return Table(heading, [words["township"], words["allocated"], words["paid"]], rows, 1)


def _delivery(rt: Runtime, delivery_id: str, heading: str, year: int, words: Mapping[str, str], lang: str) -> Table:
    towns = _towns(rt, lang)
    scores = delivery.scorecard(rt, SYSTEM, delivery_id, year=year)
    rows = [[towns.get(s.township, s.township), s.projects, s.completed, s.on_time_rate or Decimal(0), s.rated,
             s.rectifying] for s in scores]
    rows.append([words["total"]] + [sum(r[i] for r in rows) for i in (1, 2)]
                + [_rate(scores)] + [sum(r[i] for r in rows) for i in (4, 5)])
    return Table(heading, [words["township"], words["projects"], words["completed"], words["on_time_rate"],
                           words["rated"], words["rectifying"]], rows, 2)


def _rate(scores) -> Decimal:
    due = sum(s.milestones_due for s in scores)
    return (Decimal(100) * sum(s.on_time for s in scores) / due).quantize(Decimal("0.1")) if due else Decimal(0)


def keep_text(cells) -> None:
    """Formula-like texts (a township's or a category's name as the profile spells it) stay text."""
    for cell in cells:
        if looks_like_formula(cell.value):
            cell.data_type = "s"


def xlsx(title: str, paragraphs: list[str], tables: list[Table], out) -> None:
    """A workbook: a first sheet with the title and opening, then a sheet and a bar chart per section."""
    book = Workbook()
    cover = book.active
    cover.title = "0"
    cover.append([title])
    for p in paragraphs:
        cover.append([p])
    for row in cover.iter_rows():
        keep_text(row)
    for n, table in enumerate(tables, start=1):
        sheet = book.create_sheet(title=str(n))
        sheet.append([table.heading])
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        for row in sheet.iter_rows():
            keep_text(row)
        chart = BarChart()
        chart.type = "bar"
        chart.title = table.heading
        chart.legend = None
        last = len(table.rows) + 1  # the total row is not charted
        chart.add_data(Reference(sheet, min_col=table.chart + 1, min_row=2, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=last))
        chart.height = max(7, 0.5 * len(table.rows))
        sheet.add_chart(chart, f"{chr(ord('A') + len(table.columns) + 1)}2")
    book.save(out)


def pdf(rt: Runtime, title: str, paragraphs: list[str], tables: list[Table]) -> bytes:
    return layout.report(letterhead=rt.profile.county.letterhead, title=title, paragraphs=paragraphs,
                         sections=[(t.heading, t.columns, [[_shown(v) for v in r] for r in t.rows],
                                    [(str(r[0]), float(r[t.chart])) for r in t.rows[:-1]]) for t in tables])


def _shown(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value != value.to_integral() or value >= 1000 else f"{value:,.1f}"
    return str(value)
