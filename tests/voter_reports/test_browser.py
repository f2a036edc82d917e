"""The voter reports on a 360×740 phone: the team taps through the cards, the commune reads its progress and its
voter changes. Screenshots under test-artifacts/ to look at; no sideways scrolling; 44 px touch targets."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from tests import world
from tests.browser.conftest import (  # noqa: F401  (fixtures)
    _require_chromium,
    browser_type_launch_args,
    screenshot,
)
from tests.live_server import serve
from tests.results.test_browser import fits_a_phone, signed_in  # noqa: F401  (signed_in: a fixture)
from tests.voter_reports.conftest import POSTED, Lists
from webapp.clock import utcnow
from webapp.elections import services as elections
from webapp.elections.models import Gender
from webapp.voters import snapshots
from webapp.voters.models import VoterChangeCause

pytestmark = pytest.mark.browser
SHOTS = "/tmp/shots-voter-reports"


def _seed(session: Session) -> None:
    w = world.World(session)
    lists = Lists(session, w)
    for n in range(1, 5):
        area = w.area(f"26743-{n:02d}")
        for i in range(12):
            entry = lists.add(area, name=["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Phúc"][i % 3],
                              gender=Gender.FEMALE if i % 3 == 1 else Gender.MALE,
                              born=date(1950 + 5 * i, 1 + i, 10), household=f"{n}-{i // 3}",
                              handed_out=POSTED + timedelta(days=30) if i < n * 2 else None)
        lists.change(entry, VoterChangeCause.MOVED_IN, POSTED + timedelta(days=5))
    entry.removed_at, entry.removal_cause = POSTED + timedelta(days=6), VoterChangeCause.CERTIFICATE_GIVEN
    lists.change(entry, VoterChangeCause.CERTIFICATE_GIVEN, POSTED + timedelta(days=6))


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    def build(session: Session) -> None:
        world.build(session)
        _seed(session)
        # The jobs worker's current snapshot: the province's progress reads its lists and cards from it.
        session.flush()
        snapshots.take_due(session, elections.current_election(session), utcnow(), [])

    with serve("voterslive", build, {"SECRET_KEY": "browser-test-secret-key-0123456789abcdef"}) as live:
        yield live.url


def shot(page: Page, name: str) -> None:
    path = screenshot(page, name)
    shutil.copy(path, f"{SHOTS}/{name}.png")


def test_the_team_taps_through_the_cards(signed_in):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    page = signed_in("to01")
    page.goto(f"{page.base}/voters/reports")
    page.wait_for_selector("#voter-cards")
    shot(page, "voters-cards")
    fits_a_phone(page)
    assert "2 / 12" in page.inner_text(".vr-count")
    page.click("text=Đã phát thẻ số 3")
    page.wait_for_selector("text=Đã phát thẻ số 4")
    assert "3 / 12" in page.inner_text(".vr-count")
    page.fill("#vc-stt", "3")
    page.click("#voter-cards form[method=get] button")
    page.wait_for_selector("text=Hoàn tác: chưa phát")
    shot(page, "voters-cards-marked")
    fits_a_phone(page)


def test_the_commune_reads_its_progress_and_changes(signed_in):
    page = signed_in("xa")
    page.goto(f"{page.base}/voters/reports")
    page.wait_for_selector("#voter-progress")
    shot(page, "voters-progress")
    fits_a_phone(page)
    page.click("#voter-progress .dr-downloads >> text=Biến động cử tri")
    page.wait_for_selector("#voter-changes")
    shot(page, "voters-changes")
    fits_a_phone(page)
    assert "48" in page.inner_text("#voter-changes")


def test_the_commune_reaches_the_reports_and_prints_from_its_lists(signed_in):
    """The lists pages link the prints (Mẫu 31, a card to re-issue, a certificate given) and the reports."""
    import os

    os.makedirs("/tmp/shots-voters-integrate", exist_ok=True)
    page = signed_in("xa")
    page.goto(f"{page.base}/voters/")
    page.wait_for_selector("#voter-lists")
    page.screenshot(path="/tmp/shots-voters-integrate/commune.png", full_page=True)
    fits_a_phone(page)
    page.click("#voter-lists >> text=Tiến độ chuẩn bị")
    page.wait_for_selector("#voter-progress")
    page.go_back()
    page.click("#voter-lists .vl-rows a >> text=26743-04")
    page.wait_for_selector("#voter-list")
    page.screenshot(path="/tmp/shots-voters-integrate/area.png", full_page=True)
    fits_a_phone(page)
    links = page.eval_on_selector_all("#voter-list a[href*='.pdf']", "els => els.map(e => e.getAttribute('href'))")
    assert any(h.endswith("/list.pdf") for h in links) and any(h.endswith("/card.pdf") for h in links)
    assert any(h.endswith("/certificate.pdf") for h in links)  # the last row was given a certificate
    assert page.request.get(page.base + next(h for h in links if h.endswith("/certificate.pdf"))).ok


def test_the_province_reads_its_progress_from_the_current_snapshot(signed_in):
    page = signed_in("tinh")
    page.goto(f"{page.base}/voters/reports")
    page.wait_for_selector("#voter-progress")
    shot(page, "voters-progress-province")
    fits_a_phone(page)
    assert page.locator("#voter-progress .vr-as-of").count() == 1  # "lists and cards as of …"
    assert "20/47" in page.inner_text("#voter-progress")  # Bến Thành: the cards of the seeded lists
