"""Sign-in throttling: each account's run of wrong passwords and its lock, each client's run,
and which accounts the demo made.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('demo', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('sign_in_clients',
    sa.Column('client', sa.String(length=128), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('client'))


def downgrade() -> None:
    op.drop_table('sign_in_clients')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('demo')
        batch.drop_column('locked_at')
        batch.drop_column('last_failed_at')
        batch.drop_column('failed_sign_ins')
