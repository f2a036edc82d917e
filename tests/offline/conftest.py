"""Fixtures for the offline tests: a live server of our own (demo data in a fresh database, a copy of static/ that
a test may change to deploy a "new version", the test-only form of ``testapp.py``) that can be stopped and started
again on the same port, and Debian's Chromium through Playwright. Without Chromium the browser tests skip, or
fail when ``CI=true``."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.browser.conftest import CHROMIUM_ARGS, HEIGHT, MISSING_CHROMIUM, WIDTH, chromium_path
from tests.conftest import ARTIFACTS, create_database
from tests.offline import testapp
from tests.world import NOW, PASSWORD
from webapp import ROOT, create_app, migrate
from webapp.accounts import services as accounts
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.db import make_engine
from webapp.elections.models import PollingArea
from webapp.seed import demo

# Election day, just after the 11:30 report time opened: the turnout form takes reports.
CLOCK = "2026-03-15T11:35"
CONTEXT_ARGS: dict[str, Any] = {"viewport": {"width": WIDTH, "height": HEIGHT}, "device_scale_factor": 2,
                                "is_mobile": True, "has_touch": True, "locale": "vi-VN"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class LiveServer:
    """The app on 127.0.0.1; ``stop()`` and ``start()`` keep the port (the phone sees a server that went away)."""

    def __init__(self, app: Flask, database_url: str, static_dir: Path) -> None:
        self.app = app
        self.database_url = database_url
        self.static_dir = static_dir
        self.port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        for _ in range(50):
            try:
                self._server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                           request_handler=_QuietHandler)
                break
            except OSError:
                time.sleep(0.1)
        assert self._server is not None
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="offline-live-server", daemon=True)
        self._thread.start()

    def ensure_running(self) -> None:
        if self._server is None:
            self.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._server = None

    def scalar(self, statement: sa.Select) -> Any:
        with Session(self.app.extensions["db"].engine) as session:
            return session.scalar(statement)


LEADERS = [f"off{n:02d}" for n in range(1, 17)]
# Kept out of the ``leader`` pool for the tests of drafts (test_drafts_browser.py): the pool hands out areas in
# order, and the older tests pass on the first ones; two more tests taking from it moved them to other areas.
OWN_LEADERS = {"drafts": "off13", "queued": "off14"}
_handed_out: list[str] = []


def _add_leaders(session: Session) -> None:
    """One leader account per test (off01, off02, …), each on a polling area of its own: reports never mix."""
    password = accounts.hash_secret(PASSWORD)
    areas = session.scalars(sa.select(PollingArea).order_by(PollingArea.code).offset(1).limit(len(LEADERS))).all()
    for username, area in zip(LEADERS, areas, strict=True):
        session.add(User(username=username, role=Role.LEADER, full_name=f"Tổ trưởng {area.code}",
                         province_id=area.province_id, commune_id=area.commune_id, polling_area_id=area.id,
                         password_hash=password, created_at=NOW))


@pytest.fixture
def leader() -> str:
    """A leader account no other test has used."""
    username = [u for u in LEADERS if u not in OWN_LEADERS.values()][len(_handed_out)]
    _handed_out.append(username)
    return username


@pytest.fixture(scope="session")
def offline_server() -> Iterator[LiveServer]:
    """The demo in a database of its own, served with a copy of static/ and the test form."""
    if not chromium_path():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{MISSING_CHROMIUM} (CI=true requires the browser tests to run)", pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    url, drop = create_database(os.environ.get("TEST_DATABASE_URL"), "offline")
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        demo.load_demo(session, NOW)
        _add_leaders(session)
        session.commit()
    engine.dispose()
    static_dir = Path(tempfile.mkdtemp(prefix="baucu-static-")) / "static"
    shutil.copytree(ROOT / "static", static_dir)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "offline-test-secret-key-0123456789abcdef",
                      "REPORTING_CLOCK_OVERRIDE": CLOCK, "UPLOAD_FOLDER": str(Path(tempfile.mkdtemp()) / "up")})
    app.static_folder = str(static_dir)
    app.register_blueprint(testapp.bp)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = LiveServer(app, url, static_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        app.extensions["db"].engine.dispose()
        shutil.rmtree(static_dir.parent, ignore_errors=True)
        drop()


@pytest.fixture(autouse=True)
def _server_back_up(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that stopped the server and failed must not take the next tests with it."""
    yield
    if "offline_server" in request.fixturenames:
        request.getfixturevalue("offline_server").ensure_running()


@pytest.fixture
def received() -> testapp.Received:
    testapp.RECEIVED.clear()
    return testapp.RECEIVED


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}


@pytest.fixture
def phone(browser: Browser, offline_server: LiveServer) -> Iterator[Callable[[], BrowserContext]]:
    """``phone()``: a new 360×740 browser context on the live server (closed after the test)."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(base_url=offline_server.url, **CONTEXT_ARGS)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, username: str = "to01", password: str = PASSWORD, next_path: str = "/") -> None:
    page.goto("/login" + (f"?next={next_path}" if next_path != "/" else ""))
    try:
        page.wait_for_selector("#username", timeout=5000)
    except Exception:
        print("DEBUG", page.url, page.inner_text("body")[:400])
        raise
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_function("p => location.pathname === p", arg=next_path)
    page.wait_for_load_state()


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"offline-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
