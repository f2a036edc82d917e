"""The results pages on a 360×740 phone, with minutes in the database: screenshots to look at, no sideways
scrolling, touch targets of 44 px (Chromium through pytest-playwright, as in tests/browser)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from tests import world
from tests.browser.conftest import (  # noqa: F401  (fixtures)
    HEIGHT,
    WIDTH,
    _require_chromium,
    browser_type_launch_args,
    screenshot,
)
from tests.live_server import serve
from tests.results.helpers import BEN_THANH, COMMUNE, NA, PROV, RECEIVED, put_report, put_turnout
from webapp.reports.models import ReportStatus

pytestmark = pytest.mark.browser

SMALL_TARGETS = """() => [...document.querySelectorAll('#main a, #main button, #main .button, #main summary')]
    .filter(el => el.offsetParent !== null)
    .map(el => ({text: el.textContent.trim().slice(0, 40), height: el.getBoundingClientRect().height}))
    .filter(t => t.height < 44)"""


def _seed(session: Session) -> None:
    w = world.World(session)
    areas = [w.area(f"{BEN_THANH}-{n:02d}") for n in range(1, 13)]
    for i, area in enumerate(areas):
        status = RECEIVED if i >= 10 else ReportStatus.CONFIRMED
        for kind in (NA, PROV, COMMUNE):
            put_report(session, w, area, kind, on_list=1500 + 10 * i, voted=1300 + 7 * i, invalid=9,
                       votes={1: 900, 2: 780 + i, 3: 700, 4: 655}, status=status)
        put_turnout(session, w, area, 9, 300 + i)
        put_turnout(session, w, area, 11, 700 + i, minute=30)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The test world plus Bến Thành's minutes (10 confirmed, 2 awaiting review), served on a free port."""

    def build(session: Session) -> None:
        world.build(session)
        _seed(session)

    # No job consumer runs beside this server: a form's PDF asked for stays "being made" (its page is looked at).
    work = tempfile.mkdtemp(prefix="baucu-results-browser-")
    with serve("resultslive", build, {"SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
                                      "RESULTS_EXPORT_DIR": work,
                                      "JOBS_QUEUE_URL": f"sqlite:///{work}/queue.sqlite3"}) as live:
        yield live.url


@pytest.fixture
def signed_in(server, browser):  # type: ignore[no-untyped-def]
    """``signed_in("xa")``: a phone-sized page signed in on this module's server; ``page.base`` is its URL.
    The contexts are made here, not by pytest-playwright, whose base_url belongs to tests/browser."""
    contexts = []

    def open_as(username: str) -> Page:
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server}/login")
        page.fill("#username", username)
        page.fill("#password", world.PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{server}/", timeout=10_000)
        page.base = server  # type: ignore[attr-defined]
        return page

    yield open_as
    for context in contexts:
        context.close()


def fits_a_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} scrolls sideways: {width} px wide"
    assert not page.evaluate(SMALL_TARGETS), f"small touch targets on {page.url}"


def test_the_commune_official_reads_results_on_a_phone(signed_in):
    page = signed_in("xa")
    page.click("nav.mainnav summary")  # "Thêm": results sit behind it on a commune official's menu
    page.click("nav.mainnav >> text=Kết quả")
    page.wait_for_selector("#results-committee")
    screenshot(page, "results-commune")
    fits_a_phone(page)
    assert "Biên bản đã xác nhận: 10/12" in page.inner_text("#results-committee")
    page.click(".result-unit >> nth=2 >> a")  # a council unit of the commune (areas 9–12: two await review)
    page.wait_for_selector("#results-unit")
    assert "Tạm tính — gồm cả biên bản chưa xác nhận" in page.inner_text(".result-provisional")
    page.go_back()
    page.wait_for_selector("#results-committee")
    page.click(".result-unit >> nth=3 >> a")  # the NA unit, among the higher units: it spans other communes
    page.wait_for_selector("#results-unit")
    screenshot(page, "results-unit-na")
    fits_a_phone(page)
    # Its provisional figures would show the other communes' unconfirmed minutes by difference (issue 10 §5).
    assert page.locator(".result-provisional").count() == 0
    assert "chỉ hiển thị cho cấp phụ trách toàn bộ" in page.inner_text("#results-unit")
    page.click(".result-stations summary")
    screenshot(page, "results-unit-na-stations")
    fits_a_phone(page)


def test_the_turnout_progress_and_the_batch_pages(signed_in):
    page = signed_in("xa")
    page.goto(f"{page.base}/results/")
    page.click("text=Tiến độ cử tri đi bầu")
    page.wait_for_selector("#results-turnout")
    screenshot(page, "results-turnout")
    assert "11:30" in page.inner_text("#results-turnout")
    page.goto(f"{page.base}/results/")
    page.click("text=Biên bản kiểm phiếu của tất cả các tổ (PDF)")
    page.wait_for_selector("#batch-status")
    screenshot(page, "results-batch")
    fits_a_phone(page)
    assert "36" in page.inner_text("#batch-status")


def test_the_printable_minutes_on_a_phone(signed_in):
    page = signed_in("tinh")
    page.goto(f"{page.base}/results/")
    page.wait_for_selector("#results-committee")
    screenshot(page, "results-province")
    fits_a_phone(page)
    href = page.get_attribute("a:has-text('Mẫu 20')", "href")
    assert href and href.endswith("/record?contest=na")
    response = page.goto(page.base + href)
    assert response is not None and response.ok, response and response.status
    screenshot(page, "results-form20-print")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page.inner_text("body")
    assert page.is_visible("[data-print]")  # print.js ran under the CSP


def test_the_committees_report_and_its_pdf_being_made_on_a_phone(signed_in):
    page = signed_in("tinh")
    page.goto(f"{page.base}/results/")
    href = page.get_attribute("a[href$='/report?kind=preliminary']", "href")
    assert href
    page.goto(page.base + href)
    screenshot(page, "results-form27-print")
    assert "Mẫu số 27/HĐBC" in page.inner_text("body") and "TÌNH HÌNH VÀ KẾT QUẢ SƠ BỘ" in page.inner_text("body")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    page.click(".toolbar button[type=submit]")  # the PDF: asked for, queued, then followed on its page
    page.wait_for_selector("#form-file[hx-trigger]")
    screenshot(page, "results-form-file-running")
    fits_a_phone(page)
    assert "bao-cao-so-bo-79.pdf" in page.inner_text("#form-file")
