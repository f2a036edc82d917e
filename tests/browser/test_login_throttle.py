"""On a phone, a sign-in that must wait says so, in Vietnamese, and the right password works afterwards."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import screenshot
from tests.world import PASSWORD
from webapp.extensions import limiter

pytestmark = pytest.mark.browser
SETTLED = "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"


@pytest.fixture
def clean_throttle():  # type: ignore[no-untyped-def]
    limiter.reset()
    yield
    limiter.reset()  # the live server shares this process: leave no wait behind for the next test


def test_the_wait_is_shown_on_the_form_then_the_owner_signs_in(page, clean_throttle):
    page.goto("/login")
    statuses = []
    for i in range(7):
        page.fill("#username", "tongdai")
        page.fill("#password", f"sai-mat-khau-{i}")
        with page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url) as answer:
            page.click("#login-form button[type=submit]")
        statuses.append(answer.value.status)
        page.wait_for_function(SETTLED, timeout=10_000)
        if statuses[-1] == 429:
            break
    assert statuses == [422] * 6 + [429]
    text = page.inner_text("#login-form")
    assert "Đăng nhập sai quá nhiều lần. Vui lòng đợi" in text, text
    assert page.input_value("#username") == "tongdai"  # the entry is kept
    screenshot(page, "login-wait")
    time.sleep(2.2)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path == "/", timeout=10_000)
