"""A confirmed turnout report is locked like confirmed count minutes (issue 10 §5): no path of writing a version
(the leader's form and its one-tap "no change", the outbox's replay of them, the API, the hotline's entry by
phone) supersedes it until the commune reopens it; then a new version is taken again."""

from __future__ import annotations

from datetime import time
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.conftest import csrf_token, login
from tests.reports.helpers import AREA, new_id, vn
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.reports import services
from webapp.reports.models import ReportStatus, TurnoutReport
from webapp.reports.services import TurnoutInput
from webapp.review import services as review
from webapp.review.models import ReportKind

LOCKED_VI = "đã được xã xác nhận"


def send(db_session, w, voted, *, user="to01", channel=Channel.WEB):
    return services.submit_turnout(db_session, actor=Actor(w.user(user), channel), area_id=w.area(AREA).id,
                                   data=TurnoutInput(voted=voted), client_uuid=new_id(),
                                   now=vn(9, 10)).report


def confirmed_nine_oclock(db_session, w):
    report = send(db_session, w, 250)
    review.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=report.id,
                          shown=ReportStatus.RECEIVED, now=vn(9, 15))
    assert report.status is ReportStatus.CONFIRMED and report.slot_at == time(9)
    return report


def versions(db_session):
    return db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport))


@pytest.fixture
def nine(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 20).isoformat())


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_service_refuses_a_new_version_until_the_commune_reopens(db_session, w):
    report = confirmed_nine_oclock(db_session, w)
    for user, channel in (("to01", Channel.WEB), ("to01", Channel.API), ("tongdai", Channel.PHONE)):
        with pytest.raises(services.ReportLocked) as caught:
            send(db_session, w, 260, user=user, channel=channel)
        assert caught.value.subject == "turnout"
    assert versions(db_session) == 1 and report.is_latest
    review.reopen_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=report.id,
                         reason="Tổ báo nhầm số cử tri lúc 9 giờ.", now=vn(9, 30))
    corrected = send(db_session, w, 260)
    assert (corrected.version, corrected.supersedes_id, corrected.status) == (2, report.id, ReportStatus.RECEIVED)
    assert not report.is_latest


def test_a_confirmation_landing_while_the_report_is_checked_refuses_it(db_session, w):
    report = send(db_session, w, 250)
    # Confirmed (and committed) by another official after this request read the version that counts.
    db_session.execute(sa.update(TurnoutReport.__table__).where(TurnoutReport.__table__.c.id == report.id)
                       .values(status=ReportStatus.CONFIRMED))
    assert report.status is ReportStatus.RECEIVED
    with pytest.raises(services.ReportLocked):
        send(db_session, w, 260)
    db_session.refresh(report)
    assert report.is_latest and versions(db_session) == 1


def test_the_leaders_form_and_no_change_say_it_is_locked(db_session, w, app, client, nine):
    report = confirmed_nine_oclock(db_session, w)
    login(client, "to01")
    area = w.area(AREA)
    page = soup(client.get(f"/reports/{area.id}/turnout"))
    values = {i["name"]: i.get("value", "") for i in page.select("form[data-offline] input[name]")}
    response = client.post(f"/reports/{area.id}/turnout", data={**values, "voted": "260", "slot": "09:00"})
    assert response.status_code == 303
    assert LOCKED_VI in soup(client.get(urlparse(response.headers["Location"]).path)).select_one(
        "#flash-messages").get_text()
    # "No change" repeats the last report for a later time; sent (offline, say) for the confirmed time itself:
    repeat = {"csrf_token": values["csrf_token"], "client_uuid": str(new_id()), "slot": "09:00",
              "repeat": str(report.id)}
    assert client.post(f"/reports/{area.id}/turnout/no-change", data=repeat).status_code == 303
    # The outbox replays the same form: a final answer (acknowledged, nothing stored), never a 500 or a retry.
    replay = client.post(f"/reports/{area.id}/turnout", data={**values, "voted": "270", "slot": "09:00"},
                         headers={"X-Outbox": "foreground", "X-CSRFToken": values["csrf_token"]})
    assert replay.status_code == 200 and replay.headers["X-Outbox-Ack"] == "1"
    assert versions(db_session) == 1


def test_the_hotline_is_told_before_the_read_back(db_session, w, client, nine):
    confirmed_nine_oclock(db_session, w)
    login(client, "tongdai")
    url = f"/hotline/stations/{w.area(AREA).id}/turnout"
    form = soup(client.get(url)).select_one("#hotline-turnout form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    data.update(voted="260", slot="09:00", reason="")
    for step in ({"step": "review"}, {"step": "send", "read_back": "y"}):
        response = client.post(url, data={**data, **step})
        assert response.status_code == 422 and LOCKED_VI in response.get_data(as_text=True)
    assert versions(db_session) == 1


def test_the_review_page_reopens_a_confirmed_turnout_report(db_session, w, client, nine):
    report = confirmed_nine_oclock(db_session, w)
    login(client, "xa")
    token = csrf_token(client, f"/review/turnout/{report.id}")
    response = client.post(f"/review/turnout/{report.id}/reopen",
                           data={"csrf_token": token, "reason": "Tổ báo nhầm số cử tri lúc 9 giờ."})
    assert response.status_code == 303
    db_session.refresh(report)
    assert report.status is ReportStatus.RECEIVED
    event = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "reopen")).one()
    assert (event.entity_type, event.actor_username) == ("turnout_reports", "xa")
    assert send(db_session, w, 260).version == 2
