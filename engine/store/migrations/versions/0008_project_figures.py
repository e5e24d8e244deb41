"""Each project's delivery figures and milestones, kept for the scorecard's GROUP BY, and an index
that finds projects by state and counts them by township.

The rows are filled from the sheets when the scorecard or `tick` first finds a project without
them, so an upgraded database needs nothing more.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('project_figures',
    sa.Column('record_id', BIG_ID, nullable=False),
    sa.Column('delivery_id', sa.String(length=64), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('deadline_year', sa.Integer(), nullable=True),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('follow_ups_open', sa.Integer(), nullable=False),
    sa.Column('follow_up_due', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.PrimaryKeyConstraint('record_id', 'delivery_id')
    )
    op.create_table('project_milestones',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('record_id', BIG_ID, nullable=False),
    sa.Column('delivery_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('reached_on', sa.Date(), nullable=True),
    sa.Column('sheet_id', BIG_ID, nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_project_milestones_record', 'project_milestones', ['record_id', 'delivery_id'], unique=False)
    op.create_index('ix_records_form_state_township', 'records', ['form_id', 'state', 'township', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_records_form_state_township', table_name='records')
    op.drop_index('ix_project_milestones_record', table_name='project_milestones')
    op.drop_table('project_milestones')
    op.drop_table('project_figures')
