"""Creating a unit's follow-up vote and reading it back (``webapp.followups.models`` explains the model).

Plain functions: the session, the actor and the clock (``now``, UTC) come from the caller, who commits once.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.clock import to_local
from webapp.elections import working
from webapp.elections.models import (
    Candidate,
    Contest,
    ContestKind,
    Election,
    ElectoralUnit,
    PollingAreaUnit,
    ReportTime,
    VoterCount,
)
from webapp.followups.models import FollowUpVote
from webapp.members.services import runs_unit
from webapp.followups.rules import MAX_DAYS_AFTER, FollowUpKind, called_for, date_refusal, seats_for, standing
from webapp.results import services as results


class FollowUpRefused(ValueError):
    """The follow-up cannot be created; ``code`` says why (``webapp.followups.views.REFUSALS``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class NotAllowed(PermissionError):
    """Only the committee of the unit's level (or an administrator) creates its follow-up vote."""


def may_create(user: User, unit: ElectoralUnit) -> bool:
    """The election committee that runs the unit (``webapp.members.services.runs_unit``)."""
    return runs_unit(user, unit)


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a unit's result calls for now: the follow-up's kind, the vote it follows and its result."""

    kind: FollowUpKind | None
    follows: FollowUpVote | None  # None: the first vote
    vote_date: date  # the polling day of the vote it follows
    outcome: results.UnitOutcome  # that vote's result (in its own election)

    @property
    def latest_date(self) -> date:
        return self.vote_date + timedelta(days=MAX_DAYS_AFTER)


def follow_ups(session: Session, unit_id: int) -> list[FollowUpVote]:
    """The unit's follow-up votes, oldest first (the caller has checked the unit is in scope)."""
    return list(session.scalars(sa.select(FollowUpVote).where(FollowUpVote.unit_id == unit_id)
                                .order_by(FollowUpVote.id)))


def own_result(session: Session, user: User, follow_up: FollowUpVote, *,
               confirmed_only: bool = True) -> results.UnitOutcome:
    """The follow-up's own result, read in its election whatever election the session works in."""
    with working.within(session, follow_up.election_id):
        return results.unit_result(session, user, follow_up.own_unit_id, confirmed_only=confirmed_only)


def plan(session: Session, user: User, unit: ElectoralUnit) -> Plan:
    """What the unit's latest vote calls for (the first vote's unit, in the real election)."""
    previous = follow_ups(session, unit.id)
    last = previous[-1] if previous else None
    if last is None:
        outcome = results.unit_result(session, user, unit.id)
        vote_date = unit.contest.election.polling_date
    else:
        outcome = own_result(session, user, last)
        vote_date = last.election.polling_date
    kind = called_for(outcome.official.result, complete=outcome.complete)
    if kind is not None and any(f.kind is kind for f in previous):
        kind = None  # no second additional election, no second repeat
    if session.scalar(sa.select(FollowUpVote.id).where(FollowUpVote.own_unit_id == unit.id)) is not None:
        kind = None  # a follow-up's own unit: what it calls for is created from the first vote's unit
    return Plan(kind=kind, follows=last, vote_date=vote_date, outcome=outcome)


def create_follow_up(session: Session, *, actor: User, now: datetime, unit_id: int, kind: FollowUpKind | str,
                     polling_date: date) -> FollowUpVote:
    """The follow-up vote the unit's result calls for, on ``polling_date``, with every station of the unit voting
    again, the first vote's voter counts and the candidates who stand again. OutOfScope for a unit the actor does
    not see; NotAllowed for another committee's unit; FollowUpRefused when the result does not call for it or the
    date is wrong. Flushes; the caller commits."""
    unit = scope.get(session, ElectoralUnit, unit_id, actor)
    if not may_create(actor, unit):
        raise NotAllowed
    kind = FollowUpKind(kind)
    found = plan(session, actor, unit)
    if found.kind is None:
        raise FollowUpRefused("not_called_for")
    if found.kind is not kind:
        raise FollowUpRefused(f"calls_for_{found.kind.value}")
    if (refusal := date_refusal(found.vote_date, polling_date, to_local(now).date())) is not None:
        raise FollowUpRefused(refusal)
    result = found.outcome.official.result
    source_unit = found.outcome.unit  # the first vote's unit, or the additional election's copy
    first = unit.contest.election
    standing_ids = set(standing(kind, result))
    with working.unbound(session):
        election = Election(
            code=f"{'BCT' if kind is FollowUpKind.ADDITIONAL else 'BCL'}-{unit.id}"[:20],
            name=f"{'Bầu cử thêm' if kind is FollowUpKind.ADDITIONAL else 'Bầu cử lại'}: {unit.name}"[:300],
            polling_date=polling_date, standard_open=first.standard_open, standard_close=first.standard_close,
            earliest_open=first.earliest_open, latest_close=first.latest_close, is_drill=False,
            source_election_id=first.id, drill_province_id=unit.province_id, created_by_id=actor.id)
        session.add(election)
        session.flush()
        for rt in session.scalars(sa.select(ReportTime).where(ReportTime.election_id == first.id,
                                                             sa.or_(ReportTime.province_id.is_(None),
                                                                    ReportTime.province_id == unit.province_id))):
            session.add(ReportTime(election_id=election.id, province_id=rt.province_id, at=rt.at,
                                   grace_minutes=rt.grace_minutes))
        contest = Contest(election_id=election.id, kind=unit.contest.kind, name=unit.contest.name)
        session.add(contest)
        session.flush()
        own = ElectoralUnit(contest_id=contest.id, province_id=unit.province_id, commune_id=unit.commune_id,
                            code=unit.code, number=unit.number, name=unit.name, seats=seats_for(kind, result))
        session.add(own)
        session.flush()
        order = 0
        for c in source_unit.candidates:  # in ballot order
            if c.id in standing_ids:
                order += 1
                session.add(Candidate(unit_id=own.id, full_name=c.full_name, name_folded=c.name_folded,
                                      birth_date=c.birth_date, gender=c.gender, ballot_order=order))
        links = list(session.scalars(sa.select(PollingAreaUnit).where(PollingAreaUnit.unit_id == source_unit.id)))
        for link in links:
            session.add(PollingAreaUnit(polling_area_id=link.polling_area_id, contest_id=contest.id, unit_id=own.id))
        areas = [link.polling_area_id for link in links]
        for vc in session.scalars(sa.select(VoterCount).where(VoterCount.contest_id == source_unit.contest_id,
                                                             VoterCount.polling_area_id.in_(areas))):
            session.add(VoterCount(polling_area_id=vc.polling_area_id, contest_id=contest.id, total=vc.total,
                                   male=vc.male, female=vc.female, as_of=vc.as_of, source=vc.source,
                                   recorded_at=vc.recorded_at, recorded_by_id=vc.recorded_by_id))
        follow_up = FollowUpVote(election_id=election.id, unit_id=unit.id, own_unit_id=own.id, kind=kind,
                                 follows_id=found.follows.id if found.follows else None, created_by_id=actor.id,
                                 created_at=now)
        session.add(follow_up)
        session.flush()
    audit.record_event(session, action="create", entity_type="follow_up_vote", entity_id=str(follow_up.id),
                       place=(unit.province_id, unit.commune_id, None),
                       after={"unit": unit.code, "kind": kind.value, "polling_date": polling_date.isoformat(),
                              "election": election.code, "seats": own.seats, "candidates": len(standing_ids),
                              "stations": len(areas)})
    return follow_up


def pending(session: Session, province_id: int, kind: ContestKind) -> list[FollowUpVote]:
    """The province's follow-up votes of a contest whose own minutes are not all confirmed yet (Mẫu 20/HĐBC-QH
    waits for them)."""
    from webapp.reports.models import CountReport, ReportStatus

    with working.unbound(session):
        rows = list(session.scalars(
            sa.select(FollowUpVote).join(ElectoralUnit, ElectoralUnit.id == FollowUpVote.unit_id)
            .join(Contest, Contest.id == ElectoralUnit.contest_id)
            .where(ElectoralUnit.province_id == province_id, Contest.kind == kind)))
        out = []
        for f in rows:
            expected = session.scalar(sa.select(sa.func.count()).select_from(PollingAreaUnit)
                                      .where(PollingAreaUnit.unit_id == f.own_unit_id)) or 0
            confirmed = session.scalar(sa.select(sa.func.count()).select_from(CountReport).where(
                CountReport.unit_id == f.own_unit_id, CountReport.is_latest,
                CountReport.status == ReportStatus.CONFIRMED)) or 0
            if expected == 0 or confirmed < expected:
                out.append(f)
    return out
