"""The voter-change report and the preparation progress, from rows whose figures the test knows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.voter_reports.conftest import A, B, OTHER_COMMUNE_AREA, POSTED
from webapp import scope
from webapp.accounts.models import ActivationCode
from webapp.elections import services as elections
from webapp.elections.models import ContestKind, Gender
from webapp.voters import figures, reports
from webapp.voters.models import VoterChangeCause

NA, PROV, COM = ContestKind.NATIONAL_ASSEMBLY, ContestKind.PROVINCIAL_COUNCIL, ContestKind.COMMUNE_COUNCIL
LATER = POSTED + timedelta(days=10)
NOW = datetime(2026, 3, 14, 0, 0, tzinfo=UTC)


def test_first_time_voters_turned_18_since_the_last_election(db_session):
    election = elections.current_election(db_session)
    assert election.polling_date == date(2026, 3, 15)
    lo, hi = figures.first_time_window(election)
    # 18 on 23/5/2021 (could vote then): not first-time; a day younger: first-time; 18 on polling day: first-time.
    assert (lo, hi) == (date(2003, 5, 23), date(2008, 3, 15))
    assert figures.elderly_born_by(election) == date(1946, 3, 15)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 3, 15)))
def test_first_time_means_too_young_then_and_of_age_now(born):
    election = type("E", (), {"polling_date": date(2026, 3, 15)})()
    lo, hi = figures.first_time_window(election)  # type: ignore[arg-type]

    def age(on: date) -> int:
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    assert (lo < born <= hi) == (age(figures.PREVIOUS_ELECTION) < 18 <= age(date(2026, 3, 15)))


def _figures(report, code):
    return next(line for line in report.lines if line.code == code).figures


def test_snapshots_count_the_rows_on_the_list_at_each_time_and_the_changes_between(db_session, w, lists):
    xa = w.user("xa")
    lists.add(A, gender=Gender.FEMALE, born=date(2008, 3, 15))  # first-time, female
    lists.add(A, born=date(1940, 6, 1), ballots=(True, True, False))  # 85: elderly; NA + province only
    dead = lists.add(A, born=date(1950, 1, 1), removed=LATER)
    lists.change(dead, VoterChangeCause.DEATH, LATER)
    newcomer = lists.add(A, gender=Gender.FEMALE, listed=LATER, ballots=(True, False, False), added_after_posting=True)
    lists.change(newcomer, VoterChangeCause.CERTIFICATE_RECEIVED, LATER)
    lists.add(B)
    lists.add(OTHER_COMMUNE_AREA)  # another commune: not in this report
    election = elections.current_election(db_session)

    report = reports.change_report(db_session, xa, election, "commune", xa.commune_id,
                                   [POSTED, LATER + timedelta(hours=1)], NOW)
    assert report.times == [POSTED, LATER + timedelta(hours=1)]
    first, second = _figures(report, A)
    assert (first.contests[NA].total, first.contests[NA].male, first.contests[NA].female) == (3, 2, 1)
    assert (first.contests[PROV].total, first.contests[COM].total) == (3, 2)
    assert (first.first_time, first.elderly, first.delta, first.changes) == (1, 1, None, {})
    assert (second.contests[NA].total, second.contests[NA].female) == (3, 2)  # one died, one came
    assert (second.contests[PROV].total, second.contests[COM].total) == (2, 1)
    assert second.delta == 0
    assert second.changes == {VoterChangeCause.DEATH: 1, VoterChangeCause.CERTIFICATE_RECEIVED: 1}
    assert [f.contests[NA].total for f in _figures(report, B)] == [1, 1]
    assert [f.contests[NA].total for f in report.total] == [4, 4]
    assert report.causes == [VoterChangeCause.CERTIFICATE_RECEIVED, VoterChangeCause.DEATH]
    assert OTHER_COMMUNE_AREA not in {line.code for line in report.lines}

    province = reports.change_report(db_session, w.user("tinh"), election, "province", xa.province_id,
                                     [POSTED], NOW)
    assert [f.contests[NA].total for f in province.total] == [5]
    assert {line.code: line.figures[0].contests[NA].total for line in province.lines if line.figures[0].contests[NA].total} \
        == {"26743": 4, "26740": 1}


def test_future_times_are_dropped_and_no_time_means_now(db_session, w, lists):
    lists.add(A)
    election = elections.current_election(db_session)
    area = w.area(A)
    report = reports.change_report(db_session, w.user("to01"), election, "area", area.id,
                                   [NOW + timedelta(days=1)], NOW)
    assert report.times == [NOW]
    assert report.total[0].contests[NA].total == 1


def test_the_report_of_a_place_outside_the_scope_is_out_of_scope(db_session, w):
    election = elections.current_election(db_session)
    with pytest.raises(scope.OutOfScope):
        reports.change_report(db_session, w.user("xa"), election, "commune", w.commune("26740").id, [], NOW)
    with pytest.raises(scope.OutOfScope):
        reports.change_report(db_session, w.user("to01"), election, "area", w.area(B).id, [], NOW)
    with pytest.raises(scope.OutOfScope):
        reports.progress_report(db_session, w.user("hn_tinh"), election, "province", w.user("tinh").province_id, NOW)


def test_progress_counts_lists_cards_teams_and_leaders_with_dates_and_lateness(db_session, w, lists):
    xa = w.user("xa")
    handed = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    lists.add(A, handed_out=handed)
    lists.add(A)
    lists.add(A, removed=LATER, handed_out=handed)  # removed: counted nowhere
    lists.add(B, listed=LATER)
    leader = w.user("to01")
    db_session.add(ActivationCode(user_id=leader.id, polling_area_id=leader.polling_area_id, issued_at=POSTED,
                                  used_at=POSTED + timedelta(hours=2)))
    db_session.flush()
    election = elections.current_election(db_session)

    report = reports.progress_report(db_session, xa, election, "commune", xa.commune_id, NOW)
    by_code = {line.code: line for line in report.lines}
    a, b = by_code[A], by_code[B]
    assert (a.lists.done, a.lists.of, a.lists.on) == (1, 1, POSTED)
    assert (a.cards.done, a.cards.of, a.cards.on, a.cards.percent) == (1, 2, handed, 50.0)
    assert a.cards.due == date(2026, 3, 12) and a.cards.late  # 14/3: the cards were due by 12/3
    assert (b.lists.on, b.lists.late) == (LATER, False)  # in, though after 3/2: every list is in
    t = report.total
    assert t.areas == len(report.lines) == 12
    assert (t.lists.done, t.lists.of, t.lists.late) == (2, 12, True)
    assert (t.cards.done, t.cards.of) == (1, 3)
    assert t.lists.due == date(2026, 2, 3) and t.teams.due == date(2026, 1, 31)
    assert (a.leaders.done, a.leaders.of, a.leaders.on) == (1, 1, POSTED + timedelta(hours=2))
    assert a.teams.done == 1 and a.teams.of == 1  # the demo's teams have 11 members with a leader

    early = reports.progress_report(db_session, xa, election, "commune", xa.commune_id,
                                    datetime(2026, 2, 1, tzinfo=UTC))
    assert not early.total.lists.late and not early.total.cards.late

    province = reports.progress_report(db_session, w.user("tinh"), election, "province", xa.province_id, NOW)
    mine = next(line for line in province.lines if line.key == xa.commune_id)
    assert (mine.lists.done, mine.cards.done, mine.cards.of) == (2, 1, 3)
