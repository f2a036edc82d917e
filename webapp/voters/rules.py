"""The rules of a voter list (Luật 85/2015 as amended by 83/2025; voters-and-drills.md §1, domain.md "Who votes on
which ballot"): pure functions of the row and the election's day, checked on import and on every change.

Each broken rule is a ``Violation``: a message id (English, translated by the caller) and its parameters.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from webapp.elections.models import ContestKind, PollingAreaKind
from webapp.voters.models import VoterChangeCause, VoterNote


def N_(message: str) -> str:
    return message


VOTING_AGE = 18
# A temporary resident of at least this many months votes for the commune council as well (Điều 29 khoản 3).
TEMPORARY_MONTHS = 12
# Most changes close this long before voting starts; removals and certificate additions close when it starts.
CHANGES_CLOSE_BEFORE = timedelta(hours=24)

#: Notes that restrict a voter to the National Assembly and the province council.
DETAINED = frozenset({VoterNote.DETAINED_TEMPORARY, VoterNote.DETAINED_CUSTODY, VoterNote.MEASURE})
#: Causes that remove a row (an annotation that takes it out of the totals), allowed until voting starts.
REMOVALS = frozenset({VoterChangeCause.MOVED_AWAY, VoterChangeCause.CERTIFICATE_GIVEN, VoterChangeCause.DETAINED,
                      VoterChangeCause.RIGHTS_LOST, VoterChangeCause.DEATH, VoterChangeCause.UNREACHABLE})
#: Additions that stay open until voting starts (Câu 95): a voter with a certificate to vote here.
LATE_ADDITIONS = frozenset({VoterChangeCause.CERTIFICATE_RECEIVED})


@dataclasses.dataclass(frozen=True)
class Violation:
    field: str
    message_id: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Ballots:
    """The three ballot columns of a row: National Assembly, province council, commune council."""

    na: bool = True
    province: bool = True
    commune: bool = True

    def within(self, allowed: Ballots) -> bool:
        return (self.na <= allowed.na) and (self.province <= allowed.province) and (self.commune <= allowed.commune)

    def of(self, kind: ContestKind) -> bool:
        return {ContestKind.NATIONAL_ASSEMBLY: self.na, ContestKind.PROVINCIAL_COUNCIL: self.province,
                ContestKind.COMMUNE_COUNCIL: self.commune}[kind]


ALL = Ballots()
HIGHER_ONLY = Ballots(commune=False)


def age_on(birth: date, day: date) -> int:
    """Whole years of age on ``day``. Someone born on 29 February comes of age on 1 March in a common year."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def months_between(start: date, day: date) -> int:
    """Whole months from ``start`` to ``day`` (12 months from 15/3/2025 is reached on 15/3/2026)."""
    return (day.year - start.year) * 12 + day.month - start.month - (day.day < start.day)


def check_age(birth: date, polling_date: date) -> Violation | None:
    if birth > polling_date:
        return Violation("birth_date", N_("The date of birth is after polling day."))
    if age_on(birth, polling_date) < VOTING_AGE:
        return Violation("birth_date", N_("Under 18 on polling day (born %(birth)s): not a voter."),
                         {"birth": birth.strftime("%d/%m/%Y")})
    return None


def allowed_ballots(*, polling_date: date, area_kind: PollingAreaKind, note_code: VoterNote | None,
                    temporary_since: date | None, by_certificate: bool) -> Ballots:
    """The ballots the law lets this voter vote on at this polling area.

    - a temporary resident for less than 12 months on polling day (and a free migrant, listed as one), a voter
      added by a certificate to vote elsewhere (Mẫu 11/12), a detainee or a person under a measure in a facility,
      and a soldier voting at the garrison: the National Assembly and the province council only;
    - everyone else: the three ballots."""
    if by_certificate or note_code in DETAINED or area_kind in (PollingAreaKind.ARMED_FORCES,
                                                                 PollingAreaKind.DETENTION):
        return HIGHER_ONLY
    if temporary_since is not None and months_between(temporary_since, polling_date) < TEMPORARY_MONTHS:
        return HIGHER_ONLY
    if note_code is VoterNote.TEMPORARY_RESIDENT and temporary_since is None:
        return HIGHER_ONLY  # a temporary resident whose start is unknown is not shown to have 12 months
    return ALL


def check_ballots(ballots: Ballots, allowed: Ballots) -> Violation | None:
    if not (ballots.na or ballots.province or ballots.commune):
        return Violation("votes_na", N_("The voter is ticked for no ballot."))
    if not ballots.within(allowed):
        return Violation("votes_commune", N_(
            "This voter may vote for the National Assembly and the province council only (a temporary resident "
            "of under 12 months, a certificate to vote here, a detainee or a soldier): untick the commune "
            "council."))
    return None


def check_id_number(value: str) -> Violation | None:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return Violation("id_number", N_("The personal ID number must be 12 digits."))
    return None


class ChangeWindow:
    """When a change may be recorded, from the moment voting starts (``opens_at``)."""

    def __init__(self, voting_starts: datetime) -> None:
        self.voting_starts = voting_starts
        self.most_close = voting_starts - CHANGES_CLOSE_BEFORE

    def check(self, cause: VoterChangeCause, now: datetime, *, removal: bool) -> Violation | None:
        """Most changes close 24 hours before voting starts; removals and additions by certificate until voting
        starts; nothing after."""
        if now >= self.voting_starts:
            return Violation("cause", N_("Voting has started: the list can no longer be changed."))
        if now >= self.most_close and not (removal or cause in LATE_ADDITIONS):
            return Violation("cause", N_(
                "Changes of this kind closed 24 hours before voting starts; only removals and voters with a "
                "certificate to vote here can still be recorded."))
        return None


def next_stt(existing_max: int | None) -> int:
    """An addition goes at the end of the list: STT, the card number, is never reused or shifted."""
    return (existing_max or 0) + 1
