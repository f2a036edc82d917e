"""The commune's decisions: confirm locks, return carries reasons to the leader, reopen needs a written reason
and is audited, the next version needs confirming again, and a decision taken on a stale page changes nothing."""

from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa

from tests.review.helpers import send_count, send_turnout, vn
from webapp import scope
from webapp.audit.models import AuditEntry
from webapp.progress.models import Change, Correction, CountStation
from webapp.reports import services as reports
from webapp.reports.models import ReportStatus
from webapp.review import queries, services
from webapp.review.models import Decision, ReportKind, ReviewAction

COUNT = ReportKind.COUNT
RECEIVED, RETURNED, CONFIRMED = ReportStatus.RECEIVED, ReportStatus.RETURNED, ReportStatus.CONFIRMED


def test_confirming_locks_the_minutes(db_session, w):
    report = send_count(db_session, w)
    action = services.confirm_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id,
                                     shown=RECEIVED, now=vn(20, 30))
    assert (report.status, report.reviewed_by_id, report.reviewed_at) == (CONFIRMED, w.user("xa").id, vn(20, 30))
    assert (action.decision, action.status_before, action.status_after, action.version) == (
        Decision.CONFIRM, RECEIVED, CONFIRMED, 1)
    audited = db_session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "count_reports", AuditEntry.entity_id == str(report.id),
        AuditEntry.action == "update")).all()
    assert any(e.after.get("status") == "confirmed" for e in audited)
    with pytest.raises(reports.ReportLocked):
        send_count(db_session, w, voted=report.voters_voted - 2, at=(20, 40))


def test_a_report_can_be_returned_outside_a_request(app, db_session, w):
    """A script, a job or another service returns a report with the app set up but no request (it raised
    RuntimeError: the reasons were translated for the request's locale)."""
    report = send_count(db_session, w)
    with app.app_context():
        services.return_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id, shown=RECEIVED,
                               reasons=["photo_missing"], text="", now=vn(20, 30))
    assert report.status is RETURNED
    assert report.returned_reasons == "Thiếu ảnh biên bản hoặc ảnh không đọc được"


def test_returning_carries_reason_codes_and_text_to_the_report(db_session, w):
    report = send_count(db_session, w)
    services.return_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id, shown=RECEIVED,
                           reasons=["numbers_mismatch", "photo_missing"], text=" Số phiếu hợp lệ ghi sai ",
                           now=vn(20, 30))
    assert report.status is RETURNED
    assert "Số phiếu hợp lệ ghi sai" in report.returned_reasons
    # In the polling teams' language, whoever returned it.
    assert "Số liệu không khớp với biên bản giấy" in report.returned_reasons
    action = services.last_action(db_session, COUNT, report.id)
    assert (action.reasons, action.text) == (["numbers_mismatch", "photo_missing"], "Số phiếu hợp lệ ghi sai")
    # The corrected version arrives as "received" and waits for a decision again.
    fixed = send_count(db_session, w, voted=report.voters_voted - 2, at=(20, 50))
    assert (fixed.version, fixed.status, fixed.supersedes_id) == (2, RECEIVED, report.id)


@pytest.mark.parametrize(("reasons", "text", "missing"), [
    ([], "some text", "reasons"),
    (["no_such_reason"], "", "reasons"),
    (["other"], "  ", "text"),
])
def test_a_return_needs_known_reasons_and_text_for_other(db_session, w, reasons, text, missing):
    report = send_count(db_session, w)
    with pytest.raises(services.ReasonRequired) as caught:
        services.return_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id, shown=RECEIVED,
                               reasons=reasons, text=text, now=vn(20, 30))
    assert caught.value.field == missing
    assert report.status is RECEIVED


