"""Station rows kept on write, late and overdue at the deadline, the corrections feed, the refresh queue and
its single flight."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from tests.progress.helpers import areas_of, refresh_now, send, vn
from tests.results.helpers import put_report, set_status
from webapp.elections.models import ContestKind, ReportTime, VoterCount
from webapp.progress import refresh
from webapp.progress.feed import corrections
from webapp.progress.models import Change, Correction, Dirty, RefreshState, TurnoutStation
from webapp.progress.services import commune_progress, province_progress
from webapp.reports.models import ReportStatus

SECOND = timedelta(seconds=1)


def _slot(session, w, user, at, *, now, contest=ContestKind.NATIONAL_ASSEMBLY, province="79"):
    p = province_progress(session, w.user(user), w.province(province).id, now)
    return p.figures.slot(w.contest(contest).id, at)


def test_a_report_writes_its_station_rows_and_queues_its_commune(db_session, w):
    area = areas_of(w, "26743")[0]
    report = send(db_session, area, 250, now=vn(9, 5))
    rows = db_session.scalars(sa.select(TurnoutStation).where(TurnoutStation.report_id == report.id)).all()
    assert len(rows) == len(report.figures) == 3
    assert {(r.voted, r.slot_at, r.late, r.commune_id) for r in rows} == {(250, time(9), False, area.commune_id)}
    assert rows[0].due_at == vn(9, 15)  # the province's 09:00 with 15 grace minutes
    assert db_session.scalar(sa.select(Dirty.id).where(Dirty.commune_id == area.commune_id)) is not None


def test_late_and_overdue_at_the_deadline(db_session, w):
    a, b = areas_of(w, "26743")[:2]
    refresh_now(db_session, vn(8))
    send(db_session, a, 100, now=vn(11, 45))  # 11:30 + 15: exactly on time
    send(db_session, b, 100, now=vn(11, 45) + SECOND)
    refresh_now(db_session, vn(11, 46))
    at_deadline = _slot(db_session, w, "tinh", time(11, 30), now=vn(11, 45))
    assert (at_deadline.reported, at_deadline.reported_late, at_deadline.overdue) == (2, 1, 0)
    after = _slot(db_session, w, "tinh", time(11, 30), now=vn(11, 45) + SECOND)
    assert after.overdue == after.expected - 2 == 38
    before_window = _slot(db_session, w, "tinh", time(15), now=vn(11, 45) + SECOND)
    assert (before_window.reported, before_window.overdue) == (0, 0)
    stations = {c.code: c for c in commune_progress(db_session, w.user("xa"), a.commune_id,
                                                    vn(11, 45) + SECOND).children}
    na = w.contest(ContestKind.NATIONAL_ASSEMBLY).id
    assert stations[a.code].turnout[(na, time(11, 30))].late is False
    assert stations[b.code].turnout[(na, time(11, 30))].late is True
    third = areas_of(w, "26743")[2].code
    assert stations[third].turnout[(na, time(11, 30))].overdue is True
    assert stations[third].turnout[(na, time(15))].overdue is False


def test_a_lower_resubmission_appears_in_the_feed_and_the_total_follows(db_session, w):
    area = areas_of(w, "26743")[0]
    refresh_now(db_session, vn(8))
    send(db_session, area, 400, now=vn(11, 35))
    refresh_now(db_session, vn(11, 36))
    assert _slot(db_session, w, "tinh", time(11, 30), now=vn(11, 40)).voted == 400
    send(db_session, area, 340, now=vn(11, 50), slot=time(11, 30), reason="Cộng nhầm một trang")
    refresh_now(db_session, vn(11, 51))
    assert _slot(db_session, w, "tinh", time(11, 30), now=vn(11, 52)).voted == 340
    (row,) = corrections(db_session, w.user("tinh"))
    c = row.correction
    assert (c.change, c.lowered, c.version_before, c.version_after, c.slot_at) == (
        Change.FIGURES, True, 1, 2, time(11, 30))
    assert {line.before for line in row.lines} == {400} and {line.after for line in row.lines} == {340}
    # Who sent the correction (the actor the service was given), not whoever the session's audit context names.
    assert c.actor_username == "to01" and c.at == vn(11, 50)
    assert corrections(db_session, w.user("hn_tinh")) == []
    assert [r.correction.id for r in corrections(db_session, w.user("xa"))] == [c.id]


def test_an_unchanged_resubmission_is_not_a_correction(db_session, w):
    area = areas_of(w, "26743")[0]
    send(db_session, area, 400, now=vn(11, 35))
    send(db_session, area, 400, now=vn(11, 40), slot=time(11, 30))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Correction)) == 0


def test_returning_and_reopening_count_minutes_are_corrections(db_session, w):
    area = areas_of(w, "26743")[0]
    report = put_report(db_session, w, area, ContestKind.NATIONAL_ASSEMBLY, voted=800,
                        status=ReportStatus.RECEIVED)
    set_status(db_session, report, ReportStatus.CONFIRMED, by=w.user("xa"), reviewed_by_id=w.user("xa").id,
               reviewed_at=vn(21))
    set_status(db_session, report, ReportStatus.RECEIVED, by=w.user("xa"))  # reopened by the commune
    newer = put_report(db_session, w, area, ContestKind.NATIONAL_ASSEMBLY, voted=790, status=ReportStatus.RECEIVED)
    set_status(db_session, newer, ReportStatus.RETURNED, by=w.user("xa"))
    feed = corrections(db_session, w.user("xa"))
    assert sorted(r.correction.change for r in feed) == sorted([Change.REOPENED, Change.FIGURES, Change.RETURNED])
    assert all(r.correction.lowered for r in feed)
    figures = next(r for r in feed if r.correction.change is Change.FIGURES)
    voted = next(line for line in figures.lines if line.label == "voters_voted")
    assert (voted.before, voted.after) == (800, 790)
    assert any(line.kind == "candidate" for line in figures.lines)


def test_expectations_and_report_times_queue_their_places(db_session, w):
    area = areas_of(w, "26743")[0]
    refresh_now(db_session, vn(8))
    send(db_session, area, 100, now=vn(11, 50))  # late for 11:30 (due 11:45)
    refresh_now(db_session, vn(11, 51))
    na = w.contest(ContestKind.NATIONAL_ASSEMBLY)
    db_session.add(VoterCount(polling_area=area, contest=na, total=5000, as_of=vn(6), recorded_at=vn(6)))
    rt = db_session.scalars(sa.select(ReportTime).where(ReportTime.province_id == w.province("79").id,
                                                        ReportTime.at == time(11, 30))).one()
    rt.grace_minutes = 30
    db_session.flush()
    result = refresh_now(db_session, vn(11, 52))
    assert not result.full and result.communes == 4  # the province's report times changed: all its communes
    s = _slot(db_session, w, "tinh", time(11, 30), now=vn(11, 52))
    assert (s.reported_late, s.voted, s.due_at) == (0, 100, vn(12))
    assert s.voted_on_list == 5000


def test_the_refresh_is_single_flight(db_session, w):
    election = db_session.scalars(sa.select(RefreshState.election_id)).first()
    assert election is None  # never built in this transaction
    from webapp.elections import services as elections

    eid = elections.current_election(db_session).id
    ttl, lease = timedelta(seconds=10), timedelta(seconds=60)
    assert refresh.claim(db_session, eid, vn(9), ttl=ttl, lease=lease)
    assert not refresh.claim(db_session, eid, vn(9) + 30 * SECOND, ttl=ttl, lease=lease)  # held by the first
    refresh.refresh(db_session, now=vn(9))
    assert not refresh.claim(db_session, eid, vn(9) + 5 * SECOND, ttl=ttl, lease=lease)  # fresh
    assert not refresh.is_stale(db_session, db_session.get(RefreshState, eid), vn(9) + 20 * SECOND, ttl)  # no queue
    send(db_session, areas_of(w, "26743")[0], 100, now=vn(9, 1))
    assert refresh.is_stale(db_session, db_session.get(RefreshState, eid), vn(9) + 20 * SECOND, ttl)
    assert refresh.claim(db_session, eid, vn(9) + 20 * SECOND, ttl=ttl, lease=lease)


def test_the_first_reader_refreshes_after_its_response(app, as_user, w, db_session):
    app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T09:30"
    try:
        send(db_session, areas_of(w, "26743")[0], 123, now=vn(9, 5))
        db_session.commit()
        client = as_user("tinh")
        response = client.get(f"/progress/provinces/{w.province('79').id}")
        assert "123/" not in response.get_data(as_text=True)  # not refreshed while the reader waited
        response.close()  # the server closes the response once sent: the refresh runs then
        db_session.expire_all()
        state = db_session.scalars(sa.select(RefreshState)).one()
        assert state.version >= 1 and state.claimed_until is None
        page = client.get(f"/progress/provinces/{w.province('79').id}").get_data(as_text=True)
        assert "123/" in page
    finally:
        app.config.pop("REPORTING_CLOCK_OVERRIDE", None)



def test_a_station_voting_early_is_due_on_its_own_day(db_session, w):
    from datetime import date

    early = areas_of(w, "26743")[11]
    early.early_voting_date = date(2026, 3, 8)
    db_session.flush()
    refresh_now(db_session, vn(7, 0))
    before_nine = _slot(db_session, w, "tinh", time(9), now=vn(8))  # polling day, 08:00
    assert (before_nine.expected, before_nine.overdue) == (40, 1)  # only the early station is past its deadline
    send(db_session, early, 150, now=vn(9, 5, day=8))
    refresh_now(db_session, vn(9, 6, day=8))
    s = _slot(db_session, w, "tinh", time(9), now=vn(8))
    assert (s.reported, s.reported_late, s.overdue, s.voted) == (1, 0, 0, 150)
    row = db_session.scalars(sa.select(TurnoutStation).where(TurnoutStation.polling_area_id == early.id)).first()
    assert row.day == date(2026, 3, 8) and row.due_at == vn(9, 15, day=8)
