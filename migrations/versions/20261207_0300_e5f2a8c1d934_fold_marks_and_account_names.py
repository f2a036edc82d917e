"""fold dashes and apostrophes in the searchable names; accounts searchable without diacritics

``users.name_folded``: the account's full name folded (webapp.textnorm.fold), for an accents-optional search of
accounts. The ``name_folded`` columns of provinces, communes, polling areas and candidates are folded again: the
fold now maps every dash to "-" (no spaces around it) and every apostrophe to "'". The fold is copied here as it
was at this revision, so that this migration keeps doing what it did whatever the app's fold becomes.

Revision ID: e5f2a8c1d934
Revises: d8e2f41a7c63
Create Date: 2026-12-07 03:00:00
"""
import re
import unicodedata

from alembic import op

from webapp.migrate import foreign_keys_off_on_sqlite
import sqlalchemy as sa


revision = 'e5f2a8c1d934'
down_revision = 'd8e2f41a7c63'
branch_labels = None
depends_on = None

_MARKS = str.maketrans({**{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"},
                        **{c: "'" for c in "\u2018\u2019\u201a\u201b\u02bc\u02b9\u2032\uff07\u0060\u00b4"}})
_AROUND_DASH = re.compile(r"\s*-\s*")
FOLDED = (("provinces", "name"), ("communes", "name"), ("polling_areas", "name"), ("candidates", "full_name"))
BATCH = 5000


def _strip(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold_now(value: str) -> str:
    return _AROUND_DASH.sub("-", " ".join(_strip(value.translate(_MARKS)).lower().split()))


def fold_before(value: str) -> str:
    return " ".join(_strip(value).lower().split())


def _refold(table: str, column: str, fold, where: str = "") -> None:  # type: ignore[no-untyped-def]
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {column}, name_folded FROM {table} {where}")).all()
    changed = [{"id": i, "folded": fold(name or "")} for i, name, old in rows if fold(name or "") != old]
    update = sa.text(f"UPDATE {table} SET name_folded = :folded WHERE id = :id")
    for start in range(0, len(changed), BATCH):
        conn.execute(update, changed[start:start + BATCH])


def upgrade() -> None:
    op.add_column("users", sa.Column("name_folded", sa.String(length=200), server_default="", nullable=False))
    _refold("users", "full_name", fold_now, "WHERE full_name <> ''")
    for table, column in FOLDED:
        _refold(table, column, fold_now)


def downgrade() -> None:
    for table, column in FOLDED:
        _refold(table, column, fold_before)
    with foreign_keys_off_on_sqlite("users"), op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("name_folded")
