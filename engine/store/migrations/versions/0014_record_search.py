"""Keyword search over records: the search index (FTS5 on SQLite, a tsvector with a GIN index on
PostgreSQL), and an index for lists sorted by title. Existing records are indexed by
`minsheng db reindex`, which knows the forms.

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
    op.create_index('ix_records_form_title', 'records', ['form_id', 'title', 'id'])


def downgrade() -> None:
    op.drop_index('ix_records_form_title', table_name='records')
    search_index.drop(op.get_bind())
