"""attachCountPhoto and the paper trail (issue 10 §5): a photo for a superseded version or for confirmed minutes
answers 409 in the API's error shape, never 201 (tests/reports/test_photo_rules.py has the rule itself)."""

from __future__ import annotations

import io
import uuid

import sqlalchemy as sa

from tests.api.conftest import assert_error_shape, count_body, count_url
from tests.reports.helpers import jpeg_bytes, vn
from webapp.reports.models import CountReport, ReportPhoto, ReportStatus
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
