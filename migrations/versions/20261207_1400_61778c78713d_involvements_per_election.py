"""four-eyes notes per election: ``station_involvements.election_id``

A drill shares the polling areas and accounts of the real election; the "wrote" notes (one per account, station
and kind) had no election, so a drill's writes barred an official in the real election and the reverse. Each
"wrote" note now belongs to the election of the version written (count minutes: their contest's election;
turnout reports: their own), recorded by the same triggers; a "reset_code" note belongs to no election (the
account is shared: NULL, read in every election). The table is rebuilt from the versions (the "wrote" notes are
derived from them, as migration 7c3d51e9a4b2 first did); the "reset_code" notes are kept as they were.

Revision ID: 61778c78713d
Revises: 9b4e6c2d7f18
Create Date: 2026-12-07 14:00:00
"""
from alembic import op

import sqlalchemy as sa
import webapp.db


revision = '61778c78713d'
down_revision = '9b4e6c2d7f18'
branch_labels = None
depends_on = None

REPORT_TABLES = ("count_reports", "turnout_reports")

# The election of the row just inserted: turnout reports carry it, count minutes carry their contest.
_ELECTION_OF = {
    "turnout_reports": "NEW.election_id",
    "count_reports": "(SELECT election_id FROM contests WHERE id = NEW.contest_id)",
}

_PG_FUNCTION_AFTER = """
CREATE FUNCTION record_station_writer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    election integer;
BEGIN
    IF TG_TABLE_NAME = 'turnout_reports' THEN
        election := NEW.election_id;
    ELSE
        SELECT election_id INTO election FROM contests WHERE id = NEW.contest_id;
    END IF;
    INSERT INTO station_involvements (election_id, polling_area_id, user_id, kind, at)
    VALUES (election, NEW.polling_area_id, NEW.submitted_by_id, 'wrote', NEW.submitted_at)
    ON CONFLICT (election_id, polling_area_id, user_id, kind) DO NOTHING;
    RETURN NULL;
END $$
"""

_PG_FUNCTION_BEFORE = """
CREATE FUNCTION record_station_writer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO station_involvements (polling_area_id, user_id, kind, at)
    VALUES (NEW.polling_area_id, NEW.submitted_by_id, 'wrote', NEW.submitted_at)
    ON CONFLICT (polling_area_id, user_id, kind) DO NOTHING;
    RETURN NULL;
END $$
"""

_SQLITE_TRIGGER_AFTER = """
CREATE TRIGGER {table}_record_writer AFTER INSERT ON {table}
BEGIN
    INSERT INTO station_involvements (election_id, polling_area_id, user_id, kind, at)
    SELECT {election}, NEW.polling_area_id, NEW.submitted_by_id, 'wrote', NEW.submitted_at
    WHERE NOT EXISTS (SELECT 1 FROM station_involvements WHERE election_id = {election}
                      AND polling_area_id = NEW.polling_area_id AND user_id = NEW.submitted_by_id
                      AND kind = 'wrote');
END
"""

_SQLITE_TRIGGER_BEFORE = """
CREATE TRIGGER {table}_record_writer AFTER INSERT ON {table}
BEGIN
    INSERT INTO station_involvements (polling_area_id, user_id, kind, at)
    SELECT NEW.polling_area_id, NEW.submitted_by_id, 'wrote', NEW.submitted_at
    WHERE NOT EXISTS (SELECT 1 FROM station_involvements WHERE polling_area_id = NEW.polling_area_id
                      AND user_id = NEW.submitted_by_id AND kind = 'wrote');
END
"""

_BACKFILL_AFTER = """
INSERT INTO station_involvements (election_id, polling_area_id, user_id, kind, at)
SELECT election_id, polling_area_id, submitted_by_id, 'wrote', MIN(submitted_at) FROM (
    SELECT contests.election_id, polling_area_id, submitted_by_id, submitted_at
    FROM count_reports JOIN contests ON contests.id = count_reports.contest_id
    UNION ALL
    SELECT election_id, polling_area_id, submitted_by_id, submitted_at FROM turnout_reports
) AS versions GROUP BY election_id, polling_area_id, submitted_by_id
"""

