"""INSERT ... ON CONFLICT DO NOTHING, for SQLite and PostgreSQL alike."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.store.db import connection_of


@lru_cache(maxsize=64)
def _statement(dialect: str, table: Table, conflict_columns: tuple[str, ...]):
    """Built once: a ballot is one such insert, and building it costs more than running it."""
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    # counted from RETURNING: psycopg reports no rowcount (-1) for a statement run this way
    return statement.returning(table.c[conflict_columns[0]])


def insert_ignoring(session: Session | Connection, table: Table, rows: list[dict], conflict_columns: list[str]) -> int:
    """Insert the rows that do not clash with a row already there; returns how many went in
    (for one row: 1, or 0 if it was there already)."""
    if not rows:
        return 0
    connection = connection_of(session)
    statement = _statement(connection.dialect.name, table, tuple(conflict_columns))
    return len(connection.execute(statement, rows).all())
