"""What the count submission reads before it writes, in one Core statement on the session's connection: the
configuration token, the latest minutes of every contest of the area, any minutes under the client id, the last
turnout figure, and the votes of the version being replaced.

The submission is the hot path of election night (benchmarks/submit_count.py): the station's configuration comes
from the per-process cache (webapp.reports.station), everything else the checks need is read here, and the new
version is written by ``webapp.reports.versions``.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from typing import Any

import sqlalchemy as sa

from webapp.elections.models import Contest, VoterCount, VoterCountSource
from webapp.reports import station
from webapp.reports.models import CountReport, CountVote, TurnoutFigure, TurnoutReport
from webapp.reports.versions import COUNT_FIELDS


@functools.cache
def last_turnout_statement() -> sa.Select[tuple[int]]:
    """The contest's figure in the area's latest turnout report (the latest report time) of the contest's own
    election, or no row. The area is shared with every drill made from its election: the election is named here,
    since a Core statement on the connection is not narrowed by ``webapp.elections.working``."""
    contest = sa.bindparam("contest_id")
    return (
        sa.select(TurnoutFigure.voters_voted).select_from(TurnoutReport)
        .outerjoin(TurnoutFigure, sa.and_(TurnoutFigure.report_id == TurnoutReport.id,
                                          TurnoutFigure.contest_id == contest))
        .where(TurnoutReport.polling_area_id == sa.bindparam("area_id"), TurnoutReport.is_latest,
               TurnoutReport.election_id == sa.select(Contest.election_id).where(Contest.id == contest)
               .scalar_subquery())
        .order_by(TurnoutReport.slot_at.desc()).limit(1)
    )


@functools.cache
def frozen_voters_statement() -> sa.Select[tuple[int]]:
    """The contest's voters on the area's list frozen at the start of voting (webapp.voters), or no row."""
    return (sa.select(VoterCount.total).where(VoterCount.polling_area_id == sa.bindparam("area_id"),
                                              VoterCount.contest_id == sa.bindparam("contest_id"),
                                              VoterCount.source == VoterCountSource.LIST_FROZEN)
            .order_by(VoterCount.as_of.desc(), VoterCount.id.desc()).limit(1))


_REPORTS, _VOTES = CountReport.__table__, CountVote.__table__
_VERSION_COLUMNS = ("id", "polling_area_id", "contest_id", "version", "status", "is_latest", "client_uuid",
                    *COUNT_FIELDS)


@dataclasses.dataclass
class State:
    """What one statement tells about the area before sending (see ``state_statement``)."""

    token: str | None = None
    last_turnout: int | None = None
    frozen_voters: int | None = None
    latest: dict[int, Any] = dataclasses.field(default_factory=dict)  # {contest id: row} of the versions that count
    earlier: Any = None  # the row already stored under this client id, if any
    current_votes: dict[int, int] = dataclasses.field(default_factory=dict)  # of this contest's latest version


@functools.cache
def state_statement() -> sa.Select[Any]:
    """The configuration token, the last turnout figure, the latest minutes of every contest of the area, any
    minutes under the client id, and the votes of this contest's latest version: one row per vote (or per
    version, or a single row when there is none). The area's minutes of every election are read (a drill's
    too): callers look them up by the contest ids of their own election, so none of another's is ever used."""
    area, contest = sa.bindparam("area_id"), sa.bindparam("contest_id")
    wanted = sa.or_(sa.and_(_REPORTS.c.polling_area_id == area, _REPORTS.c.is_latest),
                    _REPORTS.c.client_uuid == sa.bindparam("client_uuid", type_=sa.Uuid))
    votes = sa.and_(_VOTES.c.report_id == _REPORTS.c.id, _REPORTS.c.contest_id == contest,
                    _REPORTS.c.polling_area_id == area, _REPORTS.c.is_latest)
    one_row = sa.select(sa.literal(1).label("one")).subquery()
    return (
        sa.select(station.token_column().label("token"),
                  last_turnout_statement().scalar_subquery().label("last_turnout"),
                  frozen_voters_statement().scalar_subquery().label("frozen_voters"),
                  *(_REPORTS.c[name] for name in _VERSION_COLUMNS), _VOTES.c.candidate_id, _VOTES.c.votes)
        .select_from(one_row.outerjoin(_REPORTS, wanted).outerjoin(_VOTES, votes))
    )


def read_state(conn: sa.Connection, area_id: int, contest_id: int, client_uuid: uuid.UUID) -> State:
    state = State()
    for row in conn.execute(state_statement(),
                            {"area_id": area_id, "contest_id": contest_id, "client_uuid": client_uuid}):
        state.token, state.last_turnout, state.frozen_voters = row.token, row.last_turnout, row.frozen_voters
        if row.id is None:
            continue
        if row.client_uuid == client_uuid:
            state.earlier = row
        if row.polling_area_id == area_id and row.is_latest:
            state.latest[row.contest_id] = row
            if row.candidate_id is not None:
                state.current_votes[row.candidate_id] = row.votes
    return state
