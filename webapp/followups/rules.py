"""The law of additional and repeat elections as plain functions (voters-and-drills.md §6; Luật 2015 sửa đổi 2025,
Điều 79 and 80; NEC 2026 Q&A, Câu 185–187).

- A unit's complete result calls for a repeat election when too few voted (``UnitResult.needs_revote``) and for an
  additional election when too few were elected (``needs_additional_election``).
- The follow-up is held at the latest 7 days after the vote it follows, with that vote's voter list.
- Its candidates: an additional election, those not elected the first time (the seats left to fill); a repeat,
  all of them (all the seats).
- There is no second additional election (the unit stays short of members) and no second repeat (its result stands
  even at half the voters or fewer). Điều 79 calls for an additional election after the first vote only, so a
  repeat election's result never calls for one either; an additional election at half the voters or fewer is
  repeated once, with the additional election's candidates.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, timedelta

from webapp.elections.models import ContestKind
from webapp.results.rules import UnitResult, UnitTotals, decide_unit

MAX_DAYS_AFTER = 7


class FollowUpKind(enum.StrEnum):
    ADDITIONAL = "additional"  # bầu cử thêm
    REPEAT = "repeat"  # bầu cử lại


def called_for(result: UnitResult, *, complete: bool) -> FollowUpKind | None:
    """The follow-up a unit's result calls for, once every station's minutes are confirmed."""
    if not complete:
        return None
    if result.needs_revote:
        return FollowUpKind.REPEAT
    if result.needs_additional_election:
        return FollowUpKind.ADDITIONAL
    return None


def date_refusal(previous_vote: date, proposed: date, today: date) -> str | None:
    """Why ``proposed`` cannot be the follow-up's polling day (None: it can): after the vote it follows and not
    before today, at the latest ``MAX_DAYS_AFTER`` days after that vote."""
    if proposed <= previous_vote:
        return "date_not_after"
    if proposed > previous_vote + timedelta(days=MAX_DAYS_AFTER):
        return "date_too_late"
    if proposed < today:
        return "date_past"
    return None


def standing(kind: FollowUpKind, result: UnitResult) -> list[int]:
    """The candidate ids who stand in the follow-up: for a repeat every candidate of the vote it follows; for an
    additional election those neither elected nor tied for a seat the committee decides."""
    everyone = [r.candidate_id for r in result.ranking]
    if kind is FollowUpKind.REPEAT:
        return sorted(everyone)
    taken = set(result.winners) | set(result.undecided)
    return sorted(cid for cid in everyone if cid not in taken)


def seats_for(kind: FollowUpKind, result: UnitResult) -> int:
    """The seats the follow-up fills: those still empty after an additional election's first vote; all of them for
    a repeat."""
    if kind is FollowUpKind.REPEAT:
        return result.seats
    return result.seats - len(result.winners) - result.seats_undecided


def decide_follow_up(totals: UnitTotals, *, kind: FollowUpKind, contest: ContestKind | str, seats: int,
                     candidates: Mapping[int, date | None]) -> UnitResult:
    """A follow-up's result: a repeat stands whatever the turnout; neither is followed by an additional
    election (the unit stays short of members)."""
    return decide_unit(totals, kind=contest, seats=seats, candidates=candidates,
                       revote=kind is FollowUpKind.REPEAT, additional=True)


def short_of_members(result: UnitResult) -> int:
    """Seats left empty by a result that stands (0 when it does not stand: the unit is not decided yet)."""
    if not result.valid_election:
        return 0
    return max(0, result.seats - len(result.winners) - result.seats_undecided)
