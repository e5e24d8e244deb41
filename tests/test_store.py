"""The database: migrations equal the models, SQLite runs in WAL mode, bulk lookups use the index."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, select, text

from engine.store.anyof import any_of
from engine.store.tables import AuditEntry, Base, Record
from tests.conftest import ON_POSTGRES


def test_migrations_match_the_models(rt):
    with rt.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


@pytest.mark.skipif(ON_POSTGRES, reason="WAL is SQLite's journal mode")
def test_sqlite_uses_wal(rt):
    with rt.db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


@pytest.mark.parametrize("query", [
    select(Record.id).where(any_of(Record.id, [1, 2, 3])),
    select(AuditEntry.id).where(AuditEntry.entity == "record", any_of(AuditEntry.entity_id, ["1", "2"]))],
    ids=["records by id", "audit rows by entity"])
def test_a_list_bound_as_one_parameter_is_looked_up_in_the_index(rt, query):
    """any_of must compile to a condition the index serves: once it compiled to `(id IN ...) = 1`
    on SQLite, and every bulk read scanned the whole table (ten times slower at 100,000 records)."""
    engine = rt.db.engine

    def explain(conn, cursor, statement, parameters, context, executemany):
        return ("EXPLAIN " if ON_POSTGRES else "EXPLAIN QUERY PLAN ") + statement, parameters

    with engine.connect() as connection:
        if ON_POSTGRES:
            connection.exec_driver_sql("SET enable_seqscan = off")  # an empty table is cheaper to scan
        event.listen(engine, "before_cursor_execute", explain, retval=True)
        try:
            plan = " ".join(str(row[-1]) for row in connection.execute(query))
        finally:
            event.remove(engine, "before_cursor_execute", explain)
    table = query.get_final_froms()[0].name
    if ON_POSTGRES:
        assert "Index" in plan and "Seq Scan" not in plan, plan
    else:
        assert f"SEARCH {table}" in plan and f"SCAN {table}" not in plan, plan
