"""Delivery flags: late milestones and escalations (watch list, standing committee told).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 22:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('flags',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('record_id', BIG_ID, nullable=False),
    sa.Column('delivery_id', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('watch', sa.Boolean(), nullable=False),
    sa.Column('notify', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_reason', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_record_id', ['record_id'], unique=False)
        batch_op.create_index('ix_flags_open', ['record_id', 'rule', 'subject'], unique=True,
                              sqlite_where=sa.text('cleared_at IS NULL'),
                              postgresql_where=sa.text('cleared_at IS NULL'))


def downgrade() -> None:
    op.drop_table('flags')
