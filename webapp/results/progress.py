"""The turnout progress report of a commune or a province: for each report time of the day, how many stations
reported and how many voters had voted, from the latest version of each station's turnout report."""

from __future__ import annotations

import dataclasses
from datetime import time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.elections import services as elections
from webapp.elections.models import Contest, Election, PollingArea, PollingAreaUnit
from webapp.geo.models import Commune, Province
from webapp.reports.models import ReportStatus, TurnoutFigure, TurnoutReport
from webapp.results.rules import percent


@dataclasses.dataclass(frozen=True)
class ContestTurnout:
    contest: Contest
    stations: int  # stations that reported at this time
    voted: int
    on_list: int  # voters on the lists of those stations

    @property
    def percent(self) -> Decimal | None:
        return percent(self.voted, self.on_list)


@dataclasses.dataclass(frozen=True)
class SlotProgress:
    at: time
    stations: int  # stations with a report at this time
    contests: list[ContestTurnout]


@dataclasses.dataclass(frozen=True)
class TurnoutProgress:
    election: Election
    province: Province
    commune: Commune | None
    expected: int  # the stations of the place that the user sees
    contests: list[Contest]
    on_list: dict[int, int]  # contest id -> voters on the lists of every station
    slots: list[SlotProgress]

    @property
    def name(self) -> str:
        return (self.commune or self.province).name


def turnout_progress(session: Session, user: User, *, province_id: int | None = None,
                     commune_id: int | None = None) -> TurnoutProgress:
    """The progress report of a commune (``commune_id``) or a province (``province_id``), counting the
    stations the user sees; OutOfScope when the place is not the user's."""
    province, commune, place = scope.commune_or_province(session, user, province_id=province_id,
                                                         commune_id=commune_id)
    areas = sa.and_(place, scope.visible(PollingArea, user))
    election = elections.current_election(session)
    expected = session.scalar(sa.select(sa.func.count()).select_from(PollingArea).where(areas)) or 0
    held = sa.select(PollingAreaUnit.contest_id).join(PollingArea).where(areas)
    contests = list(session.scalars(sa.select(Contest).where(Contest.election_id == election.id,
                                                             Contest.id.in_(held)).order_by(Contest.id)))
    voters = elections.latest_voters(areas)
    on_list = {cid: int(n) for cid, n in session.execute(
        sa.select(voters.c.contest_id, sa.func.sum(voters.c.total)).group_by(voters.c.contest_id))}
    figures = session.execute(
        sa.select(TurnoutReport.slot_at, TurnoutFigure.contest_id,
                  sa.func.count(sa.distinct(TurnoutReport.polling_area_id)).label("stations"),
                  sa.func.sum(TurnoutFigure.voters_voted).label("voted"),
                  sa.func.coalesce(sa.func.sum(voters.c.total), 0).label("on_list"))
        .join(TurnoutFigure, TurnoutFigure.report_id == TurnoutReport.id)
        .join(PollingArea, PollingArea.id == TurnoutReport.polling_area_id)
        .outerjoin(voters, sa.and_(voters.c.polling_area_id == TurnoutReport.polling_area_id,
                                   voters.c.contest_id == TurnoutFigure.contest_id))
        .where(TurnoutReport.election_id == election.id, TurnoutReport.is_latest,
               TurnoutReport.status != ReportStatus.RETURNED, areas)
        .group_by(TurnoutReport.slot_at, TurnoutFigure.contest_id)
    ).all()
    reported = dict(session.execute(
        sa.select(TurnoutReport.slot_at, sa.func.count(sa.distinct(TurnoutReport.polling_area_id)))
        .join(PollingArea, PollingArea.id == TurnoutReport.polling_area_id)
        .where(TurnoutReport.election_id == election.id, TurnoutReport.is_latest,
               TurnoutReport.status != ReportStatus.RETURNED, areas)
        .group_by(TurnoutReport.slot_at)
    ).all())
    by_slot: dict[time, dict[int, ContestTurnout]] = {}
    by_id = {c.id: c for c in contests}
    for row in figures:
        if row.contest_id in by_id:
            by_slot.setdefault(row.slot_at, {})[row.contest_id] = ContestTurnout(
                by_id[row.contest_id], int(row.stations), int(row.voted), int(row.on_list))
    times = {rt.at for rt in elections.report_times(session, election, province.id)} | set(by_slot)
    slots = [
        SlotProgress(at, int(reported.get(at, 0)),
                     [by_slot.get(at, {}).get(c.id) or ContestTurnout(c, 0, 0, 0) for c in contests])
        for at in sorted(times)
    ]
    return TurnoutProgress(election=election, province=province, commune=commune, expected=int(expected),
                           contests=contests, on_list=on_list, slots=slots)
