"""readiness checks

One row per run of the leaders' readiness check (kiểm tra sẵn sàng, webapp.readiness): the station, the phone
(user agent), when, and each check's outcome.

Revision ID: d8e2f41a7c63
Revises: d1a7e5b3c942
Create Date: 2026-12-07 05:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import webapp.db


revision = 'd8e2f41a7c63'
down_revision = 'd1a7e5b3c942'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('readiness_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.Uuid(), nullable=False),
    sa.Column('checked_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('client_time', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('clock_skew_seconds', sa.Integer(), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('app_version', sa.String(length=20), nullable=False),
    sa.Column('server_version', sa.String(length=20), nullable=False),
    sa.Column('pages_cached', sa.Boolean(), nullable=False),
    sa.Column('outbox_works', sa.Boolean(), nullable=False),
    sa.Column('storage_persistent', sa.Boolean(), nullable=False),
    sa.Column('clock_ok', sa.Boolean(), nullable=False),
    sa.Column('version_current', sa.Boolean(), nullable=False),
    sa.Column('account_active', sa.Boolean(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_readiness_checks_commune_id_communes')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_readiness_checks_election_id_elections')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_readiness_checks_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_readiness_checks_province_id_provinces')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_readiness_checks_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_checks')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_readiness_checks_client_uuid'))
    )
    with op.batch_alter_table('readiness_checks', schema=None) as batch_op:
        batch_op.create_index('ix_readiness_checks_area_at', ['polling_area_id', 'checked_at'], unique=False)
        batch_op.create_index('ix_readiness_checks_commune_at', ['commune_id', 'checked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_readiness_checks_election_id'), ['election_id'], unique=False)
        batch_op.create_index('ix_readiness_checks_province_at', ['province_id', 'checked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_readiness_checks_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('readiness_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_checks_user_id'))
        batch_op.drop_index('ix_readiness_checks_province_at')
        batch_op.drop_index(batch_op.f('ix_readiness_checks_election_id'))
        batch_op.drop_index('ix_readiness_checks_commune_at')
        batch_op.drop_index('ix_readiness_checks_area_at')
    op.drop_table('readiness_checks')
