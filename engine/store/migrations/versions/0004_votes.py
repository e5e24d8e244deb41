"""The differential vote: rounds, candidates, roster, who voted, ballots, paper entries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 20:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('vote_rounds',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('vote_id', sa.String(length=64), nullable=False),
    sa.Column('township', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_id', BIG_ID, nullable=True),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('profile_version', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['vote_rounds.id'], ),
    sa.ForeignKeyConstraint(['profile_version'], ['profile_versions.version'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('vote_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_rounds_township'), ['township'], unique=False)

    op.create_table('vote_candidates',
    sa.Column('round_id', BIG_ID, nullable=False),
    sa.Column('record_id', BIG_ID, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['vote_rounds.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'record_id')
    )
    op.create_table('vote_roster',
    sa.Column('round_id', BIG_ID, nullable=False),
    sa.Column('deputy', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['vote_rounds.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'deputy'),
    sqlite_with_rowid=False
    )
    op.create_table('vote_voters',
    sa.Column('round_id', BIG_ID, nullable=False),
    sa.Column('deputy', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['vote_rounds.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'deputy'),
    sqlite_with_rowid=False
    )
    op.create_table('ballots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', BIG_ID, nullable=False),
    sa.Column('marks', sa.JSON(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['vote_rounds.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_round_id'), ['round_id'], unique=False)
    op.create_table('paper_entries',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', BIG_ID, nullable=False),
    sa.Column('marks', sa.JSON(), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['vote_rounds.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_entries_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    op.drop_table('paper_entries')
    op.drop_table('ballots')
    op.drop_table('vote_voters')
    op.drop_table('vote_roster')
    op.drop_table('vote_candidates')
    op.drop_table('vote_rounds')
