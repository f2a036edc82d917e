"""The server side of count minutes entered offline: the entry form says it can be read back on the phone and sent
with its send step; that send step runs every check again (422 with the form to fix); the photo can be addressed by
the numbers' client id, in scope only."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.reports.helpers import jpeg_bytes, vn
from tests.reports.test_views import count_form_data, count_url, soup
from webapp.reports.models import CountReport, ReportPhoto


@pytest.fixture
def evening(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(19, 40).isoformat())
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))


def queued_send(client, db_session, w, **changes):
    """What the phone's read-back queues: the entry form's fields with step=send, replayed by the outbox."""
    url = count_url(w, db_session)
    page = soup(client.get(url))
    values = count_form_data(db_session, w, page, **changes)
    token = values.pop("csrf_token")
    response = client.post(url, data={**values, "step": "send"},
                           headers={"X-Outbox": "background", "X-CSRFToken": token})
    return values["client_uuid"], response


def test_entry_form_is_read_back_on_the_phone_and_sent_with_its_send_step(as_user, w, db_session, evening):
    client = as_user("to01")
    form = soup(client.get(count_url(w, db_session))).select_one("form#count-entry")
    assert form["data-offline-readback"] == "step=send"
    assert form["data-offline-label"]
    assert not form.has_attr("data-offline"), "the entry step itself is never queued"


def test_queued_send_step_is_acknowledged_once(as_user, w, db_session, evening):
    client = as_user("to01")
    numbers_uuid, response = queued_send(client, db_session, w)
    assert response.status_code == 200 and response.headers["X-Outbox-Ack"] == "1"
    report = db_session.scalars(sa.select(CountReport)).one()
    assert str(report.client_uuid) == numbers_uuid
    assert response.headers["X-Outbox-Location"].endswith(f"/reports/count/{report.id}")


def test_queued_send_step_runs_every_check_again(as_user, w, db_session, evening):
    client = as_user("to01")
    _, response = queued_send(client, db_session, w, valid="1")
    assert response.status_code == 422 and "X-Outbox-Ack" not in response.headers
    page = soup(response)
    fix = page.select_one("form#count-entry[data-offline-readback]")
    assert fix is not None and fix.select_one("input[name=valid]")["value"] == "1"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CountReport)) == 0


def test_queued_send_step_without_witnesses_is_refused(as_user, w, db_session, evening):
    client = as_user("to01")
    _, response = queued_send(client, db_session, w, witness_1="", witness_2="")
    assert response.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CountReport)) == 0


def test_photo_by_the_numbers_client_id(as_user, w, db_session, evening):
    client = as_user("to01")
    numbers_uuid, _ = queued_send(client, db_session, w)
    report = db_session.scalars(sa.select(CountReport)).one()
    photo_uuid = uuid.uuid4()
    token = csrf_token(client, "/")
    for _ in range(2):  # replayed: one photo
        response = client.post(f"/reports/count/by-uuid/{numbers_uuid}/photo",
                               data={"client_uuid": str(photo_uuid),
                                     "photo": [(io.BytesIO(b""), ""), (io.BytesIO(jpeg_bytes()), "IMG.jpg")]},
                               headers={"X-Outbox": "background", "X-CSRFToken": token},
                               content_type="multipart/form-data")
        assert response.status_code == 200 and response.headers["X-Outbox-Ack"] == "1"
        assert response.headers["X-Outbox-Location"].endswith(f"/reports/count/{report.id}")
    photo = db_session.scalars(sa.select(ReportPhoto)).one()
    assert photo.report is report and photo.client_uuid == photo_uuid


def test_photo_by_client_id_refuses_what_is_not_a_photo(as_user, w, db_session, evening):
    client = as_user("to01")
    numbers_uuid, _ = queued_send(client, db_session, w)
    response = client.post(f"/reports/count/by-uuid/{numbers_uuid}/photo",
                           data={"client_uuid": str(uuid.uuid4()), "csrf_token": csrf_token(client, "/"),
                                 "photo": (io.BytesIO(b"not a photo" * 50), "IMG.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and soup(response).select_one(".error")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReportPhoto)) == 0


def test_photo_by_client_id_unknown_or_out_of_scope_is_404(as_user, w, db_session, evening):
    leader = as_user("to01")
    numbers_uuid, _ = queued_send(leader, db_session, w)
    data = lambda c: {"client_uuid": str(uuid.uuid4()), "csrf_token": csrf_token(c, "/"),
                      "photo": (io.BytesIO(jpeg_bytes()), "IMG.jpg")}
    unknown = leader.post(f"/reports/count/by-uuid/{uuid.uuid4()}/photo", data=data(leader),
                          content_type="multipart/form-data")
    assert unknown.status_code == 404
    leader.post("/logout", data={"csrf_token": csrf_token(leader, "/")})
    other = as_user("hn_to01")
    assert other.post(f"/reports/count/by-uuid/{numbers_uuid}/photo", data=data(other),
                      content_type="multipart/form-data").status_code == 404
    other.post("/logout", data={"csrf_token": csrf_token(other, "/")})
    official = as_user("xa")
    assert official.post(f"/reports/count/by-uuid/{numbers_uuid}/photo", data=data(official),
                         content_type="multipart/form-data").status_code == 403
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReportPhoto)) == 0
