"""drills: an election made from another one (source, place, slot minutes, maker); the election of a hotline call

Revision ID: d1a7e5b3c942
Revises: 7c3d51e9a4b2
Create Date: 2026-12-07 03:00:00
"""
from alembic import op

from webapp.migrate import foreign_keys_off_on_sqlite
import sqlalchemy as sa

revision = 'd1a7e5b3c942'
down_revision = '7c3d51e9a4b2'
branch_labels = None
depends_on = None


def _recreate_sqlite_triggers() -> None:
    # A batch rebuild of ``elections`` on SQLite drops its configuration-version triggers (migration 5e1f0c2a9b7d).
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS elections_configuration_{event.lower()}")
        op.execute(f"CREATE TRIGGER elections_configuration_{event.lower()} AFTER {event} ON elections "
                   "BEGIN UPDATE configuration_version SET token = lower(hex(randomblob(16))) WHERE id = 1; END")


def upgrade() -> None:
    with foreign_keys_off_on_sqlite("elections"), op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_election_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('drill_province_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('drill_slot_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_elections_source_election_id'), ['source_election_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_elections_source_election_id_elections'), 'elections',
                                    ['source_election_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_elections_drill_province_id_provinces'), 'provinces',
                                    ['drill_province_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_elections_created_by_id_users'), 'users',
                                    ['created_by_id'], ['id'])
    _recreate_sqlite_triggers()
    with foreign_keys_off_on_sqlite("call_logs"), op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('election_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_call_logs_election_id'), ['election_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_call_logs_election_id_elections'), 'elections',
                                    ['election_id'], ['id'])
    # The calls made so far were made in the election being run.
    op.execute("UPDATE call_logs SET election_id = (SELECT id FROM elections WHERE source_election_id IS NULL "
               "ORDER BY polling_date DESC, id DESC LIMIT 1)")


def downgrade() -> None:
    with foreign_keys_off_on_sqlite("call_logs"), op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_call_logs_election_id_elections'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_call_logs_election_id'))
        batch_op.drop_column('election_id')
    with foreign_keys_off_on_sqlite("elections"), op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_elections_created_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_elections_drill_province_id_provinces'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_elections_source_election_id_elections'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_elections_source_election_id'))
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('drill_slot_minutes')
        batch_op.drop_column('drill_province_id')
        batch_op.drop_column('source_election_id')
    _recreate_sqlite_triggers()
