"""configuration version; count minutes without a redundant index

One row whose token changes, by triggers, with every write to the election's configuration (elections, contests,
units, candidates, polling areas, their units and teams): the station configuration cache of the count
submission (webapp.reports.station) compares it on every submission. The index on count_reports.polling_area_id
goes: the UNIQUE (polling_area_id, contest_id, version) index leads with the same column.

Revision ID: 5e1f0c2a9b7d
Revises: 95d3bde08bb3
Create Date: 2026-11-23 07:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5e1f0c2a9b7d'
down_revision = '95d3bde08bb3'
branch_labels = None
depends_on = None

# webapp.elections.models.CONFIGURATION_TABLES as of this revision (a later change needs its own migration).
CONFIGURATION_TABLES = ("elections", "contests", "electoral_units", "candidates", "polling_areas",
                        "polling_area_units", "team_members")

_PG_FUNCTION = """
CREATE FUNCTION bump_configuration_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE configuration_version SET token = md5(random()::text || clock_timestamp()::text) WHERE id = 1;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table('configuration_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_configuration_version'))
    )
    op.execute("INSERT INTO configuration_version (id, token) VALUES (1, 'initial')")
    with op.batch_alter_table('count_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_count_reports_polling_area_id')
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in CONFIGURATION_TABLES:
            # Per statement: a bulk load of 72,000 rows changes the token once.
            op.execute(f"CREATE TRIGGER {table}_configuration_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_configuration_version()")
    else:
        for table in CONFIGURATION_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_configuration_{event.lower()} AFTER {event} ON {table} "
                           "BEGIN UPDATE configuration_version SET token = lower(hex(randomblob(16))) WHERE id = 1; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in CONFIGURATION_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_configuration_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_configuration_version()")
    else:
        for table in CONFIGURATION_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_configuration_{event}")
    with op.batch_alter_table('count_reports', schema=None) as batch_op:
        batch_op.create_index('ix_count_reports_polling_area_id', ['polling_area_id'], unique=False)
    op.drop_table('configuration_version')
