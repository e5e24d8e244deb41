"""On PostgreSQL: the owner role migrates, the app's role works with rows only and cannot alter,
disable the triggers of, truncate or rewrite the audit log and the fund ledger."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from apps.cli import app
from engine.core import records
from engine.core.actors import ANONYMOUS
from engine.core.runtime import Runtime
from engine.store.db import database_url
from engine.store.roles import grants_for
from tests.conftest import CONFIG, ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="roles are PostgreSQL's")


@pytest.fixture
def roles():
    """An owner role with a schema of its own and an app role, both dropped afterwards."""
    tag = uuid.uuid4().hex[:8]
    owner, app_role, schema = f"ms_owner_{tag}", f"ms_app_{tag}", f"ms_{tag}"
    base = make_url(database_url(os.environ["DATABASE_URL"]))
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN'))
        conn.execute(text(f'CREATE ROLE "{app_role}" LOGIN'))
        conn.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"'))

    def url(role: str) -> str:
        return base.set(username=role, query={"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    yield url(owner), url(app_role), app_role
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        for role in (app_role, owner):
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def refused(engine, statement: str) -> str:
    with pytest.raises(DBAPIError) as info:
        with engine.begin() as conn:
            conn.execute(text(statement))
    return str(info.value.orig)


def test_the_app_role_works_with_rows_and_cannot_touch_the_audit_log(roles, monkeypatch, good_suggestion):
    owner_url, app_url, app_role = roles
    monkeypatch.setenv("MIGRATION_DATABASE_URL", owner_url)
    monkeypatch.setenv("DATABASE_URL", app_url)
    result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(CONFIG), "--app-role", app_role])
    assert result.exit_code == 0, result.output
    assert f"granted the app's rights to {app_role}" in result.output

    rt = Runtime.open(CONFIG, app_url)  # at the head already: the app migrates nothing
    record = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)
    assert record.receipt_code
    as_app = rt.db.engine
    assert "must be owner" in refused(as_app, "ALTER TABLE audit_log DISABLE TRIGGER ALL")
    assert "permission denied" in refused(as_app, "TRUNCATE audit_log")
    assert "permission denied" in refused(as_app, "UPDATE audit_log SET actor = 'someone else'")
    assert "permission denied" in refused(as_app, "DELETE FROM fund_entries")
    assert "permission denied" in refused(as_app, "UPDATE alembic_version SET version_num = '0001'")
    assert "must be owner" in refused(as_app, "DROP TABLE records")
    rt.db.dispose()


def test_role_names_are_checked_before_they_reach_sql():
    with pytest.raises(Exception, match="not a plain PostgreSQL name"):
        grants_for("public", 'x"; DROP TABLE records; --')
