"""Fixtures: a migrated database per test run (SQLite, or PostgreSQL with TEST_DATABASE_URL), the demo
world loaded once, and a transaction per test that is rolled back afterwards."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import world
from webapp import create_app, migrate
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.db import make_engine

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def create_database(base_url: str | None, label: str) -> tuple[str, callable]:
    """A new empty database: a temporary SQLite file, or a fresh PostgreSQL database next to base_url."""
    if not base_url:
        directory = tempfile.mkdtemp(prefix="baucu-test-")
        return f"sqlite:///{directory}/{label}.sqlite3", lambda: None
    name = f"baucu_{label}_{_worker()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", base_url.split("://", 1)[1], count=1)
    url = base_url.split("://", 1)[0] + "://" + url

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()

    return url, drop


def world_database(base_url: str | None, label: str,
                   build: Callable[[Session], object] = world.build) -> tuple[str, Callable[[], None]]:
    """A new database (as ``create_database``), migrated and holding the test world (or what ``build`` puts
    there, such as the demo), committed."""
    url, drop = create_database(base_url, label)
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        build(session)
        session.commit()
    engine.dispose()
    return url, drop


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url, drop = world_database(os.environ.get("TEST_DATABASE_URL"), "t")
    yield url
    drop()


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    # Jobs run as they are queued, inside the request (huey's immediate mode): these tests check the HTTP contract;
    # tests/jobs/ runs a real consumer.
    application = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                              "JOBS_IMMEDIATE": True, "JOBS_DIR": tempfile.mkdtemp(prefix="baucu-jobs-")})
    yield application
    application.extensions["db"].engine.dispose()


@pytest.fixture(autouse=True)
def form_files(request: pytest.FixtureRequest) -> None:
    """Each test's PDFs of forms in a folder of its own: they are named by the data they print, and the tests'
    rolled-back data gives the same ids to other names and figures."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["RESULTS_EXPORT_DIR"] = str(request.getfixturevalue("tmp_path"))


@pytest.fixture
def connection(app: Flask) -> Iterator[sa.Connection]:
    database = app.extensions["db"]
    conn = database.engine.connect()
    outer = conn.begin()
    original = database.sessionmaker.kw.copy()
    database.sessionmaker.configure(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield conn
    finally:
        database.sessionmaker.configure(**original)
        outer.rollback()
        conn.close()


@pytest.fixture
def db_session(app: Flask, connection: sa.Connection) -> Iterator[Session]:
    session = app.extensions["db"].sessionmaker()
    audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
    yield session
    session.close()


@pytest.fixture
def w(db_session: Session) -> world.World:
    """Handles on the demo world and the second province used for out-of-scope checks."""
    return world.World(db_session)


@pytest.fixture
def client(app: Flask, connection: sa.Connection) -> Iterator[FlaskClient]:
    from webapp.extensions import limiter

    limiter.reset()
    yield app.test_client()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, f"no csrf meta tag on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = world.PASSWORD) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


@pytest.fixture
def as_user(client: FlaskClient):  # type: ignore[no-untyped-def]
    """``as_user("xa")`` signs the test client in as that account."""

    def sign_in(username: str) -> FlaskClient:
        login(client, username)
        return client

    return sign_in
