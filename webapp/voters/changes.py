"""Changes (biến động) of the voter lists until the deadlines, and the freeze at the start of voting: each change
has its cause, the document it rests on, who and when, is checked against the rules again and audited; STT never
changes (additions go at the end, a removal is an annotation). A certificate to vote elsewhere (Mẫu 11/HĐBC)
annotates the home row and adds the voter at the destination. Plain functions of the session, the actor and the
clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.audit.services import Actor
from webapp.clock import VN_TZ
from webapp.elections.models import Contest, Election, Gender, PollingArea, PollingAreaUnit, VoterCount, VoterCountSource
from webapp.textnorm import fold, nfc
from webapp.voters import rules
from webapp.voters.figures import frozen_at, totals, voting_starts
from webapp.voters.models import VoterChange, VoterChangeCause, VoterListEntry, VoterListFreeze, VoterNote
from webapp.voters.rules import N_, Ballots, Violation
from webapp.voters.services import NotAllowed, acting, may_write


class ChangeRejected(Exception):
    def __init__(self, violations: Sequence[Violation]) -> None:
        super().__init__("; ".join(v.message_id for v in violations))
        self.violations = list(violations)


ADDITIONS = frozenset({VoterChangeCause.MOVED_IN, VoterChangeCause.TEMPORARY_RESIDENCE, VoterChangeCause.RELEASED,
                       VoterChangeCause.RIGHTS_RESTORED, VoterChangeCause.CERTIFICATE_RECEIVED})


@dataclasses.dataclass
class NewVoter:
    """The fields of a voter added to a list."""

    full_name: str
    birth_date: date
    gender: Gender
    id_number: str
    ethnicity: str = ""
    permanent_address: str = ""
    temporary_address: str = ""
    current_address: str = ""
    temporary_since: date | None = None
    note_code: VoterNote | None = None
    note: str = ""
    ballots: Ballots | None = None  # None: every ballot the law allows


def _row_values(entry: VoterListEntry) -> dict[str, Any]:
    return audit.snapshot(entry)


def check_voter(session: Session, *, election: Election, area: PollingArea, voter: NewVoter, ballots: Ballots,
                by_certificate: bool, exclude_entry_id: int | None = None) -> list[Violation]:
    """The rules of one row: age on polling day, the ID number well formed and listed once in the country, the
    ballots within what the law allows."""
    found = [v for v in (
        rules.check_age(voter.birth_date, election.polling_date),
        rules.check_id_number(voter.id_number),
        rules.check_ballots(ballots, rules.allowed_ballots(
            polling_date=election.polling_date, area_kind=area.kind, note_code=voter.note_code,
            temporary_since=voter.temporary_since, by_certificate=by_certificate)),
    ) if v]
    if not voter.full_name.strip():
        found.append(Violation("full_name", N_("Enter the full name.")))
    if not found:
        where = [VoterListEntry.election_id == election.id, VoterListEntry.id_number == voter.id_number,
                 VoterListEntry.removed_at.is_(None)]
        if exclude_entry_id is not None:
            where.append(VoterListEntry.id != exclude_entry_id)
        other = session.scalars(sa.select(VoterListEntry).where(*where)).first()
        if other is not None:
            found.append(listed_twice(other.polling_area))
    return found


def listed_twice(area: PollingArea) -> Violation:
    return Violation("id_number", N_("This ID number is already on the list of %(area)s: a voter is listed once "
                                     "in the whole country."), {"area": f"{area.code} — {area.name}"})


def _window(session: Session, election: Election, area: PollingArea, cause: VoterChangeCause, now: datetime,
            removal: bool) -> None:
    if frozen_at(session, election.id, area.id) is not None:
        raise ChangeRejected([Violation("cause", N_("This list is frozen: voting has started."))])
    if (v := rules.ChangeWindow(voting_starts(election, area)).check(cause, now, removal=removal)) is not None:
        raise ChangeRejected([v])


def _change(session: Session, actor: Actor, now: datetime, election: Election, entry: VoterListEntry,
            cause: VoterChangeCause, document: str, effective_at: datetime | None, before: dict[str, Any] | None,
            certificate_number: str | None) -> VoterChange:
    session.flush()
    change = VoterChange(election_id=election.id, polling_area_id=entry.polling_area_id, entry_id=entry.id,
                         cause=cause, document=nfc(document)[:300], effective_at=effective_at or now, recorded_at=now,
                         recorded_by_id=actor.user.id, channel=str(actor.channel.value),
                         before=before, after=_row_values(entry), certificate_number=certificate_number)
    session.add(change)
    session.flush()
    return change


def _require_document(document: str) -> None:
    if not nfc(document or ""):
        raise ChangeRejected([Violation("document", N_("Name the document the change rests on."))])


def _remove_voter(session: Session, actor: Actor, now: datetime, election: Election, entry_id: Any,
                 cause: VoterChangeCause, document: str, *, effective_at: datetime | None = None,
                 certificate_number: str | None = None) -> VoterChange:
    """A removal: an annotation that takes the row out of the totals; its STT stays."""
    if not may_write(actor.user):
        raise NotAllowed
    entry = scope.get(session, VoterListEntry, entry_id, actor.user)
    if cause not in rules.REMOVALS:
        raise ChangeRejected([Violation("cause", N_("Choose a cause that removes a voter."))])
    if entry.election_id != election.id:
        raise scope.OutOfScope("VoterListEntry")
    _window(session, election, entry.polling_area, cause, now, removal=True)
    _require_document(document)
    if entry.removed_at is not None:
        raise ChangeRejected([Violation("cause", N_("This voter was already removed from the list."))])
    before = _row_values(entry)
    entry.removed_at = now
    entry.removal_cause = cause
    if cause is VoterChangeCause.CERTIFICATE_GIVEN:
        entry.note_code = VoterNote.VOTES_ELSEWHERE
        entry.note = "Bỏ phiếu ở nơi khác"
    return _change(session, actor, now, election, entry, cause, document, effective_at, before, certificate_number)


def _add_voter(session: Session, actor: Actor, now: datetime, election: Election, area_id: Any,
              cause: VoterChangeCause, document: str, voter: NewVoter, *, effective_at: datetime | None = None,
              certificate_number: str | None = None, origin: VoterListEntry | None = None) -> VoterChange:
    """An addition at the end of the area's list (the next STT), after every rule has passed."""
    if not may_write(actor.user):
        raise NotAllowed
    area = scope.get(session, PollingArea, area_id, actor.user) if origin is None else \
        session.get(PollingArea, int(area_id))
    if area is None:
        raise scope.OutOfScope("PollingArea")
    if cause not in ADDITIONS:
        raise ChangeRejected([Violation("cause", N_("Choose a cause that adds a voter."))])
    _window(session, election, area, cause, now, removal=False)
    _require_document(document)
    by_certificate = cause is VoterChangeCause.CERTIFICATE_RECEIVED
    allowed = rules.allowed_ballots(polling_date=election.polling_date, area_kind=area.kind,
                                    note_code=voter.note_code, temporary_since=voter.temporary_since,
                                    by_certificate=by_certificate)
    ballots = voter.ballots or allowed
    violations = check_voter(session, election=election, area=area, voter=voter, ballots=ballots,
                             by_certificate=by_certificate)
    if violations:
        raise ChangeRejected(violations)
    last = session.scalar(sa.select(sa.func.max(VoterListEntry.stt)).where(
        VoterListEntry.election_id == election.id, VoterListEntry.polling_area_id == area.id))
    entry = VoterListEntry(
        election_id=election.id, polling_area_id=area.id, polling_area=area, stt=rules.next_stt(last),
        full_name=nfc(voter.full_name)[:200], name_folded=fold(voter.full_name)[:200], birth_date=voter.birth_date,
        gender=voter.gender, id_number=voter.id_number, ethnicity=nfc(voter.ethnicity)[:50],
        permanent_address=nfc(voter.permanent_address)[:300], temporary_address=nfc(voter.temporary_address)[:300],
        current_address=nfc(voter.current_address)[:300], temporary_since=voter.temporary_since,
        votes_na=ballots.na, votes_province=ballots.province, votes_commune=ballots.commune,
        household_key=None, household_order=0, note_code=voter.note_code, note=nfc(voter.note)[:500],
        added_after_posting=True, created_at=now, origin_entry_id=origin.id if origin is not None else None)
    session.add(entry)
    return _change(session, actor, now, election, entry, cause, document, effective_at, None, certificate_number)


