"""INSERT ... ON CONFLICT DO NOTHING, for SQLite and PostgreSQL alike."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring(session: Session, table: Table, rows: list[dict], conflict_columns: list[str]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    session.execute(statement, rows)