_BACKFILL_BEFORE = """
INSERT INTO station_involvements (polling_area_id, user_id, kind, at)
SELECT polling_area_id, submitted_by_id, 'wrote', MIN(submitted_at) FROM (
    SELECT polling_area_id, submitted_by_id, submitted_at FROM count_reports
    UNION ALL
    SELECT polling_area_id, submitted_by_id, submitted_at FROM turnout_reports
) AS versions GROUP BY polling_area_id, submitted_by_id
"""


def _drop_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in REPORT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_record_writer" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS record_station_writer()")


def _create_triggers(pg_function: str, sqlite_trigger: str, with_election: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(pg_function)
        for table in REPORT_TABLES:
            op.execute(f"CREATE TRIGGER {table}_record_writer AFTER INSERT ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION record_station_writer()")
    else:
        for table in REPORT_TABLES:
            op.execute(sqlite_trigger.format(table=table, election=_ELECTION_OF[table] if with_election else ""))


def _resets() -> list[dict]:
    """The code resets' notes (a handful), kept across the rebuild; the first time per station and account."""
    t = sa.table('station_involvements', sa.column('polling_area_id', sa.Integer()), sa.column('user_id', sa.Integer()),
                 sa.column('kind', sa.String()), sa.column('at', webapp.db.UTCDateTime(timezone=True)))
    rows = op.get_bind().execute(sa.select(t.c.polling_area_id, t.c.user_id, sa.func.min(t.c.at).label('at'))
                                 .where(t.c.kind == 'reset_code').group_by(t.c.polling_area_id, t.c.user_id))
    return [dict(row._mapping) for row in rows]


def _kind() -> sa.Enum:
    return sa.Enum('wrote', 'reset_code', name='involvementkind', native_enum=False, length=20)


def _drop_table() -> None:
    with op.batch_alter_table('station_involvements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_involvements_user_id'))
    op.drop_table('station_involvements')


def upgrade() -> None:
    _drop_triggers()
    resets = _resets()
    _drop_table()
    table = op.create_table('station_involvements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=True),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', _kind(), nullable=False),
    sa.Column('at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'reset_code') = (election_id IS NULL)",
                       name=op.f('ck_station_involvements_election_of_kind')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_station_involvements_election_id_elections')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_station_involvements_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_station_involvements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_involvements')),
    sa.UniqueConstraint('election_id', 'polling_area_id', 'user_id', 'kind', name=op.f('uq_station_involvements_election_id_polling_area_id_user_id_kind'))
    )
    with op.batch_alter_table('station_involvements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_involvements_election_id'), ['election_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_station_involvements_user_id'), ['user_id'], unique=False)
    op.execute(_BACKFILL_AFTER)
    if resets:
        op.bulk_insert(table, [{**row, "election_id": None, "kind": "reset_code"} for row in resets])
    _create_triggers(_PG_FUNCTION_AFTER, _SQLITE_TRIGGER_AFTER, with_election=True)


def downgrade() -> None:
    _drop_triggers()
    resets = _resets()
    with op.batch_alter_table('station_involvements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_involvements_election_id'))
    _drop_table()
    table = op.create_table('station_involvements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', _kind(), nullable=False),
    sa.Column('at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_station_involvements_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_station_involvements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_involvements')),
    sa.UniqueConstraint('polling_area_id', 'user_id', 'kind', name=op.f('uq_station_involvements_polling_area_id_user_id_kind'))
    )
    with op.batch_alter_table('station_involvements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_involvements_user_id'), ['user_id'], unique=False)
    op.execute(_BACKFILL_BEFORE)
    if resets:
        op.bulk_insert(table, [{**row, "kind": "reset_code"} for row in resets])
    _create_triggers(_PG_FUNCTION_BEFORE, _SQLITE_TRIGGER_BEFORE, with_election=False)
