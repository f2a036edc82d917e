"""Count progress (tiến độ kiểm phiếu): each station's state per contest, and "x / N tổ hoàn thành" per Ban
(electoral unit), commune and province at any moment of the night.

A station's state for a contest at a moment is, from the most advanced down: confirmed, returned, sent (its count
minutes, webapp.reports: never stored twice), else its latest mark by then (counting, counted, signed, irregular),
else not started. A team has finished (hoàn thành) a ballot once it counted it (counted, signed, sent, returned or confirmed), and
finished in a commune's or a province's count once it finished every ballot it counts.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.audit.services import Actor, acting
from webapp.clock import VN_TZ
from webapp.counting.models import CountMark, Mark
from webapp.elections import services as elections
from webapp.elections.models import Contest, ElectoralUnit, PollingArea, PollingAreaUnit
from webapp.geo.models import Commune, Province
from webapp.reports import common
from webapp.reports.models import CountReport, ReportStatus

NOT_STARTED = "not_started"
SENT, RETURNED, CONFIRMED = "sent", "returned", "confirmed"
#: The ladder, in order; irregular stands apart (the box is resealed and waits for the Ban).
LADDER = (NOT_STARTED, Mark.COUNTING.value, Mark.COUNTED.value, Mark.SIGNED.value, SENT, CONFIRMED)
FINISHED = {Mark.COUNTED.value, Mark.SIGNED.value, SENT, RETURNED, CONFIRMED}
#: The default times of the night at which committees look (voters-and-drills.md §4: suggested, unverified).
DEFAULT_TIMES = (time(20), time(21), time(22), time(23), time(23, 59), time(1), time(2), time(3), time(4), time(5),
                 time(6), time(7))


class MarkRefused(ValueError):
    """``code``: before_close (no count before the polls close) | not_a_contest."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def mark(session: Session, *, actor: Actor, area_id: int, contest_id: int, state: Mark, client_uuid: uuid.UUID,
         now: datetime) -> CountMark:
    """The leader (or the hotline, by phone: ``actor``'s channel PHONE) marks the station's count for a contest,
    audited as ``actor``'s; sending the same client id again returns the first mark. OutOfScope/NotAllowed as every
    submission; MarkRefused before the close."""
    area = common.area_for_submit(session, actor.user, area_id, actor.channel)
    if (found := common.find_by_uuid(session, CountMark, client_uuid)) is not None:
        return found
    election = elections.current_election(session)
    if not any(link.contest_id == contest_id for link in common.area_contests(session, area)):
        raise MarkRefused("not_a_contest")
    if now < common.station_day(election, area).voting_closes:
        raise MarkRefused("before_close")
    row = CountMark(election_id=election.id, polling_area_id=area.id, province_id=area.province_id,
                    commune_id=area.commune_id, contest_id=contest_id, mark=state, client_uuid=client_uuid,
                    channel=actor.channel, marked_by_id=actor.user.id, marked_at=now)
    with acting(session, actor):
        return common.insert_once(session, CountMark, client_uuid, lambda: _added(session, row),
                                  lambda winner: winner.polling_area_id == area.id).report


def _added(session: Session, row: CountMark) -> CountMark:
    session.add(row)
    return row


def states(session: Session, area_ids: sa.Select, at: datetime) -> dict[tuple[int, int], str]:
    """{(area id, contest id): state at ``at``} for the areas of ``area_ids`` (already scoped)."""
    out: dict[tuple[int, int], str] = {}
    ranked = (sa.select(CountMark.polling_area_id, CountMark.contest_id, CountMark.mark, sa.func.row_number().over(
        partition_by=(CountMark.polling_area_id, CountMark.contest_id),
        order_by=(CountMark.marked_at.desc(), CountMark.id.desc())).label("rank"))
        .where(CountMark.polling_area_id.in_(area_ids), CountMark.marked_at <= at).subquery())
    for area_id, contest_id, state, _rank in session.execute(sa.select(ranked).where(ranked.c.rank == 1)):
        out[(area_id, contest_id)] = Mark(state).value
    # The minutes' own states: the first version sent by then; confirmed when the latest was confirmed by then.
    sent = session.execute(
        sa.select(CountReport.polling_area_id, CountReport.contest_id, sa.func.min(CountReport.submitted_at))
        .where(CountReport.polling_area_id.in_(area_ids), CountReport.submitted_at <= at)
        .group_by(CountReport.polling_area_id, CountReport.contest_id))
    for area_id, contest_id, _first in sent:
        out[(area_id, contest_id)] = SENT
    latest = session.execute(
        sa.select(CountReport.polling_area_id, CountReport.contest_id, CountReport.status, CountReport.reviewed_at,
                  CountReport.submitted_at)
        .where(CountReport.polling_area_id.in_(area_ids), CountReport.is_latest, CountReport.submitted_at <= at))
    for area_id, contest_id, status, reviewed_at, _at in latest:
        if status is not ReportStatus.RECEIVED and reviewed_at is not None and reviewed_at <= at:
            out[(area_id, contest_id)] = CONFIRMED if status is ReportStatus.CONFIRMED else RETURNED
    return out


