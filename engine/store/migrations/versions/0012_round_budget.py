"""A ballot round's budget in whole fen, as the ledger keeps money, for votes whose places are limited by money (places_by: budget).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('vote_rounds') as batch:
        batch.add_column(sa.Column('budget_fen', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('vote_rounds') as batch:
        batch.drop_column('budget_fen')
