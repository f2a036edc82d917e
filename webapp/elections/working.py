"""Which election a database session works in: the real one, or a drill (diễn tập) made from it.

A drill shares the polling areas, communes, teams and accounts of the real election (those rows carry no election)
and has its own contests, units, candidates, links, voter counts, report times and everything written during it.
Code written for a single election reads "the area's links", "the area's minutes", "the report times" without
naming an election; so once a session is bound to an election, every ORM SELECT of a per-election model is
narrowed to that election here (SQLAlchemy's ``with_loader_criteria`` recipe for multi-tenancy), and the real
election's pages never show a drill's rows nor the drill's pages the real ones.

A session that was never bound works in the real election (the latest not made from another), found by a subquery
inside each narrowed statement.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from webapp.elections.models import Contest, ElectoralUnit, PollingAreaUnit, ReportTime, VoterCount
from webapp.lru import LRU

ELECTION = "election_id"  # session.info: the id of the election the session works in
CONTESTS = "election_contests"  # session.info: that election's contest ids
UNBOUND = "all_elections"  # session.info: sees every election (a drill's copy, reset and delete; bind(None))


def bind(session: Session, election_id: int | None) -> None:
    """Work in ``election_id`` from now on; None: see every election's rows (maintenance, tests)."""
    session.info.pop(CONTESTS, None)
    if election_id is None:
        session.info.pop(ELECTION, None)
        session.info[UNBOUND] = True
        return
    session.info[UNBOUND] = False
    session.info[ELECTION] = election_id
    with unbound(session):
        session.info[CONTESTS] = tuple(session.scalars(
            sa.select(Contest.id).where(Contest.election_id == election_id).order_by(Contest.id)))


def bound_to(session: Session) -> int | None:
    return session.info.get(ELECTION)


class unbound:  # noqa: N801 - used as a statement: ``with unbound(session):``
    """Within the block, the session sees the rows of every election."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        self.previous = self.session.info.get(UNBOUND, False)
        self.session.info[UNBOUND] = True
        return self.session

    def __exit__(self, *_exc: Any) -> None:
        self.session.info[UNBOUND] = self.previous


class within:  # noqa: N801 - used as a statement: ``with within(session, election_id):``
    """Within the block, the session works in ``election_id`` (a follow-up vote's results read from the first
    vote's pages); afterwards, in the election it worked in before."""

    def __init__(self, session: Session, election_id: int) -> None:
        self.session = session
        self.election_id = election_id

    def __enter__(self) -> Session:
        info = self.session.info
        self.previous = {key: info[key] for key in (ELECTION, CONTESTS, UNBOUND) if key in info}
        bind(self.session, self.election_id)
        return self.session

    def __exit__(self, *_exc: Any) -> None:
        for key in (ELECTION, CONTESTS, UNBOUND):
            self.session.info.pop(key, None)
        self.session.info.update(self.previous)


def real_election_id() -> Any:
    """The real election as a subquery (the latest by polling day that was not made from another)."""
    from webapp.elections.models import Election

    return (sa.select(Election.id).where(Election.source_election_id.is_(None))
            .order_by(Election.polling_date.desc(), Election.id.desc()).limit(1).scalar_subquery())


def _criteria(election: Any, contests: Any) -> tuple[Any, ...]:
    # Imported here: the report and progress models import the elections package.
    from webapp.counting.models import CountMark
    from webapp.hotline.models import CallLog
    from webapp.progress.models import CountRollup, CountStation, Correction, TurnoutRollup, TurnoutStation
    from webapp.reports.models import CountReport, TurnoutReport
    from webapp.review.models import StationInvolvement

    by_contest = [PollingAreaUnit, ElectoralUnit, VoterCount, CountReport]
    by_election = [Contest, ReportTime, TurnoutReport, TurnoutStation, CountStation, TurnoutRollup, CountRollup,
                   Correction, CallLog, CountMark]
    out = [with_loader_criteria(model, model.contest_id.in_(contests), include_aliases=True)
           for model in by_contest]
    out += [with_loader_criteria(model, model.election_id == election, include_aliases=True)
            for model in by_election]
    # Four-eyes notes: a version's writer in this election; a code reset in every election (election NULL).
    out.append(with_loader_criteria(StationInvolvement, sa.or_(StationInvolvement.election_id == election,
                                                               StationInvolvement.election_id.is_(None)),
                                    include_aliases=True))
    return tuple(out)


@functools.cache
def _real_election_criteria() -> tuple[Any, ...]:
    # Not bound: the real election, found inside each statement (no statement of its own, and always the current
    # answer, whatever other processes created meanwhile). The same expressions for every statement: built once.
    real = real_election_id()
    return _criteria(real, sa.select(Contest.id).where(Contest.election_id == real))


# Built once per election bound (a drill's pages, the refresher): building the 13 criteria cost more CPU than the
# rest of a narrowed SELECT. They are SQL expressions only (the election's id and contest ids), never rows.
_bound_criteria: LRU[tuple[int, tuple[int, ...]], tuple[Any, ...]] = LRU(64)


def _election_criteria(election_id: int, contests: tuple[int, ...]) -> tuple[Any, ...]:
    key = (election_id, contests)
    criteria = _bound_criteria.get(key)
    if criteria is None:
        criteria = _criteria(election_id, contests)
        _bound_criteria.put(key, criteria)
    return criteria


@event.listens_for(Session, "do_orm_execute")
def _narrow(state: ORMExecuteState) -> None:
    info = state.session.info
    if info.get(UNBOUND) or not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    election_id = info.get(ELECTION)
    if election_id is not None:
        criteria = _election_criteria(election_id, info.get(CONTESTS, ()))
    else:
        criteria = _real_election_criteria()
    state.statement = state.statement.options(*criteria)


@event.listens_for(Session, "before_flush")
def _stamp_calls(session: Session, _context: Any, _instances: Any) -> None:
    """A hotline call belongs to the election the session works in (the real one when unbound)."""
    from webapp.hotline.models import CallLog

    calls = [obj for obj in session.new if isinstance(obj, CallLog) and obj.election_id is None]
    if not calls:
        return
    election_id = info_election = session.info.get(ELECTION)
    if info_election is None:
        from webapp.elections.models import Election

        election_id = session.scalar(sa.select(Election.id).where(Election.source_election_id.is_(None))
                                     .order_by(Election.polling_date.desc(), Election.id.desc()).limit(1))
    for call in calls:
        call.election_id = election_id