@dataclasses.dataclass
class Tally:
    """The teams of one place (of a Ban: for its ballot): how many, how many finished, and the ballots still being
    counted; ``by_state`` counts ballots."""

    name: str
    code: str = ""  # the Ban's unit code or the commune's code (the API names them by it)
    expected: int = 0
    finished: int = 0
    by_state: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))
    still: list[tuple[PollingArea, Contest, str]] = dataclasses.field(default_factory=list)

    @property
    def irregular(self) -> int:
        return self.by_state.get(Mark.IRREGULAR.value, 0)


@dataclasses.dataclass(frozen=True)
class Progress:
    province: Province
    commune: Commune | None
    at: datetime
    times: list[datetime]  # the moments of the night a committee may look at (up to now)
    total: Tally
    communes: list[Tally]
    units: list[tuple[ElectoralUnit, Tally]]


def _count(tally: Tally, ballots: list[tuple[PollingArea, Contest, str]]) -> None:
    """One team into the tally: finished when each of ``ballots`` is; else listed with what is left."""
    tally.expected += 1
    left = [b for b in ballots if b[2] not in FINISHED]
    for _area, _contest, state in ballots:
        tally.by_state[state] += 1
    if left:
        tally.still.extend(left)
    else:
        tally.finished += 1


def night_times(polls_close: datetime, now: datetime, times: tuple[time, ...] = DEFAULT_TIMES) -> list[datetime]:
    """The set times of the night from the polls' close up to ``now`` (after midnight: the next day)."""
    day = polls_close.date()
    out = []
    for t in times:
        moment = datetime.combine(day, t, tzinfo=VN_TZ)
        if moment < polls_close:
            moment += timedelta(days=1)
        if moment <= now:
            out.append(moment)
    return sorted(out)


def progress(session: Session, user: User, *, at: datetime, now: datetime, province_id: int | None = None,
             commune_id: int | None = None, times: tuple[time, ...] = DEFAULT_TIMES) -> Progress:
    """A commune's or a province's count progress at ``at`` (OutOfScope when the place is not the user's)."""
    province, commune, place = scope.commune_or_province(session, user, province_id=province_id,
                                                         commune_id=commune_id)
    areas = sa.select(PollingArea.id).where(place, scope.visible(PollingArea, user))
    election = elections.current_election(session)
    found = states(session, areas, at)
    rows = session.execute(
        sa.select(PollingArea, Contest, ElectoralUnit).select_from(PollingAreaUnit)
        .join(PollingArea, PollingArea.id == PollingAreaUnit.polling_area_id)
        .join(Contest, Contest.id == PollingAreaUnit.contest_id)
        .join(ElectoralUnit, ElectoralUnit.id == PollingAreaUnit.unit_id)
        .where(PollingArea.id.in_(areas), Contest.election_id == election.id)
        .order_by(PollingArea.commune_id, PollingArea.number, Contest.id)).all()
    total = Tally((commune or province).name)
    by_commune: dict[int, Tally] = {}
    by_unit: dict[int, tuple[ElectoralUnit, Tally]] = {}
    by_area: dict[int, list[tuple[PollingArea, Contest, str]]] = {}
    for area, contest, unit in rows:
        state = found.get((area.id, contest.id), NOT_STARTED)
        by_area.setdefault(area.id, []).append((area, contest, state))
        _count(by_unit.setdefault(unit.id, (unit, Tally(unit.name, unit.code)))[1], [(area, contest, state)])
    # A commune's or a province's teams: a team has finished once every ballot it counts has.
    for ballots in by_area.values():
        area = ballots[0][0]
        for tally in (total, by_commune.setdefault(area.commune_id, Tally(area.commune.name, area.commune.code))):
            _count(tally, ballots)
    close = datetime.combine(election.polling_date, election.standard_close, tzinfo=VN_TZ)
    units = sorted(by_unit.values(), key=lambda pair: (pair[0].contest_id, pair[0].number))
    return Progress(province, commune, at, night_times(close, now, times), total,
                    [by_commune[k] for k in sorted(by_commune)], units)