def _correct_voter(session: Session, actor: Actor, now: datetime, election: Election, entry_id: Any,
                   document: str, voter: NewVoter) -> VoterChange:
    """A correction of a row's details (a misspelt name, a wrong date): the rules again, the STT kept; closes with
    the other changes 24 hours before voting starts."""
    if not may_write(actor.user):
        raise NotAllowed
    entry = scope.get(session, VoterListEntry, entry_id, actor.user)
    if entry.election_id != election.id:
        raise scope.OutOfScope("VoterListEntry")
    _window(session, election, entry.polling_area, VoterChangeCause.CORRECTION, now, removal=False)
    _require_document(document)
    if entry.removed_at is not None:
        raise ChangeRejected([Violation("cause", N_("This voter was already removed from the list."))])
    by_certificate = entry.origin_entry_id is not None
    allowed = rules.allowed_ballots(polling_date=election.polling_date, area_kind=entry.polling_area.kind,
                                    note_code=voter.note_code, temporary_since=voter.temporary_since,
                                    by_certificate=by_certificate)
    ballots = voter.ballots or allowed
    violations = check_voter(session, election=election, area=entry.polling_area, voter=voter, ballots=ballots,
                             by_certificate=by_certificate, exclude_entry_id=entry.id)
    if violations:
        raise ChangeRejected(violations)
    before = _row_values(entry)
    for key, value in (("full_name", nfc(voter.full_name)[:200]), ("name_folded", fold(voter.full_name)[:200]),
                       ("birth_date", voter.birth_date), ("gender", voter.gender), ("id_number", voter.id_number),
                       ("ethnicity", nfc(voter.ethnicity)[:50]),
                       ("permanent_address", nfc(voter.permanent_address)[:300]),
                       ("temporary_address", nfc(voter.temporary_address)[:300]),
                       ("current_address", nfc(voter.current_address)[:300]),
                       ("temporary_since", voter.temporary_since), ("note_code", voter.note_code),
                       ("note", nfc(voter.note)[:500]), ("votes_na", ballots.na),
                       ("votes_province", ballots.province), ("votes_commune", ballots.commune)):
        setattr(entry, key, value)
    return _change(session, actor, now, election, entry, VoterChangeCause.CORRECTION, document, None, before, None)


