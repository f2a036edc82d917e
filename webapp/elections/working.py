"""Which election a database session works in: the real one, or a drill (diễn tập) made from it.

A drill shares the polling areas, communes, teams and accounts of the real election (those rows carry no election)
and has its own contests, units, candidates, links, voter counts, report times and everything written during it.
Code written for a single election reads "the area's links", "the area's minutes", "the report times" without
naming an election; so once a session is bound to an election, every ORM SELECT of a per-election model is
narrowed to that election here (SQLAlchemy's ``with_loader_criteria`` recipe for multi-tenancy), and the real
election's pages never show a drill's rows nor the drill's pages the real ones.

A session that was never bound works in the real election as soon as a drill exists (its first query finds out);
with no drill at all nothing is narrowed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from webapp.elections.models import Contest, ElectoralUnit, PollingAreaUnit, ReportTime, VoterCount

ELECTION = "election_id"  # session.info: the id of the election the session works in
CONTESTS = "election_contests"  # session.info: that election's contest ids
UNBOUND = "all_elections"  # session.info: a drill's own maintenance (copy, reset, delete) sees every election
CHECKED = "election_checked"  # session.info: bound, or found with no drill to keep apart


def bind(session: Session, election_id: int | None) -> None:
    """Work in ``election_id`` from now on (None: unbound, every election's rows)."""
    session.info.pop(CONTESTS, None)
    session.info[CHECKED] = True
    if election_id is None:
        session.info.pop(ELECTION, None)
        return
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


def _criteria(election_id: int, contests: tuple[int, ...]) -> list[Any]:
    # Imported here: the report and progress models import the elections package.
    from webapp.hotline.models import CallLog
    from webapp.progress.models import CountRollup, CountStation, Correction, TurnoutRollup, TurnoutStation
    from webapp.reports.models import CountReport, TurnoutReport

    by_contest = [PollingAreaUnit, ElectoralUnit, VoterCount, CountReport]
    by_election = [Contest, ReportTime, TurnoutReport, TurnoutStation, CountStation, TurnoutRollup, CountRollup,
                   Correction, CallLog]
    out = [with_loader_criteria(model, model.contest_id.in_(contests), include_aliases=True)
           for model in by_contest]
    out += [with_loader_criteria(model, model.election_id == election_id, include_aliases=True)
            for model in by_election]
    return out


def _bind_by_default(session: Session) -> None:
    """A session nobody bound (a background job, a command, a service called directly) works in the real
    election as soon as a drill exists; with no drill there is nothing to keep apart and it stays unbound."""
    from webapp.elections.models import Election

    session.info[CHECKED] = True
    with unbound(session):
        if session.scalar(sa.select(Election.id).where(Election.source_election_id.is_not(None)).limit(1)) is None:
            return
        real = session.scalar(sa.select(Election.id).where(Election.source_election_id.is_(None))
                              .order_by(Election.polling_date.desc(), Election.id.desc()).limit(1))
    if real is not None:
        bind(session, real)


@event.listens_for(Session, "do_orm_execute")
def _narrow(state: ORMExecuteState) -> None:
    info = state.session.info
    if info.get(UNBOUND) or not state.is_select:
        return
    if not info.get(CHECKED):
        _bind_by_default(state.session)
    election_id = info.get(ELECTION)
    if election_id is None:
        return
    if state.is_column_load or state.is_relationship_load:
        return
    state.statement = state.statement.options(*_criteria(election_id, info.get(CONTESTS, ())))


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
