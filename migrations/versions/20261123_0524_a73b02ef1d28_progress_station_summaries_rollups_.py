"""progress: station summaries, rollups, corrections

Summaries behind the progress views (webapp.progress): a row per station × report time × contest (turnout)
and per station × contest (count minutes), commune and province rollups, the corrections feed, the queue of
places to refresh and the refresh state. No backfill here: with no ``progress_state`` row the first refresh
rebuilds everything from the reports (``flask rebuild-progress`` does it at once).

Revision ID: a73b02ef1d28
Revises: 84b376c9f79b
Create Date: 2026-11-23 05:24:22.938446
"""
from alembic import op
import sqlalchemy as sa
import webapp.db


revision = 'a73b02ef1d28'
down_revision = '84b376c9f79b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('progress_dirty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('commune_id', sa.Integer(), nullable=True),
    sa.Column('times', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_dirty'))
    )
    op.create_table('progress_state',
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_progress_state_election_id_elections')),
    sa.PrimaryKeyConstraint('election_id', name=op.f('pk_progress_state'))
    )
    op.create_table('progress_count_rollups',
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('commune', 'province', name='level', native_enum=False, length=10), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('confirmed', sa.Integer(), nullable=False),
    sa.Column('voted', sa.Integer(), nullable=False),
    sa.Column('voted_on_list', sa.Integer(), nullable=False),
    sa.Column('confirmed_voted', sa.Integer(), nullable=False),
    sa.Column('confirmed_on_list', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_progress_count_rollups_contest_id_contests')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_progress_count_rollups_election_id_elections')),
    sa.PrimaryKeyConstraint('election_id', 'level', 'place_id', 'contest_id', name=op.f('pk_progress_count_rollups'))
    )
    with op.batch_alter_table('progress_count_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_progress_count_rollups_province', ['election_id', 'level', 'province_id'], unique=False)

    op.create_table('progress_turnout_rollups',
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('commune', 'province', name='level', native_enum=False, length=10), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('slot_at', sa.Time(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('due_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('on_list', sa.Integer(), nullable=False),
    sa.Column('reported', sa.Integer(), nullable=False),
    sa.Column('reported_late', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('confirmed', sa.Integer(), nullable=False),
    sa.Column('voted', sa.Integer(), nullable=False),
    sa.Column('voted_on_list', sa.Integer(), nullable=False),
    sa.Column('confirmed_voted', sa.Integer(), nullable=False),
    sa.Column('confirmed_on_list', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_progress_turnout_rollups_contest_id_contests')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_progress_turnout_rollups_election_id_elections')),
    sa.PrimaryKeyConstraint('election_id', 'level', 'place_id', 'contest_id', 'slot_at', 'day', name=op.f('pk_progress_turnout_rollups'))
    )
    with op.batch_alter_table('progress_turnout_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_progress_turnout_rollups_due', ['election_id', 'level', 'due_at'], unique=False)
        batch_op.create_index('ix_progress_turnout_rollups_province', ['election_id', 'level', 'province_id'], unique=False)

    op.create_table('progress_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('turnout', 'count', name='reportkind', native_enum=False, length=10), nullable=False),
    sa.Column('change', sa.Enum('figures', 'returned', 'reopened', name='change', native_enum=False, length=10), nullable=False),
    sa.Column('slot_at', sa.Time(), nullable=True),
    sa.Column('contest_id', sa.Integer(), nullable=True),
    sa.Column('turnout_report_id', sa.Integer(), nullable=True),
    sa.Column('count_report_id', sa.Integer(), nullable=True),
    sa.Column('version_before', sa.Integer(), nullable=False),
    sa.Column('version_after', sa.Integer(), nullable=False),
    sa.Column('status_before', sa.Enum('received', 'returned', 'confirmed', name='reportstatus', native_enum=False, length=20), nullable=False),
    sa.Column('status_after', sa.Enum('received', 'returned', 'confirmed', name='reportstatus', native_enum=False, length=20), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('lowered', sa.Boolean(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_username', sa.String(length=80), nullable=False),
    sa.Column('at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_progress_corrections_actor_id_users')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_progress_corrections_contest_id_contests')),
    sa.ForeignKeyConstraint(['count_report_id'], ['count_reports.id'], name=op.f('fk_progress_corrections_count_report_id_count_reports')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_progress_corrections_election_id_elections')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_progress_corrections_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['turnout_report_id'], ['turnout_reports.id'], name=op.f('fk_progress_corrections_turnout_report_id_turnout_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_corrections'))
    )
    with op.batch_alter_table('progress_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_progress_corrections_place', ['election_id', 'province_id', 'commune_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_corrections_polling_area_id'), ['polling_area_id'], unique=False)

    op.create_table('progress_count_stations',
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('received', 'returned', 'confirmed', name='reportstatus', native_enum=False, length=20), nullable=False),
    sa.Column('voters_on_list', sa.Integer(), nullable=False),
    sa.Column('voters_voted', sa.Integer(), nullable=False),
    sa.Column('submitted_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_progress_count_stations_contest_id_contests')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_progress_count_stations_election_id_elections')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_progress_count_stations_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['report_id'], ['count_reports.id'], name=op.f('fk_progress_count_stations_report_id_count_reports')),
    sa.PrimaryKeyConstraint('polling_area_id', 'contest_id', name=op.f('pk_progress_count_stations'))
    )
    with op.batch_alter_table('progress_count_stations', schema=None) as batch_op:
        batch_op.create_index('ix_progress_count_stations_commune', ['election_id', 'commune_id'], unique=False)

    op.create_table('progress_turnout_stations',
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('slot_at', sa.Time(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('received', 'returned', 'confirmed', name='reportstatus', native_enum=False, length=20), nullable=False),
    sa.Column('voted', sa.Integer(), nullable=False),
    sa.Column('submitted_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_progress_turnout_stations_contest_id_contests')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_progress_turnout_stations_election_id_elections')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_progress_turnout_stations_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['report_id'], ['turnout_reports.id'], name=op.f('fk_progress_turnout_stations_report_id_turnout_reports')),
    sa.PrimaryKeyConstraint('election_id', 'polling_area_id', 'slot_at', 'contest_id', name=op.f('pk_progress_turnout_stations'))
    )
    with op.batch_alter_table('progress_turnout_stations', schema=None) as batch_op:
        batch_op.create_index('ix_progress_turnout_stations_commune', ['election_id', 'commune_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('progress_turnout_stations', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_turnout_stations_commune')

    op.drop_table('progress_turnout_stations')
    with op.batch_alter_table('progress_count_stations', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_count_stations_commune')

    op.drop_table('progress_count_stations')
    with op.batch_alter_table('progress_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_corrections_polling_area_id'))
        batch_op.drop_index('ix_progress_corrections_place')

    op.drop_table('progress_corrections')
    with op.batch_alter_table('progress_turnout_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_turnout_rollups_province')
        batch_op.drop_index('ix_progress_turnout_rollups_due')

    op.drop_table('progress_turnout_rollups')
    with op.batch_alter_table('progress_count_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_count_rollups_province')

    op.drop_table('progress_count_rollups')
    op.drop_table('progress_state')
    op.drop_table('progress_dirty')
