"""Engine, one session per request, the declarative base and shared column types."""

from __future__ import annotations

import enum
import functools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from werkzeug.local import LocalProxy

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


def insert_rows(session: Session, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Many new rows (each the values of ``columns``) at once: COPY on PostgreSQL, Core executemany elsewhere. psycopg
    turns an INSERT's parameters into the server's in Python, about 0.3 s for 1,000 rows of 20 columns; COPY sends
    the rows as they are. Enums go as their values (``enum_type``)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        params = [dict(zip(columns, row, strict=True)) for row in rows]
        if params:
            conn.execute(sa.insert(table), params)
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([v.value if isinstance(v, enum.Enum) else v for v in row])


def among(session: Session, column: Any, values: Sequence[Any], size: int = 1000) -> Iterator[Any]:
    """Conditions that together select ``column IN values``, one statement's worth each: a single array parameter
    on PostgreSQL (psycopg converts every parameter of a statement in Python, which for thousands of them costs
    more than the query), chunks of ``size`` elsewhere."""
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        yield column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
        return
    for start in range(0, len(values), size):
        yield column.in_(values[start:start + size])


def default_sqlite_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'webapp.sqlite3'}"


def normalise_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` forms that hosting tools hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, busy_timeout: float = 30.0, **kwargs: Any) -> Engine:
    """``busy_timeout``: on SQLite, how many seconds a write waits for another writer before giving up."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": busy_timeout}, **kwargs)
        _configure_sqlite(engine, busy_timeout)
        return engine
    engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **kwargs)
    # An executemany INSERT goes as one multi-row INSERT (SQLAlchemy's "insertmanyvalues", in pages of 1,000 rows),
    # as it does on psycopg2, instead of psycopg 3's one execution per row: a count minutes' votes are one statement
    # for the server, not one per candidate; bulk loads are faster too.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


# How a transaction begins on SQLite: a connection's execution option; IMMEDIATE unless it says DEFERRED.
SQLITE_BEGIN = "sqlite_begin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; the SQLAlchemy docs' recipe takes it over.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cur.close()

    # A transaction that read and then writes cannot wait for another writer: once that writer has committed,
    # its snapshot is stale and SQLite refuses at once ("database is locked", whatever the busy timeout). BEGIN
    # IMMEDIATE takes the write lock first, waiting for it under the busy timeout. Only the requests that cannot
    # write (GET, HEAD) begin DEFERRED, so that readers never queue behind an import (WAL lets them read meanwhile).
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Not in AUTOCOMMIT (Alembic's autocommit_block: a pragma that is ignored inside a transaction).
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        mode = "DEFERRED" if conn.get_execution_options().get(SQLITE_BEGIN) == "DEFERRED" else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked": another writer held the lock past the busy timeout, or this
    transaction's snapshot went stale before its first write."""
    import sqlite3

    return isinstance(exc, OperationalError) and isinstance(exc.orig, sqlite3.OperationalError) and (
        getattr(exc.orig, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
        or "database is locked" in str(exc.orig))


LOCK_RETRIES = 3
LOCK_RETRY_WINDOW = 5.0  # seconds: a write that already waited out the busy timeout is not tried again


def _uploads_rewound() -> bool:
    """The request's uploaded files back at their start for the next try (False if one was closed)."""
    try:
        for upload in request.files.values():
            upload.stream.seek(0)
    except (ValueError, OSError):
        return False
    return True


def unit_of_work(view: Callable[..., Any], *, retry_locked: bool) -> Callable[..., Any]:
    """One commit per request, here and nowhere else (as Indico's request handler does): the view's answer
    below 400 commits what it wrote, a 4xx/5xx answer or an exception rolls it all back (an invalid form writes
    nothing). With ``retry_locked`` (SQLite), a write refused because of another writer runs the view again (a
    few times, briefly): a request that began as a reader (GET) and wrote, whose snapshot went stale; the
    rolled-back session's next transaction begins IMMEDIATE, so the next try waits for the lock instead. What
    still fails becomes the "busy, try again" answer (errors.py), never a 500."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        for attempt in range(LOCK_RETRIES + 1):
            try:
                response = current_app.make_response(view(*args, **kwargs))
                _finish(commit=response.status_code < 400)
                return response
            except OperationalError as exc:
                _finish(commit=False)
                late = time.monotonic() - started > LOCK_RETRY_WINDOW
                if (not retry_locked or not is_locked(exc) or attempt == LOCK_RETRIES or late
                        or not _uploads_rewound()):
                    raise
            except BaseException:
                _finish(commit=False)
                raise
            time.sleep(0.02 * 2**attempt)
        raise AssertionError("unreachable")

    return wrapped


def _finish(*, commit: bool) -> None:
    """End the request's transaction (if it opened one), then run what waited for the commit."""
    current: Session | None = g.get("db_session")
    waiting: list[Callable[[], None]] = g.pop("after_commit", [])
    if current is None:
        return
    if not commit:
        current.rollback()
        return
    current.commit()
    for action in waiting:
        action()


def after_commit(action: Callable[[], None]) -> None:
    """Run ``action`` once the request's writes are committed (never if they are rolled back): what another
    process must find in the database, such as a job handed to the queue."""
    g.setdefault("after_commit", []).append(action)


class Database:
    """The app's engine and session factory; tests rebind the factory to a connection."""

    def __init__(self, url: str, *, busy_timeout: float = 30.0) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, busy_timeout=busy_timeout)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_URL") or default_sqlite_url(app.instance_path)
    app.extensions["db"] = Database(url, busy_timeout=float(app.config.get("SQLITE_BUSY_TIMEOUT", 30)))
    app.teardown_appcontext(_close_session)


def install_unit_of_work(app: Flask) -> None:
    """Around every view (call once all are registered): ``unit_of_work``, retrying lock errors on SQLite."""
    retry_locked = get_db(app).is_sqlite
    for endpoint, view in app.view_functions.items():
        app.view_functions[endpoint] = unit_of_work(view, retry_locked=retry_locked)


def get_db(app: Flask | None = None) -> Database:
    from flask import current_app

    return (app or current_app).extensions["db"]


def _get_session() -> Session:
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
        if has_request_context() and request.method in SAFE_METHODS and get_db().is_sqlite:
            # Only this first transaction: after a commit or a rollback (a retry), the next one is IMMEDIATE.
            g.db_session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
    return g.db_session


def continue_as_reader() -> None:
    """After a lock error: roll back, and let the rest of the request (its error page, which reads the user)
    read without waiting for the write lock again."""
    current = _get_session()
    current.rollback()
    if get_db().is_sqlite:
        current.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        # Whatever the request did not commit is rolled back here (unit_of_work commits, or a CLI command does).
        session.close()


session: Session = LocalProxy(_get_session)  # type: ignore[assignment]
