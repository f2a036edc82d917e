"""The import page and an error report on a 360 px phone, driven through Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser import conftest as browser
from tests.browser.test_app_shell import assert_fits_a_phone
from tests.imports.helpers import headers, xlsx

pytestmark = pytest.mark.browser

# The browser fixtures live in tests/browser/conftest.py; these names make them visible to this module.
_require_chromium = browser._require_chromium
live_server = browser.live_server
base_url = browser.base_url
browser_type_launch_args = browser.browser_type_launch_args
browser_context_args = browser.browser_context_args
logged_in_page = browser.logged_in_page
screenshot = browser.screenshot


def test_import_page_and_error_report_on_a_phone(logged_in_page) -> None:  # type: ignore[no-untyped-def]
    page: Page = logged_in_page("xa")
    page.click("nav.mainnav summary")  # "Thêm": imports sit behind it on the menu
    page.click("nav a[href='/data/']")
    page.wait_for_url("**/data/")
    assert page.inner_text("#imports h1") == "Nhập và xuất dữ liệu"
    screenshot(page, "imports-index-xa")
    assert_fits_a_phone(page)

    bad = xlsx([headers("polling_areas"),
                ["26743-13", "26743", 13, "Khu vực bỏ phiếu số 13", None, "Trường học", "15/03/26", "QH-79-01",
                 "T-79-01", "X-26740-01", 1500, "=A2*2", None, None],
                ["26740-13", "26740", 13, "Khu vực bỏ phiếu số 13", None, None, None, "QH-79-01", "T-79-01",
                 None, None, None, None, None]])
    page.select_option("#dataset", "polling_areas")
    page.set_input_files("#file", files=[{"name": "kvbp-bến-thành.xlsx", "mimeType": "application/octet-stream",
                                          "buffer": bad}])
    with page.expect_navigation():
        page.click("#imports form button[type=submit]")
    report = page.locator("#import-errors")
    assert "Không nhập được tệp: có 4 lỗi" in report.inner_text()
    rows = report.locator("tbody tr").all_inner_texts()
    assert any("Loại KVBP" in r and "Trường học" in r for r in rows), rows
    assert any("Không thuộc phạm vi của bạn" in r for r in rows), rows
    screenshot(page, "imports-errors-xa")
    assert_fits_a_phone(page)


def test_a_successful_import_shows_its_counts(logged_in_page) -> None:  # type: ignore[no-untyped-def]
    page: Page = logged_in_page("xa")
    page.goto("/data/")
    good = xlsx([headers("units"), ["HĐND xã", "X-26743-08", 8, "Đơn vị bầu cử số 8", "79", "26743", 3]])
    page.select_option("#dataset", "units")
    page.set_input_files("#file", files=[{"name": "don-vi.xlsx", "mimeType": "application/octet-stream",
                                          "buffer": good}])
    with page.expect_navigation():
        page.click("#imports form button[type=submit]")
    assert "/jobs/" in page.url
    assert page.inner_text("#import-result h1") == "Đã nhập xong"
    assert page.locator("#import-result dd").all_inner_texts()[:3] == ["1", "0", "0"]
    screenshot(page, "imports-result-xa")
    assert_fits_a_phone(page)
