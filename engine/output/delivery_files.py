"""Delivery's downloads: the responsibility list (XLSX and the official landscape PDF) and the
townships' scorecard (XLSX)."""
from __future__ import annotations

import datetime as dt
from typing import BinaryIO

from engine.core.actors import Actor
from engine.core.runtime import Runtime
from engine.features.delivery import responsibility_rows, scorecard, spec
from engine.output import pdf
from engine.output.xlsx import write_sheet


def responsibility_xlsx(rt: Runtime, actor: Actor, delivery_id: str, headings: list[str], out: str | BinaryIO,
                        township: str | None = None, lang: str = "zh") -> int:
    """The list as an XLSX sheet, written row by row; returns the number of projects."""
    return write_sheet(out, headings, responsibility_rows(rt, actor, delivery_id, township, lang),
                       title=spec(rt, delivery_id).responsibility.form)


def scorecard_xlsx(rt: Runtime, actor: Actor, delivery_id: str, headings: list[str], out: str | BinaryIO,
                   today: dt.date | None = None, lang: str = "zh", year: int | None = None) -> int:
    """Each township's figures for its annual assessment; returns the number of townships."""
    towns = {t.id: rt.reference_label("townships", t.id, lang) for t in rt.profile.county.townships}
    return write_sheet(out, headings, ([towns.get(s.township, s.township), s.projects, s.completed, s.milestones_due,
                                        s.on_time, s.on_time_rate, s.behind, s.watched, s.open_follow_ups,
                                        s.mean_percent, s.allocated, s.paid, s.rated, s.rectifying]
                                       for s in scorecard(rt, actor, delivery_id, today, year)))


def responsibility_pdf(rt: Runtime, actor: Actor, delivery_id: str, headings: list[str], title: str,
                       township: str | None = None, lang: str = "zh") -> bytes:
    """The official table on landscape A4 under the county's letterhead. Wide text columns (team,
    acceptance standard, milestones) get more room than names and dates."""
    rows = list(responsibility_rows(rt, actor, delivery_id, township, lang))
    d = spec(rt, delivery_id)
    form = rt.profile.forms[d.responsibility.form]
    widths = [4, 2] + [1 if form.field(c).type == "date" else 3 if form.field(c).type == "textarea" else 2
                       for c in d.responsibility.columns] + [4]
    return pdf.render(letterhead=rt.profile.county.letterhead, title=title, table=(headings, widths, rows),
                      landscape=True, font_size=8.5)
