"""The workflow's `counts`: how many other records of the same township (station, county) are in
some states, or what a number field of theirs adds up to (`sum`), for quotas across records. One
GROUP BY per count and batch, whatever the number of records; a bulk run keeps the numbers up to
date as it plans each move, so a batch cannot let six records through a quota of five. Money is
added up in whole fen, so a total is exact on SQLite as on PostgreSQL.
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import BigInteger, Numeric, cast, func, select

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

    @staticmethod
    def _weight(spec: Count, row: Any) -> Any:
        """What the row adds to the count: 1, or its field's value for a sum (nothing when empty)."""
        if spec.sum is None:
            return 1
        value = (row.data or {}).get(spec.sum)
        return Decimal(str(value)) if value not in (None, "") else 0

    def values(self, wf, row: Any) -> dict[str, Any]:
        out = {}
        for name, spec in wf.counts.items():
            form = spec.form or row.form_id
            total = self.totals[(wf.id, name)][self._key(spec, row)]
            itself = row.form_id == form and row.state in spec.states  # never counted for itself
            out[name] = total - (self._weight(spec, row) if itself else 0)
        return out

    def moved(self, wf, row: Any, to: str) -> None:
        """A planned move of `row` to state `to`: the counts it leaves and enters change."""
        for name, spec in wf.counts.items():
            if (spec.form or row.form_id) != row.form_id:
                continue
            key = self._key(spec, row)
            totals = self.totals[(wf.id, name)]
            totals[key] += ((to in spec.states) - (row.state in spec.states)) * self._weight(spec, row)


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
        measure, read = _measure(rt, spec, form_id)
        if column is None:
            found = {None: read(session.scalar(select(measure).select_from(Record).where(*where)))}
        else:
            found = {k: read(v) for k, v in session.execute(select(column, measure).where(
                *where, column.in_([k for k in wanted[key] if k is not None])).group_by(column))}
        result.totals[key] = Counter(found)
    return result


def _measure(rt: Runtime, spec: Count, form_id: str):
    """The SQL aggregate of a count, and how to read its result back as an exact number."""
    if spec.sum is None:
        return func.count(), lambda value: value or 0
    field = rt.profile.forms[form_id].field(spec.sum) if form_id in rt.profile.forms else None
    text = Record.data[spec.sum].as_string()
    if field is not None and field.type == "money":  # stored as text with two decimals: summed in fen
        fen = func.sum(cast(func.round(cast(text, Numeric(20, 2)) * 100), BigInteger))
        return fen, lambda value: Decimal(int(value or 0)) / 100
    return func.sum(cast(text, Numeric(30, 10))), _exact


def _exact(value: Any) -> Any:
    """A sum of numbers as the expression language holds numbers: 300, 2.5, never 3E+2."""
    if not value:
        return 0
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else value.normalize()
