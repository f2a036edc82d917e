"""early-vote seal of the progress rollups

``progress_state.sealed``: the last refresh summed the count minutes under the early-vote seal
(webapp.reports.secrecy); when the seal lifts the next refresh rebuilds everything.

Revision ID: e6f006025ac2
Revises: e5f2a8c1d934
Create Date: 2026-12-07 06:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from webapp.migrate import foreign_keys_off_on_sqlite


revision = 'e6f006025ac2'
down_revision = 'e5f2a8c1d934'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('progress_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with foreign_keys_off_on_sqlite('progress_state'), op.batch_alter_table('progress_state') as batch_op:
        batch_op.drop_column('sealed')
