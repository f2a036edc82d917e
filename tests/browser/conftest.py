"""Browser tests: the app served by a real HTTP server on a free port, driven by Debian's Chromium through
pytest-playwright (whose ``browser_type_launch_args``, ``browser_context_args`` and ``base_url`` fixtures are
overridden here). Without Chromium the tests skip, or fail when ``CI=true``.

Browser tests in other folders reuse this set-up by importing the overrides into their module or conftest
(``from tests.browser.conftest import browser_context_args, browser_type_launch_args  # noqa: F401``) and asking
for pytest-playwright's ``browser`` / ``new_context`` / ``page``. Never start ``sync_playwright()`` yourself:
pytest-playwright keeps one Playwright per worker for the whole session, and a second one in the same process
fails with "It looks like you are using Playwright Sync API inside the asyncio loop"."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.conftest import ARTIFACTS
from tests.live_server import demo_day, serve
from tests.world import PASSWORD

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
WIDTH, HEIGHT = 360, 740
MISSING_CHROMIUM = "chromium not installed: apt-get install chromium"


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.path.exists(path) else None


def require_chromium() -> None:
    """No browser means skip on a laptop, fail in CI."""
    if chromium_path():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{MISSING_CHROMIUM} (CI=true requires the browser tests to run)", pytrace=False)
    pytest.skip(MISSING_CHROMIUM)


@pytest.fixture(autouse=True, scope="session")
def _require_chromium() -> None:
    """Runs before anything else here."""
    require_chromium()


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The demo in a database of its own, served on 127.0.0.1 with a port the OS picks; yields the base URL."""
    # Imports and exports run inside their request (huey's immediate mode), as in the other HTTP tests;
    # tests/jobs/ runs a real consumer.
    with serve("live", demo_day, {"SECRET_KEY": "browser-test-secret-key-0123456789abcdef", "JOBS_IMMEDIATE": True,
                                  "JOBS_DIR": tempfile.mkdtemp(prefix="baucu-browser-jobs-")}) as server:
        yield server.url


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright's ``base_url``: ``page.goto("/login")`` goes to the live server."""
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": WIDTH, "height": HEIGHT}, "device_scale_factor": 2,
            "is_mobile": True, "has_touch": True, "locale": "vi-VN"}


def sign_in(page: Page, username: str, password: str = PASSWORD) -> Page:
    """Sign in through the login form, as a person would, and wait for the home page."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    # The form is hx-boosted: the home page arrives by XHR and history.pushState, not a navigation.
    page.wait_for_url(lambda url: urlsplit(url).path == "/", timeout=10_000)
    page.wait_for_load_state()
    return page


@pytest.fixture
def logged_in_page(new_context: Callable[..., BrowserContext]) -> Callable[[str], Page]:
    """``logged_in_page("to01")``: a fresh phone-sized browser context signed in as that account."""

    def open_as(username: str) -> Page:
        context = new_context()
        return sign_in(context.new_page(), username)

    return open_as


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under test-artifacts/ (kept after the run, for people to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
