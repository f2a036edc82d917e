"""Results by law (Điều 78–80): worked examples and hypothesis properties of ``webapp.results.rules``."""

from __future__ import annotations

import dataclasses
import random
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.results.rules import (
    StationTotals,
    UnitResult,
    UnitTotals,
    aggregate,
    decide_unit,
    elected,
    format_percent,
    format_valid_invalid,
    percent,
    percent_parts,
    valid_invalid_percent,
)

# Runs on SQLite only (scripts/test.sh): the law's counting rules are plain functions, no database.
pytestmark = pytest.mark.no_database

BORN = date(1975, 5, 1)
Unit = tuple[UnitTotals, str, int, dict[int, date | None]]


def unit(votes: dict[int, int], *, valid: int = 1000, on_list: int = 2000, voted: int = 1100) -> UnitTotals:
    return UnitTotals(voters_on_list=on_list, voters_voted=voted, ballots_issued=voted,
                      ballots_received=voted, valid=valid, invalid=voted - valid, votes=votes, stations=1)


def decide(votes: dict[int, int], *, seats: int, kind: str = "na",
           births: dict[int, date | None] | None = None, **totals: int) -> UnitResult:
    candidates = {cid: (births or {}).get(cid, date(1970 + cid, 1, 1)) for cid in votes}
    return decide_unit(unit(votes, **totals), kind=kind, seats=seats, candidates=candidates)


# --- worked examples ---------------------------------------------------------------------------------------

def test_exactly_half_of_the_valid_ballots_is_not_elected_and_one_more_is() -> None:
    assert not elected(500, 1000) and elected(501, 1000)
    result = decide({1: 500, 2: 501, 3: 499}, seats=2)
    assert result.winners == [2]
    assert [tuple(r) for r in result.ranking] == [(2, 501, True), (1, 500, False), (3, 499, False)]
    assert not elected(0, 0)  # no valid ballots: nobody has more than half of nothing


def test_more_candidates_pass_than_seats_the_highest_win() -> None:
    result = decide({1: 700, 2: 900, 3: 800, 4: 600, 5: 100}, seats=3)
    assert result.winners == [2, 3, 1]
    assert [r.candidate_id for r in result.ranking if r.passed_threshold] == [2, 3, 1, 4]
    assert not result.needs_additional_election and result.undecided == []


def test_tie_for_the_last_seat_goes_to_the_older_candidate() -> None:
    births = {1: date(1980, 1, 1), 2: date(1969, 12, 31), 3: date(1985, 6, 1)}
    result = decide({1: 700, 2: 700, 3: 900}, seats=2, births=births)
    assert result.winners == [3, 2] and result.undecided == [] and result.seats_undecided == 0


def test_tie_in_votes_and_date_of_birth_is_left_to_the_committee() -> None:
    births = {1: BORN, 2: BORN, 3: date(1960, 1, 1), 4: BORN}
    result = decide({1: 700, 2: 700, 3: 900, 4: 700}, seats=3, births=births)
    assert result.winners == [3]
    assert result.undecided == [1, 2, 4] and result.seats_undecided == 2
    assert not result.needs_additional_election  # the committee fills both seats from the tied passers


def test_a_partial_age_tie_break() -> None:
    births = {1: date(1960, 1, 1), 2: BORN, 3: BORN, 4: date(1990, 1, 1)}
    result = decide({1: 600, 2: 600, 3: 600, 4: 600, 5: 900}, seats=3, births=births)
    assert result.winners == [5, 1] and result.undecided == [2, 3] and result.seats_undecided == 1


def test_an_unknown_date_of_birth_never_settles_a_tie() -> None:
    result = decide({1: 700, 2: 700, 3: 900}, seats=2, births={1: BORN, 2: None, 3: BORN})
    assert result.winners == [3] and result.undecided == [1, 2] and result.seats_undecided == 1


def test_a_tie_above_the_last_seat_elects_both() -> None:
    assert decide({1: 800, 2: 800, 3: 600}, seats=2).winners == [1, 2]


def test_national_assembly_three_seats_two_winners_needs_an_additional_election() -> None:
    result = decide({1: 700, 2: 600, 3: 400, 4: 300, 5: 200}, seats=3, kind="na")
    assert result.winners == [1, 2] and result.needs_additional_election


