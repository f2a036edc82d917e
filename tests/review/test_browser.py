"""The commune's queue and review page, the leader's returned report, the hotline's timeline and call list, on a
360 × 740 phone in real Chromium. Screenshots go to test-artifacts/review/ for people to look at."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import HEIGHT, WIDTH, browser_type_launch_args, chromium_path  # noqa: F401
from tests.conftest import ARTIFACTS
from tests.live_server import serve
from tests.reports.helpers import new_id
from tests.review.helpers import send_count, send_turnout, vn
from tests.world import NOW, PASSWORD, World
from webapp.accounts import admin_services
from webapp.accounts import services as accounts
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind
from webapp.hotline import services as hotline
from webapp.hotline.models import CallOutcome
from webapp.reports import services as reports
from webapp.reports.models import ReportStatus
from webapp.review import services as review
from webapp.review.models import ReportKind
from webapp.seed import demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(r"ignore:Exception ignored in.*/static/:pytest.PytestUnraisableExceptionWarning"),
]
SHOTS = ARTIFACTS / "review"


def _minutes_photo() -> bytes:
    """A stand-in for the photo of a signed paper: a page of lines of text."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 1200), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    draw.text((300, 60), "BIEN BAN KET QUA KIEM PHIEU", fill=(20, 20, 20))
    for row in range(30):
        y = 140 + row * 34
        draw.line((80, y + 22, 820, y + 22), fill=(200, 200, 200))
        draw.text((90, y), f"{row + 1}. ........................ {1000 + row * 37}", fill=(30, 30, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _story(session: Session, uploads: str) -> dict[str, int]:
    """Election day in Bến Thành at 20:30: turnout reports (some stations silent), corrected minutes with a
    photo, a returned turnout report, a confirmed one, and two calls."""
    audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
    w = World(session)
    xa = w.user("xa")
    t9 = send_turnout(session, w, 312, slot=time(9), at=(9, 6))
    review.confirm_report(session, actor=xa, kind=ReportKind.TURNOUT, report_id=t9.id,
                          shown=ReportStatus.RECEIVED, now=vn(9, 40))
    t11 = send_turnout(session, w, 640, slot=time(11, 30), at=(11, 41))
    t15 = send_turnout(session, w, 598, slot=time(15), at=(15, 10), reason="Lần trước cộng nhầm")
    review.return_report(session, actor=xa, kind=ReportKind.TURNOUT, report_id=t15.id, shown=ReportStatus.RECEIVED,
                         reasons=["numbers_mismatch"], text="Số thấp hơn lần 11:30, đề nghị kiểm tra lại sổ",
                         now=vn(15, 30))
    area = w.area("26743-01")
    for code, at in (("26743-02", (9, 4)), ("26743-03", (9, 8))):
        other = w.area(code)
        reports.submit_turnout(session, actor=Actor(w.user("tongdai"), Channel.PHONE), area_id=other.id,
                               data=reports.TurnoutInput(voted=250, slot=time(9)), client_uuid=new_id(), now=vn(*at))
    hotline.record_call(session, actor=w.user("tongdai"), area_id=w.area("26743-04").id,
                        outcome=CallOutcome.NO_ANSWER, number=w.area("26743-04").team[0].phone,
                        note="Gọi 2 lần không nghe máy", slot_at=time(19), now=vn(20, 10))
    hotline.record_call(session, actor=w.user("tongdai"), area_id=area.id, outcome=CallOutcome.REACHED,
                        note="Tổ trưởng sẽ gửi lại báo cáo 15:00", slot_at=time(15), now=vn(15, 45))
    v1 = send_count(session, w, at=(20, 0), explanations={"turnout_ne_voted": "Cử tri đi bầu sau 15 giờ"})
    v2 = send_count(session, w, voted=v1.voters_voted - 2, at=(20, 12),
                    explanations={"turnout_ne_voted": "Cử tri đi bầu sau 15 giờ"})
    reports.attach_photo(session, actor=w.user("to01"), report_id=v2.id, content=_minutes_photo(),
                         client_uuid=new_id(), channel=Channel.WEB, now=vn(20, 14), upload_dir=Path(uploads))
    send_count(session, w, kind=ContestKind.PROVINCIAL_COUNCIL, at=(20, 20),
               explanations={"turnout_ne_voted": "Cử tri đi bầu sau 15 giờ"})
    reset = _reset_story(session, w)
    session.commit()
    return {"area": area.id, "count": v2.id, "t11": t11.id, "reset_count": reset,
            "reset_area": w.area("26743-06").id}


def _reset_story(session: Session, w: World) -> int:
    """Station 26743-06: its leader activates the account from 10.0.0.7; at 20:25 the province resets the code and
    the account is activated again from 127.0.0.1 (the reviewers' own address here); the minutes follow."""
    area = w.area("26743-06")
    issued = accounts.issue_leader_codes(session, actor=w.user("xa"), commune=area.commune, now=vn(7, 0),
                                         ttl=timedelta(days=3), area_ids={area.id})[0]
    accounts.set_password(session, user=issued.user, password="Kiem-Phieu-2026!06", now=vn(7, 10))
    accounts.record_activation(session, user=issued.user, ip="10.0.0.7", now=vn(7, 10))
    admin_services.reset_leader(session, actor=w.user("tinh"), area=area, now=vn(20, 25), ttl=timedelta(days=3))
    accounts.set_password(session, user=issued.user, password="Kiem-Phieu-2026!06b", now=vn(20, 27))
    accounts.record_activation(session, user=issued.user, ip="127.0.0.1", now=vn(20, 27))
    report = send_count(session, w, area="26743-06", leader=issued.user.username, at=(20, 28), ip="10.0.0.8",
                        signer_ids=tuple(m.id for m in area.team[:3]))
    return report.id


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, dict[str, int]]]:
    if not chromium_path():
        pytest.skip("chromium is not installed (apt-get install chromium); browser test skipped")
    uploads = tempfile.mkdtemp(prefix="rv-uploads-")
    ids: dict[str, int] = {}

    def build(session: Session) -> None:
        demo.load_demo(session, NOW)
        session.commit()
        ids.update(_story(session, uploads))

    with serve("rvbrowser", build, {"SECRET_KEY": "review-browser-test-secret-0123456789abcdef",
                                    "REPORTING_CLOCK_OVERRIDE": vn(20, 30).isoformat(),
                                    "UPLOAD_FOLDER": uploads}) as live:
        yield live.url, ids


