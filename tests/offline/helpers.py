"""Small steps the offline browser tests share: wait for the service worker, read the outbox, fill the test form."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

SW_READY = """async () => {
  const reg = await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, {once: true}));
  }
  return reg.active.scriptURL;
}"""

OUTBOX = "async () => (await window.Outbox.items()).map(i => ({uuid: i.client_uuid, state: i.state, label: i.label, error: i.last_error, kind: i.kind}))"

CACHES = """async () => {
  const out = {};
  for (const name of await caches.keys()) {
    out[name] = (await (await caches.open(name)).keys()).map(r => new URL(r.url).pathname + new URL(r.url).search);
  }
  return out;
}"""

# The service worker warms the leader's pages after the page's load event; wait until it has kept them.
PAGES_KEPT = """async (paths) => {
  for (const name of await caches.keys()) {
    if (!name.startsWith('pages-')) continue;
    const cache = await caches.open(name);
    const have = await Promise.all(paths.map(p => cache.match(p)));
    if (have.every(Boolean)) return true;
  }
  return false;
}"""


def wait_until(check: Callable[[], object], timeout: float = 20, message: str = "condition",
               page: Page | None = None) -> object:
    """Poll ``check``. With ``page``, wait through Playwright so that route handlers keep running meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}; last value {value!r}")
        if page is not None:
            page.wait_for_timeout(200)
        else:
            time.sleep(0.2)


def controlled(page: Page) -> None:
    page.evaluate(SW_READY)


def outbox(page: Page) -> list[dict]:
    """The items waiting in the page's outbox (the page may be navigating: the app moves on after a send)."""
    for _ in range(20):
        try:
            page.wait_for_load_state()
            page.wait_for_function("() => !!window.Outbox")
            return page.evaluate(OUTBOX)
        except PlaywrightError as exc:
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
    raise AssertionError("the page kept navigating")


def keep_pages(page: Page, paths: list[str]) -> None:
    wait_until(lambda: page.evaluate(PAGES_KEPT, paths), message=f"pages kept: {paths}", page=page)


def submit_test_form(page: Page, slot: str, voters: str) -> None:
    """Open the test form (from the network or the service worker's cache) and send it."""
    page.goto(f"/_test/form?slot={slot}")
    page.fill("#voters", voters)
    page.click("#test-form button[type=submit]")


def go_offline(context: BrowserContext) -> None:
    context.set_offline(True)


def go_online(context: BrowserContext) -> None:
    context.set_offline(False)
