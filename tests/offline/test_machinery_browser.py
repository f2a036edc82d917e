"""The outbox machinery in a real Chromium, against the test-only form (tests/offline/testapp.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.offline import testapp
from tests.offline.conftest import shot, sign_in
from tests.offline.helpers import controlled, keep_pages, outbox, submit_test_form, wait_until

pytestmark = pytest.mark.browser


def test_twenty_offline_reports_arrive_exactly_once(phone, received):
    """Online once, then offline: pages open from the cache, 20 reports wait, and arrive once each."""
    context = phone()
    page = context.new_page()
    sign_in(page)
    controlled(page)
    page.goto("/_test/form?slot=warm")
    keep_pages(page, ["/", "/outbox", "/_test/form?slot=warm"])

    context.set_offline(True)
    page.goto("/")
    assert page.locator("#station").count() == 1
    for n in range(20):
        page.goto("/_test/form?slot=warm")
        page.fill("#slot", f"s{n}")
        page.fill("#voters", str(100 + n))
        page.click("#test-form button[type=submit]")
        page.wait_for_selector(".outbox-status.is-saved")
    assert len(outbox(page)) == 20
    page.goto("/")
    expect(page.locator("#outbox-badge")).to_have_text("20 chờ gửi")
    shot(page, "home-offline-20")
    assert received.posts == []

    context.set_offline(False)
    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to empty")
    assert len(received.rows) == 20
    assert sorted(int(r["voters"]) for r in received.rows.values()) == list(range(100, 120))


def test_a_final_refusal_stays_on_the_phone_with_the_servers_sentence(phone, received):
    """409 (e.g. a photo for minutes the commune confirmed meanwhile): neither deleted as delivered nor retried;
    the item waits in "needs fixing" and says, in the server's words, to ask the commune to reopen."""
    context = phone()
    page = context.new_page()
    sign_in(page)
    controlled(page)
    submit_test_form(page, "locked", "locked")
    expect(page.locator(".outbox-status.is-fix")).to_contain_text("đề nghị xã mở lại")
    [item] = outbox(page)
    assert (item["state"], item["error"]) == ("needs_fix", testapp.LOCKED)
    page.evaluate("() => window.Outbox.replay({ force: true })")
    page.goto("/outbox")
    expect(page.locator(".outbox-item.state-needs_fix .oi-error")).to_have_text(testapp.LOCKED)
    assert len(received.posts) == 1 and not received.rows