@pytest.fixture
def phone(browser, server):  # type: ignore[no-untyped-def]
    """``phone("xa")``: a 360 × 740 page signed in on this module's server (contexts made here: pytest-playwright's
    base_url belongs to tests/browser)."""
    base, _ids = server
    contexts = []

    def open_as(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True, locale="vi-VN", base_url=base,
                                      service_workers="block")
        contexts.append(context)
        tab = context.new_page()
        tab.goto("/login")
        tab.fill("input[name=username]", username)
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(base + "/")
        return tab

    yield open_as
    for context in contexts:
        context.close()


def _fits(tab) -> None:  # type: ignore[no-untyped-def]
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360


def _shot(tab, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_commune_reviews_the_corrected_minutes_beside_the_photo(phone, server):
    _base, ids = server
    tab = phone("xa")
    tab.click("nav.mainnav >> text=Xác nhận")
    tab.wait_for_selector("#review-queue .rv-item")
    _fits(tab)
    _shot(tab, "queue")
    tab.click(f"a[href='/review/count/{ids['count']}']")
    tab.wait_for_selector("#review-detail .rv-photos img")
    assert tab.locator("td.rv-changed").count() >= 4
    # The image loads after the page: wait for it (on a busy machine it is not there yet when the page is).
    photo = tab.locator(".rv-photos img").first
    for _ in range(100):  # polled from here: the page's CSP forbids wait_for_function's string evaluation
        if photo.evaluate("img => img.complete && img.naturalWidth > 0"):
            break
        tab.wait_for_timeout(100)
    assert photo.evaluate("img => img.naturalWidth") > 0
    _fits(tab)
    _shot(tab, "detail")
    tab.click("details.rv-return summary")
    tab.check("input[name=reasons][value=numbers_mismatch]")
    tab.fill("textarea[name=text]", "Số phiếu hợp lệ của ông B ghi 412, ảnh là 421")
    tab.click("details.rv-return button[type=submit]")
    tab.wait_for_selector("#review-queue")
    assert "Đã trả lại" in tab.locator("#flash").inner_text()


def test_the_leader_sees_what_was_returned_first(phone, server):
    tab = phone("to01")
    box = tab.locator("#leader-home > *").first
    assert box.get_attribute("id") == "returned-reports"
    assert "đề nghị kiểm tra lại sổ" in box.inner_text()
    _fits(tab)
    _shot(tab, "leader-home-returned")


def test_the_hotline_timeline_and_call_list(phone, server):
    _base, ids = server
    tab = phone("tongdai")
    tab.click("nav.mainnav >> text=Tổng đài")
    tab.fill("#hl-q", "ben thanh")
    tab.click("#hotline-search button[type=submit]")
    tab.wait_for_selector("#hotline-search .hl-results a")
    _fits(tab)
    _shot(tab, "hotline-search")
    tab.goto(f"/hotline/stations/{ids['area']}")
    tab.wait_for_selector("#hotline-station .hl-timeline")
    assert tab.locator(".hl-event").count() >= 8
    _fits(tab)
    _shot(tab, "hotline-timeline")
    tab.goto("/hotline/calls")
    tab.wait_for_selector("#call-list .hl-call")
    first = tab.locator(".hl-call").first
    assert first.locator("a.hl-tel-main").get_attribute("href").startswith("tel:")
    _fits(tab)
    _shot(tab, "hotline-calls")


def test_the_hotline_enters_turnout_by_phone_with_a_read_back(phone, server):
    _base, _ids = server
    tab = phone("tongdai")
    tab.goto("/hotline/?q=26743-05")
    tab.click("#hotline-search .hl-results a")
    tab.wait_for_selector("#hotline-station")
    tab.click("text=Nhập số cử tri đi bầu qua điện thoại")
    tab.wait_for_selector("#hotline-turnout select[name=slot]")
    assert tab.locator("select[name=slot]").input_value() == "19:00"
    tab.fill("input[name=voted]", "906")
    tab.click("button[value=review]")
    tab.wait_for_selector("#hotline-turnout .rep-big")
    assert "chín trăm lẻ sáu" in tab.locator(".rep-words").inner_text()
    _fits(tab)
    _shot(tab, "hotline-readback")
    tab.check("input[name=read_back]")
    tab.click("button[value=send]")
    tab.wait_for_selector("#hotline-station")
    assert "Đọc mã biên nhận cho tổ trưởng" in tab.locator("#flash").inner_text()
    newest = tab.locator(".hl-event").first.inner_text()
    assert "906" in newest and "Tổng đài" in newest


def test_the_review_page_says_who_may_not_decide_and_why(phone, server):
    """The province reset the leader's code after activation: its page tells it why it may not decide; the
    commune official sees the decision, and both see the reset, the activation and the same-address flag."""
    _base, ids = server
    tab = phone("tinh")
    tab.goto(f"/review/count/{ids['reset_count']}")
    tab.wait_for_selector("#review-detail .rv-refusal")
    assert "đặt lại mã kích hoạt" in tab.locator(".rv-refusal").inner_text()
    assert tab.locator(".rv-refusal-top a[href='#decide']").count() == 1
    assert tab.locator("form[action$='/confirm']").count() == 0
    assert tab.locator(".rv-reset").count() == 1 and tab.locator(".rv-flag-activation").count() == 1
    _fits(tab)
    _shot(tab, "detail-refused-after-reset")
    other = phone("xa")
    other.goto(f"/review/count/{ids['reset_count']}")
    other.wait_for_selector("#review-detail form[action$='/confirm']")
    assert "10.0.0.8" in other.locator("#rv-provenance").inner_text()
    _fits(other)
    _shot(other, "detail-after-reset-other-official")
    hotline = phone("tongdai")
    hotline.goto(f"/hotline/stations/{ids['reset_area']}")
    hotline.wait_for_selector("#hotline-station .hl-event-reset")
    assert "to06-26743" in hotline.locator(".hl-event-reset").inner_text()
    _fits(hotline)
    _shot(hotline, "hotline-timeline-reset")
