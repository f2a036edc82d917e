"""The review pages through the test client: queue, detail beside photo and previous version, the decision forms
(CSRF, 303, 422 keeping what was typed), a stale decision, the leader's home, roles and scope."""

from __future__ import annotations

import re
from datetime import time

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.conftest import csrf_token
from tests.reports.helpers import jpeg_bytes, new_id
from tests.review.helpers import send_count, send_turnout, vn
from webapp.audit.models import AuditEntry, Channel
from webapp.reports import services as reports
from webapp.reports.models import ReportStatus
from webapp.review import services
from webapp.review.models import ReportKind

RECEIVED = ReportStatus.RECEIVED


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def clock(app):
    app.config["REPORTING_CLOCK_OVERRIDE"] = vn(20, 30).isoformat()
    yield
    app.config.pop("REPORTING_CLOCK_OVERRIDE", None)


@pytest.fixture
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    yield tmp_path
    app.config.pop("UPLOAD_FOLDER", None)


def test_the_queue_lists_new_and_corrected_reports(as_user, db_session, w):
    first = send_count(db_session, w)
    second = send_count(db_session, w, voted=first.voters_voted - 2, at=(20, 10))
    turnout = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    client = as_user("xa")
    response = client.get("/review/")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    items = soup(response).select("#review-queue .rv-item a")
    assert [a["href"] for a in items] == [f"/review/count/{second.id}", f"/review/turnout/{turnout.id}"]
    assert "2" in items[0].select_one(".rv-tag-changed").text
    fragment = client.get("/review/?kind=turnout", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="review-queue"' in body and f"/review/turnout/{turnout.id}" in body
    assert f"/review/count/{second.id}" not in body


@pytest.mark.parametrize(("username", "status"), [("tongdai", 403), ("to01", 403), ("tinh", 200), ("quantri", 200)])
def test_who_may_open_the_queue(as_user, username, status):
    assert as_user(username).get("/review/").status_code == status


def test_the_detail_shows_the_photo_and_highlights_what_changed(as_user, db_session, w, uploads):
    first = send_count(db_session, w)
    second = send_count(db_session, w, voted=first.voters_voted - 2, at=(20, 10))
    photo = reports.attach_photo(db_session, actor=w.user("to01"), report_id=second.id, content=jpeg_bytes(),
                                 client_uuid=new_id(), channel=Channel.WEB, now=vn(20, 12), upload_dir=uploads)
    client = as_user("xa")
    page = soup(client.get(f"/review/count/{second.id}"))
    img = page.select_one("#review-detail .rv-photos img")
    assert img["src"] == f"/reports/photos/{photo.report.id}"
    changed = page.select("td.rv-changed")
    assert len(changed) >= 4
    header = [th.text for th in page.select(".rv-numbers thead th")]
    assert "Phiên bản 1" in header[-1] or "Version 1" in header[-1]
    assert page.select_one(f"form[action='/review/count/{second.id}/confirm'] input[name=shown]")["value"] == "received"
    old = soup(client.get(f"/review/count/{first.id}"))
    assert old.select_one("form[action$='/confirm']") is None  # a replaced version is not decided any more
    assert old.select_one(f"a[href='/review/count/{second.id}']") is not None


def test_confirming_answers_303_and_locks(as_user, db_session, w, clock):
    report = send_count(db_session, w)
    client = as_user("xa")
    token = csrf_token(client, f"/review/count/{report.id}")
    response = client.post(f"/review/count/{report.id}/confirm", data={"csrf_token": token, "shown": "received"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review/")
    db_session.refresh(report)
    assert report.status is ReportStatus.CONFIRMED and report.reviewed_at == vn(20, 30)
    page = soup(client.get(f"/review/count/{report.id}"))
    assert page.select_one("form[action$='/reopen'] textarea[name=reason]") is not None


def test_a_return_without_reasons_answers_422_and_keeps_the_note(as_user, db_session, w):
    report = send_count(db_session, w)
    client = as_user("xa")
    token = csrf_token(client, f"/review/count/{report.id}")
    response = client.post(f"/review/count/{report.id}/return",
                           data={"csrf_token": token, "shown": "received", "text": "Ghi chú của xã"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("details.rv-return[open]") is not None
    assert page.select_one("textarea[name=text]").text.strip() == "Ghi chú của xã"
    assert page.select_one(".rv-reasons .error") is not None
    response = client.post(f"/review/count/{report.id}/return", data={
        "csrf_token": token, "shown": "received", "reasons": ["numbers_mismatch", "other"], "text": ""})
    assert response.status_code == 422
    assert [i["value"] for i in soup(response).select("input[name=reasons][checked]")] == ["numbers_mismatch", "other"]
    response = client.post(f"/review/count/{report.id}/return", data={
        "csrf_token": token, "shown": "received", "reasons": ["numbers_mismatch"], "text": "Sai số phiếu"})
    assert response.status_code == 303
    db_session.refresh(report)
    assert report.status is ReportStatus.RETURNED and "Sai số phiếu" in report.returned_reasons


def test_the_leader_sees_the_returned_report_first_on_the_home_page(as_user, db_session, w):
    report = send_count(db_session, w)
    services.return_report(db_session, actor=w.user("xa"), kind=ReportKind.COUNT, report_id=report.id,
                           shown=RECEIVED, reasons=["photo_missing"], text="Chụp lại ảnh biên bản", now=vn(20, 30))
    client = as_user("to01")
    page = soup(client.get("/"))
    home = page.select_one("#leader-home")
    first = home.find(True)
    assert first.get("id") == "returned-reports"
    assert "Chụp lại ảnh biên bản" in first.text
    assert len(first.select(".rv-reason-list li")) == 1
    link = first.select_one("a.button")["href"]
    assert link == f"/reports/{report.polling_area_id}/count/{report.contest_id}"
    # Once corrected, the home page no longer shows it.
    send_count(db_session, w, voted=report.voters_voted - 2, at=(20, 40))
    assert soup(client.get("/")).select_one("#returned-reports") is None


def test_reopening_needs_a_reason_and_is_audited(as_user, db_session, w):
    report = send_count(db_session, w)
    services.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.COUNT, report_id=report.id,
                            shown=RECEIVED, now=vn(20, 30))
    client = as_user("xa")
    token = csrf_token(client, f"/review/count/{report.id}")
    response = client.post(f"/review/count/{report.id}/reopen", data={"csrf_token": token, "reason": "  "})
    assert response.status_code == 422
    assert soup(response).select_one("details.rv-reopen[open] .error") is not None
    response = client.post(f"/review/count/{report.id}/reopen",
                           data={"csrf_token": token, "reason": "Phát hiện sai số phiếu không hợp lệ"})
    assert response.status_code == 303
    db_session.refresh(report)
    assert report.status is RECEIVED
    event = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "reopen")).one()
    assert (event.actor_username, event.channel) == ("xa", Channel.WEB)


def test_a_stale_page_says_who_acted_and_when(as_user, db_session, w):
    report = send_count(db_session, w)
    client = as_user("tinh")
    token = csrf_token(client, f"/review/count/{report.id}")  # tinh's page shows "received"
    services.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.COUNT, report_id=report.id,
                            shown=RECEIVED, now=vn(20, 30))
    response = client.post(f"/review/count/{report.id}/return",
                           data={"csrf_token": token, "shown": "received", "reasons": ["numbers_mismatch"]})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/review/count/{report.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    xa = w.user("xa")
    assert re.search(rf"Đã được xác nhận bởi .*{re.escape(xa.full_name)}.* lúc 20:30 15/03/2026", page)
    db_session.refresh(report)
    assert report.status is ReportStatus.CONFIRMED


def test_the_hotline_cannot_confirm(as_user, db_session, w):
    report = send_count(db_session, w)
    client = as_user("tongdai")
    token = csrf_token(client, "/")
    response = client.post(f"/review/count/{report.id}/confirm", data={"csrf_token": token, "shown": "received"})
    assert response.status_code == 403
    assert client.get(f"/review/count/{report.id}").status_code == 403


def test_officials_elsewhere_get_404(as_user, db_session, w):
    report = send_count(db_session, w)
    turnout = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    client = as_user("hn_xa")
    token = csrf_token(client, "/")
    assert client.get(f"/review/count/{report.id}").status_code == 404
    assert client.get(f"/review/turnout/{turnout.id}").status_code == 404
    response = client.post(f"/review/count/{report.id}/confirm", data={"csrf_token": token, "shown": "received"})
    assert response.status_code == 404
    db_session.refresh(report)
    assert report.status is RECEIVED


def test_a_turnout_report_is_reviewed_beside_the_previous_version(as_user, db_session, w):
    send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    second = send_turnout(db_session, w, 320, slot=time(9), at=(9, 10))
    client = as_user("xa")
    page = soup(client.get(f"/review/turnout/{second.id}"))
    assert [td.text.strip() for td in page.select("td.rv-changed")][:1] == ["320 (đã thay đổi)"]
    token = csrf_token(client, f"/review/turnout/{second.id}")
    response = client.post(f"/review/turnout/{second.id}/confirm", data={"csrf_token": token, "shown": "received"})
    assert response.status_code == 303
    db_session.refresh(second)
    assert second.status is ReportStatus.CONFIRMED


def test_a_confirmation_reads_its_report_and_area_once(app, as_user, db_session, w):
    """The view's 404 check and the decision ask for the same version; its area comes in the same statement (the
    audit's place and the review action's). 12 statements before (the report twice, the area a third time), 10
    before the status's UPDATE became the claim itself and the review action's audit entry joined the status's."""
    from tests.reports.test_statement_count import statements

    report = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    client = as_user("xa")
    token = csrf_token(client, f"/review/turnout/{report.id}")
    with statements(app) as seen:
        response = client.post(f"/review/turnout/{report.id}/confirm", data={"csrf_token": token, "shown": "received"})
    assert response.status_code == 303
    assert sum(s.startswith("SELECT turnout_reports.") for s in seen) == 1, seen.listing()
    assert not [s for s in seen if s.startswith("SELECT polling_areas.")], seen.listing()
    # The account, the report with its area, the four-eyes check; the conditional UPDATE that claims and sets the
    # status, INSERT the review action, one INSERT of audit entries (status and action); the progress summaries'
    # two; and the SAVEPOINT/RELEASE pair that only tests add.
    assert sum(s.startswith("UPDATE turnout_reports") for s in seen) == 1, seen.listing()
    assert sum(s.startswith("INSERT INTO audit_entries") for s in seen) == 1, seen.listing()
    assert len(seen.own) <= 6 + 2 and len(seen.progress) <= 2, seen.listing()