def test_reopening_needs_a_written_reason_is_audited_and_the_next_version_needs_confirming(db_session, w):
    report = send_count(db_session, w)
    services.confirm_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id, shown=RECEIVED,
                            now=vn(20, 30))
    with pytest.raises(services.ReasonRequired):
        services.reopen_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id, reason="sai",
                               now=vn(21, 0))
    assert report.status is CONFIRMED
    reason = "Tổ trưởng báo nhầm số phiếu không hợp lệ"
    services.reopen_report(db_session, actor=w.user("tinh"), kind=COUNT, report_id=report.id, reason=reason,
                           now=vn(21, 0))
    assert report.status is RECEIVED
    event = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "reopen")).one()
    assert (event.entity_type, event.entity_id, event.actor_username) == ("count_reports", str(report.id), "tests")
    assert event.after == {"status": "received", "reason": reason}
    assert event.polling_area_id == report.polling_area_id
    corrected = send_count(db_session, w, voted=report.voters_voted - 2, at=(21, 10))
    assert (corrected.version, corrected.status) == (2, RECEIVED)
    with pytest.raises(services.ReviewConflict) as caught:  # the replaced version can no longer be decided
        services.confirm_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id, shown=RECEIVED,
                                now=vn(21, 20))
    assert caught.value.newer.id == corrected.id
    services.confirm_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=corrected.id, shown=RECEIVED,
                            now=vn(21, 20))
    assert corrected.status is CONFIRMED


def test_a_decision_on_a_stale_page_changes_nothing_and_names_who_acted(db_session, w):
    """The conditional update: the second official was shown "received" too, but the first one won."""
    report = send_count(db_session, w)
    services.confirm_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id, shown=RECEIVED,
                            now=vn(20, 30))
    before = db_session.scalar(sa.select(sa.func.count()).select_from(ReviewAction))
    with pytest.raises(services.ReviewConflict) as caught:
        services.return_report(db_session, actor=w.user("tinh"), kind=COUNT, report_id=report.id, shown=RECEIVED,
                               reasons=["numbers_mismatch"], text="", now=vn(20, 31))
    conflict = caught.value
    assert (conflict.action.actor.username, conflict.action.at, conflict.newer) == ("xa", vn(20, 30), None)
    assert report.status is CONFIRMED
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReviewAction)) == before


def test_a_decision_cannot_start_from_a_status_it_does_not_apply_to(db_session, w):
    report = send_count(db_session, w)
    with pytest.raises(services.InvalidDecision):
        services.confirm_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id, shown=CONFIRMED,
                                now=vn(20, 30))
    with pytest.raises(services.ReviewConflict):  # reopening what is not confirmed
        services.reopen_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id,
                               reason="Không có lý do gì cả, chỉ thử", now=vn(20, 30))


@pytest.mark.parametrize("username", ["tongdai", "tongdai_qg", "to01"])
def test_the_hotline_and_leaders_do_not_review(db_session, w, username):
    report = send_count(db_session, w)
    with pytest.raises(services.NotAuthorised):
        services.confirm_report(db_session, actor=w.user(username), kind=COUNT, report_id=report.id,
                                shown=RECEIVED, now=vn(20, 30))


def test_officials_of_another_place_cannot_reach_the_report(db_session, w):
    report = send_count(db_session, w)
    for username in ("hn_xa", "hn_tinh"):
        with pytest.raises(scope.OutOfScope):
            services.confirm_report(db_session, actor=w.user(username), kind=COUNT, report_id=report.id,
                                    shown=RECEIVED, now=vn(20, 30))
    assert report.status is RECEIVED


def test_turnout_reports_are_confirmed_and_returned_too(db_session, w):
    first = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    services.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=first.id,
                            shown=RECEIVED, now=vn(9, 20))
    second = send_turnout(db_session, w, 250, slot=time(11, 30), at=(11, 35), reason="Đếm lại sổ")
    services.return_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=second.id,
                           shown=RECEIVED, reasons=["numbers_mismatch"], text="Thấp hơn lần trước?", now=vn(11, 40))
    assert (first.status, second.status) == (CONFIRMED, RETURNED)
    returned = queries.returned_reports(db_session, w.user("to01"))
    assert [(r.kind, r.report.id, r.action.text) for r in returned] == [
        (ReportKind.TURNOUT, second.id, "Thấp hơn lần trước?")]


