"""Reading the election's configuration, always within the reader's scope."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import User
from webapp.elections import working
from webapp.elections.models import (
    Contest,
    ContestKind,
    Election,
    ElectoralUnit,
    PollingArea,
    PollingAreaUnit,
    ReportTime,
    VoterCount,
)
from webapp.textnorm import fold


class NoElection(LookupError):
    pass


DEFAULT_NAME = "Bầu cử đại biểu Quốc hội khóa XVI và đại biểu Hội đồng nhân dân các cấp nhiệm kỳ 2026–2031"
CONTEST_NAMES = {
    ContestKind.NATIONAL_ASSEMBLY: "Bầu cử đại biểu Quốc hội khóa XVI",
    ContestKind.PROVINCIAL_COUNCIL: "Bầu cử đại biểu Hội đồng nhân dân tỉnh, thành phố",
    ContestKind.COMMUNE_COUNCIL: "Bầu cử đại biểu Hội đồng nhân dân xã, phường, đặc khu",
}
# The national default turnout report times; each province may set its own at /settings/report-times.
DEFAULT_REPORT_TIMES = (time(9), time(11), time(14), time(17), time(19))


@dataclasses.dataclass(frozen=True)
class Hours:
    """Voting runs 07:00–19:00; a team may open earlier, never before 05:00, or close later, never after 21:00."""

    standard_open: time = time(7)
    standard_close: time = time(19)
    earliest_open: time = time(5)
    latest_close: time = time(21)

    @property
    def valid(self) -> bool:
        return self.earliest_open <= self.standard_open < self.standard_close <= self.latest_close


class InvalidHours(ValueError):
    pass


def create_election(
    session: Session,
    *,
    code: str,
    polling_date: date,
    name: str = DEFAULT_NAME,
    hours: Hours = Hours(),
    report_times: Sequence[time] = DEFAULT_REPORT_TIMES,
    drill: bool = False,
) -> Election:
    """A polling day with its three contests and the national default report times (the caller checked that
    ``code`` is free)."""
    if not hours.valid:
        raise InvalidHours(hours)
    election = Election(
        code=code, name=name, polling_date=polling_date, standard_open=hours.standard_open,
        standard_close=hours.standard_close, earliest_open=hours.earliest_open, latest_close=hours.latest_close,
        is_drill=drill,
    )
    session.add(election)
    for kind in ContestKind:
        session.add(Contest(election=election, kind=kind, name=CONTEST_NAMES[kind]))
    for at in sorted(set(report_times)):
        session.add(ReportTime(election=election, province_id=None, at=at))
    session.flush()
    return election


def find_election(session: Session, code: str) -> Election | None:
    return session.scalars(sa.select(Election).where(Election.code == code)).first()


def current_election(session: Session) -> Election:
    """The election the session works in (``working.bind``: a drill, or the real one), else the election being
    run: the latest real one by polling date (a drill made from it is a separate election, webapp.drills)."""
    if (bound := working.bound_to(session)) is not None and (election := session.get(Election, bound)):
        return election
    election = real_election(session)
    if election is None:
        raise NoElection
    return election


def real_election(session: Session) -> Election | None:
    """The latest election that is not a drill made from another (a database holding only a drill made by
    ``create-election --drill`` or ``gen-national --drill`` runs that one)."""
    return session.scalars(sa.select(Election).where(Election.source_election_id.is_(None))
                           .order_by(Election.polling_date.desc(), Election.id.desc())).first()


def report_times(session: Session, election: Election, province_id: int | None) -> list[ReportTime]:
    """The province's own turnout report times if it set any, else the national default."""
    rows = session.scalars(
        sa.select(ReportTime)
        .where(ReportTime.election_id == election.id, ReportTime.province_id == province_id)
        .order_by(ReportTime.at)
    ).all()
    if rows or province_id is None:
        return list(rows)
    return report_times(session, election, None)


def latest_voter_counts(session: Session, area_ids: Iterable[int]) -> dict[tuple[int, int], VoterCount]:
    """The newest voter count of each (polling area, contest)."""
    ids = list(area_ids)
    if not ids:
        return {}
    newest = (
        sa.select(VoterCount.id, sa.func.row_number().over(
            partition_by=(VoterCount.polling_area_id, VoterCount.contest_id),
            order_by=(VoterCount.as_of.desc(), VoterCount.id.desc()),
        ).label("rank"))
        .where(VoterCount.polling_area_id.in_(ids))
        .subquery()
    )
    rows = session.scalars(
        sa.select(VoterCount).join(newest, newest.c.id == VoterCount.id).where(newest.c.rank == 1)
    ).all()
    return {(r.polling_area_id, r.contest_id): r for r in rows}


@dataclasses.dataclass
class StationContest:
    contest: Contest
    unit: ElectoralUnit
    voters: VoterCount | None


@dataclasses.dataclass
class StationOverview:
    area: PollingArea
    contests: list[StationContest]
    report_times: list[ReportTime]
    election: Election


def station_overview(session: Session, user: User, area_id: int) -> StationOverview:
    """Everything a polling team needs to know about its station: contests, units, candidates, times."""
    area = scope.get(session, PollingArea, area_id, user)
    links = session.scalars(
        sa.select(PollingAreaUnit)
        .where(PollingAreaUnit.polling_area_id == area.id)
        .options(selectinload(PollingAreaUnit.unit).selectinload(ElectoralUnit.candidates),
                 selectinload(PollingAreaUnit.contest))
    ).all()
    links = sorted(links, key=lambda link: list(type(link.contest.kind)).index(link.contest.kind))
    counts = latest_voter_counts(session, [area.id])
    election = current_election(session)
    return StationOverview(
        area=area,
        contests=[StationContest(link.contest, link.unit, counts.get((area.id, link.contest_id))) for link in links],
        report_times=report_times(session, election, area.province_id),
        election=election,
    )


def search_areas(session: Session, user: User, query: str = "", limit: int = 50) -> list[PollingArea]:
    """Polling areas in scope whose code or name matches, diacritics ignored."""
    stmt = scope.select(PollingArea, user).order_by(PollingArea.commune_id, PollingArea.number).limit(limit)
    folded = fold(query)
    if folded:
        like = f"%{folded}%"
        stmt = stmt.where(sa.or_(PollingArea.name_folded.like(like), PollingArea.code.like(like)))
    return list(session.scalars(stmt.options(selectinload(PollingArea.commune))))


def is_within_hours(election: Election, at: time) -> bool:
    return election.earliest_open <= at <= election.latest_close


def latest_voters(area_filter: sa.ColumnElement[bool]) -> sa.Subquery:
    """The latest voter count (polling_area_id, contest_id, total) of each area matching ``area_filter`` and
    contest: the progress rollups and the turnout progress report read the same figure."""
    ranked = (
        sa.select(VoterCount.polling_area_id, VoterCount.contest_id, VoterCount.total, sa.func.row_number().over(
            partition_by=(VoterCount.polling_area_id, VoterCount.contest_id),
            order_by=(VoterCount.as_of.desc(), VoterCount.id.desc())).label("rank"))
        .where(VoterCount.polling_area_id.in_(sa.select(PollingArea.id).where(area_filter)))
        .subquery()
    )
    return sa.select(ranked).where(ranked.c.rank == 1).subquery()
