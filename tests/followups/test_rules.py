"""The law of additional and repeat elections (voters-and-drills.md §6; Điều 79, 80; Câu 185–187): worked examples
and hypothesis properties of ``webapp.followups.rules``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.followups.rules import (
    FollowUpKind,
    called_for,
    date_refusal,
    decide_follow_up,
    seats_for,
    short_of_members,
    standing,
)
from webapp.results.rules import UnitTotals, decide_unit

# Runs on SQLite only (scripts/test.sh): the follow-up rules are plain functions, no database.
pytestmark = pytest.mark.no_database

POLLING_DAY = date(2026, 3, 15)
ADDITIONAL, REPEAT = FollowUpKind.ADDITIONAL, FollowUpKind.REPEAT


def totals(votes: dict[int, int], *, on_list: int, voted: int) -> UnitTotals:
    return UnitTotals(voters_on_list=on_list, voters_voted=voted, ballots_issued=voted, ballots_received=voted,
                      valid=voted, invalid=0, votes=votes, stations=1)


def births(n: int) -> dict[int, date | None]:
    return {cid: date(1960 + cid, 1, 1) for cid in range(1, n + 1)}


# --- worked examples --------------------------------------------------------------------------------------------

def test_the_date_is_at_the_latest_seven_days_after_the_first_vote():
    # Polled 15/3/2026: the follow-up may be held 16/3 to 22/3 (2026 rule; it was 15 days in 2015).
    assert date_refusal(POLLING_DAY, date(2026, 3, 22), today=date(2026, 3, 16)) is None
    assert date_refusal(POLLING_DAY, date(2026, 3, 16), today=date(2026, 3, 16)) is None
    assert date_refusal(POLLING_DAY, date(2026, 3, 23), today=date(2026, 3, 16)) == "date_too_late"
    assert date_refusal(POLLING_DAY, date(2026, 3, 15), today=date(2026, 3, 15)) == "date_not_after"
    assert date_refusal(POLLING_DAY, date(2026, 3, 17), today=date(2026, 3, 18)) == "date_past"


def test_half_the_voters_calls_for_a_repeat_with_every_candidate_and_every_seat():
    # 2,000 voters on the list, exactly 1,000 voted: not more than half (Điều 80).
    first = decide_unit(totals({1: 900, 2: 800, 3: 700, 4: 100}, on_list=2000, voted=1000), kind="na", seats=2,
                        candidates=births(4))
    assert called_for(first, complete=True) is REPEAT
    assert called_for(first, complete=False) is None  # not before every station's minutes are confirmed
    assert standing(REPEAT, first) == [1, 2, 3, 4] and seats_for(REPEAT, first) == 2


def test_a_repeat_election_stands_even_at_half_the_voters_or_fewer():
    again = decide_follow_up(totals({1: 700, 2: 600, 3: 500, 4: 100}, on_list=2000, voted=900), kind=REPEAT,
                             contest="na", seats=2, candidates=births(4))
    assert not again.turnout_met and again.valid_election and not again.needs_revote
    assert again.winners == [1, 2]
    assert called_for(again, complete=True) is None  # no second repeat election


def test_too_few_elected_calls_for_an_additional_election_for_the_empty_seats():
    # 3 seats; 1,000 valid ballots: only candidates 1 and 2 have more than half (Điều 78), one seat is empty.
    first = decide_unit(totals({1: 800, 2: 600, 3: 500, 4: 400, 5: 100}, on_list=1500, voted=1000), kind="na",
                        seats=3, candidates=births(5))
    assert first.winners == [1, 2] and first.needs_additional_election
    assert called_for(first, complete=True) is ADDITIONAL
    assert standing(ADDITIONAL, first) == [3, 4, 5] and seats_for(ADDITIONAL, first) == 1


def test_no_second_additional_election_the_unit_stays_short_of_members():
    extra = decide_follow_up(totals({3: 500, 4: 400, 5: 100}, on_list=1500, voted=1000), kind=ADDITIONAL,
                             contest="na", seats=1, candidates={3: date(1963, 1, 1), 4: None, 5: None})
    assert extra.valid_election and extra.winners == [] and not extra.needs_additional_election
    assert called_for(extra, complete=True) is None
    assert short_of_members(extra) == 1


def test_an_additional_election_at_half_the_voters_is_repeated_once():
    extra = decide_follow_up(totals({3: 600, 4: 100}, on_list=1500, voted=700), kind=ADDITIONAL, contest="na",
                             seats=1, candidates={3: None, 4: None})
    assert extra.needs_revote and called_for(extra, complete=True) is REPEAT
    assert short_of_members(extra) == 0  # not decided yet


def test_a_council_unit_with_two_thirds_filled_calls_for_nothing():
    # A council unit of 3 seats with 2 elected has two-thirds of its seats filled: no additional election.
    first = decide_unit(totals({1: 800, 2: 600, 3: 400}, on_list=1500, voted=1000), kind="commune", seats=3,
                        candidates=births(3))
    assert called_for(first, complete=True) is None


# --- properties -------------------------------------------------------------------------------------------------
# Pure functions: a slow draw or a late example means the shared machine stalled, not the code.
STALLS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@STALLS
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 1, 1)), st.integers(-30, 30), st.integers(-5, 10))
def test_a_date_is_accepted_exactly_within_the_seven_days_and_not_in_the_past(first, offset, today_offset):
    proposed, today = first + timedelta(days=offset), first + timedelta(days=today_offset)
    accepted = date_refusal(first, proposed, today) is None
    assert accepted == (1 <= offset <= 7 and proposed >= today)


@st.composite
def units(draw):
    n = draw(st.integers(1, 8))
    seats = draw(st.integers(1, min(5, n)))
    on_list = draw(st.integers(1, 5000))
    voted = draw(st.integers(0, on_list))
    votes = {cid: draw(st.integers(0, voted)) for cid in range(1, n + 1)}
    kind = draw(st.sampled_from(["na", "provincial", "commune"]))
    born = {cid: draw(st.one_of(st.none(), st.dates(date(1950, 1, 1), date(2000, 1, 1)))) for cid in votes}
    return totals(votes, on_list=on_list, voted=voted), kind, seats, born


@STALLS
@given(units())
def test_what_a_first_vote_calls_for_has_candidates_and_seats_to_fill(unit):
    t, kind, seats, born = unit
    first = decide_unit(t, kind=kind, seats=seats, candidates=born)
    follow = called_for(first, complete=True)
    if follow is None:
        return
    chosen = standing(follow, first)
    assert set(chosen) <= set(born)
    assert not set(chosen) & set(first.winners)
    assert 1 <= seats_for(follow, first) <= seats
    if follow is REPEAT:
        assert chosen == sorted(born) and seats_for(follow, first) == seats
        assert first.winners == []


@STALLS
@given(units(), st.sampled_from([ADDITIONAL, REPEAT]))
def test_a_follow_up_never_calls_for_a_second_of_its_kind(unit, kind):
    t, contest, seats, born = unit
    result = decide_follow_up(t, kind=kind, contest=contest, seats=seats, candidates=born)
    assert not result.needs_additional_election  # never a second additional election (nor one after a repeat)
    if kind is REPEAT:
        assert result.valid_election and not result.needs_revote  # stands at any turnout
    else:
        assert result.needs_revote == (2 * t.voters_voted <= t.voters_on_list)
    assert called_for(result, complete=True) is not kind
    assert 0 <= short_of_members(result) <= seats
