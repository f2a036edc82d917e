"""Aggregation of the stations' count minutes into unit and committee results (issue 6 §1)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests.results.helpers import (
    COMMUNE,
    NA,
    PROV,
    RECEIVED,
    RETURNED,
    put_report,
    unit_areas,
)
from webapp import scope
from webapp.elections.models import Candidate
from webapp.results import services
from webapp.results.rules import StationTotals, aggregate

UNIT = "X-26743-01"  # a Bến Thành council unit: 4 polling areas


def _unit(w, code=UNIT):
    return w.unit(code)


def _result(db_session, w, user="xa", code=UNIT, **kw):
    return services.unit_result(db_session, w.user(user), _unit(w, code).id, confirmed_only=False, **kw)


def test_official_figures_are_the_sums_of_the_confirmed_minutes(db_session, w):
    unit = _unit(w)
    areas = unit_areas(db_session, unit)
    assert len(areas) == 4
    numbers = [(1200, 900, 12), (1500, 1001, 7), (980, 700, 0), (2000, 1811, 25)]
    stations = []
    for area, (on_list, voted, invalid) in zip(areas, numbers, strict=True):
        votes = {1: voted - invalid - 3, 2: (voted - invalid) // 2, 3: 17}
        report = put_report(db_session, w, area, COMMUNE, on_list=on_list, voted=voted, invalid=invalid, votes=votes,
                            complaints=(2, 1, 1))
        stations.append(StationTotals(on_list, voted, voted, voted, voted - invalid, invalid,
                                      {v.candidate_id: v.votes for v in report.votes}))
    outcome = _result(db_session, w)
    expected = aggregate(stations)
    assert outcome.official.totals == expected
    assert outcome.official.totals.voters_voted == 900 + 1001 + 700 + 1811
    assert (outcome.expected, outcome.confirmed, outcome.received, outcome.complete, outcome.state) == (
        4, 4, 0, True, "complete")
    assert outcome.official.complaints == {"complaints_received": 8, "complaints_resolved": 4,
                                           "complaints_forwarded": 4}
    assert not outcome.has_unconfirmed and outcome.provisional.totals == expected


def test_only_the_latest_version_counts(db_session, w):
    area = unit_areas(db_session, _unit(w))[0]
    put_report(db_session, w, area, COMMUNE, voted=900, status=RECEIVED)
    put_report(db_session, w, area, COMMUNE, voted=850)
    outcome = _result(db_session, w)
    assert outcome.official.totals.voters_voted == 850 and outcome.official.totals.stations == 1
    assert outcome.provisional.totals.voters_voted == 850


def test_unconfirmed_minutes_count_only_in_the_provisional_figures(db_session, w):
    areas = unit_areas(db_session, _unit(w))
    put_report(db_session, w, areas[0], COMMUNE, voted=800)
    put_report(db_session, w, areas[1], COMMUNE, voted=700, status=RECEIVED)
    put_report(db_session, w, areas[2], COMMUNE, voted=600, status=RETURNED)
    outcome = _result(db_session, w)
    assert (outcome.confirmed, outcome.received, outcome.returned, outcome.expected) == (1, 1, 1, 4)
    assert outcome.official.totals.voters_voted == 800 and outcome.official.totals.stations == 1
    assert outcome.provisional.totals.voters_voted == 1500 and outcome.provisional.totals.stations == 2
    assert outcome.has_unconfirmed and not outcome.complete and outcome.state == "partial"
    only = services.unit_result(db_session, w.user("xa"), _unit(w).id)
    assert only.provisional is None and only.official.totals == outcome.official.totals


def test_a_unit_without_minutes_is_empty_not_a_revote(db_session, w):
    outcome = _result(db_session, w)
    assert (outcome.state, outcome.complete, outcome.official.totals.stations) == ("empty", False, 0)


def test_the_order_of_the_stations_does_not_matter(db_session, w):
    areas = unit_areas(db_session, _unit(w))
    plans = [(area, 700 + 37 * i, {1: 300 + i, 2: 200 * i, 4: 5}) for i, area in enumerate(areas)]
    seen = []
    for order in (plans, plans[::-1], plans[1:] + plans[:1]):
        savepoint = db_session.begin_nested()
        for area, voted, votes in order:
            put_report(db_session, w, area, COMMUNE, voted=voted, votes=votes)
        outcome = _result(db_session, w)
        seen.append((outcome.official.totals, outcome.official.result))
        savepoint.rollback()
    assert seen[0] == seen[1] == seen[2]


def _complete(db_session, w, *, voted=800, on_list=1000, votes=None, code=UNIT):
    for area in unit_areas(db_session, _unit(w, code)):
        put_report(db_session, w, area, COMMUNE if code.startswith("X") else NA, on_list=on_list, voted=voted,
                   invalid=0, votes=votes)


def test_winners_are_marked_when_every_station_is_confirmed(db_session, w):
    unit = _unit(w)
    seats = unit.seats
    votes = {order: 600 - order for order in range(1, len(unit.candidates) + 1)}
    _complete(db_session, w, votes=votes)
    outcome = _result(db_session, w)
    by_order = {c.ballot_order: c for c in outcome.official.candidates}
    assert [c.ballot_order for c in outcome.official.winners] == list(range(1, seats + 1))
    assert all(by_order[o].elected for o in range(1, seats + 1))
    assert not any(by_order[o].elected for o in range(seats + 1, len(unit.candidates) + 1))
    assert by_order[1].percent is not None and str(by_order[1].percent) == "74.88"  # 2396 of 3200
    assert not outcome.official.result.needs_revote and not outcome.official.result.needs_additional_election


def test_turnout_of_half_or_less_flags_a_revote(db_session, w):
    _complete(db_session, w, voted=500, on_list=1000)
    result = _result(db_session, w).official.result
    assert result.needs_revote and not result.valid_election and result.winners == []


def test_too_few_winners_flags_an_additional_election(db_session, w):
    _complete(db_session, w, votes={1: 700})  # one candidate above half, the council unit has 3–5 seats
    outcome = _result(db_session, w)
    assert [c.ballot_order for c in outcome.official.winners] == [1]
    assert outcome.official.result.needs_additional_election


def test_a_tie_in_votes_and_age_is_left_to_the_committee(db_session, w):
    unit = _unit(w)
    born = date(1970, 1, 1)
    last = unit.seats
    for c in unit.candidates:
        if c.ballot_order in (last, last + 1):
            c.birth_date = born
    db_session.flush()
    votes = {o: 700 for o in range(1, last)} | {last: 650, last + 1: 650}
    _complete(db_session, w, votes=votes)
    outcome = _result(db_session, w)
    assert sorted(c.ballot_order for c in outcome.official.undecided) == [last, last + 1]
    assert outcome.official.result.seats_undecided == 1
    assert len(outcome.official.winners) == last - 1


def test_a_province_has_its_na_and_provincial_units_a_commune_its_council_units(db_session, w):
    tinh = w.user("tinh")
    province = services.committee_results(db_session, tinh, province_id=w.province("79").id)
    assert [c.contest.kind for c in province.contests] == [NA, PROV]
    assert [o.unit.code for o in province.contests[0].units] == ["QH-79-01"]
    assert [o.unit.code for o in province.contests[1].units] == ["T-79-01", "T-79-02"]
    commune = services.committee_results(db_session, tinh, commune_id=w.commune("26743").id)
    assert [c.contest.kind for c in commune.contests] == [COMMUNE]
    assert [o.unit.code for o in commune.contests[0].units] == ["X-26743-01", "X-26743-02", "X-26743-03"]
    assert commune.contests[0].expected == 12


def test_a_commune_official_sees_its_units_and_the_higher_units_its_areas_vote_in(db_session, w):
    xa = w.user("xa")
    higher = services.committee_results(db_session, xa, province_id=xa.province_id)
    assert [o.unit.code for c in higher.contests for o in c.units] == ["QH-79-01", "T-79-01"]
    own = services.committee_results(db_session, xa, commune_id=xa.commune_id)
    assert [o.unit.code for o in own.contests[0].units] == ["X-26743-01", "X-26743-02", "X-26743-03"]
    with pytest.raises(scope.OutOfScope):
        services.committee_results(db_session, xa, commune_id=w.commune("26740").id)
    with pytest.raises(scope.OutOfScope):
        services.unit_result(db_session, xa, w.unit("X-26740-01").id)
    na = services.unit_result(db_session, xa, w.unit("QH-79-01").id)
    stations = services.unit_stations(db_session, xa, na.unit)
    assert na.expected == 40 and len(stations) == 12
    assert {s.area.commune.code for s in stations} == {"26743"}


@pytest.mark.parametrize("user", ["hn_tinh", "hn_xa", "hn_tongdai"])
def test_another_provinces_unit_is_out_of_scope(db_session, w, user):
    with pytest.raises(scope.OutOfScope):
        services.unit_result(db_session, w.user(user), w.unit("QH-79-01").id)
    with pytest.raises(scope.OutOfScope):
        services.committee_results(db_session, w.user(user), province_id=w.province("79").id)


def test_the_number_of_queries_does_not_grow_with_the_stations(db_session, w):
    tinh = w.user("tinh")
    province_id = w.province("79").id
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    connection = db_session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        services.committee_results(db_session, tinh, province_id=province_id)
        before = len(statements)
        for area in unit_areas(db_session, w.unit("QH-79-01")):
            put_report(db_session, w, area, NA)
        statements.clear()
        result = services.committee_results(db_session, tinh, province_id=province_id)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert result.contests[0].units[0].confirmed == 40
    assert len(statements) == before <= 12
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Candidate)) > 0
