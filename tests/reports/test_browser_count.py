"""A leader on a 360 × 740 phone: a count minutes with a mistake, the explanation, the fix, the read-back, the
receipt; and the turnout page. Real Chromium through Playwright; screenshots go to test-artifacts/reports/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

# pytest-playwright's browser (one per worker), launched as the browser tests launch it: a Playwright of this
# module's own failed ("Sync API inside the asyncio loop") whenever the worker had run a browser test before.
from tests.browser.conftest import browser_type_launch_args, require_chromium  # noqa: F401
from tests.conftest import ARTIFACTS
from tests.live_server import demo_day, serve
from tests.reports.helpers import AREA, good_numbers, links, vn
from tests.world import PASSWORD, World
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind

pytestmark = [
    pytest.mark.browser,
    # Werkzeug answers a cached static file with 304 and drops the opened file without closing it
    # (Response.set_data in make_conditional); the server thread's ResourceWarning is not ours to fix here.
    pytest.mark.filterwarnings(r"ignore:Exception ignored in.*/static/:pytest.PytestUnraisableExceptionWarning"),
]

SHOTS = ARTIFACTS / "reports"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, object, object]]:
    require_chromium()
    with serve("repbrowser", demo_day, {"SECRET_KEY": "reports-browser-test-secret-0123456789abcdef",
                                        "REPORTING_CLOCK_OVERRIDE": vn(19, 40).isoformat()}) as live:
        yield live.url, live.app, live.engine


@pytest.fixture
def phone(browser, server):
    base, _app, _engine = server
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="vi-VN", base_url=base, service_workers="block")
    tab = context.new_page()
    tab.goto("/login")
    tab.fill("input[name=username]", "to01")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(base + "/")
    yield tab
    tab.wait_for_load_state("networkidle")  # no request cut off mid-file when the context closes
    context.close()


def _no_horizontal_scroll(tab) -> None:
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360


def _shot(tab, name: str, *, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def na_minutes(engine):  # type: ignore[no-untyped-def]
    """Consistent NA minutes of the demo station, its id and the NA contest's."""
    with Session(engine) as session:
        w = World(session)
        area = w.area(AREA)
        return (good_numbers(session, area, ContestKind.NATIONAL_ASSEMBLY), area.id,
                links(session, area)[ContestKind.NATIONAL_ASSEMBLY].contest_id)


def fill_minutes(tab, numbers) -> None:  # type: ignore[no-untyped-def]
    """The minutes' figures and votes as the leader types them."""
    for name in ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid"):
        tab.fill(f"input[name={name}]", str(getattr(numbers, name)))
    for cid, votes in numbers.votes.items():
        tab.fill(f"input[name=votes_{cid}]", str(votes))


def test_leader_sends_count_minutes_with_a_fixed_mistake(phone, server):
    page = phone
    _base, _app, engine = server
    numbers, area_id, contest_id = na_minutes(engine)
    page.click("text=Biên bản kiểm phiếu")
    page.click(f"a[href='/reports/{area_id}/count/{contest_id}']")
    page.wait_for_selector("#count-entry")
    fill_minutes(page, numbers)
    page.fill("input[name=invalid]", str(numbers.invalid + 2))  # the mistake: two too many
    finding = page.locator("#count-findings .rep-block")
    finding.first.wait_for()
    assert "lệch 2" in finding.first.inner_text()
    # While typing, the first problem also shows in a strip fixed at the bottom of the screen.
    assert "lệch 2" in page.locator(".rep-live-bad").inner_text()
    page.locator("input[name=invalid]").scroll_into_view_if_needed()
    _shot(page, "count-form-typing", full_page=False)
    page.fill("input[name=witness_1]", "Nguyễn Văn Chứng")
    page.fill("input[name=witness_2]", "Lê Thị Kiến")
    finding.first.scroll_into_view_if_needed()
    _no_horizontal_scroll(page)
    _shot(page, "count-form-with-finding")

    page.fill("input[name=invalid]", str(numbers.invalid))
    page.locator("#count-findings .rep-ok").wait_for()
    page.click("button[value=review]")
    page.wait_for_selector("#readback")
    big = page.locator(".rep-big").first
    assert big.inner_text().replace(".", "") == str(numbers.voters_on_list)
    assert page.locator(".rep-words").first.inner_text().strip()
    _no_horizontal_scroll(page)
    _shot(page, "count-readback")

    page.click("button[value=send]")
    page.wait_for_selector(".rep-code")
    code = page.locator(".rep-code").inner_text()
    assert len(code.replace("-", "")) == 6
    assert code in page.locator("#flash-messages").inner_text()
    _no_horizontal_scroll(page)
    _shot(page, "count-receipt")


def test_turnout_page_on_a_phone(phone, server):
    page = phone
    _base, app, _engine = server
    app.config["REPORTING_CLOCK_OVERRIDE"] = vn(11, 50).isoformat()
    try:
        _shot(page, "leader-home", full_page=False)
        page.click("#leader-home a[href$='/turnout']")  # the home's next step: send the turnout
        page.wait_for_selector("#turnout")
        assert page.locator(".rep-badge-late").inner_text() == "Trễ 5 phút"
        _no_horizontal_scroll(page)
        _shot(page, "turnout-before")
        page.fill("input[name=voted]", "812")
        page.click("#turnout form[data-offline] button[type=submit]")
        page.locator("#turnout-history code").first.wait_for()
        assert "Đã nhận báo cáo lúc 11:30" in page.locator("#flash-messages").inner_text()
        _no_horizontal_scroll(page)
        _shot(page, "turnout-after")
    finally:
        app.config["REPORTING_CLOCK_OVERRIDE"] = vn(19, 40).isoformat()


def test_the_photo_is_shrunk_on_the_phone_before_upload(phone, server, tmp_path):
    """A 3000 × 2000 camera picture leaves the phone as a JPEG with a long side of 1,600 px."""
    import sqlalchemy as sa
    from PIL import Image

    from tests.reports.helpers import count_data, new_id
    from webapp.reports import services
    from webapp.reports.models import ReportPhoto

    page = phone
    _base, _app, engine = server
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        w = World(session)
        area = w.area(AREA)
        kind = ContestKind.PROVINCIAL_COUNCIL
        report = services.submit_count(
            session, actor=Actor(w.user("to01"), Channel.WEB), area_id=area.id, contest_id=links(session, area)[kind].contest_id,
            data=count_data(w, good_numbers(session, area, kind),
                            explanations={"turnout_ne_voted": "Báo cáo tiến độ lúc 11:30 chưa phải số cuối ngày"}),
            client_uuid=new_id(),
            now=vn(19, 45)).report
        session.commit()
        report_id = report.id
    picture = tmp_path / "IMG_20260315_194500.png"
    Image.new("RGB", (3000, 2000), (240, 240, 230)).save(picture)
    page.goto(f"/reports/count/{report_id}/photo")
    page.set_input_files("#photo-gallery", str(picture))
    page.locator(".rep-photo-status", has_text="1600×1067").wait_for()
    assert page.locator(".rep-preview").is_visible()
    _no_horizontal_scroll(page)
    _shot(page, "photo-ready")
    page.click("form[data-photo-form] button[type=submit]")
    page.wait_for_selector(".rep-code")
    with Session(engine) as session:
        photo = session.scalars(sa.select(ReportPhoto).where(ReportPhoto.count_report_id == report_id)).one()
        assert (photo.width, photo.height) == (1600, 1067)
    assert page.locator("img.rep-photo").count() == 1
