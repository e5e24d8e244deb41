"""Reactions keep their state in the database: an outbox of events and each record's pending events.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('reaction_events',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('record_id', BIG_ID, nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('streams', sa.JSON(), nullable=False),
    sa.Column('profile_version', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_reaction_events_waiting', 'reaction_events', ['record_id', 'id'], unique=False,
                    sqlite_where=sa.text('done_at IS NULL'), postgresql_where=sa.text('done_at IS NULL'))
    op.create_table('reaction_state',
    sa.Column('record_id', BIG_ID, nullable=False),
    sa.Column('ruleset', sa.String(length=100), nullable=False),
    sa.Column('pending', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.PrimaryKeyConstraint('record_id', 'ruleset')
    )


def downgrade() -> None:
    op.drop_table('reaction_state')
    op.drop_index('ix_reaction_events_waiting', table_name='reaction_events')
    op.drop_table('reaction_events')
