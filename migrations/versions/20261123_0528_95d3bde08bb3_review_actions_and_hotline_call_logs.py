"""review actions and hotline call logs

The commune's decisions about report versions (confirm, return with reason codes, reopen with a written
reason: webapp.review) and the hotline's call log with each call's outcome (webapp.hotline).

Revision ID: 95d3bde08bb3
Revises: a73b02ef1d28
Create Date: 2026-11-23 05:28:26.215581
"""
from alembic import op
import sqlalchemy as sa
import webapp.db


revision = '95d3bde08bb3'
down_revision = 'a73b02ef1d28'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('slot_at', sa.Time(), nullable=True),
    sa.Column('outcome', sa.Enum('reached', 'no_answer', 'reported_by_phone', 'device_problem', name='calloutcome', native_enum=False, length=20), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=False),
    sa.Column('at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['caller_id'], ['users.id'], name=op.f('fk_call_logs_caller_id_users')),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_call_logs_commune_id_communes')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_call_logs_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_call_logs_province_id_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_logs'))
    )
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.create_index('ix_call_logs_area_at', ['polling_area_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_logs_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index('ix_call_logs_province_at', ['province_id', 'at'], unique=False)

    op.create_table('review_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('turnout', 'count', name='reportkind', native_enum=False, length=10), nullable=False),
    sa.Column('turnout_report_id', sa.Integer(), nullable=True),
    sa.Column('count_report_id', sa.Integer(), nullable=True),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('confirm', 'return', 'reopen', name='decision', native_enum=False, length=10), nullable=False),
    sa.Column('status_before', sa.Enum('received', 'returned', 'confirmed', name='reportstatus', native_enum=False, length=20), nullable=False),
    sa.Column('status_after', sa.Enum('received', 'returned', 'confirmed', name='reportstatus', native_enum=False, length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(turnout_report_id IS NULL) <> (count_report_id IS NULL)', name=op.f('ck_review_actions_one_report')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_review_actions_actor_id_users')),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_review_actions_commune_id_communes')),
    sa.ForeignKeyConstraint(['count_report_id'], ['count_reports.id'], name=op.f('fk_review_actions_count_report_id_count_reports')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_review_actions_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_review_actions_province_id_provinces')),
    sa.ForeignKeyConstraint(['turnout_report_id'], ['turnout_reports.id'], name=op.f('fk_review_actions_turnout_report_id_turnout_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_actions'))
    )
    with op.batch_alter_table('review_actions', schema=None) as batch_op:
        batch_op.create_index('ix_review_actions_commune_at', ['commune_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_actions_count_report_id'), ['count_report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_actions_polling_area_id'), ['polling_area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_actions_turnout_report_id'), ['turnout_report_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_actions_turnout_report_id'))
        batch_op.drop_index(batch_op.f('ix_review_actions_polling_area_id'))
        batch_op.drop_index(batch_op.f('ix_review_actions_count_report_id'))
        batch_op.drop_index('ix_review_actions_commune_at')

    op.drop_table('review_actions')
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_call_logs_province_at')
        batch_op.drop_index(batch_op.f('ix_call_logs_commune_id'))
        batch_op.drop_index('ix_call_logs_area_at')

    op.drop_table('call_logs')
