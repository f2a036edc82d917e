"""submitCountReport: created, replayed, refused with bilingual findings, out of scope, wrong role, locked."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tests.api.conftest import assert_error_shape, count_body, count_url
from tests.reports.helpers import AREA
from webapp.audit.models import AuditEntry, Channel
from webapp.elections.models import ContestKind
from webapp.reports.models import CountReport, CountVote, ReportStatus


def rows(db_session, model) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(model))


def test_new_minutes_are_stored_and_acknowledged(api, db_session, w, token_for, election_night):
    body = count_body(db_session, w)
    response = api("POST", count_url(w), token_for("to01"), json=body)
    assert response.status_code == 201, response.json
    data = response.json
    assert data["replayed"] is False and data["version"] == 1 and data["status"] == "received"
    assert data["contest"] == "na" and data["kind"] == "count" and len(data["receipt"]) == 6
    assert response.headers["Location"].endswith(f"/api/v1/receipts/{data['receipt']}")
    report = db_session.scalars(sa.select(CountReport).where(CountReport.receipt == data["receipt"])).one()
    assert report.channel is Channel.API and str(report.client_uuid) == body["client_uuid"]
    assert report.submitted_by.username == "to01" and report.submitted_at == election_night
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "count_reports")).one()
    assert (entry.channel, entry.actor_username) == (Channel.API, "to01")


def test_a_replay_answers_200_with_the_same_body_and_stores_nothing(api, db_session, w, token_for, election_night):
    secret, body = token_for("to01"), count_body(db_session, w)
    first = api("POST", count_url(w), secret, json=body)
    before = rows(db_session, CountReport), rows(db_session, CountVote), rows(db_session, AuditEntry)
    for _ in range(2):
        again = api("POST", count_url(w), secret, json=body)
        assert again.status_code == 200
        assert again.json == {**first.json, "replayed": True}
    assert (rows(db_session, CountReport), rows(db_session, CountVote), rows(db_session, AuditEntry)) == before


def test_inconsistent_minutes_answer_422_with_findings_in_both_languages(api, db_session, w, token_for,
                                                                        election_night):
    body = count_body(db_session, w)
    body["invalid"] += 2  # valid + invalid no longer equals the ballots received
    response = api("POST", count_url(w), token_for("to01"), json=body)
    assert response.status_code == 422
    assert_error_shape(response.json)
    error = next(e for e in response.json["errors"] if e["code"] == "valid_plus_invalid_ne_received")
    assert error["severity"] == "block" and error["check"] == 4 and error["field"] == "valid"
    assert error["params"]["diff"] == 2
    assert "lệch 2" in error["message"]["vi"] and "off by 2" in error["message"]["en"]
    assert rows(db_session, CountReport) == 0


def test_a_suspicious_number_needs_a_written_explanation(api, db_session, w, token_for, election_night):
    secret = token_for("to01")
    body = count_body(db_session, w)
    body["ballots_issued"] += 1
    body["ballots_received"] += 1
    body["valid"] += 1
    refused = api("POST", count_url(w), secret, json=body)
    assert refused.status_code == 422
    [error] = refused.json["errors"]
    assert (error["code"], error["severity"], error["field"]) == ("issued_ne_voted", "explain",
                                                                  "explanations.issued_ne_voted")
    body["explanations"] = {"issued_ne_voted": "Một cử tri xé phiếu, đã đổi phiếu khác."}
    accepted = api("POST", count_url(w), secret, json={**body, "client_uuid": str(uuid.uuid4())})
    assert accepted.status_code == 201, accepted.json
    assert [f["code"] for f in accepted.json["findings"]] == ["issued_ne_voted"]
    assert accepted.json["findings"][0]["message"]["en"].startswith("Ballots issued")


def test_missing_signatures_answer_422(api, db_session, w, token_for, election_night):
    response = api("POST", count_url(w), token_for("to01"),
                   json=count_body(db_session, w, witnesses=["Nguyễn Văn Chứng", "nguyễn văn chứng"]))
    assert response.status_code == 422
    assert [(e["code"], e["field"]) for e in response.json["errors"]] == [("witnesses_same", "witnesses")]


def test_the_arithmetic_and_the_signatures_are_refused_in_one_answer(api, db_session, w, token_for, election_night):
    body = count_body(db_session, w, signer_ids=[], witnesses=["Nguyễn Văn Chứng", " "])
    body["invalid"] += 2
    response = api("POST", count_url(w), token_for("to01"), json=body)
    assert response.status_code == 422
    assert_error_shape(response.json)
    assert [(e["code"], e["field"]) for e in response.json["errors"]] == [
        ("valid_plus_invalid_ne_received", "valid"), ("no_signers", "signer_ids"), ("witnesses_missing", "witnesses")]
    signers = response.json["errors"][1]
    assert signers["message"]["vi"] and signers["message"]["en"] == "Choose the team members who signed the minutes."
    assert rows(db_session, CountReport) == 0


def test_another_provinces_leader_gets_404_even_with_a_broken_body(api, db_session, w, token_for, election_night):
    secret = token_for("hn_to01")
    for kwargs in ({"json": count_body(db_session, w)}, {"data": b"{not json", "content_type": "application/json"}):
        response = api("POST", count_url(w), secret, **kwargs)
        assert response.status_code == 404, response.json
        assert response.json["errors"][0]["code"] == "not_found"
        assert AREA not in response.get_data(as_text=True)
    assert rows(db_session, CountReport) == 0


def test_an_official_of_the_commune_may_not_send_minutes(api, db_session, w, token_for, election_night):
    for username in ("xa", "tinh", "tongdai"):
        response = api("POST", count_url(w), token_for(username), json=count_body(db_session, w))
        assert response.status_code == 403, username
        assert response.json["errors"][0]["code"] == "not_allowed"


def test_confirmed_minutes_are_locked_and_a_reused_client_uuid_conflicts(api, db_session, w, token_for,
                                                                        election_night):
    secret = token_for("to01")
    first = api("POST", count_url(w), secret, json=count_body(db_session, w)).json
    other_contest = count_url(w, ContestKind.PROVINCIAL_COUNCIL)
    clash = count_body(db_session, w, ContestKind.PROVINCIAL_COUNCIL, client_uuid=first["client_uuid"])
    response = api("POST", other_contest, secret, json=clash)
    assert (response.status_code, response.json["errors"][0]["code"]) == (409, "client_uuid_conflict")
    report = db_session.get(CountReport, first["report_id"])
    report.status = ReportStatus.CONFIRMED
    db_session.flush()
    response = api("POST", count_url(w), secret, json=count_body(db_session, w))
    assert (response.status_code, response.json["errors"][0]["code"]) == (409, "locked")


def test_a_correction_is_version_two(api, db_session, w, token_for, election_night):
    secret = token_for("to01")
    api("POST", count_url(w), secret, json=count_body(db_session, w))
    second = api("POST", count_url(w), secret, json=count_body(db_session, w))
    assert (second.status_code, second.json["version"]) == (201, 2)


def test_minutes_sent_before_voting_closes_are_refused(api, app, db_session, w, token_for, monkeypatch):
    from tests.reports.helpers import vn

    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(18, 0))
    response = api("POST", count_url(w), token_for("to01"), json=count_body(db_session, w))
    assert response.status_code == 422
    assert response.json["errors"][0]["code"] == "submitted_before_close"
