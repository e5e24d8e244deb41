"""INSERT many rows and learn their new ids, in the rows' order, in a few statements."""
from __future__ import annotations

from sqlalchemy import Table, text
from sqlalchemy.orm import Session


def insert_returning_ids(session: Session, table: Table, rows: list[dict]) -> list[int]:
    """Insert the rows in the caller's transaction; returns their new ids, the i-th id for the
    i-th row.

    PostgreSQL: one INSERT ... RETURNING per thousand rows, ordered by SQLAlchemy's sentinel.
    SQLite: SQLAlchemy cannot order RETURNING there and falls back to one statement per row (10,000
    flags, 10,000 round trips). Instead the rows go in with one executemany and the ids are read
    off the last one: a write transaction holds SQLite's write lock from its start (BEGIN
    IMMEDIATE, see `db.make_engine`), so no other connection inserts in between and the rows get
    consecutive ids, each the table's largest plus one."""
    if not rows:
        return []
    if any("id" in row for row in rows):
        raise ValueError("insert_returning_ids assigns the ids: rows must not carry one")
    if session.get_bind().dialect.name != "sqlite":
        return list(session.scalars(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows))
    session.execute(table.insert(), rows)
    last = session.scalar(text("SELECT last_insert_rowid()"))
    first = last - len(rows) + 1
    # the promise above, checked where it costs one indexed range count
    if session.scalar(text(f"SELECT count(*) FROM {table.name} WHERE id BETWEEN :a AND :b"),
                      {"a": first, "b": last}) != len(rows):
        raise RuntimeError(f"{table.name}: the new rows' ids are not consecutive")
    return list(range(first, last + 1))