def test_the_queue_lists_waiting_versions_newest_first_with_filters(db_session, w):
    count_v1 = send_count(db_session, w, at=(20, 0))
    turnout = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    count_v2 = send_count(db_session, w, voted=count_v1.voters_voted - 2, at=(20, 10),
                          explanations={"turnout_ne_voted": "Cử tri đi bầu sau 9 giờ"})
    xa = w.user("xa")
    page = queries.review_queue(db_session, xa, queries.QueueFilters())
    assert [(i.kind, i.report.id) for i in page.items] == [(COUNT, count_v2.id), (ReportKind.TURNOUT, turnout.id)]
    assert page.items[0].changed and not page.items[1].changed
    only_counts = queries.review_queue(db_session, xa, queries.QueueFilters(kind=COUNT))
    assert [i.report.id for i in only_counts.items] == [count_v2.id]
    other_contest = next(link.contest_id for link in w.area("26743-01").unit_links
                         if link.contest_id != count_v2.contest_id)
    assert queries.review_queue(db_session, xa, queries.QueueFilters(contest_id=other_contest)).total == 0
    services.confirm_report(db_session, actor=xa, kind=ReportKind.TURNOUT, report_id=turnout.id, shown=RECEIVED,
                            now=vn(9, 20))
    assert queries.review_queue(db_session, xa, queries.QueueFilters()).total == 1
    confirmed = queries.review_queue(db_session, xa, queries.QueueFilters(state=CONFIRMED))
    assert [i.report.id for i in confirmed.items] == [turnout.id]
    assert queries.review_queue(db_session, xa, queries.QueueFilters(state=None)).total == 2
    assert queries.review_queue(db_session, w.user("hn_xa"), queries.QueueFilters(state=None)).total == 0
    assert queries.review_queue(db_session, w.user("tinh"), queries.QueueFilters()).total == 1


def test_the_queue_can_show_only_what_the_checks_flagged(db_session, w):
    plain = send_count(db_session, w, at=(20, 0))
    flagged = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    lower = send_turnout(db_session, w, 280, slot=time(11, 30), at=(11, 35), reason="Nhập nhầm lần trước")
    page = queries.review_queue(db_session, w.user("xa"), queries.QueueFilters(flagged=True))
    assert [i.report.id for i in page.items] == [lower.id]
    assert plain.findings == [] and flagged.reason == ""


def test_the_detail_shows_what_changed_since_the_previous_version(db_session, w):
    first = send_count(db_session, w)
    second = send_count(db_session, w, voted=first.voters_voted - 2, at=(20, 10))
    detail = queries.report_detail(db_session, w.user("xa"), COUNT, second.id)
    assert detail.previous.id == first.id and detail.latest is None
    assert {"voters_voted", "ballots_issued", "ballots_received", "valid"} <= detail.changed
    assert "voters_on_list" not in detail.changed
    assert any(name.startswith("votes:") for name in detail.changed)
    old = queries.report_detail(db_session, w.user("xa"), COUNT, first.id)
    assert old.latest.id == second.id and old.previous is None and old.changed == set()


def test_the_progress_summaries_see_the_decisions(db_session, w):
    """The status changes go through the ORM, so the progress summaries (and their corrections feed) follow."""
    report = send_count(db_session, w)
    services.confirm_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id, shown=RECEIVED,
                            now=vn(20, 30))
    station = db_session.scalars(sa.select(CountStation).where(CountStation.report_id == report.id)).one()
    assert station.status is CONFIRMED
    services.reopen_report(db_session, actor=w.user("xa"), kind=COUNT, report_id=report.id,
                           reason="Phát hiện ghi nhầm số phiếu", now=vn(21, 0))
    db_session.refresh(station)
    assert station.status is RECEIVED
    correction = db_session.scalars(sa.select(Correction).where(Correction.count_report_id == report.id)).one()
    assert (correction.change, correction.at) == (Change.REOPENED, vn(21, 0))
