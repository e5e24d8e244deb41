"""Weighted votes: how many votes a deputy's ballot carries (roster.weight in the vote's rules).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('vote_roster') as batch:
        batch.add_column(sa.Column('weight', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('ballots') as batch:
        batch.add_column(sa.Column('weight', sa.Integer(), nullable=True))  # None while sealed, or 1


def downgrade() -> None:
    with op.batch_alter_table('ballots') as batch:
        batch.drop_column('weight')
    with op.batch_alter_table('vote_roster') as batch:
        batch.drop_column('weight')
