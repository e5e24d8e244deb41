"""A round calls for one later round at most (a run-off, a further ballot, or the ballot that
fills the places it left empty): a unique index on vote_rounds.parent_id.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 08:00:00
"""
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ux_vote_rounds_parent', 'vote_rounds', ['parent_id'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_vote_rounds_parent', table_name='vote_rounds')
