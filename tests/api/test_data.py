"""Imports and exports through the API: 202 with the job's address, per-row errors as JSON with nothing stored,
an export's file to its owner only; and the leaders' activation codes as JSON and CSV."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.imports.helpers import audit_rows, count, headers, read_xlsx, xlsx
from webapp.audit.models import AuditEntry, Channel
from webapp.elections.models import ElectoralUnit

UNIT_ROW = ["HĐND xã", "X-26743-09", 9, "Đơn vị bầu cử số 9", "79", "26743", 3]


def upload(api, secret, fields, data=None, filename="donvi.xlsx"):
    values = dict(fields)
    if data is not None:
        values["file"] = FileStorage(io.BytesIO(data), filename=filename, content_type="application/octet-stream")
    boundary, body = encode_multipart(values)
    return api("POST", "/api/v1/imports", secret, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_an_import_answers_202_and_its_job_tells_the_outcome(api, db_session, token_for):
    secret = token_for("xa")
    answer = upload(api, secret, {"dataset": "units"}, xlsx([headers("units"), UNIT_ROW]))
    assert answer.status_code == 202, answer.json
    job = api("GET", answer.headers["Location"], secret).json
    assert (job["kind"], job["dataset"], job["state"], job["errors"]) == ("import", "units", "done", [])
    assert job["summary"]["created"] == 1
    assert job["file_url"] is None  # an import writes no file
    assert count(db_session, ElectoralUnit, ElectoralUnit.code == "X-26743-09") == 1
    # Another account does not see the job.
    assert api("GET", answer.headers["Location"], token_for("tinh")).status_code == 404


def test_a_rejected_import_lists_each_rows_problem_and_stores_nothing(api, db_session, token_for):
    secret = token_for("xa")
    before = audit_rows(db_session)
    bad = [headers("units"), UNIT_ROW, ["HĐND xã", "X-26743-10", 10, "Đơn vị 10", "79", "26743", 7]]
    answer = upload(api, secret, {"dataset": "units"}, xlsx(bad))
    assert answer.status_code == 202
    job = api("GET", answer.headers["Location"], secret).json
    assert job["state"] == "rejected" and job["error_total"] == 1
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "Số đại biểu được bầu")]
    assert count(db_session, ElectoralUnit, ElectoralUnit.code == "X-26743-09") == 0
    assert audit_rows(db_session) == before + 1  # the job's start only


def test_a_malformed_upload_is_refused_before_any_job(api, db_session, token_for):
    secret, others = token_for("tinh"), [token_for("to01"), token_for("tongdai")]
    before = audit_rows(db_session)  # issuing a token is audited too
    missing = upload(api, secret, {"dataset": "nope", "extra": "1"})
    assert missing.status_code == 400
    assert {(e["code"], e["field"]) for e in missing.json["errors"]} == {
        ("invalid_choice", "dataset"), ("missing_upload", "file"), ("unknown_field", "extra")}
    wrong_type = upload(api, secret, {"dataset": "units"}, b"hello", filename="donvi.pdf")
    assert wrong_type.status_code == 422 and wrong_type.json["errors"][0]["code"] == "file_type"
    too_big = upload(api, secret, {"dataset": "units"}, b"PK\x03\x04" + b"x" * (11 * 1024 * 1024))
    assert too_big.status_code == 413 and "10 MB" in too_big.json["errors"][0]["message"]["en"]
    for other in others:
        assert upload(api, other, {"dataset": "units"}, xlsx([headers("units")])).status_code == 403
    assert audit_rows(db_session) == before


def test_an_export_is_downloaded_by_its_owner_only(api, db_session, token_for):
    secret = token_for("xa")
    answer = api("POST", "/api/v1/exports/polling_areas", secret)
    assert answer.status_code == 202, answer.json
    job = api("GET", answer.headers["Location"], secret).json
    assert job["state"] == "done" and job["kind"] == "export"
    assert job["file_url"] == f"/api/v1/jobs/{job['id']}/file"
    got = api("GET", job["file_url"], secret)
    assert got.status_code == 200 and got.mimetype.endswith("spreadsheetml.sheet")
    rows = read_xlsx(got.data)
    got.close()  # send_file's open file
    assert rows[0] == headers("polling_areas") and len(rows) > 1
    assert api("GET", f"/api/v1/jobs/{job['id']}/file", token_for("tinh")).status_code == 404
    assert api("POST", "/api/v1/exports/nope", secret).status_code == 404


def test_leader_codes_as_json_and_csv_for_sms(api, db_session, w, token_for):
    commune = w.user("xa").commune
    url = f"/api/v1/communes/{commune.id}/leader-codes"
    answer = api("POST", url, token_for("xa"))
    assert answer.status_code == 200, answer.json
    assert answer.headers["Cache-Control"] == "no-store"
    codes = answer.json["codes"]
    assert codes and all(len(c["code"].replace("-", "")) == 8 and c["username"].startswith("to") for c in codes)
    assert {"polling_area", "full_name", "phone", "expires_at", "sms"} <= set(codes[0])
    # Audited as the leaders' page's slips are, through the API channel.
    event = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "issue_codes")
                               .order_by(AuditEntry.id.desc())).first()
    assert (event.channel, event.actor_username, event.entity_id) == (Channel.API, "xa", str(commune.id))
    assert sorted(event.after["areas"]) == sorted(c["polling_area"]["code"] for c in codes)
    # A second request renews the unused codes (the first ones stop working), as CSV this time.
    again = api("POST", url, token_for("xa"), headers={"Accept": "text/csv"})
    assert again.status_code == 200 and again.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(again.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["username"] for r in rows] == [c["username"] for c in codes]
    assert all(r["code"] != c["code"] for r, c in zip(rows, codes))
    # Scope and roles: another province's committee, a leader, the hotline.
    assert api("POST", url, token_for("hn_tinh")).status_code == 404
    assert api("POST", url, token_for("hn_xa")).status_code == 404
    assert api("POST", url, token_for("to01")).status_code == 403
    assert api("POST", url, token_for("tongdai")).status_code == 403


def test_resetting_a_leaders_code_ends_the_password_and_bars_review(api, db_session, w, token_for):
    from tests.review.helpers import send_count

    report = send_count(db_session, w)
    area = report.polling_area
    secret = token_for("xa")
    answer = api("POST", f"/api/v1/stations/{area.id}/leader-code?format=csv", secret)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["polling_area_code"], r["username"]) for r in rows] == [(area.code, "to01")]
    leader = w.user("to01")
    db_session.refresh(leader)
    assert leader.needs_activation
    # Whoever could now sign in as the leader may not decide on the station's reports (four-eyes).
    refused = api("POST", f"/api/v1/review/count/{report.id}/confirm", secret, json={"shown": "received"})
    assert refused.status_code == 403 and refused.json["errors"][0]["code"] == "review_reset_code"
    assert api("POST", f"/api/v1/stations/{area.id}/leader-code", token_for("hn_xa")).status_code == 404
