"""Days written in a profile that recur every year (09-15) or hold for one year only (2026-09-15),
and the windows made of two of them: a form that takes submissions each autumn needs no edit when
the year turns."""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from engine.schema.base import ConfigModel

YEARLY = re.compile(r"^(\d{2})-(\d{2})$")
LEAP_DAY = (2, 29)
WRITE_A_DAY = "write MM-DD for a day of every year (09-15) or YYYY-MM-DD for one day (2026-09-15)"


def yearly_day(text: str) -> tuple[int, int] | None:
    """(month, day) of a day of every year written MM-DD; None for anything else, and for 02-29
    and days no year has (13-01)."""
    found = YEARLY.match(text)
    if found is None or (int(found[1]), int(found[2])) == LEAP_DAY:
        return None
    try:
        dt.date(2001, int(found[1]), int(found[2]))  # a year without 02-29
    except ValueError:
        return None
    return int(found[1]), int(found[2])


def _day(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):  # YAML reads 2026-09-15 as a date
        return value.isoformat()
    text = str(value).strip()
    if YEARLY.match(text):
        if yearly_day(text) is None:
            raise ValueError("02-29 is not a day of every year; write 02-28 or 03-01" if text == "02-29"
                             else f"'{text}' is not a day of the year; {WRITE_A_DAY}")
        return text
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"'{text}' is not a day; {WRITE_A_DAY}") from None


Day = Annotated[str, BeforeValidator(_day), WithJsonSchema({
    "type": "string", "pattern": r"^(\d{4}-)?\d{2}-\d{2}$",
    "description": "MM-DD: that day of every year; YYYY-MM-DD: that one day."})]


def is_yearly(day: str) -> bool:
    return YEARLY.match(day) is not None


def month_and_day(day: str) -> tuple[int, int]:
    """(month, day) of a yearly day or of a full date."""
    parts = day.split("-")
    return int(parts[-2]), int(parts[-1])


class Window(ConfigModel):
    """The days a form takes submissions, both included. Written MM-DD, they recur every year
    (from: 09-15, to: 10-15: each autumn) and may run over the new year (from: 12-01, to: 01-31);
    written YYYY-MM-DD, they hold for those days only."""

    from_: Day = Field(alias="from")
    """The first day submissions are taken."""
    to: Day
    """The last day submissions are taken."""

    model_config = ConfigModel.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _same_kind(self) -> "Window":
        if is_yearly(self.from_) != is_yearly(self.to):
            raise ValueError("write both days the same way: both MM-DD (every year) or both YYYY-MM-DD")
        if not self.yearly and self.from_ > self.to:
            raise ValueError(f"the window ends ({self.to}) before it starts ({self.from_})")
        return self

    @property
    def yearly(self) -> bool:
        return is_yearly(self.from_)

    def contains(self, day: dt.date) -> bool:
        if not self.yearly:
            return self.from_ <= day.isoformat() <= self.to
        first, last, today = month_and_day(self.from_), month_and_day(self.to), (day.month, day.day)
        if first <= last:
            return first <= today <= last
        return today >= first or today <= last  # over the new year
