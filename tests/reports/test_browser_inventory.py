"""Mẫu 32 on a 360 × 740 phone: the leader enters the inventory of ballots with the minutes, sees the check say how
it disagrees, fixes it, sends; the printed Mẫu 32 as a PDF turned into a PNG. Screenshots and the PNG go to
test-artifacts/reports/."""

from __future__ import annotations

import re
import shutil
import subprocess

import tempfile
from collections.abc import Iterator

import pytest

from tests.reports.test_browser_count import (  # noqa: F401  (fixtures)
    SHOTS,
    _no_horizontal_scroll,
    _shot,
    fill_minutes,
    na_minutes,
    phone,
)
from tests.browser.conftest import require_chromium
from tests.live_server import demo_day, serve
from tests.reports.helpers import vn

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(r"ignore:Exception ignored in.*/static/:pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, object, object]]:
    """As test_browser_count's, with the forms' PDFs made as they are queued (JOBS_IMMEDIATE)."""
    require_chromium()
    with serve("invbrowser", demo_day, {"SECRET_KEY": "inventory-browser-test-secret-0123456789abcdef",
                                        "REPORTING_CLOCK_OVERRIDE": vn(19, 40).isoformat(), "JOBS_IMMEDIATE": True,
                                        "RESULTS_EXPORT_DIR": tempfile.mkdtemp(prefix="inv-exports-")}) as live:
        yield live.url, live.app, live.engine


def test_leader_enters_the_inventory_and_prints_form_32(phone, server):
    page = phone
    _base, _app, engine = server
    numbers, area_id, contest_id = na_minutes(engine)
    page.goto(f"/reports/{area_id}/count/{contest_id}")
    page.wait_for_selector("#count-entry")
    fill_minutes(page, numbers)
    page.fill("input[name=witness_1]", "Nguyễn Văn Chứng")
    page.fill("input[name=witness_2]", "Lê Thị Kiến")
    received = numbers.ballots_issued + 3 + 120
    page.fill("input[name=ballots_from_commune]", str(received))
    page.fill("input[name=ballots_spoiled]", "3")
    page.fill("input[name=ballots_unused]", "115")  # five ballots unaccounted for
    finding = page.locator("#count-findings .rep-explain", has_text=re.compile(r"(lệch|off by) 5\b"))
    finding.first.wait_for()
    page.locator("fieldset.rep-inventory").scroll_into_view_if_needed()
    _no_horizontal_scroll(page)
    _shot(page, "count-form-inventory", full_page=False)
    _shot(page, "count-form-inventory-full")

    page.fill("input[name=ballots_unused]", "120")
    page.locator("#count-findings .rep-ok").wait_for()
    page.click("button[value=review]")
    page.wait_for_selector("#readback")
    assert re.search(r"(Mẫu|Form) 32", page.locator("#readback").inner_text())
    page.click("button[value=send]")
    page.wait_for_selector(".rep-code")
    inventory = page.locator("#inventory")
    assert f"{received:,}".replace(",", ".") in inventory.inner_text()
    _no_horizontal_scroll(page)

    # The printable page's PDF button posts: the file is made (here as it is queued), then given.
    page.goto(f"/results/stations/{area_id}/inventory")
    token = page.locator(".toolbar input[name=csrf_token]").get_attribute("value")
    answer = page.request.post(f"/results/stations/{area_id}/inventory.pdf", form={"csrf_token": token})
    assert answer.ok and answer.body().startswith(b"%PDF")
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SHOTS / "mau-32.pdf"
    pdf.write_bytes(answer.body())
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(SHOTS / "mau-32")],
                       check=True)
        assert (SHOTS / "mau-32.png").stat().st_size > 10_000
