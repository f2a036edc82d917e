"""What the commune has confirmed is locked in the API too (issue 10 §5): attachCountPhoto for a superseded version
or for confirmed minutes, and submitTurnoutReport for a confirmed report time, answer 409 in the API's error
shape, never 201 (tests/reports/test_photo_rules.py and test_turnout_lock.py have the rules themselves)."""

from __future__ import annotations

import io
import uuid

import sqlalchemy as sa

from tests.api.conftest import assert_error_shape, count_body, count_url
from tests.reports.helpers import AREA, jpeg_bytes, new_id, vn
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.reports import services
from webapp.reports.models import CountReport, ReportPhoto, ReportStatus, TurnoutReport
from webapp.reports.services import TurnoutInput
from webapp.review import services as review
from webapp.review.models import ReportKind


def confirm(db_session, w, report):
    review.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.COUNT, report_id=report.id,
                          shown=ReportStatus.RECEIVED, now=vn(21, 0))


def test_the_api_answers_409_in_its_error_shape(api, db_session, w, token_for, app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(20, 0))
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    secret = token_for("to01")
    first = api("POST", count_url(w), secret, json=count_body(db_session, w)).json["report_id"]
    body = count_body(db_session, w)
    body["voters_voted"] -= 1
    body["ballots_issued"] -= 1
    body["ballots_received"] -= 1
    body["invalid"] -= 1
    second = api("POST", count_url(w), secret, json=body)
    assert second.status_code == 201, second.json
    second_id = second.json["report_id"]

    def photo(report_id):
        return api("POST", f"/api/v1/reports/count/{report_id}/photo", secret,
                   data={"client_uuid": str(uuid.uuid4()), "photo": (io.BytesIO(jpeg_bytes()), "bb.jpg")},
                   content_type="multipart/form-data")

    superseded = photo(first)
    assert superseded.status_code == 409
    assert_error_shape(superseded.json)
    assert superseded.json["errors"][0]["code"] == "superseded"
    assert superseded.json["errors"][0]["params"] == {"latest_version": 2}
    confirm(db_session, w, db_session.get(CountReport, second_id))
    locked = photo(second_id)
    assert locked.status_code == 409
    assert_error_shape(locked.json)
    error = locked.json["errors"][0]
    assert (error["code"], error["params"]) == ("locked", {"report": "photo"})
    assert "mở lại" in error["message"]["vi"] and "reopens" in error["message"]["en"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReportPhoto)) == 0
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_confirmed_turnout_report_answers_409_locked(db_session, w, app, api, token_for, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 20).isoformat())
    report = services.submit_turnout(db_session, actor=Actor(w.user("to01"), Channel.API), area_id=w.area(AREA).id,
                                     data=TurnoutInput(voted=250), client_uuid=new_id(),
                                     now=vn(9, 10)).report
    review.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=report.id,
                          shown=ReportStatus.RECEIVED, now=vn(9, 15))
    response = api("POST", f"/api/v1/stations/{w.area(AREA).id}/turnout", token_for("to01"),
                   json={"client_uuid": str(new_id()), "voters_voted": 260, "slot": "09:00"})
    assert response.status_code == 409
    assert_error_shape(response.json)
    error = response.json["errors"][0]
    assert (error["code"], error["params"]) == ("locked", {"report": "turnout"})
    assert "mở lại" in error["message"]["vi"] and "turnout report" in error["message"]["en"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 1
