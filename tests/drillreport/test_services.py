"""The drill report against data the test sends at known times: each report's minutes after its report time,
lateness, stations never reached, minutes returned and corrected, calls and their outcomes, entries by phone,
stations whose phone never passed the readiness check; per commune and per province, scoped."""

from __future__ import annotations

from datetime import time

import pytest

from tests.drillreport.conftest import A, B, C
from tests.reports.helpers import vn
from webapp import scope
from webapp.audit.models import Channel
from webapp.drillreport import services
from webapp.elections import services as elections
from webapp.elections.models import ContestKind
from webapp.hotline.models import CallOutcome
from webapp.reports.models import ReportStatus


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
