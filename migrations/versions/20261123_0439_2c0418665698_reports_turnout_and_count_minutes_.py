"""reports: turnout and count minutes, versions, photos

Turnout reports (with one figure per contest), count minutes (with one row of votes per candidate) and the
photos of the signed paper minutes. Every row is a version; is_latest marks the one that counts.

Revision ID: 2c0418665698
Revises: 458b59d9bc9c
Create Date: 2026-11-23 04:39:27.161793
"""
from alembic import op
import sqlalchemy as sa
import webapp.db


revision = '2c0418665698'
down_revision = '458b59d9bc9c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('count_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('is_latest', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('received', 'returned', 'confirmed', name='reportstatus', native_enum=False, length=20), nullable=False),
    sa.Column('returned_reasons', sa.Text(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voters_on_list', sa.Integer(), nullable=False),
    sa.Column('voters_voted', sa.Integer(), nullable=False),
    sa.Column('ballots_issued', sa.Integer(), nullable=False),
    sa.Column('ballots_received', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.Column('names_kept', sa.JSON(), nullable=True),
    sa.Column('complaints_received', sa.Integer(), nullable=False),
    sa.Column('complaints_resolved', sa.Integer(), nullable=False),
    sa.Column('complaints_forwarded', sa.Integer(), nullable=False),
    sa.Column('complaints_note', sa.Text(), nullable=False),
    sa.Column('signers', sa.JSON(), nullable=False),
    sa.Column('witness_1', sa.String(length=200), nullable=False),
    sa.Column('witness_2', sa.String(length=200), nullable=False),
    sa.Column('explanations', sa.JSON(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('client_uuid', sa.Uuid(), nullable=False),
    sa.Column('receipt', sa.String(length=6), nullable=False),
    sa.Column('channel', sa.Enum('web', 'api', 'import', 'phone', 'cli', 'system', name='channel', native_enum=False, length=10), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_count_reports_version_positive')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_count_reports_contest_id_contests')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_count_reports_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_count_reports_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_count_reports_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['count_reports.id'], name=op.f('fk_count_reports_supersedes_id_count_reports')),
    sa.ForeignKeyConstraint(['unit_id'], ['electoral_units.id'], name=op.f('fk_count_reports_unit_id_electoral_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_reports')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_count_reports_client_uuid')),
    sa.UniqueConstraint('polling_area_id', 'contest_id', 'version', name=op.f('uq_count_reports_polling_area_id_contest_id_version')),
    sa.UniqueConstraint('receipt', name=op.f('uq_count_reports_receipt'))
    )
    with op.batch_alter_table('count_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_count_reports_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index('ix_count_reports_latest', ['polling_area_id', 'contest_id'], unique=True, sqlite_where=sa.text('is_latest'), postgresql_where=sa.text('is_latest'))
        batch_op.create_index(batch_op.f('ix_count_reports_polling_area_id'), ['polling_area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_count_reports_unit_id'), ['unit_id'], unique=False)

    op.create_table('turnout_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('slot_at', sa.Time(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('is_latest', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('received', 'returned', 'confirmed', name='reportstatus', native_enum=False, length=20), nullable=False),
    sa.Column('per_contest', sa.Boolean(), nullable=False),
    sa.Column('no_change', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('client_uuid', sa.Uuid(), nullable=False),
    sa.Column('receipt', sa.String(length=6), nullable=False),
    sa.Column('channel', sa.Enum('web', 'api', 'import', 'phone', 'cli', 'system', name='channel', native_enum=False, length=10), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_turnout_reports_version_positive')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_turnout_reports_election_id_elections')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_turnout_reports_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_turnout_reports_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['turnout_reports.id'], name=op.f('fk_turnout_reports_supersedes_id_turnout_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_turnout_reports')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_turnout_reports_client_uuid')),
    sa.UniqueConstraint('election_id', 'polling_area_id', 'slot_at', 'version', name=op.f('uq_turnout_reports_election_id_polling_area_id_slot_at_version')),
    sa.UniqueConstraint('receipt', name=op.f('uq_turnout_reports_receipt'))
    )
    with op.batch_alter_table('turnout_reports', schema=None) as batch_op:
        batch_op.create_index('ix_turnout_reports_latest', ['election_id', 'polling_area_id', 'slot_at'], unique=True, sqlite_where=sa.text('is_latest'), postgresql_where=sa.text('is_latest'))
        batch_op.create_index(batch_op.f('ix_turnout_reports_polling_area_id'), ['polling_area_id'], unique=False)

    op.create_table('count_votes',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.CheckConstraint('votes >= 0', name=op.f('ck_count_votes_votes_non_negative')),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_count_votes_candidate_id_candidates')),
    sa.ForeignKeyConstraint(['report_id'], ['count_reports.id'], name=op.f('fk_count_votes_report_id_count_reports')),
    sa.PrimaryKeyConstraint('report_id', 'candidate_id', name=op.f('pk_count_votes'))
    )
    with op.batch_alter_table('count_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_count_votes_candidate_id'), ['candidate_id'], unique=False)

    op.create_table('report_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_report_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=30), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('client_uuid', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.Enum('web', 'api', 'import', 'phone', 'cli', 'system', name='channel', native_enum=False, length=10), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['count_report_id'], ['count_reports.id'], name=op.f('fk_report_photos_count_report_id_count_reports')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_report_photos_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_photos')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_report_photos_client_uuid')),
    sa.UniqueConstraint('count_report_id', 'sha256', name=op.f('uq_report_photos_count_report_id_sha256'))
    )
    with op.batch_alter_table('report_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_photos_count_report_id'), ['count_report_id'], unique=False)

    op.create_table('turnout_figures',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('voters_voted', sa.Integer(), nullable=False),
    sa.CheckConstraint('voters_voted >= 0', name=op.f('ck_turnout_figures_voted_non_negative')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_turnout_figures_contest_id_contests')),
    sa.ForeignKeyConstraint(['report_id'], ['turnout_reports.id'], name=op.f('fk_turnout_figures_report_id_turnout_reports')),
    sa.PrimaryKeyConstraint('report_id', 'contest_id', name=op.f('pk_turnout_figures'))
    )


def downgrade() -> None:
    op.drop_table('turnout_figures')
    with op.batch_alter_table('report_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_photos_count_report_id'))

    op.drop_table('report_photos')
    with op.batch_alter_table('count_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_count_votes_candidate_id'))

    op.drop_table('count_votes')
    with op.batch_alter_table('turnout_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_turnout_reports_polling_area_id'))
        batch_op.drop_index('ix_turnout_reports_latest', sqlite_where=sa.text('is_latest'), postgresql_where=sa.text('is_latest'))

    op.drop_table('turnout_reports')
    with op.batch_alter_table('count_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_count_reports_unit_id'))
        batch_op.drop_index(batch_op.f('ix_count_reports_polling_area_id'))
        batch_op.drop_index('ix_count_reports_latest', sqlite_where=sa.text('is_latest'), postgresql_where=sa.text('is_latest'))
        batch_op.drop_index(batch_op.f('ix_count_reports_contest_id'))

    op.drop_table('count_reports')
