"""The app shell on a 360×740 phone: Vietnamese, no sideways scrolling, big touch targets, installable."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import WIDTH, screenshot

pytestmark = pytest.mark.browser

TOO_SMALL_TARGETS = """() => [...document.querySelectorAll('nav a, button, .button, input[type=submit]')]
    .filter(el => el.offsetParent !== null)
    .map(el => ({text: el.textContent.trim(), height: el.getBoundingClientRect().height}))
    .filter(t => t.height < 44)"""

SERVICE_WORKER = """async () => {
    const reg = await Promise.race([navigator.serviceWorker.ready,
                                    new Promise((_, no) => setTimeout(() => no(new Error('timeout')), 10000))]);
    return reg.active ? reg.active.scriptURL : null;
}"""


def assert_fits_a_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} scrolls sideways: {width} px wide"
    small = page.evaluate(TOO_SMALL_TARGETS)
    assert not small, f"touch targets under 44 px on {page.url}: {small}"


def test_leader_sees_the_station_home_in_vietnamese(logged_in_page):
    """Logs in as to01 and sees the station's home page in Vietnamese, saving a screenshot."""
    page = logged_in_page("to01")
    screenshot(page, "home-to01")

    assert page.get_attribute("html", "lang") == "vi"
    text = page.inner_text("body")
    for label in ("Mã", "Các mốc báo cáo tiến độ", "Tổ bầu cử", "Đăng xuất"):
        assert label in text, f"Vietnamese label {label!r} missing"
    assert "26743-01" in page.inner_text("#station .code")
    contests = page.locator("#station .contest h2").all_inner_texts()
    assert len(contests) == 3 and any("Quốc hội" in c for c in contests), contests
    assert page.locator("#station .contest .candidates li").count() >= 3 * 3
    assert page.locator("#station .chips li").all_inner_texts() == ["09:00", "11:30", "15:00", "19:00"]
    assert_fits_a_phone(page)


def test_manifest_and_service_worker(logged_in_page):
    """The manifest is linked and valid, with 192 and 512 px icons; /sw.js registers and controls the app."""
    page = logged_in_page("to01")
    href = page.get_attribute("link[rel=manifest]", "href")
    response = page.request.get(href)
    assert response.ok
    manifest = json.loads(response.text())
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        fetched = page.request.get(icon["src"])
        assert fetched.ok and fetched.headers["content-type"] == "image/png", icon["src"]
    assert page.evaluate(SERVICE_WORKER).endswith("/sw.js")


@pytest.mark.parametrize("username", ["xa", "tinh"])
def test_official_home_fits_a_phone(logged_in_page, username):
    """The commune's and the province's home pages, screenshotted at 360 px."""
    page = logged_in_page(username)
    screenshot(page, f"home-{username}")
    assert page.get_attribute("html", "lang") == "vi"
    assert "Khu vực bỏ phiếu" in page.inner_text("#official-home")
    assert_fits_a_phone(page)


def test_login_page_fits_a_phone(page):
    """The first page a leader sees on election morning."""
    page.goto("/login")
    screenshot(page, "login")
    assert page.get_attribute("html", "lang") == "vi"
    assert "Đăng nhập" in page.inner_text("h1")
    assert_fits_a_phone(page)
