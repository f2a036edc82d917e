"""Results by law for one electoral unit, as plain functions with no web code (domain.md §6, §11 rows 15–20).

Everything that decides is an integer comparison: more than half of the voters (``2*V > T``), more than
half of the valid ballots (``2*v > G``), two-thirds of the seats (``3*filled < 2*S``). Percentages are only
for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple

from webapp.elections.models import ContestKind
from webapp.reports.checks import COUNT_FIELDS

__all__ = [
    "RankedCandidate", "StationTotals", "UnitResult", "UnitTotals", "aggregate", "decide_unit", "elected",
    "format_decimal_percent", "format_percent", "format_valid_invalid", "percent", "percent_json", "percent_parts", "turnout_valid", "valid_invalid_percent",
]


@dataclass(frozen=True)
class StationTotals:
    """The numbers of one station's count minutes for one contest (T, V, I, C, G, B and v_j)."""

    voters_on_list: int
    voters_voted: int
    ballots_issued: int
    ballots_received: int
    valid: int
    invalid: int
    votes: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitTotals:
    """The sums over the stations of one electoral unit; ``votes`` is ordered by candidate id."""

    voters_on_list: int = 0
    voters_voted: int = 0
    ballots_issued: int = 0
    ballots_received: int = 0
    valid: int = 0
    invalid: int = 0
    votes: Mapping[int, int] = field(default_factory=dict)
    stations: int = 0  # how many minutes were added (check 15 compares it with the stations mapped)


_SUMMED = COUNT_FIELDS


def aggregate(stations: Iterable[StationTotals]) -> UnitTotals:
    """Sum the stations' minutes. Integer sums, so the order of the stations cannot matter."""
    sums = dict.fromkeys(_SUMMED, 0)
    votes: dict[int, int] = {}
    count = 0
    for station in stations:
        count += 1
        for name in _SUMMED:
            sums[name] += getattr(station, name)
        for cid, v in station.votes.items():
            votes[cid] = votes.get(cid, 0) + v
    return UnitTotals(**sums, votes={cid: votes[cid] for cid in sorted(votes)}, stations=count)


def turnout_valid(voters_voted: int, voters_on_list: int) -> bool:
    """Điều 78: the election counts only if more than half of the voters on the list voted."""
    return 2 * voters_voted > voters_on_list


def elected(votes: int, valid: int) -> bool:
    """Điều 78: strictly more than half of the valid ballots. 500 of 1,000 is not elected; 501 is."""
    return 2 * votes > valid


class RankedCandidate(NamedTuple):
    candidate_id: int
    votes: int
    passed_threshold: bool


@dataclass(frozen=True)
class UnitResult:
    valid_election: bool  # the result counts (turnout above half, or a re-vote, which counts anyway)
    needs_revote: bool  # bầu cử lại (Điều 80)
    winners: list[int]  # in ranking order
    undecided: list[int]  # tied in votes and date of birth for the last seats: the committee decides
    seats_undecided: int  # seats left open for the committee's decision among ``undecided``
    needs_additional_election: bool  # bầu cử thêm (Điều 79)
    ranking: list[RankedCandidate]  # every candidate: votes descending, then older first, then id
    seats: int = 0
    turnout_met: bool = False  # 2*V > T, whatever the election's kind


def _rank_key(birth_dates: Mapping[int, date | None],
              votes: Mapping[int, int]) -> Callable[[int], tuple[int, bool, date, int]]:
    def key(cid: int) -> tuple[int, bool, date, int]:
        born = birth_dates[cid]
        return (-votes.get(cid, 0), born is None, born or date.max, cid)

    return key


def decide_unit(totals: UnitTotals, *, kind: ContestKind | str, seats: int,
                candidates: Mapping[int, date | None], revote: bool = False,
                additional: bool = False) -> UnitResult:
    """Winners, re-vote and additional election for one unit.

    ``candidates`` maps every candidate of the unit to their date of birth (None when unknown: a tie that
    needs it is then left to the committee). ``revote``: this is already the bầu cử lại, whose result counts
    whatever the turnout. ``additional``: this is already the bầu cử thêm, which is never repeated.
    """
    kind = ContestKind(kind)
    if seats < 1:
        raise ValueError("a unit has at least one seat")
    unknown = set(totals.votes) - set(candidates)
    if unknown:
        raise ValueError(f"votes for candidates outside the unit: {sorted(unknown)}")
    if any(v < 0 for v in totals.votes.values()):
        raise ValueError("negative votes")
    G = totals.valid
    order = sorted(candidates, key=_rank_key(candidates, totals.votes))
    ranking = [RankedCandidate(cid, totals.votes.get(cid, 0), elected(totals.votes.get(cid, 0), G))
               for cid in order]
    turnout_met = turnout_valid(totals.voters_voted, totals.voters_on_list)
    valid_election = turnout_met or revote
    winners: list[int] = []
    undecided: list[int] = []
    seats_undecided = 0
    if valid_election:
        winners, undecided, seats_undecided = _pick(ranking, seats, candidates)
    filled = len(winners) + seats_undecided  # the committee fills the undecided seats from passers
    if kind is ContestKind.NATIONAL_ASSEMBLY:
        short = filled < seats
    else:
        short = 3 * filled < 2 * seats
    return UnitResult(
        valid_election=valid_election, needs_revote=not valid_election, winners=winners, undecided=undecided,
        seats_undecided=seats_undecided, ranking=ranking, seats=seats, turnout_met=turnout_met,
        needs_additional_election=valid_election and short and not additional,
    )


