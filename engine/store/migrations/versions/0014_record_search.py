"""Keyword search over records: the search index (FTS5 on SQLite, a tsvector with a GIN index on
PostgreSQL). Existing records are indexed by `minsheng reindex`, which knows the forms.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 01:10:00
"""
from alembic import op

from engine.store import search_index


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    search_index.create(op.get_bind())


def downgrade() -> None:
    search_index.drop(op.get_bind())
