"""The fund pool: pools per year and their append-only ledger of entries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 20:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('fund_pools',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('fund_id', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('fund_pools', schema=None) as batch_op:
        batch_op.create_index('ix_fund_pools_fund_year', ['fund_id', 'year'], unique=True)
    op.create_table('fund_entries',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('pool_id', BIG_ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('record_id', BIG_ID, nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('payee', sa.String(length=200), nullable=True),
    sa.Column('purpose', sa.String(length=500), nullable=True),
    sa.Column('approver', sa.String(length=100), nullable=True),
    sa.Column('document_ref', sa.String(length=100), nullable=True),
    sa.Column('reverses_id', BIG_ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['pool_id'], ['fund_pools.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['fund_entries.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reverses_id')
    )
    with op.batch_alter_table('fund_entries', schema=None) as batch_op:
        batch_op.create_index('ix_fund_entries_pool_kind', ['pool_id', 'kind', 'record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_entries_record_id'), ['record_id'], unique=False)
    # A payment is never deleted or changed: a correction is a reversing entry.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER fund_entries_no_{verb.lower()} BEFORE {verb} ON fund_entries "
                       "BEGIN SELECT RAISE(ABORT, 'fund_entries is append-only'); END")
    else:
        op.execute("CREATE FUNCTION fund_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN RAISE EXCEPTION 'fund_entries is append-only'; END $$")
        op.execute("CREATE TRIGGER fund_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON fund_entries "
                   "FOR EACH STATEMENT EXECUTE FUNCTION fund_entries_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS fund_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS fund_entries_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS fund_entries_append_only ON fund_entries")
        op.execute("DROP FUNCTION IF EXISTS fund_entries_append_only()")
    op.drop_table('fund_entries')
    op.drop_table('fund_pools')
