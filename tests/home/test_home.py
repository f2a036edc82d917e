"""Each role's home page: the leader's phase and next step, the officials' urgent counts, the menu, the header and
/favicon.ico."""

from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.review.helpers import send_count, send_turnout, vn
from tests.world import NOW
from webapp.accounts.models import Role, User
from webapp.elections.models import ContestKind, PollingArea
from webapp.home import services
from webapp.home.services import Phase, Step
from webapp.reports.models import ReportStatus
from webapp.review import services as review
from webapp.review.models import ReportKind

LATE_VOTERS = {"turnout_ne_voted": "Cử tri đi bầu sau 09 giờ"}


@pytest.mark.parametrize(("at", "phase", "step"), [
    ((6, 0), Phase.BEFORE, Step.WAIT),
    ((8, 0), Phase.VOTING, Step.WAIT),  # 09:00 opens for reports at 08:30
    ((8, 40), Phase.VOTING, Step.TURNOUT),
    ((9, 40), Phase.VOTING, Step.TURNOUT),
    ((19, 30), Phase.COUNTING, Step.COUNT),
])
def test_the_leader_phase_and_next_step_follow_the_clock(db_session, w, at, phase, step):
    today = services.leader_day(db_session, w.user("to01"), vn(*at))
    assert (today.phase, today.step) == (phase, step)
    if step is Step.COUNT:
        assert today.step_minutes is today.minutes[0] and today.step_minutes.report is None


def test_after_a_minutes_the_next_step_is_the_next_ballot_then_the_photos(db_session, w):
    send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    send_count(db_session, w, at=(19, 40), explanations=LATE_VOTERS)
    today = services.leader_day(db_session, w.user("to01"), vn(19, 45))
    assert today.step is Step.COUNT and today.step_minutes.link.contest.kind is not ContestKind.NATIONAL_ASSEMBLY
    for kind in (ContestKind.PROVINCIAL_COUNCIL, ContestKind.COMMUNE_COUNCIL):
        send_count(db_session, w, kind=kind, at=(20, 0), explanations=LATE_VOTERS)
    today = services.leader_day(db_session, w.user("to01"), vn(20, 5))
    assert today.phase is Phase.COUNTING and today.step is Step.PHOTO and today.step_minutes.photos == 0


def test_a_returned_report_comes_before_everything(db_session, w):
    report = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    review.return_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=report.id,
                         shown=ReportStatus.RECEIVED, reasons=["numbers_mismatch"], text="", now=vn(9, 30))
    today = services.leader_day(db_session, w.user("to01"), vn(9, 40))
    assert today.step is Step.CORRECT and len(today.returned) == 1


def test_the_commune_home_counts_waiting_returned_and_late(db_session, w):
    send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    area = w.area("26743-02")
    db_session.add(User(username="to02", role=Role.LEADER, province_id=area.province_id, commune_id=area.commune_id,
                        polling_area_id=area.id, password_hash="x", created_at=NOW))
    db_session.flush()
    other = send_turnout(db_session, w, 200, slot=time(9), at=(9, 6), area="26743-02", leader="to02")
    review.return_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=other.id,
                         shown=ReportStatus.RECEIVED, reasons=["numbers_mismatch"], text="", now=vn(9, 30))
    today = services.official_today(db_session, w.user("xa"), vn(9, 40))
    assert today.waiting.total == 1 and today.returned == 1
    areas = db_session.scalar(sa.select(sa.func.count()).select_from(PollingArea)
                              .where(PollingArea.commune_id == area.commune_id))
    assert today.late.total == areas - 2 and len(today.late.rows) <= services.LATE_SHOWN
    assert services.official_today(db_session, w.user("tongdai"), vn(9, 40)).waiting is None


@pytest.mark.parametrize(("username", "main", "more"), [
    ("to01", ["/", "/reports/{area}/turnout", "/reports/{area}/count"], []),
    ("xa", ["/", "/review/", "/progress/"], ["/results/", "/audit/", "/data/"]),
    ("tinh", ["/", "/review/", "/progress/"], ["/hotline/calls", "/hotline/", "/settings/report-times"]),
    ("tongdai", ["/", "/hotline/calls", "/hotline/"], ["/progress/", "/results/"]),
    ("quantri", ["/", "/progress/", "/results/"], ["/review/", "/api-tokens/"]),
])
def test_the_menu_shows_the_role_s_main_entries_and_the_rest_under_more(as_user, w, username, main, more):
    """The entries in view (those of the role's day) and those behind "more", by address (the labels are the
    catalog's)."""
    page = BeautifulSoup(as_user(username).get("/").get_data(as_text=True), "html.parser")
    nav = page.select_one("nav.mainnav")
    area = w.area("26743-01").id
    assert [a["href"] for a in nav.find_all("a", recursive=False)] == [m.format(area=area) for m in main]
    hidden = [a["href"] for a in nav.select("details.mainnav-more .mainnav-more-list a")]
    assert set(more) <= set(hidden) and not set(main) & set(hidden)
    assert bool(hidden) == bool(more)


def test_the_header_names_the_administrator_once(as_user):
    page = BeautifulSoup(as_user("quantri").get("/").get_data(as_text=True), "html.parser")
    assert page.select_one(".topbar .who").text.count("Quản trị quốc gia") == 1


def test_favicon_ico_is_the_app_icon(client):
    response = client.get("/favicon.ico")
    data = response.get_data()
    response.close()  # a file response: close it, or the test warns of an unclosed file
    assert response.status_code == 200 and response.mimetype == "image/png" and data[:4] == b"\x89PNG"
