"""voter list entries: an index on origin_entry_id

A certificate's destination row names its home row (``origin_entry_id``, a foreign key to the same table). Without
an index, PostgreSQL checks every deleted row (a purge, a re-import's removal) against the whole table, and the
certificate print's lookup of the destination scans it too. Partial: only the few rows a certificate added.

Revision ID: c93d46927f13
Revises: e6f006025ac2
Create Date: 2026-12-07 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c93d46927f13'
down_revision = 'e6f006025ac2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('voter_list_entries', schema=None) as batch_op:
        batch_op.create_index('ix_voter_list_entries_origin_entry_id', ['origin_entry_id'], unique=False,
                              sqlite_where=sa.text('origin_entry_id IS NOT NULL'),
                              postgresql_where=sa.text('origin_entry_id IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('voter_list_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_voter_list_entries_origin_entry_id')
