"""configuration version: report times and voter counts too

The turnout submission keeps each area's report times and voters on the list per process with the rest of its
configuration (webapp.reports.station), so a write to report_times or voter_counts changes the configuration token
as the other configuration tables' writes do (migration 5e1f0c2a9b7d): the same triggers, on PostgreSQL per
statement, on SQLite per row.

Revision ID: 9855eac79466
Revises: 498c7074446a
Create Date: 2026-12-07 18:00:00
"""
from alembic import op


revision = '9855eac79466'
down_revision = '498c7074446a'
branch_labels = None
depends_on = None

TABLES = ("report_times", "voter_counts")
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            # Per statement: a bulk load of 216,000 voter counts changes the token once.
            op.execute(f"CREATE TRIGGER {table}_configuration_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_configuration_version()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"CREATE TRIGGER {table}_configuration_{event.lower()} AFTER {event} ON {table} "
                           "BEGIN UPDATE configuration_version SET token = lower(hex(randomblob(16))) WHERE id = 1; END")
    # Whatever a process kept before this revision was read without these tables: start afresh.
    op.execute("UPDATE configuration_version SET token = 'report-times-and-voters' WHERE id = 1")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_configuration_changed ON {table}")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_configuration_{event.lower()}")
