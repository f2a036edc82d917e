"""The photo of the signed minutes and the paper trail (issue 10 §5): a photo documents the version that counts,
before the commune confirms it (later only through a reopening), audited with its version and hash; every
upload path (leader's page, the outbox's by-uuid route, the API) refuses the rest with a clear message, never a
500. Files are stored under the upload folder, named by ids only, whatever an area's code says."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.reports.helpers import AREA, count_data, good_numbers, jpeg_bytes, links, new_id, vn
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind, PollingArea
from webapp.reports import services
from webapp.reports.models import CountReport, ReportPhoto, ReportStatus
from webapp.reports.photos import stored_path
from webapp.review import services as review
from webapp.review.models import ReportKind

NA = ContestKind.NATIONAL_ASSEMBLY


def send_minutes(db_session, w, *, voted=None):
    area = w.area(AREA)
    return services.submit_count(
        db_session, actor=Actor(w.user("to01"), Channel.WEB), area_id=area.id, contest_id=links(db_session, area)[NA].contest_id,
        data=count_data(w, good_numbers(db_session, area, NA, voted=voted)), client_uuid=new_id(), now=vn(20, 0)).report


def confirm(db_session, w, report):
    review.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.COUNT, report_id=report.id,
                          shown=ReportStatus.RECEIVED, now=vn(21, 0))


def attach(db_session, w, report, upload_dir, content=None):
    return services.attach_photo(db_session, actor=w.user("to01"), report_id=report.id,
                                 content=content or jpeg_bytes(), client_uuid=new_id(), channel=Channel.WEB,
                                 now=vn(21, 5), upload_dir=upload_dir)


def photos(db_session):
    return db_session.scalar(sa.select(sa.func.count()).select_from(ReportPhoto))


def files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


# --- the rule, in the service ---------------------------------------------------------------------------------


def test_confirmed_minutes_take_a_photo_only_after_a_reopening(db_session, w, tmp_path):
    report = send_minutes(db_session, w)
    confirm(db_session, w, report)
    with pytest.raises(services.ReportLocked) as caught:
        attach(db_session, w, report, tmp_path)
    assert caught.value.subject == "photo"
    assert photos(db_session) == 0 and not files(tmp_path)

    review.reopen_report(db_session, actor=w.user("xa"), kind=ReportKind.COUNT, report_id=report.id,
                         reason="Cần bổ sung ảnh biên bản có chữ ký.", now=vn(21, 10))
    photo = attach(db_session, w, report, tmp_path).report
    assert photo.report is report and report.status is ReportStatus.RECEIVED
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "report_photos",
                                                           AuditEntry.action == "create")).one()
    assert entry.actor_username == "tests"  # the session's bound account (a request binds its own: below)
    assert (entry.after["count_report_id"], entry.after["version"], entry.after["sha256"]) == (
        report.id, report.version, photo.sha256)
    assert entry.after["uploaded_by_id"] == w.user("to01").id and entry.after["uploaded_at"]


def test_a_superseded_version_takes_no_photo(db_session, w, tmp_path):
    first = send_minutes(db_session, w)
    second = send_minutes(db_session, w, voted=good_numbers(db_session, w.area(AREA), NA).voters_voted - 1)
    assert not first.is_latest and second.version == 2
    with pytest.raises(services.ReportSuperseded) as caught:
        attach(db_session, w, first, tmp_path)
    assert caught.value.latest == 2
    assert photos(db_session) == 0 and not files(tmp_path)
    assert attach(db_session, w, second, tmp_path).report.report is second


def test_a_photo_sent_again_after_the_confirmation_is_still_the_same_photo(db_session, w, tmp_path):
    report = send_minutes(db_session, w)
    client_uuid = new_id()
    first = services.attach_photo(db_session, actor=w.user("to01"), report_id=report.id, content=jpeg_bytes(),
                                  client_uuid=client_uuid, channel=Channel.WEB, now=vn(20, 5), upload_dir=tmp_path)
    confirm(db_session, w, report)
    again = services.attach_photo(db_session, actor=w.user("to01"), report_id=report.id, content=jpeg_bytes(),
                                  client_uuid=client_uuid, channel=Channel.WEB, now=vn(21, 5), upload_dir=tmp_path)
    assert again.replayed and again.report.id == first.report.id


def test_a_confirmation_landing_while_the_photo_is_processed_refuses_it(db_session, w, tmp_path):
    report = send_minutes(db_session, w)
    # Another official's confirmation committed after this request read the minutes (still "received" here):
    # the row says confirmed, the session's copy does not.
    db_session.execute(sa.update(CountReport.__table__).where(CountReport.__table__.c.id == report.id)
                       .values(status=ReportStatus.CONFIRMED))
    assert report.status is ReportStatus.RECEIVED
    with pytest.raises(services.ReportLocked):
        attach(db_session, w, report, tmp_path)
    assert photos(db_session) == 0


# --- paths on disk ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["../../X", "..", "../../../tmp/X", "/abs/X", "A/../../B", "./..//X"])
def test_no_file_is_ever_written_outside_the_upload_folder(db_session, w, tmp_path, code):
    # A code stored before the strict character set (or written around it): the path never comes from it.
    report = send_minutes(db_session, w)
    area = report.polling_area
    db_session.execute(sa.update(PollingArea.__table__).where(PollingArea.__table__.c.id == area.id)
                       .values(code=code))
    db_session.expire(area)
    assert area.code == code
    uploads = tmp_path / "uploads"
    photo = attach(db_session, w, report, uploads).report
    assert photo.path == f"reports/{area.id}/{report.id}-{photo.sha256[:20]}.jpg"
    written = files(tmp_path)
    assert written == [uploads / photo.path]
    assert all(p.resolve().is_relative_to(uploads.resolve()) for p in written)


def test_a_stored_path_outside_the_upload_folder_is_never_read(tmp_path):
    uploads = tmp_path / "uploads"
    assert stored_path(uploads, "reports/8/12-abc.jpg") == (uploads / "reports/8/12-abc.jpg").resolve()
    assert stored_path(uploads, "reports/26743-01/12-abc.jpg").is_relative_to(uploads.resolve())  # older rows
    for hostile in ("reports/../../X/1-a.jpg", "../secret", "/etc/passwd", "", "."):
        with pytest.raises(ValueError):
            stored_path(uploads, hostile)


def test_photos_stored_under_the_old_code_paths_are_still_served(db_session, w, as_user, tmp_path, app,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    report = send_minutes(db_session, w)
    photo = attach(db_session, w, report, tmp_path / "uploads").report
    old = f"reports/{AREA}/{report.id}-{photo.sha256[:20]}.jpg"  # as stored before: under the area's code
    (tmp_path / "uploads" / old).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "uploads" / photo.path).replace(tmp_path / "uploads" / old)
    photo.path = old
    (tmp_path / "secret.jpg").write_bytes(b"outside the upload folder")
    db_session.flush()
    client = as_user("xa")
    with client.get(f"/reports/photos/{photo.id}") as served:
        assert served.status_code == 200 and served.data == (tmp_path / "uploads" / old).read_bytes()
    photo.path = "../secret.jpg"  # a row pointing outside is never read
    db_session.flush()
    assert client.get(f"/reports/photos/{photo.id}").status_code == 404


# --- every upload path ----------------------------------------------------------------------------------------


@pytest.fixture
def evening(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(20, 30).isoformat())
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))


def _photo_fields(client_uuid=None):
    return {"client_uuid": str(client_uuid or uuid.uuid4()),
            "photo": [(io.BytesIO(b""), ""), (io.BytesIO(jpeg_bytes()), "IMG.jpg")]}


def test_the_leader_page_refuses_a_photo_for_confirmed_minutes_with_a_message(db_session, w, as_user, evening,
                                                                              tmp_path):
    report = send_minutes(db_session, w)
    confirm(db_session, w, report)
    client = as_user("to01")
    page = client.get(f"/reports/count/{report.id}/photo")
    assert page.status_code == 200 and "đề nghị xã mở lại" in page.get_data(as_text=True)
    assert 'type="file"' not in page.get_data(as_text=True)
    response = client.post(f"/reports/count/{report.id}/photo",
                           data={**_photo_fields(), "csrf_token": csrf_token(client, "/")},
                           content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "đề nghị xã mở lại" in body and 'type="file"' not in body
    version = client.get(f"/reports/count/{report.id}").get_data(as_text=True)
    assert f"/reports/count/{report.id}/photo" not in version  # no "add the photo" button any more
    assert photos(db_session) == 0 and not files(tmp_path)


def test_the_outbox_gets_a_final_answer_once_the_minutes_were_confirmed(db_session, w, as_user, evening, tmp_path):
    report = send_minutes(db_session, w)
    client = as_user("to01")
    token = csrf_token(client, "/")
    headers = {"X-Outbox": "background", "X-CSRFToken": token}
    # Unconfirmed and the latest: the photo queued behind its numbers attaches.
    sent = client.post(f"/reports/count/by-uuid/{report.client_uuid}/photo", data=_photo_fields(),
                       headers=headers, content_type="multipart/form-data")
    assert sent.status_code == 200 and sent.headers["X-Outbox-Ack"] == "1"
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "report_photos")).one()
    assert (entry.actor_username, entry.channel, entry.after["version"]) == ("to01", Channel.WEB, report.version)
    confirm(db_session, w, report)
    refused = client.post(f"/reports/count/by-uuid/{report.client_uuid}/photo",
                          data=_photo_fields() | {"photo": (io.BytesIO(jpeg_bytes(400, 300)), "IMG2.jpg")},
                          headers=headers, content_type="multipart/form-data")
    # Neither acknowledged (deleted from the phone) nor 422 ("fix it") nor retried (5xx): refused for good,
    # with the sentence the outbox shows.
    assert refused.status_code == 409 and "X-Outbox-Ack" not in refused.headers
    message = unquote(refused.headers["X-Outbox-Message"])
    assert "đề nghị xã mở lại" in message
    assert photos(db_session) == 1


def test_the_outbox_photo_of_superseded_numbers_is_refused_for_good(db_session, w, as_user, evening):
    first = send_minutes(db_session, w)
    send_minutes(db_session, w, voted=good_numbers(db_session, w.area(AREA), NA).voters_voted - 1)
    client = as_user("to01")
    response = client.post(f"/reports/count/by-uuid/{first.client_uuid}/photo", data=_photo_fields(),
                           headers={"X-Outbox": "background", "X-CSRFToken": csrf_token(client, "/")},
                           content_type="multipart/form-data")
    assert response.status_code == 409 and "bản đang có hiệu lực" in unquote(response.headers["X-Outbox-Message"])
    assert photos(db_session) == 0
