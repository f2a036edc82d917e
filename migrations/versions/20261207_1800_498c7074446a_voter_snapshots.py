"""voter snapshots: the figures of every area's list at a moment, precomputed for the voter-change report

A province's report read every row of the province (5–7 s at 3 million voters): the jobs worker now stores, per
snapshot moment, each area's voters on the list per contest and sex, first-time voters and voters 80 or older, and
the report sums them by commune; and the preparation progress's figures of each list (rows, first listed, cards
handed out and the last).

Revision ID: 498c7074446a
Revises: b824dfb48da2
Create Date: 2026-12-07 18:00:00
"""
from alembic import op

import sqlalchemy as sa
import webapp.db


revision = '498c7074446a'
down_revision = 'b824dfb48da2'
branch_labels = None
depends_on = None

FIGURES = ('na_male', 'na_female', 'province_male', 'province_female', 'commune_male', 'commune_female',
           'first_time', 'elderly')


def upgrade() -> None:
    op.create_table('voter_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('taken_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scheduled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_voter_snapshots_election_id_elections'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voter_snapshots')),
    sa.UniqueConstraint('election_id', 'at', name=op.f('uq_voter_snapshots_election_id_at'))
    )
    op.create_table('voter_snapshot_areas',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in FIGURES],
    sa.Column('listed', sa.Integer(), nullable=False),
    sa.Column('listed_since', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cards', sa.Integer(), nullable=False),
    sa.Column('cards_at', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'],
                            name=op.f('fk_voter_snapshot_areas_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['voter_snapshots.id'],
                            name=op.f('fk_voter_snapshot_areas_snapshot_id_voter_snapshots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('snapshot_id', 'polling_area_id', name=op.f('pk_voter_snapshot_areas'))
    )


def downgrade() -> None:
    op.drop_table('voter_snapshot_areas')
    op.drop_table('voter_snapshots')
