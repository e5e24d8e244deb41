"""INSERT many rows in a few statements: straight to the driver, or learning their new ids."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from sqlalchemy import Column, Connection, Table, text
from sqlalchemy.orm import Session


COPY_FROM = 100  # rows; fewer go in as a plain INSERT, which costs a COPY's setup less


def to_driver(connection: Connection, column: Column) -> Callable[[Any], Any]:
    """The column type's own conversion of a value to the driver's form (JSON text, SQLite's
    date text): what SQLAlchemy would do to it, done once per value without its per-row work."""
    # the dialect's own type (SQLite's DATETIME writes its text form; the generic DateTime has none)
    process = column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return process or (lambda value: value)


def insert_driver_rows(connection: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Rows straight to the driver, in the caller's transaction: one executemany on SQLite
    (SQLAlchemy's per-row parameter processing costs more than SQLite's insert itself), COPY on
    PostgreSQL. Values must already be in the driver's form (see `to_driver`)."""
    if not rows:
        return
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_FROM:  # COPY: twice an executemany's rate
        with connection.connection.dbapi_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})", rows)


def insert_dicts(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows that all have the same keys (column names), converted by the columns' types and
    inserted as `insert_driver_rows` does (audit rows of bulk work: one a record)."""
    if not rows:
        return
    columns = list(rows[0])
    if any(c.default is not None and c.name not in columns for c in table.c):
        connection.execute(table.insert(), rows)  # a default made in Python: SQLAlchemy's own insert makes it
        return
    convert = [to_driver(connection, table.c[name]) for name in columns]
    insert_driver_rows(connection, table, columns, [
        tuple(c(row[name]) for name, c in zip(columns, convert)) for row in rows])


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
    insert_dicts(session.connection(), table, rows)
    last = session.scalar(text("SELECT last_insert_rowid()"))
    first = last - len(rows) + 1
    # the promise above, checked where it costs one indexed range count
    if session.scalar(text(f"SELECT count(*) FROM {table.name} WHERE id BETWEEN :a AND :b"),
                      {"a": first, "b": last}) != len(rows):
        raise RuntimeError(f"{table.name}: the new rows' ids are not consecutive")
    return list(range(first, last + 1))
