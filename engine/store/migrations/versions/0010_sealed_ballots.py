"""Sealed ballots: a round keeps the public half of its ballot key; a ballot is either sealed
(during the round) or plain marks (after the presidium opened the box).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('vote_rounds') as batch:
        batch.add_column(sa.Column('ballot_key', sa.String(length=64), nullable=True))
    with op.batch_alter_table('ballots') as batch:
        batch.add_column(sa.Column('sealed', sa.Text(), nullable=True))
        batch.alter_column('marks', existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('ballots') as batch:
        batch.alter_column('marks', existing_type=sa.JSON(), nullable=False)
        batch.drop_column('sealed')
    with op.batch_alter_table('vote_rounds') as batch:
        batch.drop_column('ballot_key')