def _pick(ranking: list[RankedCandidate], seats: int,
          birth_dates: Mapping[int, date | None]) -> tuple[list[int], list[int], int]:
    """The top ``seats`` of those above half; a tie at the last seat goes to the older; a tie in both is
    returned as undecided with the number of seats it holds."""
    passers = [r for r in ranking if r.passed_threshold]
    if len(passers) <= seats:
        return [r.candidate_id for r in passers], [], 0
    cut = passers[seats - 1].votes
    above = [r.candidate_id for r in passers if r.votes > cut]
    tied = [r.candidate_id for r in passers if r.votes == cut]
    left = seats - len(above)
    if len(tied) <= left:
        return above + tied, [], 0
    if any(birth_dates[cid] is None for cid in tied):
        return above, tied, left
    tied.sort(key=lambda cid: (birth_dates[cid], cid))
    boundary = birth_dates[tied[left - 1]]
    older = [cid for cid in tied if birth_dates[cid] < boundary]  # type: ignore[operator]
    same = [cid for cid in tied if birth_dates[cid] == boundary]
    left -= len(older)
    if len(same) <= left:
        return above + older + same, [], 0
    return above + older, same, left


_HUNDREDTH = Decimal("0.01")


def percent(part: int, whole: int) -> Decimal | None:
    """part/whole in per cent, 2 decimals, half up (22,566 % -> 22,57 %; NEC 2026 Q&A, Câu 177), for display only;
    None if whole = 0. A part that shares its whole with others goes through ``percent_parts`` instead."""
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def percent_parts(parts: Sequence[int], whole: int) -> list[Decimal | None]:
    """The parts of one whole in per cent, each rounded half up to 2 decimals and then adjusted so that they add to
    exactly 100.00 % (Câu 177): valid + invalid ballots of the ballots received.

    When half-up rounding leaves the sum d hundredths above (below) 100, the d parts that rounding moved up (down)
    the most give back (receive) one hundredth; on equal moves the later part is adjusted, so the caller lists the
    part whose printed figure matters most first (valid before invalid). Each result stays within 0.01 of the exact
    share. Parts that do not make up the whole (a candidate's votes of the valid ballots: a ballot may carry several
    names) are not shares of one whole: each is rounded on its own, as ``percent`` does."""
    if whole == 0:
        return [None] * len(parts)
    rounded = [percent(part, whole) for part in parts]
    if sum(parts) != whole:
        return rounded
    # In hundredths of a per cent, exactly: what rounding added to each part (negative: took away).
    moved = [Fraction(int(r * 100)) - Fraction(10000 * part, whole) for r, part in zip(rounded, parts, strict=True)]
    excess = int(sum(r * 100 for r in rounded)) - 10000  # type: ignore[operator]
    if excess:
        step = 1 if excess > 0 else -1
        order = sorted(range(len(parts)), key=lambda i: (moved[i] * step, i), reverse=True)
        for i in order[:abs(excess)]:
            rounded[i] -= step * _HUNDREDTH  # type: ignore[operator]
    return rounded


def valid_invalid_percent(valid: int, invalid: int, received: int) -> tuple[Decimal | None, Decimal | None]:
    """Valid and invalid ballots in per cent of the ballots received, adding to 100.00 % when they make it up."""
    valid_pct, invalid_pct = percent_parts((valid, invalid), received)
    return valid_pct, invalid_pct


def percent_json(value: Decimal | None) -> str | None:
    """A percentage as the API writes it: "50.13", or null when there is nothing to divide by."""
    return None if value is None else f"{value:.2f}"


def format_decimal_percent(value: Decimal | None, *, locale: str = "vi") -> str:
    """"50,10%" in Vietnamese, "50.10%" in English, "—" when there is nothing to divide by."""
    if value is None:
        return "—"
    text = f"{value:.2f}%"
    return text.replace(".", ",") if locale.startswith("vi") else text


def format_percent(part: int, whole: int, *, locale: str = "vi") -> str:
    """``percent`` as text (see ``format_decimal_percent``)."""
    return format_decimal_percent(percent(part, whole), locale=locale)


def format_valid_invalid(valid: int, invalid: int, received: int, *, locale: str = "vi") -> tuple[str, str]:
    """``valid_invalid_percent`` as text: the two figures a page or form prints beside the ballots."""
    valid_pct, invalid_pct = valid_invalid_percent(valid, invalid, received)
    return format_decimal_percent(valid_pct, locale=locale), format_decimal_percent(invalid_pct, locale=locale)
