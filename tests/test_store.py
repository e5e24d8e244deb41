"""The database: migrations equal the models, SQLite runs in WAL mode."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from engine.store.tables import Base
from tests.conftest import ON_POSTGRES


def test_migrations_match_the_models(rt):
    with rt.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_sqlite_uses_wal(rt):
    if ON_POSTGRES:
        return
    with rt.db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
