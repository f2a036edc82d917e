"""Fixtures for the offline tests: a live server of our own (demo data in a fresh database, a copy of static/ that
a test may change to deploy a "new version", the test-only form of ``testapp.py``) that can be stopped and started
again on the same port, and Debian's Chromium through Playwright. Without Chromium the browser tests skip, or
fail when ``CI=true``."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy.orm import Session

from tests.browser.conftest import CHROMIUM_ARGS, HEIGHT, WIDTH, chromium_path, require_chromium
from tests.conftest import ARTIFACTS
from tests.live_server import LiveServer, demo_day, serve
from tests.offline import testapp
from tests.world import NOW, PASSWORD
from webapp import ROOT
from webapp.accounts import services as accounts
from webapp.accounts.models import Role, User
from webapp.elections.models import PollingArea

# Election day, just after the 11:30 report time opened: the turnout form takes reports.
CLOCK = "2026-03-15T11:35"
CONTEXT_ARGS: dict[str, Any] = {"viewport": {"width": WIDTH, "height": HEIGHT}, "device_scale_factor": 2,
                                "is_mobile": True, "has_touch": True, "locale": "vi-VN"}


LEADERS = [f"off{n:02d}" for n in range(1, 18)]
# Kept out of the ``leader`` pool for the tests of drafts (test_drafts_browser.py): the pool hands out areas in
# order, and the older tests pass on the first ones; two more tests taking from it moved them to other areas.
# One per test that takes from the pool (15 since screens-gaps' refused turnout joined main's readiness checks).
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
    require_chromium()
    static_dir = Path(tempfile.mkdtemp(prefix="baucu-static-")) / "static"
    shutil.copytree(ROOT / "static", static_dir)

    def build(session: Session) -> None:
        demo_day(session)
        _add_leaders(session)

    def prepare(app: Flask) -> None:
        app.static_folder = str(static_dir)
        app.register_blueprint(testapp.bp)

    try:
        with serve("offline", build, {"SECRET_KEY": "offline-test-secret-key-0123456789abcdef",
                                      "REPORTING_CLOCK_OVERRIDE": CLOCK,
                                      "UPLOAD_FOLDER": str(Path(tempfile.mkdtemp()) / "up")}, prepare) as server:
            server.static_dir = static_dir
            yield server
    finally:
        shutil.rmtree(static_dir.parent, ignore_errors=True)


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