def test_council_five_seats_three_winners_needs_an_additional_election() -> None:
    # 3 winners of 5 seats: 3*3 = 9 < 2*5 = 10, fewer than two-thirds.
    result = decide({1: 700, 2: 600, 3: 550, 4: 400, 5: 300, 6: 200, 7: 100, 8: 50}, seats=5, kind="commune")
    assert len(result.winners) == 3 and result.needs_additional_election


def test_council_five_seats_four_winners_needs_none() -> None:
    votes = {1: 700, 2: 600, 3: 550, 4: 510, 5: 300, 6: 200, 7: 100, 8: 50}
    result = decide(votes, seats=5, kind="provincial")
    assert len(result.winners) == 4 and not result.needs_additional_election


@pytest.mark.parametrize(("seats", "winners", "needed"), [
    (3, 2, False),  # 6 < 6 is false: exactly two-thirds is enough
    (3, 1, True), (2, 1, True), (1, 0, True), (4, 3, False), (4, 2, True), (5, 4, False),
])
def test_council_two_thirds_rule(seats: int, winners: int, needed: bool) -> None:
    votes = {cid: (900 if cid <= winners else 100) for cid in range(1, seats + 4)}
    result = decide(votes, seats=seats, kind="commune")
    assert len(result.winners) == winners and result.needs_additional_election is needed


def test_turnout_of_exactly_half_makes_the_election_invalid() -> None:
    result = decide({1: 900, 2: 800, 3: 100}, seats=2, on_list=2000, voted=1000)
    assert not result.valid_election and result.needs_revote
    assert result.winners == [] and not result.needs_additional_election  # bầu cử lại, not bầu cử thêm
    assert [r.passed_threshold for r in result.ranking] == [True, True, False]  # still shown
    valid = decide({1: 900, 2: 800, 3: 100}, seats=2, on_list=2000, voted=1001)
    assert valid.valid_election and valid.winners == [1, 2]


def test_a_revote_counts_whatever_the_turnout_and_an_additional_election_is_never_repeated() -> None:
    totals = unit({1: 900, 2: 100, 3: 50}, on_list=5000, voted=1100)
    births = dict.fromkeys((1, 2, 3), BORN)
    revote = decide_unit(totals, kind="na", seats=2, candidates=births, revote=True)
    assert revote.valid_election and not revote.needs_revote and not revote.turnout_met
    assert revote.winners == [1] and revote.needs_additional_election
    assert not decide_unit(totals, kind="na", seats=2, candidates=births, revote=True,
                           additional=True).needs_additional_election


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        decide_unit(unit({9: 1}), kind="na", seats=1, candidates={1: BORN})
    with pytest.raises(ValueError):
        decide_unit(unit({1: 1}), kind="na", seats=0, candidates={1: BORN})


def test_aggregate_sums_the_stations() -> None:
    a = StationTotals(900, 812, 812, 812, 800, 12, {1: 600, 2: 450})
    b = StationTotals(500, 400, 401, 400, 390, 10, {2: 100, 3: 390})
    total = aggregate([a, b])
    assert total == UnitTotals(1400, 1212, 1213, 1212, 1190, 22, {1: 600, 2: 550, 3: 390}, stations=2)
    assert list(total.votes) == [1, 2, 3]
    assert aggregate([]) == UnitTotals()


def test_percentages_are_for_display_only() -> None:
    assert percent(500, 1000) == Decimal("50.00") and percent(2, 3) == Decimal("66.67")
    assert format_percent(1001, 2000) == "50,05%" and format_percent(1001, 2000, locale="en") == "50.05%"
    assert format_percent(1, 0) == "—"
    # 50,000 of 99,999 shows as 50.00% yet is elected, while 500 of 1,000 also shows 50.00% and is not:
    assert format_percent(50_000, 99_999) == format_percent(500, 1000) == "50,00%"
    assert elected(50_000, 99_999) and not elected(500, 1000)


# --- properties ---------------------------------------------------------------------------------------------

