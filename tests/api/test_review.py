"""The commune's review through the API: the queue within scope, confirm/return/reopen with the pages' optimistic
concurrency (If-Match 412, a stale "shown" 409 naming who acted), four-eyes, and the audit's API channel."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.api.conftest import assert_error_shape
from tests.review.helpers import send_count, send_turnout
from tests.test_scope_sweep import (  # noqa: F401 (lasting_sessions: the sessions sign_in reuses)
    ID_SOURCES,
    MISSING,
    RESTRICTED,
    call,
    far_object,
    lasting_sessions,
    leaked,
    near_object,
    sign_in,
)
from webapp.audit.models import AuditEntry, Channel
from webapp.reports.models import ReportStatus
from webapp.review.authority import record_involvement
from webapp.review.models import Decision, InvolvementKind, ReviewAction


def test_the_queue_lists_what_waits_within_scope(api, db_session, w, token_for):
    count = send_count(db_session, w)
    turnout = send_turnout(db_session, w, 100)
    page = api("GET", "/api/v1/review/queue", token_for("xa")).json
    listed = {(i["kind"], i["report_id"]) for i in page["items"]}
    assert {("count", count.id), ("turnout", turnout.id)} <= listed
    item = next(i for i in page["items"] if i["report_id"] == count.id and i["kind"] == "count")
    assert (item["status"], item["contest"], item["etag"]) == ("received", "na", f'"count-{count.id}-received"')
    only_turnout = api("GET", "/api/v1/review/queue?kind=turnout", token_for("tinh")).json["items"]
    assert {i["kind"] for i in only_turnout} == {"turnout"}
    # Hà Nội's commune sees none of them; a leader and the hotline do not review.
    other = api("GET", "/api/v1/review/queue?state=all", token_for("hn_xa")).json["items"]
    assert not {(i["kind"], i["report_id"]) for i in other} & listed
    for username in ("to01", "tongdai"):
        answer = api("GET", "/api/v1/review/queue", token_for(username))
        assert answer.status_code == 403, username
    bad = api("GET", "/api/v1/review/queue?state=nope&page=0", token_for("xa"))
    assert bad.status_code == 400 and {e["field"] for e in bad.json["errors"]} == {"state", "page"}


def test_confirm_with_the_etag_then_a_stale_one_is_refused(api, db_session, w, token_for):
    report = send_count(db_session, w)
    url = f"/api/v1/review/count/{report.id}/confirm"
    etag = f'"count-{report.id}-received"'
    done = api("POST", url, token_for("xa"), headers={"If-Match": etag})
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["decision"], done.headers["ETag"]) == (
        "confirmed", "confirm", f'"count-{report.id}-confirmed"')
    db_session.refresh(report)
    assert report.status is ReportStatus.CONFIRMED
    again = api("POST", url, token_for("tinh"), headers={"If-Match": etag})
    assert again.status_code == 412 and again.json["errors"][0]["code"] == "stale"
    assert again.headers["ETag"] == f'"count-{report.id}-confirmed"'
    assert_error_shape(again.json)
    # Through the API channel, in the audit log, by the commune's account.
    entry = db_session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "count_reports", AuditEntry.entity_id == str(report.id),
        AuditEntry.action == "update").order_by(AuditEntry.id.desc())).first()
    assert (entry.channel, entry.actor_username, entry.after["status"]) == (Channel.API, "xa", "confirmed")


def test_a_stale_shown_status_answers_409_with_who_decided(api, db_session, w, token_for):
    report = send_count(db_session, w)
    first = api("POST", f"/api/v1/review/count/{report.id}/return", token_for("xa"),
                json={"shown": "received", "reasons": ["numbers_mismatch"], "text": "Sai số phiếu hợp lệ"})
    assert first.status_code == 200, first.json
    assert "Số liệu không khớp với biên bản giấy" in first.json["returned_reasons"]
    late = api("POST", f"/api/v1/review/count/{report.id}/return", token_for("tinh"),
               json={"shown": "received", "reasons": ["photo_missing"]})
    assert late.status_code == 409
    error = late.json["errors"][0]
    assert (error["code"], error["params"]["decision"]) == ("review_conflict", "return")
    assert w.user("xa").full_name in error["message"]["en"] and error["message"]["vi"].startswith("Đã")
    assert len(db_session.scalars(sa.select(ReviewAction).where(ReviewAction.count_report_id == report.id)).all()) == 1


def test_return_and_reopen_need_their_reasons(api, db_session, w, token_for):
    report = send_turnout(db_session, w, 100)
    base = f"/api/v1/review/turnout/{report.id}"
    no_reason = api("POST", f"{base}/return", token_for("xa"), json={"shown": "received", "reasons": []})
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reasons"
    other = api("POST", f"{base}/return", token_for("xa"), json={"shown": "received", "reasons": ["other"]})
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "text"
    nothing_shown = api("POST", f"{base}/confirm", token_for("xa"))
    assert nothing_shown.status_code == 400 and nothing_shown.json["errors"][0]["code"] == "shown_required"
    assert api("POST", f"{base}/confirm", token_for("xa"), json={"shown": "received"}).status_code == 200
    short = api("POST", f"{base}/reopen", token_for("xa"), json={"reason": "sai"})
    assert short.status_code == 422 and short.json["errors"][0]["field"] == "reason"
    reopened = api("POST", f"{base}/reopen", token_for("xa"), json={"reason": "Tổ bầu cử báo nhầm số cử tri"})
    assert reopened.status_code == 200 and reopened.json["status"] == "received"
    twice = api("POST", f"{base}/reopen", token_for("tinh"), json={"reason": "Mở lại lần nữa cho chắc"})
    assert twice.status_code == 409 and twice.json["errors"][0]["params"]["decision"] == "reopen"
    wrong = api("POST", f"{base}/reopen", token_for("tinh"), json={"shown": "received", "reason": "Mở lại nữa"})
    assert wrong.status_code == 409 and wrong.json["errors"][0]["code"] == "invalid_decision"
    unknown = api("POST", f"{base}/confirm", token_for("xa"), json={"shown": "received", "extra": 1})
    assert unknown.status_code == 400 and unknown.json["errors"][0]["code"] == "unknown_field"
    actions = db_session.scalars(sa.select(ReviewAction.decision).where(ReviewAction.turnout_report_id == report.id))
    assert sorted(actions) == sorted([Decision.CONFIRM, Decision.REOPEN])


def test_four_eyes_and_scope(api, db_session, w, token_for):
    report = send_count(db_session, w)
    # The commune official reset the leader's code after activation: four-eyes.
    record_involvement(db_session, user=w.user("xa"), polling_area_id=report.polling_area_id,
                       kind=InvolvementKind.RESET_CODE, now=report.submitted_at)
    refused = api("POST", f"/api/v1/review/count/{report.id}/confirm", token_for("xa"), json={"shown": "received"})
    assert refused.status_code == 403 and refused.json["errors"][0]["code"] == "review_reset_code"
    db_session.refresh(report)
    assert report.status is ReportStatus.RECEIVED
    for username in ("hn_xa", "hn_tinh"):
        outside = api("POST", f"/api/v1/review/count/{report.id}/confirm", token_for(username),
                      json={"shown": "received"})
        assert outside.status_code == 404, username
    assert api("POST", "/api/v1/review/count/2000000000/confirm", token_for("hn_xa"),
               json={"shown": "received"}).status_code == 404
    leader = api("POST", f"/api/v1/review/count/{report.id}/confirm", token_for("to01"), json={"shown": "received"})
    assert leader.status_code == 403
    assert api("POST", f"/api/v1/review/count/{report.id}/confirm", token_for("tinh"),
               json={"shown": "received"}).status_code == 200


@pytest.mark.parametrize("username", RESTRICTED)
def test_turnout_decisions_sweep_out_of_scope_like_missing(client, db_session, w, username):
    """The scope sweep's rule for the turnout kind (the sweep itself fills ``kind`` with "count"): another
    place's turnout report answers exactly as one that does not exist, and is not named."""
    user = w.user(username)
    token = sign_in(client, username)
    source = ID_SOURCES["turnout_id"]
    for obj in (far_object(db_session, source, user), near_object(db_session, source, user)):
        if obj is None:
            continue
        for decision in ("confirm", "return", "reopen"):
            answer = call(client, "POST", f"/api/v1/review/turnout/{obj.id}/{decision}", token)
            missing = call(client, "POST", f"/api/v1/review/turnout/{MISSING['int']}/{decision}", token)
            assert answer.status_code == missing.status_code and answer.status_code in (403, 404), (
                username, decision, answer.status_code, missing.status_code)
            assert not leaked(answer.get_data(as_text=True), source.leaks(obj))
