"""Run Alembic from Python: the CLI, the tests and ``make run`` all migrate the same way."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from webapp.paths import ROOT


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


@contextlib.contextmanager
def foreign_keys_off_on_sqlite(table: str) -> Iterator[None]:
    """Inside a migration: SQLite rebuilds a table it alters (batch: copy, drop, rename), which the rows referring
    to it would refuse. The foreign keys are off meanwhile (SQLite's own recipe for altering a table) and checked
    again afterwards; other databases alter in place and need nothing."""
    from alembic import op

    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        with op.get_context().autocommit_block():  # the pragma is ignored inside a transaction
            op.execute("PRAGMA foreign_keys = OFF")
    yield
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys = ON")
        if op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
            raise RuntimeError(f"{table}: a row refers to a row that no longer exists")
