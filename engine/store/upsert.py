"""INSERT ... ON CONFLICT DO NOTHING, for SQLite and PostgreSQL alike."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring(session: Session, table: Table, rows: list[dict], conflict_columns: list[str]) -> int:
    """Insert the rows that do not clash with a row already there; returns how many went in
    (for one row: 1, or 0 if it was there already)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    # counted from RETURNING: psycopg reports no rowcount (-1) for a statement run this way
    statement = statement.returning(table.c[conflict_columns[0]])
    return len(session.execute(statement, rows).all())
