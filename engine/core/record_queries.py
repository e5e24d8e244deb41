"""Conditions and orderings over the records table that several features share (SQLAlchemy
expressions, so they go into any query)."""
from __future__ import annotations

from sqlalchemy import exists, func, literal_column

from engine.core.workflow import MERGED_INTO
from engine.store.tables import Record, RecordLink

RECORDS = Record.__table__


def township_key():
    """A record's township for grouping and sorting projects: an expression, not the column, so
    SQLite finds the projects by form and state (an index) and sorts those few, instead of walking
    the township index over every record of the form (a million suggestions). Inline '' rather than
    a parameter, so PostgreSQL sees the same expression in GROUP BY as in SELECT."""
    return func.coalesce(RECORDS.c.township, literal_column("''"))


def not_merged():
    """Merged duplicates follow their project's state but are not projects of their own. (A
    correlated NOT EXISTS: each record is one primary-key lookup, where NOT IN a list of every
    merged record read the whole links table, hundreds of thousands of sheets' links, each time.)"""
    return ~exists().where(RecordLink.record_id == RECORDS.c.id, RecordLink.field_id == MERGED_INTO)
