"""progress: the version at which each place last changed (issue 14 §2: a version per place)

A progress page's version token used the snapshot's one national version, which changes on every refresh while
reports arrive: at the peak every dashboard's poll got 200 and re-rendered its fragment. The refresh now records,
per commune, province and the nation (place 0), the snapshot version at which it last changed; a page's token uses
its own place's. Every place of an election already summarised starts at its current version (what its pages
were last served with changes once, no stale 204).

Revision ID: 5c1e7d0a9b42
Revises: a1d1fa300d5a
Create Date: 2026-12-07 22:30:00
"""
from alembic import op

import sqlalchemy as sa
import webapp.db


revision = '5c1e7d0a9b42'
down_revision = 'a1d1fa300d5a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('progress_place_versions',
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'],
                            name=op.f('fk_progress_place_versions_election_id_elections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('election_id', 'level', 'place_id', name=op.f('pk_progress_place_versions'))
    )
    for level, table in (('commune', 'communes'), ('province', 'provinces')):
        op.execute(f"INSERT INTO progress_place_versions (election_id, level, place_id, version, changed_at) "
                   f"SELECT s.election_id, '{level}', p.id, s.version, s.refreshed_at "
                   f"FROM progress_state s CROSS JOIN {table} p WHERE s.version > 0")
    op.execute("INSERT INTO progress_place_versions (election_id, level, place_id, version, changed_at) "
               "SELECT election_id, 'nation', 0, version, refreshed_at FROM progress_state WHERE version > 0")


def downgrade() -> None:
    op.drop_table('progress_place_versions')
