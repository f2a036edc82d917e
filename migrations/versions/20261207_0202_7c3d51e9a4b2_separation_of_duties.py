"""separation of duties: who had a hand in a station's figures; the activation codes handed out

``station_involvements``: one row per account, station and kind ("wrote" a version of the station's reports;
"reset_code" of its leader after activation). The "wrote" rows are written by triggers on every INSERT into
count_reports and turnout_reports, so that every way of writing a version, present or future, is recorded
without its code having to remember it (webapp.review.authority reads them). Existing versions are recorded here.

``activation_codes``: every one-time code handed out (who, when, whether it reset an activated account), and
when and from which address it was used.

Integration accounts (role "integration", one province or the whole country) and the scopes of their tokens
(``api_tokens.scopes``).

Revision ID: 7c3d51e9a4b2
Revises: c3a91f7e5d20
Create Date: 2026-12-07 02:00:00
"""
from alembic import op

from webapp.migrate import foreign_keys_off_on_sqlite
import sqlalchemy as sa
import webapp.db


revision = '7c3d51e9a4b2'
down_revision = 'c3a91f7e5d20'
branch_labels = None
depends_on = None

REPORT_TABLES = ("count_reports", "turnout_reports")
_ROLES_BEFORE = (
    "(role = 'leader' AND polling_area_id IS NOT NULL AND commune_id IS NOT NULL AND province_id IS NOT NULL)"
    " OR (role = 'commune' AND polling_area_id IS NULL AND commune_id IS NOT NULL AND province_id IS NOT NULL)"
    " OR (role = 'province' AND polling_area_id IS NULL AND commune_id IS NULL AND province_id IS NOT NULL)"
    " OR (role = 'hotline' AND polling_area_id IS NULL AND commune_id IS NULL)"
    " OR (role = 'admin' AND polling_area_id IS NULL AND commune_id IS NULL AND province_id IS NULL)")
_ROLES_AFTER = _ROLES_BEFORE + " OR (role = 'integration' AND polling_area_id IS NULL AND commune_id IS NULL)"


def _roles(sql: str) -> None:
    with foreign_keys_off_on_sqlite("users"), op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_scope_matches_role'), type_='check')
        batch_op.create_check_constraint('scope_matches_role', sql)

_PG_FUNCTION = """
CREATE FUNCTION record_station_writer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO station_involvements (polling_area_id, user_id, kind, at)
    VALUES (NEW.polling_area_id, NEW.submitted_by_id, 'wrote', NEW.submitted_at)
    ON CONFLICT (polling_area_id, user_id, kind) DO NOTHING;
    RETURN NULL;
END $$
"""

# SQLite: no ON CONFLICT inside a trigger (an outer INSERT's conflict clause would override it); writers are
# serialised there, so "where not exists" is enough.
_SQLITE_TRIGGER = """
CREATE TRIGGER {table}_record_writer AFTER INSERT ON {table}
BEGIN
    INSERT INTO station_involvements (polling_area_id, user_id, kind, at)
    SELECT NEW.polling_area_id, NEW.submitted_by_id, 'wrote', NEW.submitted_at
    WHERE NOT EXISTS (SELECT 1 FROM station_involvements WHERE polling_area_id = NEW.polling_area_id
                      AND user_id = NEW.submitted_by_id AND kind = 'wrote');
END
"""

_BACKFILL = """
INSERT INTO station_involvements (polling_area_id, user_id, kind, at)
SELECT polling_area_id, submitted_by_id, 'wrote', MIN(submitted_at) FROM (
    SELECT polling_area_id, submitted_by_id, submitted_at FROM count_reports
    UNION ALL
    SELECT polling_area_id, submitted_by_id, submitted_at FROM turnout_reports
) AS versions GROUP BY polling_area_id, submitted_by_id
"""


def upgrade() -> None:
    op.create_table('activation_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('after_activation', sa.Boolean(), nullable=False),
    sa.Column('used_at', webapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_ip', sa.String(length=45), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_activation_codes_issued_by_id_users')),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_activation_codes_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activation_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_codes'))
    )
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.create_index('ix_activation_codes_area_issued', ['polling_area_id', 'issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_activation_codes_user_id'), ['user_id'], unique=False)

    op.create_table('station_involvements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('polling_area_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('wrote', 'reset_code', name='involvementkind', native_enum=False, length=20), nullable=False),
    sa.Column('at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['polling_area_id'], ['polling_areas.id'], name=op.f('fk_station_involvements_polling_area_id_polling_areas')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_station_involvements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_involvements')),
    sa.UniqueConstraint('polling_area_id', 'user_id', 'kind', name=op.f('uq_station_involvements_polling_area_id_user_id_kind'))
    )
    with op.batch_alter_table('station_involvements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_involvements_user_id'), ['user_id'], unique=False)

    op.execute(_BACKFILL)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.JSON(), nullable=True))
    _roles(_ROLES_AFTER)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in REPORT_TABLES:
            op.execute(f"CREATE TRIGGER {table}_record_writer AFTER INSERT ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION record_station_writer()")
    else:
        for table in REPORT_TABLES:
            op.execute(_SQLITE_TRIGGER.format(table=table))


def downgrade() -> None:
    op.execute("DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE role = 'integration')")
    op.execute("DELETE FROM users WHERE role = 'integration'")
    _roles(_ROLES_BEFORE)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('scopes')
    for table in REPORT_TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_record_writer ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_record_writer")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS record_station_writer()")
    with op.batch_alter_table('station_involvements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_involvements_user_id'))
    op.drop_table('station_involvements')
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_codes_user_id'))
        batch_op.drop_index('ix_activation_codes_area_issued')
    op.drop_table('activation_codes')
