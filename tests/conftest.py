"""Fixtures: a migrated database per test run (SQLite, or PostgreSQL with TEST_DATABASE_URL), the demo
world loaded once, and a transaction per test that is rolled back afterwards."""

from __future__ import annotations

import atexit
import os
import re
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
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


def create_database(base_url: str | None, label: str, template: str | None = None) -> tuple[str, callable]:
    """A new database: a temporary SQLite file, or a fresh PostgreSQL database next to base_url; empty, or a copy
    of ``template`` (the URL of a database nobody is connected to)."""
    if _RUNNING and _RUNNING[-1].get_closest_marker("no_database"):
        pytest.fail(f"{_RUNNING[-1].nodeid} is marked no_database but makes a database", pytrace=False)
    if base_url and _RUNNING and _RUNNING[-1].get_closest_marker("sqlite_only"):
        pytest.fail(f"{_RUNNING[-1].nodeid} is marked sqlite_only but makes a database at TEST_DATABASE_URL",
                    pytrace=False)
    if not base_url:
        directory = tempfile.mkdtemp(prefix="baucu-test-")
        url = f"sqlite:///{directory}/{label}.sqlite3"
        if template:
            with closing(sqlite3.connect(template.removeprefix("sqlite:///"))) as source, \
                    closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as target:
                source.backup(target)
        return url, lambda: None
    name = f"baucu_{label}_{_worker()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    create = f'CREATE DATABASE "{name}"'
    if template:
        create += f' TEMPLATE "{sa.make_url(template).database}"'
    for attempt in range(50):
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(create)
            break
        except sa.exc.DBAPIError as error:
            # The template's last connection may still be closing ("source database … is being accessed by
            # other users"): PostgreSQL copies a database nobody is connected to.
            if "being accessed by other users" not in str(error) or attempt == 49:
                raise
            time.sleep(0.1)
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
    there, such as the demo), committed.

    Made by copying a template (a SQLite backup, PostgreSQL's ``CREATE DATABASE … TEMPLATE``) that is migrated,
    and built, once per process: a module-level ``build`` (``world.build``, ``live_server.demo_day``) is copied
    built; a ``build`` made inside a fixture (it may differ from call to call) runs on a copy of the migrated
    template. Running the whole migration chain for every fixture cost 0.4 s on SQLite and 0.7 s on PostgreSQL
    each time (tests/test_migrations.py runs the migrations for real)."""
    if "<locals>" in build.__qualname__:
        url, drop = migrated_database(base_url, label)
        _fill(url, build)
        return url, drop
    return create_database(base_url, label, template=_template(base_url, build))


def migrated_database(base_url: str | None, label: str) -> tuple[str, Callable[[], None]]:
    """A new database (as ``create_database``) at the migrations' head, empty: a copy of a template migrated once
    per process."""
    return create_database(base_url, label, template=_template(base_url, None))


_TEMPLATES: dict[tuple[str | None, str], str] = {}  # (base URL, what it holds) -> the template's URL, this process


def _fill(url: str, build: Callable[[Session], object]) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        build(session)
        session.commit()
    engine.dispose()


def _template(base_url: str | None, build: Callable[[Session], object] | None) -> str:
    """The URL of a database that is migrated (and holds what ``build`` made, if given); made once per process and
    dropped when the process ends."""
    key = (base_url, "migrated" if build is None else f"{build.__module__}.{build.__qualname__}")
    if key not in _TEMPLATES:
        if build is None:
            url, drop = create_database(base_url, "tpl")
            migrate.upgrade(url)
        else:
            url, drop = create_database(base_url, "tpl", template=_template(base_url, None))
            _fill(url, build)
        _DROPS.append(drop)
        _TEMPLATES[key] = url
    return _TEMPLATES[key]


_DROPS: list[Callable[[], None]] = []


@atexit.register  # outside pytest (benchmarks/voter_import.py)
def pytest_unconfigure() -> None:
    """Drops the templates. An xdist worker ends without running atexit, so pytest calls this at its end."""
    _TEMPLATES.clear()
    while _DROPS:
        _DROPS.pop()()


_RUNNING: list[pytest.Item] = []  # the test being run, for create_database's check


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked ``no_database`` runs on SQLite only (scripts/test.sh), so it must not reach the database: no
    fixture built on ``database_url`` (checked here) and no ``create_database`` (checked when it runs). A test
    marked ``sqlite_only`` is left out of the PostgreSQL pass too, because it makes SQLite files of its own whatever
    TEST_DATABASE_URL says (that pass would repeat it unchanged): neither ``database_url`` nor a database at
    TEST_DATABASE_URL (``create_database`` with a base URL, checked when it runs)."""
    for item in items:
        for mark in ("no_database", "sqlite_only"):
            if item.get_closest_marker(mark) and "database_url" in getattr(item, "fixturenames", ()):
                raise pytest.UsageError(f"{item.nodeid} is marked {mark} but uses the database_url fixture")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _RUNNING.append(item)
    try:
        return (yield)
    finally:
        _RUNNING.pop()


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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's ``browser`` is one per worker (session scope): whichever test asks for it first launches
    it, so Debian's chromium is chosen here, for every test, not in the modules that happen to import this."""
    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path

    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}
