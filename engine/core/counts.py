"""The workflow's `counts`: how many other records of the same township (station, county) are in
some states, for quotas across records. One GROUP BY per count and batch, whatever the number of
records; a bulk run keeps the numbers up to date as it plans each move, so a batch cannot let
six records through a quota of five.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from sqlalchemy import func, select

from engine.core.runtime import Runtime
from engine.schema.workflow import Count
from engine.store.tables import Record

_COLUMN = {"township": Record.township, "station": Record.station, "county": None}


class RecordCounts:
    """The counts of one batch of records: `values(row)` for a row, `moved(row, to)` as planned."""

    def __init__(self):
        self.specs: dict[tuple[str, str], tuple[Count, str]] = {}  # (workflow id, name) -> spec, counted form
        self.totals: dict[tuple[str, str], Counter] = {}

    @staticmethod
    def _key(spec: Count, row: Any) -> Any:
        return None if spec.per == "county" else getattr(row, spec.per)

    def values(self, wf, row: Any) -> dict[str, int]:
        out = {}
        for name, spec in wf.counts.items():
            form = spec.form or row.form_id
            total = self.totals[(wf.id, name)][self._key(spec, row)]
            itself = row.form_id == form and row.state in spec.states  # never counted for itself
            out[name] = total - (1 if itself else 0)
        return out

    def moved(self, wf, row: Any, to: str) -> None:
        """A planned move of `row` to state `to`: the counts it leaves and enters change."""
        for name, spec in wf.counts.items():
            if (spec.form or row.form_id) != row.form_id:
                continue
            key = self._key(spec, row)
            totals = self.totals[(wf.id, name)]
            totals[key] += (to in spec.states) - (row.state in spec.states)


def tally(rt: Runtime, session, rows: Iterable[Any]) -> RecordCounts:
    """The counts every row's workflow declares, read for the rows' townships (stations) at once."""
    result = RecordCounts()
    wanted: dict[tuple[str, str], set] = {}
    for row in rows:
        vrt = rt.for_version(row.profile_version)
        form = vrt.profile.forms.get(row.form_id)
        wf = vrt.profile.workflows.get(form.workflow) if form and form.workflow else None
        for name, spec in (wf.counts.items() if wf else ()):
            result.specs[(wf.id, name)] = (spec, spec.form or row.form_id)
            wanted.setdefault((wf.id, name), set()).add(RecordCounts._key(spec, row))
    for key, (spec, form_id) in result.specs.items():
        column = _COLUMN[spec.per]
        where = [Record.form_id == form_id, Record.state.in_(list(spec.states))]
        if column is None:
            found = {None: session.scalar(select(func.count()).select_from(Record).where(*where)) or 0}
        else:
            found = dict(session.execute(select(column, func.count()).where(
                *where, column.in_([k for k in wanted[key] if k is not None])).group_by(column)).all())
        result.totals[key] = Counter(found)
    return result
