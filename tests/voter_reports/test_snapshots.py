"""Precomputed snapshots (webapp.voters.snapshots): the figures the jobs worker stores equal those the rows give at
the same moment, at every level, and the reports read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tests.voter_reports.conftest import A, B, OTHER_COMMUNE_AREA, POSTED
from webapp.elections import services as elections
from webapp.elections.models import ContestKind, Gender
from webapp.voters import reports, snapshots
from webapp.voters.models import VoterChangeCause, VoterSnapshot, VoterSnapshotArea

NA = ContestKind.NATIONAL_ASSEMBLY
LATER = POSTED + timedelta(days=10)
NOW = datetime(2026, 3, 14, 0, 0, tzinfo=UTC)
MOMENTS = [POSTED - timedelta(hours=1), POSTED, LATER, LATER + timedelta(hours=1), NOW - timedelta(hours=1)]


def _voters(lists):  # type: ignore[no-untyped-def]
    """Every kind of row: both sexes, first-time and 80+, each ballot set, listed late, removed, in three areas."""
    for i, area in enumerate([A, A, A, B, B, OTHER_COMMUNE_AREA] * 3):
        entry = lists.add(area, gender=Gender.FEMALE if i % 2 else Gender.MALE,
                          born=[date(2008, 3, 15), date(1940, 6, 1), date(1980, 1, 1), date(2003, 5, 24)][i % 4],
                          listed=[POSTED, POSTED, LATER][i % 3], ballots=[(True, True, True), (True, True, False),
                                                                            (True, False, False)][i % 3],
                          removed=LATER + timedelta(minutes=30) if i % 5 == 0 else None)
        if i % 5 == 0:
            lists.change(entry, VoterChangeCause.DEATH, LATER + timedelta(minutes=30))
        if i % 3 == 2:
            lists.change(entry, VoterChangeCause.MOVED_IN, LATER)


def _levels(w):  # type: ignore[no-untyped-def]
    xa, tinh = w.user("xa"), w.user("tinh")
    return [("area", w.user("to01"), w.area(A).id), ("commune", xa, xa.commune_id),
            ("province", tinh, tinh.province_id)]


def _figures(report):  # type: ignore[no-untyped-def]
    return report.times, [(line.code, line.figures) for line in report.lines], report.total


def test_the_stored_figures_are_those_the_rows_give_at_every_level(db_session, w, lists):
    _voters(lists)
    election = elections.current_election(db_session)
    derived = [_figures(reports.change_report(db_session, user, election, level, place, MOMENTS, NOW))
               for level, user, place in _levels(w)]
    assert derived[2][2][2].contests[NA].total > 0 and any(f.changes for f in derived[2][2])  # not an empty example
    for at in MOMENTS:
        snapshots.take(db_session, election, at, now=NOW, scheduled=True)
    stored = [_figures(reports.change_report(db_session, user, election, level, place, MOMENTS, NOW))
              for level, user, place in _levels(w)]
    assert stored == derived


def test_a_stored_moment_is_read_from_the_snapshot_and_another_from_the_rows(db_session, w, lists):
    _voters(lists)
    election = elections.current_election(db_session)
    snapshots.take(db_session, election, POSTED, now=NOW, scheduled=True)
    level, user, place = _levels(w)[1]
    before = reports.change_report(db_session, user, election, level, place, [POSTED], NOW).total[0]
    lists.add(A, listed=POSTED - timedelta(days=1))  # a row dated before the snapshot: the rows now say one more
    just_after = POSTED + timedelta(minutes=1)
    report = reports.change_report(db_session, user, election, level, place, [POSTED, just_after], NOW)
    assert report.total[0].contests[NA].total == before.contests[NA].total
    assert report.total[1].contests[NA].total == before.contests[NA].total + 1


def test_the_worker_takes_what_is_due_once_and_the_current_figures_every_quarter_hour(db_session, w, lists):
    _voters(lists)
    election = elections.current_election(db_session)
    schedule = reports.default_times(election)
    now = schedule[2] + timedelta(minutes=5)
    assert snapshots.take_due(db_session, election, now, schedule) == [*schedule[:3], now]
    assert snapshots.take_due(db_session, election, now + timedelta(minutes=10), schedule) == []
    later = now + snapshots.EVERY
    assert snapshots.take_due(db_session, election, later, schedule) == [later]
    kept = db_session.execute(sa.select(VoterSnapshot.at, VoterSnapshot.scheduled)
                              .where(VoterSnapshot.election_id == election.id).order_by(VoterSnapshot.at)).all()
    assert kept == [(at, True) for at in schedule[:3]] + [(later, False)]  # the older current one was dropped
    assert db_session.scalar(sa.select(sa.func.count(sa.distinct(VoterSnapshotArea.snapshot_id)))) == 4

    # A province's report stands the recent current snapshot for "now"; its column says when it was taken.
    level, user, place = _levels(w)[2]
    asked_at = later + timedelta(minutes=20)
    report = reports.change_report(db_session, user, election, level, place, [schedule[0], asked_at], asked_at)
    assert report.times == [schedule[0], later]
    rows = reports.change_report(db_session, user, election, level, place, [schedule[0], later], later + EPSILON)
    assert report.total == rows.total
    # Too old to stand for now (past CURRENT_WITHIN): the rows are read at now.
    stale = later + snapshots.CURRENT_WITHIN + timedelta(minutes=1)
    assert reports.change_report(db_session, user, election, level, place, [stale], stale).times == [stale]


EPSILON = timedelta(seconds=1)


def test_a_provinces_progress_reads_the_lists_and_cards_from_the_current_snapshot(db_session, w, lists):
    handed = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    _voters(lists)
    lists.add(A, handed_out=handed)
    lists.add(B, handed_out=handed, removed=LATER)  # removed: counted nowhere
    lists.add(OTHER_COMMUNE_AREA, handed_out=handed + timedelta(hours=1))
    election = elections.current_election(db_session)
    level, user, place = _levels(w)[2]

    def figures(report):  # type: ignore[no-untyped-def]
        return [(line.code, line.lists, line.cards, line.teams, line.leaders) for line in [*report.lines, report.total]]

    derived = reports.progress_report(db_session, user, election, level, place, NOW)
    assert derived.lists_as_of is None and derived.total.cards.done == 2 and derived.total.lists.done == 3
    snapshots.take_due(db_session, election, NOW, [])
    stored = reports.progress_report(db_session, user, election, level, place, NOW + timedelta(minutes=5))
    assert stored.lists_as_of == NOW
    assert figures(stored) == figures(derived)
    lists.add(B, handed_out=handed)  # after the snapshot: the province sees it at the next one, a commune at once
    again = reports.progress_report(db_session, user, election, level, place, NOW + timedelta(minutes=5))
    assert again.total.cards.done == 2
    commune = reports.progress_report(db_session, w.user("xa"), election, "commune", w.user("xa").commune_id,
                                      NOW + timedelta(minutes=5))
    assert commune.lists_as_of is None and commune.total.cards.done == 2  # A's and the new one in B
