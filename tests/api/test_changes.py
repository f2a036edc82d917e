"""The changes feed: new versions and review decisions in order, a cursor that only grows, paging, scope, the
settling delay, and integration tokens with the ``changes:read`` scope only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.review.helpers import send_count, send_turnout
from tests.world import NOW
from webapp.clock import utcnow
from webapp.api import tokens
from webapp.review import services as review
from webapp.review.models import ReportKind
from webapp.reports.models import ReportStatus


@pytest.fixture
def settled(app, monkeypatch):
    """No settling delay: the tests' writes are read at once."""
    monkeypatch.setitem(app.config, "CHANGES_SETTLE_SECONDS", 0)


def everything(api, secret, since="0", limit=100):
    pages = []
    while True:
        answer = api("GET", f"/api/v1/changes?since={since}&limit={limit}", secret)
        assert answer.status_code == 200, answer.json
        pages.append(answer.json)
        since = answer.json["next"]
        if not answer.json["has_more"]:
            return pages, since


def test_new_versions_and_decisions_arrive_in_order_after_the_cursor(api, db_session, w, token_for, settled):
    secret = token_for("tinh")
    _pages, cursor = everything(api, secret)
    count = send_count(db_session, w)
    turnout = send_turnout(db_session, w, 120)
    answer = api("GET", f"/api/v1/changes?since={cursor}", secret).json
    seen = [(c["kind"], c["report"]["report_id"]) for c in answer["changes"]]
    assert seen == [("count", count.id), ("turnout", turnout.id)]
    first = answer["changes"][0]["report"]
    assert (first["status"], first["contest"], first["figures"]["valid"]) == ("received", "na", count.valid)
    assert first["votes"] == {str(v.candidate_id): v.votes for v in count.votes}
    assert int(answer["next"]) > int(cursor)
    assert [int(c["cursor"]) for c in answer["changes"]] == sorted(int(c["cursor"]) for c in answer["changes"])
    # A decision is a change too; the old cursor is not sent again.
    review.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.COUNT, report_id=count.id,
                          shown=ReportStatus.RECEIVED, now=NOW)
    later = api("GET", f"/api/v1/changes?since={answer['next']}", secret).json
    assert [(c["kind"], c["report"]["report_id"], c["report"]["status"]) for c in later["changes"]] == [
        ("count", count.id, "confirmed")]
    assert api("GET", f"/api/v1/changes?since={later['next']}", secret).json["changes"] == []


def test_pages_cover_every_change_once(api, db_session, w, token_for, settled):
    secret = token_for("xa")
    _pages, cursor = everything(api, secret)
    sent = [send_turnout(db_session, w, 100 + i, at=(9, 5 + i)) for i in range(5)]
    pages, _end = everything(api, secret, since=cursor, limit=2)
    assert len(pages) >= 3 and all(len(p["changes"]) <= 2 for p in pages)
    cursors = [int(c["cursor"]) for p in pages for c in p["changes"]]
    assert cursors == sorted(set(cursors))
    # Each new version supersedes the last one: its "update" (is_latest false) is a change of the older one.
    final = {c["report"]["report_id"]: c["report"] for p in pages for c in p["changes"]}
    assert set(final) == {r.id for r in sent}
    assert [rid for rid, r in final.items() if r["is_latest"]] == [sent[-1].id]


def test_scope_and_roles(api, db_session, w, token_for, settled):
    send_count(db_session, w)
    hanoi = api("GET", "/api/v1/changes", token_for("hn_tinh")).json["changes"]
    assert all(c["report"]["province_id"] == w.user("hn_tinh").province_id for c in hanoi)
    assert api("GET", "/api/v1/changes", token_for("to01")).status_code == 403
    bad = api("GET", "/api/v1/changes?since=abc&limit=0", token_for("xa"))
    assert bad.status_code == 400 and {e["field"] for e in bad.json["errors"]} == {"since", "limit"}


def test_fresh_writes_wait_for_the_settling_delay(api, db_session, w, token_for, app, monkeypatch):
    monkeypatch.setitem(app.config, "CHANGES_SETTLE_SECONDS", 3600)
    secret = token_for("tinh")
    _pages, cursor = everything(api, secret)
    send_count(db_session, w)
    assert api("GET", f"/api/v1/changes?since={cursor}", secret).json["changes"] == []


def test_an_integration_token_needs_the_changes_scope(api, db_session, w, settled):
    from webapp.accounts.models import Role, User

    account = User(username="dongbo-79", role=Role.INTEGRATION, province_id=w.user("tinh").province_id,
                   password_hash=None, created_at=NOW)
    db_session.add(account)
    db_session.flush()
    issue = lambda scopes: tokens.issue_integration_token(  # noqa: E731
        db_session, actor=w.user("tinh"), username="dongbo-79", name="sync", scopes=scopes,
        ttl=timedelta(days=30), now=utcnow()).secret
    reads, progress_only = issue(["changes:read"]), issue(["progress:read"])
    send_count(db_session, w)
    assert api("GET", "/api/v1/changes", reads).status_code == 200
    refused = api("GET", "/api/v1/changes", progress_only)
    assert refused.status_code == 403 and refused.json["errors"][0]["code"] == "insufficient_scope"
