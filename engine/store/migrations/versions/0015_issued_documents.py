"""Issued documents: each letter or result numbered in its document's series per year, with the
date it was issued, kept when it is printed again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'issued_documents',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('document_id', sa.String(length=64), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('issued_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_issued_documents_subject', 'issued_documents', ['document_id', 'subject'], unique=True)
    op.create_index('ix_issued_documents_number', 'issued_documents', ['document_id', 'year', 'number'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_issued_documents_number', table_name='issued_documents')
    op.drop_index('ix_issued_documents_subject', table_name='issued_documents')
    op.drop_table('issued_documents')
