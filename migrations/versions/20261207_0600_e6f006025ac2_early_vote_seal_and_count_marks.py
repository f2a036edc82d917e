"""early-vote seal of the progress rollups; count marks

``count_marks``: a polling team's marks of its count per contest (counting, counted, minutes signed, irregular),
only ever added (webapp.counting).

``progress_state.sealed``: the last refresh summed the count minutes under the early-vote seal
(webapp.reports.secrecy); when the seal lifts the next refresh rebuilds everything.

Revision ID: e6f006025ac2
Revises: 4b9e07c2d6f1
Create Date: 2026-12-07 06:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import webapp.db

from webapp.migrate import foreign_keys_off_on_sqlite


revision = 'e6f006025ac2'
down_revision = '4b9e07c2d6f1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('count_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('mark', sa.Enum('counting', 'counted', 'signed', 'irregular', name='mark', native_enum=False,
                              length=12), nullable=False),
    sa.Column('client_uuid', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.Enum('web', 'api', 'import', 'phone', 'cli', 'system', 'drill-bot', name='channel',
                                 native_enum=False, length=10), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_count_marks_commune_id_communes')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_count_marks_contest_id_contests')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_count_marks_election_id_elections')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'], name=op.f('fk_count_marks_marked_by_id_users')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'],
                            name=op.f('fk_count_marks_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_count_marks_province_id_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_marks')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_count_marks_client_uuid'))
    )
    op.create_index('ix_count_marks_area_contest_at', 'count_marks', ['polling_area_id', 'contest_id', 'marked_at'])
    op.create_index('ix_count_marks_commune', 'count_marks', ['election_id', 'commune_id'])
    op.create_index(op.f('ix_count_marks_province_id'), 'count_marks', ['province_id'])
    with op.batch_alter_table('progress_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_table('count_marks')
    with foreign_keys_off_on_sqlite('progress_state'), op.batch_alter_table('progress_state') as batch_op:
        batch_op.drop_column('sealed')
