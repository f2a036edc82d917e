"""follow-up votes and committee members

The members of the Bans and the election committees who sign their minutes (webapp.members).

An additional or repeat election of one unit (webapp.followups): a row naming the unit of the first vote, the kind,
and the follow-up's own election (made from the first vote's, as a drill is, but not a drill).

Revision ID: 4b9e07c2d6f1
Revises: 61778c78713d
Create Date: 2026-12-07 14:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import webapp.db


revision = '4b9e07c2d6f1'
down_revision = '61778c78713d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('follow_up_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('own_unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('additional', 'repeat', name='followupkind', native_enum=False, length=12),
              nullable=False),
    sa.Column('follows_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_follow_up_votes_election_id_elections')),
    sa.ForeignKeyConstraint(['unit_id'], ['electoral_units.id'], name=op.f('fk_follow_up_votes_unit_id_electoral_units')),
    sa.ForeignKeyConstraint(['own_unit_id'], ['electoral_units.id'], name=op.f('fk_follow_up_votes_own_unit_id_electoral_units')),
    sa.ForeignKeyConstraint(['follows_id'], ['follow_up_votes.id'], name=op.f('fk_follow_up_votes_follows_id_follow_up_votes')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_follow_up_votes_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_votes')),
    sa.UniqueConstraint('election_id', name=op.f('uq_follow_up_votes_election_id')),
    sa.UniqueConstraint('unit_id', 'kind', name=op.f('uq_follow_up_votes_unit_id_kind')),
    )
    with op.batch_alter_table('follow_up_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_votes_unit_id'), ['unit_id'], unique=False)
    op.create_table('committee_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.Enum('chair', 'vice_chair', 'secretary', name='memberrole', native_enum=False, length=12),
              nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_committee_members_province_id_provinces')),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_committee_members_commune_id_communes')),
    sa.ForeignKeyConstraint(['unit_id'], ['electoral_units.id'], name=op.f('fk_committee_members_unit_id_electoral_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_members')),
    )
    with op.batch_alter_table('committee_members', schema=None) as batch_op:
        batch_op.create_index('ix_committee_members_body', ['province_id', 'commune_id', 'unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('committee_members', schema=None) as batch_op:
        batch_op.drop_index('ix_committee_members_body')
    op.drop_table('committee_members')
    with op.batch_alter_table('follow_up_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_votes_unit_id'))
    op.drop_table('follow_up_votes')