def _give_certificate(session: Session, actor: Actor, now: datetime, election: Election, entry_id: Any,
                     destination_area_id: Any, document: str, certificate_number: str) -> tuple[VoterChange, VoterChange]:
    """A certificate to vote elsewhere (Mẫu 11/HĐBC): the home row is annotated "Bỏ phiếu ở nơi khác" and leaves
    the totals; the voter is added at the end of the destination's list for the National Assembly and the province
    council. The destination may lie outside the issuing commune (the voter chooses where to vote)."""
    if not (certificate_number or "").strip():
        raise ChangeRejected([Violation("certificate_number", N_("Enter the certificate's number."))])
    home = scope.get(session, VoterListEntry, entry_id, actor.user)
    destination = session.get(PollingArea, _int_or_none(destination_area_id) or 0)
    if destination is None:
        raise ChangeRejected([Violation("destination", N_("Choose the polling area where the voter will vote."))])
    if destination.id == home.polling_area_id:
        raise ChangeRejected([Violation("destination", N_("The voter already votes at this polling area."))])
    number = certificate_number.strip()[:50]
    given = _remove_voter(session, actor, now, election, home.id, VoterChangeCause.CERTIFICATE_GIVEN, document,
                         certificate_number=number)
    voter = NewVoter(full_name=home.full_name, birth_date=home.birth_date, gender=home.gender,
                     id_number=home.id_number, ethnicity=home.ethnicity, permanent_address=home.permanent_address,
                     temporary_address=home.temporary_address, current_address=home.current_address,
                     note="Có giấy chứng nhận bỏ phiếu ở nơi khác số " + number)
    received = _add_voter(session, actor, now, election, destination.id, VoterChangeCause.CERTIFICATE_RECEIVED,
                         document, voter, certificate_number=number, origin=home)
    return given, received


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclasses.dataclass
class FreezeResult:
    frozen: list[int]
    already: list[int]
    without_list: list[int]


