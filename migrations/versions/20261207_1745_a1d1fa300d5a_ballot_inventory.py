"""count minutes: the inventory of ballots used (Mẫu 32/HĐBC, kiểm kê)

Each version of a count minutes may carry the team's inventory of that contest's ballots: received from the
commune, spoiled by voters and exchanged, not used (issued is the minutes' own figure). Nullable: minutes sent
before, or by clients that do not send it, have none. Plain ADD COLUMN (SQLite and PostgreSQL alike): no copy of
the table.

Revision ID: a1d1fa300d5a
Revises: 9855eac79466
Create Date: 2026-12-07 17:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a1d1fa300d5a'
down_revision = '9855eac79466'
branch_labels = None
depends_on = None

COLUMNS = ('ballots_from_commune', 'ballots_spoiled', 'ballots_unused')


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column('count_reports', sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('count_reports', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.drop_column(name)
