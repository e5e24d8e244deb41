"""Groups (supervision groups, say): the group a record is assigned to, and the groups an account
belongs to.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 11:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('records') as batch:
        batch.add_column(sa.Column('group_id', sa.String(length=64), nullable=True))
    op.create_index('ix_records_form_group', 'records', ['form_id', 'group_id', 'id'])
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('groups', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('groups')
    op.drop_index('ix_records_form_group', table_name='records')
    with op.batch_alter_table('records') as batch:
        batch.drop_column('group_id')
