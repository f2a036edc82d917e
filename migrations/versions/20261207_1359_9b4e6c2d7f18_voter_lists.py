"""voter lists

The voters behind the counts (issue 15): one row per voter on a polling area's list (Mẫu 31/HĐBC), the changes
(biến động) with cause, document, who and when, and which areas' lists were frozen at the start of voting. A
voter is listed once in the country: a unique index on (election, ID number) over the rows not removed.

Revision ID: 9b4e6c2d7f18
Revises: e5f2a8c1d934
Create Date: 2026-12-07 13:59:47.157253
"""
from alembic import op
import sqlalchemy as sa
import webapp.db


revision = '9b4e6c2d7f18'
down_revision = 'e5f2a8c1d934'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('voter_list_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('stt', sa.Integer(), nullable=False),
    sa.Column('card_number', sa.String(length=20), nullable=True),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('name_folded', sa.String(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('gender', sa.Enum('male', 'female', name='gender', native_enum=False, length=10), nullable=False),
    sa.Column('id_number', sa.String(length=12), nullable=False),
    sa.Column('ethnicity', sa.String(length=50), nullable=False),
    sa.Column('permanent_address', sa.String(length=300), nullable=False),
    sa.Column('temporary_address', sa.String(length=300), nullable=False),
    sa.Column('current_address', sa.String(length=300), nullable=False),
    sa.Column('temporary_since', sa.Date(), nullable=True),
    sa.Column('votes_na', sa.Boolean(), nullable=False),
    sa.Column('votes_province', sa.Boolean(), nullable=False),
    sa.Column('votes_commune', sa.Boolean(), nullable=False),
    sa.Column('household_key', sa.String(length=60), nullable=True),
    sa.Column('household_order', sa.Integer(), nullable=False),
    sa.Column('note_code', sa.Enum('temporary_resident', 'detained_temporary', 'detained_custody', 'measure', 'mobile_box', 'quarantine', 'votes_elsewhere', 'votes_at_residence', 'other', name='voternote', native_enum=False, length=30), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('removed_at', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('removal_cause', sa.Enum('moved_away', 'moved_in', 'temporary_residence', 'certificate_given', 'certificate_received', 'detained', 'released', 'rights_lost', 'rights_restored', 'death', 'unreachable', 'correction', 'other', name='voterchangecause', native_enum=False, length=30), nullable=True),
    sa.Column('added_after_posting', sa.Boolean(), nullable=False),
    sa.Column('card_handed_out_at', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('card_handed_out_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('import_batch', sa.String(length=64), nullable=True),
    sa.Column('origin_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('stt >= 1', name=op.f('ck_voter_list_entries_stt_positive')),
    sa.ForeignKeyConstraint(['card_handed_out_by_id'], ['users.id'], name=op.f('fk_voter_list_entries_card_handed_out_by_id_users')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_voter_list_entries_election_id_elections')),
    sa.ForeignKeyConstraint(['origin_entry_id'], ['voter_list_entries.id'], name=op.f('fk_voter_list_entries_origin_entry_id_voter_list_entries')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_voter_list_entries_polling_area_id_polling_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voter_list_entries')),
    sa.UniqueConstraint('election_id', 'polling_area_id', 'stt', name=op.f('uq_voter_list_entries_election_id_polling_area_id_stt'))
    )
    with op.batch_alter_table('voter_list_entries', schema=None) as batch_op:
        batch_op.create_index('ix_voter_list_entries_area_name', ['polling_area_id', 'name_folded'], unique=False)
        batch_op.create_index('uq_voter_list_entries_listed_once', ['election_id', 'id_number'], unique=True, sqlite_where=sa.text('removed_at IS NULL'), postgresql_where=sa.text('removed_at IS NULL'))

    op.create_table('voter_list_freezes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('frozen_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('frozen_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_voter_list_freezes_election_id_elections')),
    sa.ForeignKeyConstraint(['frozen_by_id'], ['users.id'], name=op.f('fk_voter_list_freezes_frozen_by_id_users')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_voter_list_freezes_polling_area_id_polling_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voter_list_freezes')),
    sa.UniqueConstraint('election_id', 'polling_area_id', name=op.f('uq_voter_list_freezes_election_id_polling_area_id'))
    )
    with op.batch_alter_table('voter_list_freezes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voter_list_freezes_polling_area_id'), ['polling_area_id'], unique=False)

    op.create_table('voter_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cause', sa.Enum('moved_away', 'moved_in', 'temporary_residence', 'certificate_given', 'certificate_received', 'detained', 'released', 'rights_lost', 'rights_restored', 'death', 'unreachable', 'correction', 'other', name='voterchangecause', native_enum=False, length=30), nullable=False),
    sa.Column('document', sa.String(length=300), nullable=False),
    sa.Column('effective_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('certificate_number', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_voter_changes_election_id_elections')),
    sa.ForeignKeyConstraint(['entry_id'], ['voter_list_entries.id'], name=op.f('fk_voter_changes_entry_id_voter_list_entries')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_voter_changes_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_voter_changes_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voter_changes'))
    )
    with op.batch_alter_table('voter_changes', schema=None) as batch_op:
        batch_op.create_index('ix_voter_changes_area_effective', ['polling_area_id', 'effective_at'], unique=False)
        batch_op.create_index('ix_voter_changes_election_effective', ['election_id', 'effective_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_voter_changes_entry_id'), ['entry_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('voter_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voter_changes_entry_id'))
        batch_op.drop_index('ix_voter_changes_election_effective')
        batch_op.drop_index('ix_voter_changes_area_effective')

    op.drop_table('voter_changes')
    with op.batch_alter_table('voter_list_freezes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voter_list_freezes_polling_area_id'))

    op.drop_table('voter_list_freezes')
    with op.batch_alter_table('voter_list_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_voter_list_entries_listed_once', sqlite_where=sa.text('removed_at IS NULL'), postgresql_where=sa.text('removed_at IS NULL'))
        batch_op.drop_index('ix_voter_list_entries_area_name')

    op.drop_table('voter_list_entries')
