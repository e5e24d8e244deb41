"""The time every write is stamped with. Normally the wall clock; the demo plays a past year
forward, so it sets the clock to the day of each step and the records, audit rows and ballots
carry the dates they would have had. Nothing but the demo sets it."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

_set_to: ContextVar[dt.datetime | None] = ContextVar("minsheng_clock", default=None)


def now() -> dt.datetime:
    return _set_to.get() or dt.datetime.now(dt.timezone.utc)


@contextmanager
def at(moment: dt.datetime | dt.date | None) -> Iterator[None]:
    """Within the block, now() is `moment` (a date means 09:00 UTC that day); None: the wall clock."""
    if isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(9), tzinfo=dt.timezone.utc)
    token = _set_to.set(moment)
    try:
        yield
    finally:
        _set_to.reset(token)
