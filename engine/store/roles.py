"""PostgreSQL roles: the owner that migrates, the app that only reads and writes rows.

A role that owns a table can alter it, disable its triggers and truncate it, so an app that owned
the tables could silently rewrite the audit log. The owner role (`MIGRATION_DATABASE_URL`) runs
`minsheng db upgrade` and then grants the app's role (`DATABASE_URL`) what the app needs and no
more: rows of every table, but of the append-only tables only SELECT and INSERT, and nothing of
the migrations' own bookkeeping but SELECT. The app cannot change the schema, its triggers, or
truncate anything.
"""
from __future__ import annotations

import os
import re

from sqlalchemy import Engine, text

from engine.kernel.errors import MinshengError

APPEND_ONLY = ("audit_log", "fund_entries")  # the app adds rows, never changes or removes them
READ_ONLY = ("alembic_version",)
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def migration_url() -> str | None:
    """The owner's database URL for migrations, if set apart from the app's."""
    return os.environ.get("MIGRATION_DATABASE_URL") or None


def grants_for(schema: str, role: str) -> list[str]:
    """The statements that give `role` the app's rights in `schema` (names checked: they are quoted)."""
    if not ROLE_NAME.match(role) or not ROLE_NAME.match(schema):
        raise MinshengError(f"not a plain PostgreSQL name: {role!r} / {schema!r} (lower-case letters, digits, _)")
    q_schema, q_role = f'"{schema}"', f'"{role}"'
    return [
        f"GRANT USAGE ON SCHEMA {q_schema} TO {q_role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {q_schema} FROM {q_role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {q_schema} TO {q_role}",
        *(f"REVOKE UPDATE, DELETE ON {q_schema}.{t} FROM {q_role}" for t in APPEND_ONLY),
        *(f"REVOKE INSERT, UPDATE, DELETE ON {q_schema}.{t} FROM {q_role}" for t in READ_ONLY),
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q_schema} TO {q_role}",
    ]


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """Give the app's role its rights on the tables as they are now (run again after each upgrade)."""
    if engine.dialect.name != "postgresql":
        raise MinshengError("roles are a PostgreSQL matter; the embedded SQLite file has none")
    with engine.begin() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
        statements = grants_for(schema, role)
        for statement in statements:
            connection.execute(text(statement))
    return statements