@st.composite
def units(draw: st.DrawFn) -> Unit:
    """Small numbers and few dates of birth, so that ties happen often."""
    kind = draw(st.sampled_from(["na", "provincial", "commune"]))
    seats = draw(st.integers(1, 3 if kind == "na" else 5))
    ids = draw(st.lists(st.integers(1, 60), min_size=seats + 1, max_size=seats + 5, unique=True))
    G = draw(st.integers(0, 40))
    votes = {cid: draw(st.integers(0, G)) for cid in ids}
    births = {cid: draw(st.sampled_from([date(1960, 1, 1), date(1970, 1, 1), date(1980, 1, 1), None]))
              for cid in ids}
    T = draw(st.integers(G, 100))
    V = draw(st.integers(G, T))
    return UnitTotals(T, V, V, V, G, V - G, votes, stations=1), kind, seats, births


@given(units())
def test_winners_never_exceed_seats_and_all_have_more_than_half(example: Unit) -> None:
    totals, kind, seats, births = example
    result = decide_unit(totals, kind=kind, seats=seats, candidates=births)
    assert len(result.winners) + result.seats_undecided <= seats
    assert result.seats_undecided < len(result.undecided) or result.undecided == []
    assert not set(result.winners) & set(result.undecided)
    for cid in [*result.winners, *result.undecided]:
        assert 2 * totals.votes[cid] > totals.valid
    losers = set(births) - set(result.winners) - set(result.undecided)
    for w in result.winners:  # nobody left out has more votes than a winner
        assert all(totals.votes[x] <= totals.votes[w] for x in losers)
    if not result.valid_election:
        assert result.winners == [] and result.needs_revote and not result.needs_additional_election


@given(units(), st.data())
def test_more_ballots_for_a_winner_never_make_them_lose(example: Unit, data: st.DataObject) -> None:
    totals, kind, seats, births = example
    result = decide_unit(totals, kind=kind, seats=seats, candidates=births)
    if not result.winners:
        return
    winner = data.draw(st.sampled_from(result.winners))
    extra = data.draw(st.integers(1, 30))
    more = UnitTotals(  # `extra` new voters, each keeping only the winner's name
        totals.voters_on_list + extra, totals.voters_voted + extra, totals.ballots_issued + extra,
        totals.ballots_received + extra, totals.valid + extra, totals.invalid,
        {**totals.votes, winner: totals.votes[winner] + extra}, stations=1)
    assert winner in decide_unit(more, kind=kind, seats=seats, candidates=births).winners
    raised = min(totals.valid, totals.votes[winner] + extra)  # same ballots, more of them keep the winner
    same_ballots = dataclasses.replace(totals, votes={**totals.votes, winner: raised})
    assert winner in decide_unit(same_ballots, kind=kind, seats=seats, candidates=births).winners


@given(units(), st.randoms(use_true_random=False))
def test_the_order_of_candidates_does_not_matter(example: Unit, rnd: random.Random) -> None:
    totals, kind, seats, births = example
    ids = list(births)
    rnd.shuffle(ids)
    shuffled_births = {cid: births[cid] for cid in ids}
    shuffled_votes = dataclasses.replace(totals, votes={cid: totals.votes[cid] for cid in reversed(ids)})
    assert decide_unit(shuffled_votes, kind=kind, seats=seats, candidates=shuffled_births) == decide_unit(
        totals, kind=kind, seats=seats, candidates=births)


stations = st.builds(
    StationTotals, *(st.integers(0, 4000) for _ in range(6)),
    votes=st.dictionaries(st.integers(1, 8), st.integers(0, 4000), max_size=6))


@given(st.lists(stations, max_size=12), st.randoms(use_true_random=False))
def test_the_order_of_the_stations_does_not_matter(items: list[StationTotals], rnd: random.Random) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    total = aggregate(items)
    assert aggregate(shuffled) == total and list(aggregate(shuffled).votes) == list(total.votes)
    half = len(items) // 2
    first, second = aggregate(items[:half]), aggregate(items[half:])
    assert total.valid == first.valid + second.valid and total.stations == len(items)
    assert total.votes == {cid: first.votes.get(cid, 0) + second.votes.get(cid, 0)
                           for cid in sorted({*first.votes, *second.votes})}