def _freeze(session: Session, actor: Actor | None, now: datetime, election: Election,
           area_ids: Iterable[int]) -> FreezeResult:
    """Freezes the lists of these areas at ``now`` (the start of voting): each area's totals per contest become a
    VoterCount LIST_FROZEN row (the figure the count minutes start from and turnout divides by). Areas frozen before
    and areas without a list are left as they are (the latter keep their typed counts)."""
    ids = sorted(set(area_ids))
    done = set(session.scalars(sa.select(VoterListFreeze.polling_area_id).where(
        VoterListFreeze.election_id == election.id, VoterListFreeze.polling_area_id.in_(ids))))
    t = totals(session, election.id, [i for i in ids if i not in done])
    contests = {c.kind: c for c in session.scalars(sa.select(Contest).where(Contest.election_id == election.id))}
    links = session.execute(sa.select(PollingAreaUnit.polling_area_id, PollingAreaUnit.contest_id).where(
        PollingAreaUnit.polling_area_id.in_(list(t)), PollingAreaUnit.contest_id.in_([c.id for c in contests.values()])
    )).all()
    contests_of: dict[int, set[int]] = {}
    for area_id, contest_id in links:
        contests_of.setdefault(area_id, set()).add(contest_id)
    user_id = actor.user.id if actor is not None else None
    for area_id, per_contest in sorted(t.items()):
        for kind, figures in per_contest.items():
            contest = contests.get(kind)
            if contest is None or contest.id not in contests_of.get(area_id, set()):
                continue
            session.add(VoterCount(polling_area_id=area_id, contest_id=contest.id, total=figures.total,
                                   male=figures.male, female=figures.female, as_of=now,
                                   source=VoterCountSource.LIST_FROZEN, recorded_at=now, recorded_by_id=user_id))
        session.add(VoterListFreeze(election_id=election.id, polling_area_id=area_id, frozen_at=now,
                                    frozen_by_id=user_id))
    session.flush()
    return FreezeResult(sorted(t), sorted(done), [i for i in ids if i not in done and i not in t])


def freezable_areas(session: Session, user: User, commune_id: int | None = None) -> list[int]:
    stmt = sa.select(PollingArea.id).where(scope.visible(PollingArea, user))
    if commune_id is not None:
        stmt = stmt.where(PollingArea.commune_id == commune_id)
    return list(session.scalars(stmt))


def freeze_due(session: Session, now: datetime, election: Election) -> FreezeResult:
    """Freezes every list whose voting has started and that is not frozen yet (``flask voters freeze``, and the
    jobs worker every minute as the polls open). Outside polling day (and the early-voting days) it reads nothing
    but the areas' early-voting dates."""
    earliest = session.scalar(sa.select(sa.func.min(PollingArea.early_voting_date)))
    first = voting_starts(election) if earliest is None or earliest >= election.polling_date else \
        datetime.combine(earliest, election.standard_open or time(7), tzinfo=VN_TZ)
    if now < first:
        return FreezeResult([], [], [])
    has_list = sa.exists().where(VoterListEntry.election_id == election.id,
                                 VoterListEntry.polling_area_id == PollingArea.id)
    frozen = sa.exists().where(VoterListFreeze.election_id == election.id,
                               VoterListFreeze.polling_area_id == PollingArea.id)
    areas = session.scalars(sa.select(PollingArea).where(has_list, ~frozen)).all()
    due = [a.id for a in areas if voting_starts(election, a) <= now]
    return freeze(session, None, now, election, due) if due else FreezeResult([], [], [])



def remove_voter(session: Session, actor: Actor, *args: Any, **kwargs: Any) -> VoterChange:
    with acting(session, actor):
        return _remove_voter(session, actor, *args, **kwargs)


def add_voter(session: Session, actor: Actor, *args: Any, **kwargs: Any) -> VoterChange:
    with acting(session, actor):
        return _add_voter(session, actor, *args, **kwargs)


def give_certificate(session: Session, actor: Actor, *args: Any, **kwargs: Any) -> tuple[VoterChange, VoterChange]:
    with acting(session, actor):
        return _give_certificate(session, actor, *args, **kwargs)


def freeze(session: Session, actor: Actor | None, *args: Any, **kwargs: Any) -> FreezeResult:
    with acting(session, actor):
        return _freeze(session, actor, *args, **kwargs)


def correct_voter(session: Session, actor: Actor, *args: Any, **kwargs: Any) -> VoterChange:
    with acting(session, actor):
        return _correct_voter(session, actor, *args, **kwargs)
