"""polling team members searchable by name without diacritics

``team_members.name_folded``: the member's full name folded (webapp.textnorm.fold), for the hotline's search by
the name of a team member (the leader's name shown in its results). The fold is copied here as it is at this
revision, so that this migration keeps doing what it did whatever the app's fold becomes.

Revision ID: b824dfb48da2
Revises: c93d46927f13
Create Date: 2026-12-07 14:00:00
"""
import re
import unicodedata

from alembic import op

from webapp.migrate import foreign_keys_off_on_sqlite
import sqlalchemy as sa


revision = 'b824dfb48da2'
down_revision = 'c93d46927f13'
branch_labels = None
depends_on = None

_MARKS = str.maketrans({**{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"},
                        **{c: "'" for c in "\u2018\u2019\u201a\u201b\u02bc\u02b9\u2032\uff07\u0060\u00b4"}})
_AROUND_DASH = re.compile(r"\s*-\s*")
BATCH = 5000


def fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value.translate(_MARKS).replace("Đ", "D").replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _AROUND_DASH.sub("-", " ".join(stripped.lower().split()))


def upgrade() -> None:
    op.add_column("team_members", sa.Column("name_folded", sa.String(length=200), server_default="", nullable=False))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, full_name FROM team_members WHERE full_name <> ''")).all()
    update = sa.text("UPDATE team_members SET name_folded = :folded WHERE id = :id")
    changed = [{"id": i, "folded": fold(name)} for i, name in rows]
    for start in range(0, len(changed), BATCH):
        conn.execute(update, changed[start:start + BATCH])


def downgrade() -> None:
    with foreign_keys_off_on_sqlite("team_members"), op.batch_alter_table("team_members") as batch_op:
        batch_op.drop_column("name_folded")
    if op.get_bind().dialect.name == "sqlite":
        # The batch rebuild on SQLite drops the table's configuration-version triggers (migration 5e1f0c2a9b7d).
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS team_members_configuration_{event.lower()}")
            op.execute(f"CREATE TRIGGER team_members_configuration_{event.lower()} AFTER {event} ON team_members "
                       "BEGIN UPDATE configuration_version SET token = lower(hex(randomblob(16))) WHERE id = 1; END")