@given(units())
def test_without_ties_the_winners_are_exactly_the_top_passers(example: Unit) -> None:
    totals, kind, seats, births = example
    passers = sorted((cid for cid, v in totals.votes.items() if 2 * v > totals.valid),
                     key=lambda cid: -totals.votes[cid])
    if len({totals.votes[c] for c in passers}) != len(passers) or not turnout_ok(totals):
        return
    result = decide_unit(totals, kind=kind, seats=seats, candidates=births)
    assert result.winners == passers[:seats] and result.undecided == []


def turnout_ok(totals: UnitTotals) -> bool:
    return 2 * totals.voters_voted > totals.voters_on_list


def test_the_no_tie_property_is_exercised() -> None:
    seen = {"distinct": 0, "tied": 0}

    @given(units())
    def run(example: Unit) -> None:
        totals, kind, seats, births = example
        result = decide_unit(totals, kind=kind, seats=seats, candidates=births)
        passers = [r.votes for r in result.ranking if r.passed_threshold]
        if result.valid_election and passers:
            seen["distinct" if len(set(passers)) == len(passers) else "tied"] += 1

    run()
    assert seen["distinct"] >= 10 and seen["tied"] >= 5


# --- Percentages as the NEC writes them (Câu 177): 2 decimals, half up, the parts of one whole adding to 100 % ---

def test_percent_rounds_half_up_as_the_nec_book_shows() -> None:
    assert percent(22_566, 100_000) == Decimal("22.57")  # the book's own example: 22,566 % -> 22,57 %
    assert percent(22_565, 100_000) == Decimal("22.57") and percent(22_564, 100_000) == Decimal("22.56")
    assert percent(1, 8) == Decimal("12.50") and percent(1, 800) == Decimal("0.13")  # 0,125 % -> 0,13 %


def test_valid_and_invalid_add_to_exactly_one_hundred() -> None:
    # 401 and 399 of 800: 50,125 % and 49,875 % both round up (100,01 %); on an equal move the later part gives back.
    assert valid_invalid_percent(401, 399, 800) == (Decimal("50.13"), Decimal("49.87"))
    assert format_valid_invalid(401, 399, 800) == ("50,13%", "49,87%")
    assert format_valid_invalid(401, 399, 800, locale="en") == ("50.13%", "49.87%")
    # Already 100 % after rounding: nothing moves.
    assert valid_invalid_percent(2, 1, 3) == (Decimal("66.67"), Decimal("33.33"))
    assert valid_invalid_percent(0, 0, 0) == (None, None)
    assert format_valid_invalid(0, 0, 0) == ("—", "—")
    # Minutes whose valid + invalid differ from the ballots received are not parts of one whole: no adjustment.
    assert valid_invalid_percent(401, 398, 800) == (percent(401, 800), percent(398, 800))


def test_three_thirds_add_to_one_hundred() -> None:
    # 33,333… % three times rounds to 99,99 %: the part rounded down most receives the hundredth (the last on a tie).
    assert percent_parts([1, 1, 1], 3) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert percent_parts([1, 2], 3) == [Decimal("33.33"), Decimal("66.67")]


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=6))
def test_parts_of_one_whole_always_add_to_one_hundred(parts: list[int]) -> None:
    whole = sum(parts)
    shares = percent_parts(parts, whole)
    if whole == 0:
        assert shares == [None] * len(parts)
        return
    assert sum(shares) == Decimal("100.00")  # type: ignore[arg-type]
    for share, part in zip(shares, parts, strict=True):
        exact = Fraction(100 * part, whole)
        assert share is not None and share == share.quantize(Decimal("0.01"))
        assert abs(Fraction(share) - exact) < Fraction(1, 100)  # never more than one hundredth off
    half_up = [percent(part, whole) for part in parts]
    if sum(half_up) == Decimal("100.00"):  # type: ignore[arg-type]
        assert shares == half_up  # the rule adjusts only when it must


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=4), st.integers(min_value=1, max_value=10**6))
def test_parts_that_are_not_one_whole_are_rounded_on_their_own(parts: list[int], whole: int) -> None:
    if sum(parts) == whole:
        whole += 1
    assert percent_parts(parts, whole) == [percent(part, whole) for part in parts]
