"""background jobs: imports and exports run off the web workers, with their progress and outcome

Revision ID: b7d41e9a3c10
Revises: 5e1f0c2a9b7d
Create Date: 2026-12-07 02:00:00
"""
from alembic import op
import sqlalchemy as sa

import webapp.db

revision = 'b7d41e9a3c10'
down_revision = '5e1f0c2a9b7d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('import', 'export', name='jobkind', native_enum=False, length=10), nullable=False),
    sa.Column('dataset', sa.String(length=40), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'rejected', 'failed', name='jobstate',
                               native_enum=False, length=10), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('message_params', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_jobs_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_jobs_state_heartbeat', ['state', 'heartbeat_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_state_heartbeat')
        batch_op.drop_index(batch_op.f('ix_jobs_owner_id'))
    op.drop_table('jobs')
