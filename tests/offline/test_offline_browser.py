"""Issue 4 §3, in Debian's Chromium: the leader's turnout reports entered with no network arrive exactly once —
through a server that fails in the middle, an expired session, a refusal (422) fixed on the phone, a browser closed
and opened again, and a new version of the app deployed while reports wait."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserType, Page, Route, expect

from tests.offline.conftest import CHROMIUM_ARGS, CONTEXT_ARGS, chromium_path, shot, sign_in
from tests.offline.helpers import CACHES, controlled, keep_pages, outbox, wait_until
from webapp.reports.models import TurnoutReport

pytestmark = pytest.mark.browser

TURNOUT_FORM = "form[data-offline][action$='/turnout']"


def prepare(page: Page, username: str) -> str:
    """Online once: sign in, see the home page, let the service worker keep the leader's pages."""
    sign_in(page, username)
    controlled(page)
    turnout = page.get_attribute("#leader-home a[href$='/turnout']", "href")
    assert turnout
    keep_pages(page, ["/", "/outbox", turnout])
    return turnout


def enter_turnout(page: Page, turnout: str, voted: int) -> str:
    """Open the turnout form (from the cache when offline), send a number; the client_uuid it went with."""
    page.goto(turnout)
    page.fill(f"{TURNOUT_FORM} #voted", str(voted))
    client_uuid = page.input_value(f"{TURNOUT_FORM} input[name=client_uuid]")
    page.click(f"{TURNOUT_FORM} button[type=submit]")
    return client_uuid


def enter_offline(page: Page, turnout: str, voted: int) -> str:
    client_uuid = enter_turnout(page, turnout, voted)
    page.wait_for_selector(".outbox-status.is-saved")
    return client_uuid


def stored(server, uuids: list[str]) -> list[int]:
    """The voters_voted of each turnout report on the server with one of these client ids (one per row)."""
    ids = [uuid.UUID(u) for u in uuids]
    with server.app.extensions["db"].sessionmaker() as session:
        reports = session.scalars(sa.select(TurnoutReport).where(TurnoutReport.client_uuid.in_(ids))).all()
        return sorted(f.voters_voted for r in reports for f in r.figures[:1])


def wait_empty(page: Page, timeout: float = 60) -> None:
    try:
        wait_until(lambda: not outbox(page), timeout=timeout, message="the outbox to empty", page=page)
    except AssertionError as exc:  # say what is still waiting, and why
        raise AssertionError(f"{exc}; still in the outbox: {outbox(page)}") from None


def test_twenty_reports_offline_arrive_exactly_once(phone, offline_server, leader):
    """Online once → offline → home and form from the cache → 20 reports → network back → exactly 20 rows."""
    context = phone()
    page = context.new_page()
    turnout = prepare(page, leader)

    context.set_offline(True)
    page.goto("/")
    assert page.locator("#leader-home").count() == 1, "the home page opens from the cache"
    uuids = [enter_offline(page, turnout, 100 + 10 * n) for n in range(20)]
    assert len(set(uuids)) == 20, "every opening of the cached form gets its own client_uuid"
    items = outbox(page)
    assert [i["uuid"] for i in items] == uuids and {i["state"] for i in items} == {"waiting"}
    assert items[0]["label"] == "Tiến độ 11:30"
    page.goto("/")
    expect(page.locator("#outbox-badge")).to_have_text("20 chờ gửi")
    expect(page.locator("#outbox-banner")).to_contain_text("Đang không có mạng")
    shot(page, "home-offline")
    page.goto("/outbox")
    expect(page.locator(".outbox-item.state-waiting")).to_have_count(20)
    shot(page, "outbox-waiting")
    assert stored(offline_server, uuids) == []

    context.set_offline(False)
    wait_empty(page)
    assert stored(offline_server, uuids) == [100 + 10 * n for n in range(20)]
    page.goto("/outbox")
    expect(page.locator(".outbox-item.state-sent")).to_have_count(20)
    expect(page.locator("#outbox-badge")).to_be_hidden()


