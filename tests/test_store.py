"""The database: migrations equal the models, SQLite runs in WAL mode, bulk lookups use the index,
bulk inserts learn their ids in a few statements."""
from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, select, text

from engine.core import records
from engine.core.actors import ANONYMOUS
from engine.store import search_index
from engine.store.anyof import any_of
from engine.store.audit import audit_many, audit_row
from engine.store.inserts import COPY_FROM, insert_returning_ids
from engine.store.updates import change_column
from engine.store.tables import AuditEntry, Base, Flag, Record
from tests.conftest import ON_POSTGRES


def test_migrations_match_the_models(rt):
    with rt.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": search_index.modelled})
        diff = compare_metadata(context, Base.metadata)
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


def test_bulk_insert_returns_each_rows_id_in_a_few_statements(rt):
    """The i-th id is the i-th row's, also after rows at the top of the table were deleted, and
    2,500 rows cost a few statements (SQLAlchemy's ordered RETURNING is one per row on SQLite)."""
    table = Record.__table__

    def rows(n, tag):
        return [{"form_id": "suggestion", "state": "received", "title": f"{tag}{i}", "data": {},
                 "profile_version": rt.version, "created_at": dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
                 "created_by": "test"} for i in range(n)]

    with rt.db.transaction() as session:
        rt.ensure_version(session)
        first = insert_returning_ids(session, table, rows(3, "a"))
        session.execute(table.delete().where(table.c.id == first[-1]))
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(rt.db.engine, "before_cursor_execute", count)
    try:
        with rt.db.transaction() as session:
            ids = insert_returning_ids(session, table, rows(2500, "b"))
    finally:
        event.remove(rt.db.engine, "before_cursor_execute", count)
    with rt.db.read() as session:
        titles = dict(session.execute(select(table.c.id, table.c.title).where(any_of(table.c.id, ids))).all())
    assert [titles[i] for i in ids] == [f"b{i}" for i in range(2500)]
    assert len(set(ids)) == 2500 and min(ids) > first[1]
    assert len(statements) <= 6, statements[:8]
    with rt.db.transaction() as session, pytest.raises(ValueError):
        insert_returning_ids(session, Flag.__table__, [{"id": 1}])


def test_rows_inserted_straight_to_the_driver_are_stored_as_sqlalchemy_stores_them(rt):
    """Bulk work writes audit rows with one executemany to the driver (`audit_many`): the stored
    text of every column (a time, JSON with Chinese, a missing value) is what SQLAlchemy's own
    insert stores. Once the driver path handed SQLite a time as it was, stored in another form."""
    at = dt.datetime(2025, 12, 5, 8, 0, 0, tzinfo=dt.timezone.utc)
    row = audit_row(actor="system", action="test.driver", entity="record", entity_id=7, before=None,
                    after={"reason": "合计 15 分", "seen": {"n": ["3", "4"]}}, version=None, at=at)
    with rt.db.transaction() as session:
        session.execute(AuditEntry.__table__.insert(), [row])
        audit_many(session, [row])  # one row: an INSERT
        audit_many(session, [row] * COPY_FROM)  # many: PostgreSQL's COPY
    columns = ", ".join(f"CAST({c} AS TEXT)" for c in ("at", "actor", "action", "entity", "entity_id", "before",
                                                         "after", "profile_version"))
    with rt.db.engine.connect() as connection:
        by_sqlalchemy, *by_driver = connection.execute(text(
            f"SELECT {columns} FROM audit_log WHERE action = 'test.driver' ORDER BY id")).all()
        read_back = connection.execute(select(AuditEntry.at, AuditEntry.after, AuditEntry.before)
                                       .where(AuditEntry.action == "test.driver")).all()
    assert by_driver == [by_sqlalchemy] * (1 + COPY_FROM)
    assert read_back == [(at if ON_POSTGRES else at.replace(tzinfo=None), row["after"], None)] * (2 + COPY_FROM)


def test_a_column_changes_only_where_the_row_still_holds_its_before_value(rt, good_suggestion):
    """`change_column` (bulk moves: one statement for a batch on PostgreSQL, one executemany on
    SQLite): a row that no longer holds the value it was read with is left, and the count says so."""
    ids = [records.submit(rt, ANONYMOUS, "suggestion", good_suggestion).id for _ in range(3)]
    table = Record.__table__
    with rt.db.transaction() as session:
        changed = change_column(session.connection(), table, table.c.state,
                                [(ids[0], "received", "reserve"), (ids[1], "pending", "reserve"),
                                 (ids[2], "received", "rejected")])
    with rt.db.read() as session:
        states = dict(session.execute(select(Record.id, Record.state).where(any_of(Record.id, ids))).all())
    assert changed == 2
    assert [states[i] for i in ids] == ["reserve", "received", "rejected"]
