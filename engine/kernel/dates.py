"""Dates and moments as they come back from the database: one place that reads them."""
from __future__ import annotations

import datetime as dt
from typing import Any


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment with its time zone: SQLite hands back naive datetimes (stored as UTC),
    PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def stored_date(value: Any) -> dt.date | None:
    """A date field's stored value (ISO text in a JSON document, or a date) as a date; None for
    an empty or unreadable value, so a damaged document shows as no date rather than an error."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