def test_server_failing_in_the_middle_loses_and_duplicates_nothing(phone, offline_server, leader):
    """Mid-replay the server answers 500, drops connections after saving, and stops; still exactly once."""
    context = phone()
    page = context.new_page()
    turnout = prepare(page, leader)
    context.set_offline(True)
    uuids = [enter_offline(page, turnout, 200 + n) for n in range(12)]

    seen: list[str] = []
    state = {"restarted": False}

    def flaky(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        seen.append(route.request.url)
        n = len(seen)
        if n in (3, 4):
            # Saved by the server, but the answer never reaches the phone (a timeout after success).
            route.fetch()
            route.abort("connectionreset")
        elif n in (6, 7, 8):
            route.fulfill(status=500, body="Internal Server Error")
        elif n >= 10 and not state["restarted"]:
            # From the tenth request the server is down until it restarts, however fast the replay ran so far
            # (on a quiet machine all twelve could otherwise arrive before the test stops the server).
            route.abort("connectionrefused")
        else:
            route.continue_()

    context.route("**/reports/*/turnout", flaky)
    context.set_offline(False)
    wait_until(lambda: len(seen) >= 10, timeout=60, message="half the replay", page=page)
    offline_server.stop()
    wait_until(lambda: any("mạng" in (i["error"] or "") for i in outbox(page)), timeout=60,
               message="a network error while the server is down", page=page)
    assert len(stored(offline_server, uuids)) < 12
    offline_server.start()
    state["restarted"] = True
    page.goto("/outbox")
    wait_empty(page, timeout=90)
    context.unroute("**/reports/*/turnout")
    assert stored(offline_server, uuids) == [200 + n for n in range(12)]
    assert len(seen) > 12, "some reports were sent more than once, and stored once"


def test_session_expired_offline_resumes_after_signing_in_again(phone, offline_server, leader):
    """The session ends while offline: the outbox keeps everything, asks to sign in, then delivers."""
    context = phone()
    page = context.new_page()
    turnout = prepare(page, leader)
    context.set_offline(True)
    uuids = [enter_offline(page, turnout, 300 + n) for n in range(3)]
    context.clear_cookies()

    context.set_offline(False)
    page.goto("/outbox")
    expect(page.locator("#outbox-banner")).to_contain_text("Phiên đăng nhập hết hạn")
    assert len(outbox(page)) == 3 and stored(offline_server, uuids) == []
    shot(page, "outbox-session-expired")

    sign_in(page, leader, next_path="/outbox")
    wait_empty(page)
    assert stored(offline_server, uuids) == [300, 301, 302]


def test_refused_report_is_fixed_on_the_phone_and_sent_once(phone, offline_server, leader):
    """A number the server refuses (422) stays as "cần sửa"; the leader fixes it in the outbox; one row."""
    context = phone()
    page = context.new_page()
    turnout = prepare(page, leader)
    context.set_offline(True)
    good = enter_offline(page, turnout, 400)
    bad = enter_offline(page, turnout, 999_999)
    after = enter_offline(page, turnout, 420)

    context.set_offline(False)
    wait_until(lambda: [i["state"] for i in outbox(page)] == ["needs_fix"], timeout=60, message="the 422 to stay",
               page=page)
    assert stored(offline_server, [good, bad, after]) == [400, 420]
    page.goto("/outbox")
    expect(page.locator(".outbox-item.state-needs_fix .oi-state")).to_have_text("cần sửa", ignore_case=True)
    expect(page.locator(".outbox-item.state-needs_fix .oi-error")).to_contain_text("cần sửa")
    expect(page.locator("#outbox-badge")).to_have_text("1 cần sửa")
    shot(page, "outbox-needs-fix")

    page.click(".outbox-item.state-needs_fix button[data-act=fix]")
    fix_form = f"#outbox-fix {TURNOUT_FORM}"
    assert page.input_value(f"{fix_form} #voted") == "999999"
    assert page.locator("#outbox-fix [data-error-summary]").count() == 1, "the server's reasons are shown"
    shot(page, "outbox-fix-form")
    page.fill(f"{fix_form} #voted", "430")
    page.click(f"{fix_form} button[type=submit]")
    wait_empty(page)
    assert stored(offline_server, [good, bad, after]) == [400, 420, 430]


def test_closed_browser_keeps_the_outbox_and_sends_it_when_opened(browser_type: BrowserType, offline_server, leader):
    """The browser is closed while reports wait; opened again, they are still there, and are sent."""
    profile = tempfile.mkdtemp(prefix="baucu-profile-")
    args = {"executable_path": chromium_path(), "args": CHROMIUM_ARGS, "base_url": offline_server.url,
            **CONTEXT_ARGS}
    context = browser_type.launch_persistent_context(profile, **args)
    page = context.new_page()
    turnout = prepare(page, leader)
    context.set_offline(True)
    uuids = [enter_offline(page, turnout, 500 + n) for n in range(3)]
    context.close()

    # Reopened, Chromium may fire the pending Background Sync at once: with the server away, nothing can go yet.
    offline_server.stop()
    context = browser_type.launch_persistent_context(profile, **args)
    try:
        page = context.new_page()
        page.goto("/outbox")
        wait_until(lambda: [i["uuid"] for i in outbox(page)] == uuids, message="the items after reopening", page=page)
        expect(page.locator(".outbox-item.state-waiting")).to_have_count(3)
        offline_server.start()
        page.reload()
        wait_empty(page)
        assert stored(offline_server, uuids) == [500, 501, 502]
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_new_version_of_the_app_keeps_what_waits(phone, offline_server, leader):
    """A deploy while reports wait: new caches, old ones deleted, the outbox untouched and then delivered."""
    context = phone()
    page = context.new_page()
    turnout = prepare(page, leader)
    before = page.evaluate("() => navigator.serviceWorker.controller.scriptURL") and page.evaluate(CACHES)
    context.set_offline(True)
    uuids = [enter_offline(page, turnout, 600 + n) for n in range(3)]

    context.route("**/reports/*/turnout", lambda r: r.fulfill(status=503) if r.request.method == "POST" else r.continue_())
    context.set_offline(False)
    app_js = Path(offline_server.static_dir) / "js" / "app.js"
    original = app_js.read_text()
    app_js.write_text(original + "\n// a new version\n")
    try:
        page.goto("/outbox")
        page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")
        wait_until(lambda: set(page.evaluate(CACHES)).isdisjoint(before), timeout=30, message="the new caches",
                   page=page)
        after = page.evaluate(CACHES)
        assert len(after) == 2 and all(name.startswith(("shell-", "pages-")) for name in after)
        assert turnout in next(v for k, v in after.items() if k.startswith("pages-")), "kept pages moved over"
        assert [i["uuid"] for i in outbox(page)] == uuids
        context.unroute("**/reports/*/turnout")
        page.reload()
        wait_empty(page)
        assert stored(offline_server, uuids) == [600, 601, 602]
    finally:
        app_js.write_text(original)


def test_sign_out_forgets_the_pages_but_not_the_outbox(phone, offline_server, leader):
    """Signing out deletes the kept pages (never a login page in their place); waiting reports stay."""
    context = phone()
    page = context.new_page()
    turnout = prepare(page, leader)
    context.set_offline(True)
    uuids = [enter_offline(page, turnout, 700)]
    context.route("**/reports/*/turnout", lambda r: r.fulfill(status=503) if r.request.method == "POST" else r.continue_())
    context.set_offline(False)
    page.goto("/")
    page.click("footer form[action='/logout'] button")
    page.wait_for_function("() => location.pathname === '/login'")
    wait_until(lambda: not any(v for k, v in page.evaluate(CACHES).items() if k.startswith("pages-")),
               message="the kept pages to go", page=page)
    assert [i["uuid"] for i in outbox(page)] == uuids

    context.set_offline(True)
    page.goto("/")
    assert page.locator("#leader-home").count() == 0 and page.locator("#login-form").count() == 0
    expect(page.locator("#outbox")).to_have_count(1)
    context.set_offline(False)
    context.unroute("**/reports/*/turnout")
    wait_until(lambda: page.evaluate("() => fetch('/_/ping').then(r => r.ok, () => false)"), page=page,
               message="the network back")
    sign_in(page, leader)
    wait_empty(page)
    assert stored(offline_server, uuids) == [700]


def test_a_refused_turnout_leads_to_its_field(phone, offline_server, leader):
    """Issue 16 §3 for the turnout form, online at 360 px: the server refuses the number; the summary at the top of
    the form names it with a link, the focus is on that link, and the link puts the focus in the field."""
    page = phone().new_page()
    sign_in(page, leader)
    turnout = page.get_attribute("#leader-home a[href$='/turnout']", "href")
    enter_turnout(page, turnout, 999_999)
    summary = page.locator(f"{TURNOUT_FORM} [data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("lớn hơn")
    expect(summary.locator("a").first).to_be_focused()
    assert summary.bounding_box()["y"] < 740, "the summary is on the first screen"
    shot(page, "turnout-refused-summary")
    summary.locator("a").first.click()
    expect(page.locator(f"{TURNOUT_FORM} #voted")).to_be_focused()
    assert page.input_value(f"{TURNOUT_FORM} #voted") == "999999"
