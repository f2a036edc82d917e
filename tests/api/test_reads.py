"""The reads: the calling account, a station as a client needs it, a receipt within scope; and photos."""

from __future__ import annotations

import io
import uuid

import sqlalchemy as sa

from tests.api.conftest import count_body, count_url
from tests.reports.helpers import AREA, jpeg_bytes
from webapp.reports.models import ReportPhoto


def test_me_names_the_account_and_its_station(api, w, token_for):
    me = api("GET", "/api/v1/me", token_for("to01")).json
    assert (me["username"], me["role"], me["auth"], me["csrf_token"]) == ("to01", "leader", "token", None)
    assert me["polling_area"]["code"] == AREA and me["token"]["prefix"].startswith("bc26_")


def test_a_station_lists_what_its_reports_need(api, w, token_for):
    area = w.area(AREA)
    station = api("GET", f"/api/v1/stations/{area.id}", token_for("to01")).json
    assert station["code"] == AREA and station["may_submit"] is True
    assert [c["kind"] for c in station["contests"]] == ["na", "provincial", "commune"]
    assert all(c["candidates"] and c["voters_on_list"] for c in station["contests"])
    assert [m["id"] for m in station["team"]] == [m.id for m in area.team]
    assert "phone" not in station["team"][0]
    assert station["report_times"] and ":" in station["report_times"][0]["at"]
    assert api("GET", f"/api/v1/stations/{area.id}", token_for("hn_to01")).status_code == 404
    assert api("GET", f"/api/v1/stations/{area.id}", token_for("xa")).json["may_submit"] is False
    assert api("GET", "/api/v1/stations/99999999999999999999", token_for("quantri")).status_code == 404


def test_a_receipt_is_found_within_scope_only(api, db_session, w, token_for, election_night):
    sent = api("POST", count_url(w), token_for("to01"), json=count_body(db_session, w)).json
    code = sent["receipt"]
    display = f"{code[:3]}-{code[3:]}".lower()
    for username in ("to01", "xa", "tinh", "tongdai", "tongdai_qg"):
        found = api("GET", f"/api/v1/receipts/{display}", token_for(username))
        assert found.status_code == 200, username
        assert found.json["report_id"] == sent["report_id"] and found.json["contest"] == "na"
    for username in ("hn_to01", "hn_tinh", "hn_tongdai"):
        assert api("GET", f"/api/v1/receipts/{code}", token_for(username)).status_code == 404, username


def _photo(api, secret, report_id, content, client_uuid=None):
    return api("POST", f"/api/v1/reports/count/{report_id}/photo", secret,
               data={"client_uuid": client_uuid or str(uuid.uuid4()), "photo": (io.BytesIO(content), "bb.jpg")},
               content_type="multipart/form-data")


def test_a_photo_is_attached_once(api, app, db_session, w, token_for, election_night, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    secret = token_for("to01")
    report_id = api("POST", count_url(w), secret, json=count_body(db_session, w)).json["report_id"]
    client_uuid = str(uuid.uuid4())
    first = _photo(api, secret, report_id, jpeg_bytes(), client_uuid)
    assert first.status_code == 201, first.json
    again = _photo(api, secret, report_id, jpeg_bytes(), client_uuid)
    assert again.status_code == 200 and again.json["photo_id"] == first.json["photo_id"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReportPhoto)) == 1
    assert (tmp_path / db_session.get(ReportPhoto, first.json["photo_id"]).path).exists()


def test_a_photo_that_is_no_picture_is_refused(api, app, db_session, w, token_for, election_night, tmp_path,
                                               monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    secret = token_for("to01")
    report_id = api("POST", count_url(w), secret, json=count_body(db_session, w)).json["report_id"]
    response = _photo(api, secret, report_id, b"%PDF-1.4 not a picture")
    assert response.status_code == 422 and response.json["errors"][0]["code"] == "not_an_image"
    missing = api("POST", f"/api/v1/reports/count/{report_id}/photo", secret,
                  data={"client_uuid": str(uuid.uuid4())}, content_type="multipart/form-data")
    assert missing.status_code == 400 and missing.json["errors"][0]["code"] == "missing_file"
    assert _photo(api, token_for("hn_to01"), report_id, jpeg_bytes()).status_code == 404
    assert _photo(api, token_for("xa"), report_id, jpeg_bytes()).status_code == 403
