"""Engine, one session per request, the declarative base and shared column types."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from werkzeug.local import LocalProxy

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware datetime (SQLite would return a naive one)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(cls: type[enum.Enum], length: int = 20) -> sa.Enum:
    """An enum stored as its value in a VARCHAR, the same on SQLite and PostgreSQL."""
    return sa.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def default_sqlite_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'webapp.sqlite3'}"


def normalise_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` forms that hosting tools hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **kwargs)
    # An executemany INSERT goes as one multi-row INSERT (SQLAlchemy's "insertmanyvalues", in pages of 1,000 rows),
    # as it does on psycopg2, instead of psycopg 3's one execution per row: a count minutes' votes are one statement
    # for the server, not one per candidate; bulk loads are faster too.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; the SQLAlchemy docs' recipe takes it over.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Not in AUTOCOMMIT (Alembic's autocommit_block: a pragma that is ignored inside a transaction).
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            conn.exec_driver_sql("BEGIN")


def as_loaded(session: Session, cls: type[T], values: dict[str, Any]) -> T:
    """An instance of ``cls`` with ``values`` (every column), put in ``session`` as if a query had loaded it: what
    the ORM's loader does with a row (the values straight into the instance's dict, no attribute events, no
    history), for hot paths that read or wrote the row with Core. Relationships load on first use."""
    obj = cls.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    if (kept := session.identity_map.get(sa.inspect(obj).key)) is not None:
        return kept  # type: ignore[no-any-return]
    session.add(obj)
    return obj


class Database:
    """The app's engine and session factory; tests rebind the factory to a connection."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_URL") or default_sqlite_url(app.instance_path)
    app.extensions["db"] = Database(url)
    app.teardown_appcontext(_close_session)


def get_db(app: Flask | None = None) -> Database:
    from flask import current_app

    return (app or current_app).extensions["db"]


def _get_session() -> Session:
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        # Whatever the request did not commit is rolled back here: one commit per request, in the view.
        session.close()


session: Session = LocalProxy(_get_session)  # type: ignore[assignment]
