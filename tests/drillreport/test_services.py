"""The drill report against data the test sends at known times: each report's minutes after its report time,
lateness, stations never reached, minutes returned and corrected, calls and their outcomes, entries by phone,
stations whose phone never passed the readiness check; per commune and per province, scoped."""

from __future__ import annotations

import uuid
from datetime import time

import pytest

from tests.reports.helpers import vn
from tests.review.helpers import send_count, send_turnout
from tests.world import NOW
from webapp import scope
from webapp.accounts.models import Role, User
from webapp.audit.models import Channel
from webapp.elections import services as elections
from webapp.elections.models import ContestKind
from webapp.hotline import services as hotline
from webapp.hotline.models import CallOutcome
from webapp.readiness import services as readiness
from webapp.reports import services as reports
from webapp.reports.models import ReportStatus
from webapp.reports.services import TurnoutInput
from webapp.review import services as review
from webapp.review.models import ReportKind
from webapp.drillreport import services

A, B, C = "26743-01", "26743-02", "26743-03"


def _leader(db_session, w, code):
    area = w.area(code)
    user = User(username=f"to_{code}", role=Role.LEADER, province_id=area.province_id, commune_id=area.commune_id,
                polling_area_id=area.id, password_hash="x", created_at=NOW)
    db_session.add(user)
    db_session.flush()
    return user


@pytest.fixture
def day(db_session, w):
    """A day at known times: A reports at 09:07 (on time) and 11:50 (late: 15 minutes' grace), sends its NA minutes
    at 19:40, which the commune returns at 20:00 and A corrects at 20:25; B's 09:00 report is entered by the hotline
    at 09:31; C is called twice and never reports; A's phone passed the readiness check, B's failed."""
    election = elections.current_election(db_session)
    send_turnout(db_session, w, 120, slot=time(9), at=(9, 7))
    send_turnout(db_session, w, 300, slot=time(11, 30), at=(11, 50))
    reports.submit_turnout(db_session, actor=w.user("tongdai"), area_id=w.area(B).id,
                           data=TurnoutInput(voted=80, slot=time(9)), client_uuid=uuid.uuid4(),
                           channel=Channel.PHONE, now=vn(9, 31))
    minutes = send_count(db_session, w, voted=300, at=(19, 40))
    review.return_report(db_session, actor=w.user("xa"), kind=ReportKind.COUNT, report_id=minutes.id,
                         shown=ReportStatus.RECEIVED, reasons=["numbers_mismatch"], text="", now=vn(20, 0))
    send_count(db_session, w, voted=300, at=(20, 25))
    hotline.record_call(db_session, actor=w.user("tongdai"), area_id=w.area(C).id, outcome=CallOutcome.NO_ANSWER,
                        now=vn(9, 20))
    hotline.record_call(db_session, actor=w.user("tongdai"), area_id=w.area(C).id, outcome=CallOutcome.REACHED,
                        note="Điện thoại hết pin", now=vn(9, 35))
    for username, via_outbox in (("to01", True), (_leader(db_session, w, B).username, False)):
        readiness.record_check(db_session, actor=w.user(username), election=election, results=readiness.PhoneResults(
            client_uuid=uuid.uuid4(), pages_cached=True, storage_persistent=True, app_version="v1",
            client_time=vn(16, 0, day=14), user_agent="test"), via_outbox=via_outbox, server_version="v1",
            now=vn(16, 0, day=14))
    return election


def test_the_commune_report_has_the_figures_of_the_day(db_session, w, day):
    report = services.drill_report(db_session, w.user("xa"), day, "commune", w.user("xa").commune_id, vn(22))
    stations = {s.area.code: s for s in report.stations}
    assert report.report_times == [time(9), time(11, 30), time(15), time(19)]
    a = stations[A]
    assert [s.minutes_after for s in a.slots] == [7, 20, None, None]
    assert [s.late for s in a.slots] == [False, True, False, False]
    assert [s.channel for s in a.slots[:2]] == [Channel.WEB, Channel.WEB]
    na = next(c for c in a.counts if c.contest.kind is ContestKind.NATIONAL_ASSEMBLY)
    assert (na.minutes_after, na.versions, na.status) == (40, 2, ReportStatus.RECEIVED)
    assert [c.received_at is None for c in a.counts if c is not na] == [True, True]
    b = stations[B]
    assert (b.slots[0].minutes_after, b.slots[0].channel, b.slots[0].late) == (31, Channel.PHONE, True)

    t = report.totals
    assert (t.stations, t.turnout_expected, t.turnout_received, t.turnout_late, t.turnout_missing) == (12, 48, 3, 2, 45)
    assert (t.count_expected, t.count_received) == (36, 1)
    assert (t.median_delay, t.max_delay) == (20, 31)
    assert [s.area.code for s in report.never_reached] == sorted(set(stations) - {A, B})
    assert t.never_reached == 10

    [returned] = report.returned
    assert (returned.area.code, returned.version, returned.reasons) == (A, 1, ["numbers_mismatch"])
    assert (returned.minutes_to_correct, returned.final_status) == (25, ReportStatus.RECEIVED)
    assert (t.returned, t.corrected) == (1, 1)

    assert [(c.polling_area.code, c.outcome) for c in report.calls] == [(C, CallOutcome.NO_ANSWER),
                                                                        (C, CallOutcome.REACHED)]
    assert report.call_outcomes == [(CallOutcome.REACHED, 1), (CallOutcome.NO_ANSWER, 1)]
    assert stations[C].calls == 2 and t.calls == 2

    [entry] = report.phone_entries
    assert (entry.area.code, entry.what, entry.slot, entry.by.username) == (B, "turnout", time(9), "tongdai")

    assert stations[A].readiness_passed and stations[A].readiness_runs == 1
    assert not stations[B].readiness_passed and stations[B].readiness_runs == 1
    assert A not in [s.area.code for s in report.not_ready] and t.not_ready == 11


def test_the_province_report_adds_up_its_communes(db_session, w, day):
    report = services.drill_report(db_session, w.user("tinh"), day, "province", w.user("tinh").province_id, vn(22))
    commune = next(c for c in report.communes if c.commune.id == w.user("xa").commune_id)
    assert (commune.totals.turnout_received, commune.totals.returned, commune.totals.phone_entries) == (3, 1, 1)
    assert report.totals.turnout_received == 3 and report.totals.stations == 40
    assert sum(c.totals.stations for c in report.communes) == 40
    assert len(report.calls) == 2


def test_another_election_sees_none_of_it(db_session, w, day):
    other = elections.create_election(db_session, code="DT-TEST", polling_date=day.polling_date, drill=True)
    report = services.drill_report(db_session, w.user("xa"), other, "commune", w.user("xa").commune_id, vn(22))
    # It has contests but no station votes in them: no station, no report, no returned minutes, no phone entry.
    assert report.stations == [] and report.returned == [] and report.phone_entries == []


@pytest.mark.parametrize(("username", "level", "place"), [
    ("xa", "commune", "00070"), ("hn_xa", "commune", "26743"), ("hn_tinh", "province", "79"),
    ("xa", "province", "79"), ("to01", "commune", "26743"),
])
def test_a_place_outside_the_users_scope_is_not_found(db_session, w, day, username, level, place):
    place_id = (w.commune(place) if level == "commune" else w.province(place)).id
    with pytest.raises(scope.OutOfScope):
        services.drill_report(db_session, w.user(username), day, level, place_id, vn(22))
