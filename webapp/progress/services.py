"""Reading progress at one level: the nation (sum of its provinces' rollups), a province (its communes'
rollups) or a commune (its stations). Every figure carries the number of stations it covers; provisional and
confirmed figures stay apart; "overdue" is computed from counts (expected − reported past the deadline), never
by listing stations above the commune level. The size of what is read does not grow with the country."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.clock import VN_TZ
from webapp.elections import services as elections
from webapp.elections.models import Contest, Election, PollingArea, PollingAreaUnit, ReportTime
from webapp.geo.models import Commune, Province
from webapp.progress.models import (
    CountRollup,
    CountStation,
    Level,
    PlaceVersion,
    RefreshState,
    TurnoutRollup,
    TurnoutStation,
)
from webapp.elections.services import latest_voters
from webapp.reports.models import ReportStatus
from webapp.results.rules import percent

_TURNOUT = ("expected", "on_list", "reported", "reported_late", "returned", "confirmed", "voted", "voted_on_list",
            "confirmed_voted", "confirmed_on_list")
_COUNT = ("expected", "received", "returned", "confirmed", "voted", "voted_on_list", "confirmed_voted",
          "confirmed_on_list")


class _Percents:
    """Turnout as display percentages: provisional (received and confirmed) and confirmed only."""

    voted: int
    voted_on_list: int
    confirmed_voted: int
    confirmed_on_list: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.voted, self.voted_on_list)

    @property
    def confirmed_percent(self) -> Decimal | None:
        return percent(self.confirmed_voted, self.confirmed_on_list)


@dataclasses.dataclass
class SlotFigures(_Percents):
    """One report time of one contest at one place."""

    at: time
    expected: int = 0
    on_list: int = 0
    reported: int = 0  # not counting returned reports
    reported_late: int = 0
    returned: int = 0
    confirmed: int = 0
    voted: int = 0  # provisional: received and confirmed reports
    voted_on_list: int = 0
    confirmed_voted: int = 0
    confirmed_on_list: int = 0
    overdue: int = 0  # expected stations without a valid report after the deadline
    due_at: datetime | None = None  # the latest deadline among the rows summed

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.reported)


@dataclasses.dataclass
class CountFigures(_Percents):
    """The count minutes of one contest at one place."""

    expected: int = 0
    received: int = 0
    returned: int = 0
    confirmed: int = 0
    voted: int = 0
    voted_on_list: int = 0
    confirmed_voted: int = 0
    confirmed_on_list: int = 0

    def add(self, row: Any) -> None:
        for name in _COUNT:
            setattr(self, name, getattr(self, name) + getattr(row, name))

    @property
    def sent(self) -> int:
        return self.received + self.confirmed

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.sent)


@dataclasses.dataclass
class Figures:
    """Everything about one place: {contest id: {report time: SlotFigures}} and {contest id: CountFigures}."""

    slots: dict[int, dict[time, SlotFigures]] = dataclasses.field(default_factory=lambda: defaultdict(dict))
    counts: dict[int, CountFigures] = dataclasses.field(default_factory=lambda: defaultdict(CountFigures))

    def slot(self, contest_id: int, at: time) -> SlotFigures | None:
        return self.slots.get(contest_id, {}).get(at)

    def series(self, contest_id: int) -> list[SlotFigures]:
        return [self.slots[contest_id][at] for at in sorted(self.slots.get(contest_id, {}))]


@dataclasses.dataclass
class StationSlot:
    """One station's report for one report time and contest (None fields: not reported)."""

    status: ReportStatus | None
    voted: int | None
    late: bool
    overdue: bool  # no valid report and the deadline has passed


@dataclasses.dataclass
class Child:
    """A row of the table under the place: a province, a commune or a station."""

    id: int
    code: str
    name: str
    figures: Figures | None = None  # provinces and communes
    on_list: dict[int, int] = dataclasses.field(default_factory=dict)  # stations: contest id -> voters
    turnout: dict[tuple[int, time], StationSlot] = dataclasses.field(default_factory=dict)  # stations
    counts: dict[int, ReportStatus] = dataclasses.field(default_factory=dict)  # stations: contest -> status
    contests: frozenset[int] = frozenset()  # stations: the contests it votes in


@dataclasses.dataclass
class PlaceProgress:
    level: str  # nation | province | commune
    election: Election
    province: Province | None
    commune: Commune | None
    state: RefreshState | None
    now: datetime
    contests: list[Contest]
    figures: Figures
    children: list[Child]
    version: int = 0  # the snapshot version at which this place last changed (PlaceVersion): its pages' version
    as_of: datetime | None = None  # when it did (None: not summarised yet)

    @property
    def name(self) -> str:
        place = self.commune or self.province
        return place.name if place else ""

    @property
    def times(self) -> list[time]:
        return sorted({at for by_time in self.figures.slots.values() for at in by_time})

    def current_time(self) -> time | None:
        """The latest report time already reached today, else the first one."""
        times = self.times
        local = self.now.astimezone(VN_TZ)
        reached = [at for at in times if local.date() > self.election.polling_date
                   or (local.date() == self.election.polling_date and at <= local.time())]
        return reached[-1] if reached else (times[0] if times else None)


_C_COLS = (CountRollup.place_id, CountRollup.contest_id, *(getattr(CountRollup, name) for name in _COUNT))


def _slot(row: Any, overdue: int) -> SlotFigures:
    return SlotFigures(row.slot_at, *(getattr(row, name) for name in _TURNOUT), overdue=overdue, due_at=row.due_at)


def _turnout_sums(now: datetime) -> list[Any]:
    """A report time's figures summed over its rows (one per polling day: early voting), overdue counted per row
    whose deadline has passed."""
    t = TurnoutRollup
    return [sa.func.max(t.due_at).label("due_at"), *(sa.func.sum(getattr(t, name)).label(name) for name in _TURNOUT),
            sa.func.sum(sa.case((t.due_at < now, t.expected - t.reported), else_=0)).label("overdue")]


def _counts_into(rows: Iterable[Any], figures_of: Any) -> None:
    for row in rows:
        figures_of(row).counts[row.contest_id].add(row)


def _where(model: Any, user: User, election: Election, level: Level, place: Any, contest_id: int | None) -> list:
    where = [model.election_id == election.id, model.level == level, scope.visible(model, user), place(model)]
    if contest_id is not None:
        where.append(model.contest_id == contest_id)
    return where


def _totals(session: Session, user: User, election: Election, level: Level, place: Any, now: datetime) -> Figures:
    """The place's own figures, summed in SQL (the nation: over its provinces' rows)."""
    t, c = TurnoutRollup, CountRollup
    figures = Figures()
    rows = session.execute(sa.select(t.contest_id, t.slot_at, *_turnout_sums(now))
                           .where(*_where(t, user, election, level, place, None)).group_by(t.contest_id, t.slot_at))
    for row in rows:
        figures.slots[row.contest_id][row.slot_at] = _slot(row, int(row.overdue))
    counts = session.execute(
        sa.select(c.contest_id, *(sa.func.sum(getattr(c, name)).label(name) for name in _COUNT))
        .where(*_where(c, user, election, level, place, None)).group_by(c.contest_id))
    _counts_into(counts, lambda _row: figures)
    return figures


def _children_figures(session: Session, user: User, election: Election, level: Level, place: Any,
                      now: datetime, contest_id: int | None) -> dict[int, Figures]:
    t = TurnoutRollup
    by_child: dict[int, Figures] = defaultdict(Figures)
    # Summed over the polling days in SQL: a province has a row per early-voting day (15 days nationally), and
    # adding them up in Python was the nation page's largest cost (issue 14 §2).
    for row in session.execute(sa.select(t.place_id, t.contest_id, t.slot_at, *_turnout_sums(now))
                               .where(*_where(t, user, election, level, place, contest_id))
                               .group_by(t.place_id, t.contest_id, t.slot_at)):
        by_child[row.place_id].slots[row.contest_id][row.slot_at] = _slot(row, int(row.overdue))
    _counts_into(session.execute(sa.select(*_C_COLS).where(
        *_where(CountRollup, user, election, level, place, contest_id))), lambda r: by_child[r.place_id])
    return by_child


def current_election(session: Session) -> Election:
    """The election being run, looked up once per session (a request's session is short-lived)."""
    if "progress_election" not in session.info:
        session.info["progress_election"] = elections.current_election(session)
    return session.info["progress_election"]


def reached_time(session: Session, now: datetime) -> time | None:
    """The latest report time of the day (any province's) already reached: the page highlights it."""
    if "progress_times" not in session.info:
        election = current_election(session)
        session.info["progress_times"] = sorted(set(session.scalars(
            sa.select(ReportTime.at).where(ReportTime.election_id == election.id))))
    election = current_election(session)
    local = now.astimezone(VN_TZ)
    if local.date() < election.polling_date:
        return None
    reached = [at for at in session.info["progress_times"]
               if local.date() > election.polling_date or at <= local.time()]
    return reached[-1] if reached else None


def contests_of(session: Session) -> list[Contest]:
    if "progress_contests" not in session.info:
        election = current_election(session)
        session.info["progress_contests"] = list(session.scalars(
            sa.select(Contest).where(Contest.election_id == election.id).order_by(Contest.id)))
    return session.info["progress_contests"]


def _progress(session: Session, now: datetime, level: str, province: Province | None, commune: Commune | None,
              figures: Figures, children: list[Child]) -> PlaceProgress:
    election = current_election(session)
    state = session.get(RefreshState, election.id)
    place = (commune or province).id if (commune or province) is not None else 0
    changed = session.get(PlaceVersion, (election.id, level, place)) if state and state.version else None
    return PlaceProgress(level=level, election=election, province=province, commune=commune, state=state, now=now,
                         contests=contests_of(session), figures=figures, children=children,
                         version=changed.version if changed else 0, as_of=changed.changed_at if changed else None)


def nation_place(user: User) -> None:
    """Only national users see the nation (else OutOfScope)."""
    if scope.Scope.of(user).level is not scope.Level.NATION:
        raise scope.OutOfScope("nation")


def province_place(session: Session, user: User, province_id: int) -> Province:
    """The province, for national users and its own (commune officials see their commune only)."""
    if scope.Scope.of(user).level > scope.Level.PROVINCE:
        raise scope.OutOfScope("province")
    return scope.get(session, Province, province_id, user)


def commune_place(session: Session, user: User, commune_id: int) -> Commune:
    if scope.Scope.of(user).level > scope.Level.COMMUNE:
        raise scope.OutOfScope("commune")
    return scope.get(session, Commune, commune_id, user)


def nation_progress(session: Session, user: User, now: datetime, contest_id: int | None = None) -> PlaceProgress:
    """The whole country: the sum of the 34 provinces' rollups (national users only, else OutOfScope).
    ``contest_id`` limits the provinces' rows to one contest (the page shows one at a time)."""
    nation_place(user)
    election = current_election(session)
    anywhere = lambda _m: sa.true()
    by_child = _children_figures(session, user, election, Level.PROVINCE, anywhere, now, contest_id)
    provinces = session.execute(sa.select(Province.id, Province.code, Province.name).where(
        scope.visible(Province, user), Province.id.in_(by_child)).order_by(Province.code))
    children = [Child(p.id, p.code, p.name, figures=by_child[p.id]) for p in provinces]
    figures = _totals(session, user, election, Level.PROVINCE, anywhere, now)
    return _progress(session, now, "nation", None, None, figures, children)


def province_progress(session: Session, user: User, province_id: int, now: datetime,
                      contest_id: int | None = None) -> PlaceProgress:
    """A province: its own rollups, and its communes' (OutOfScope outside the user's place)."""
    province = province_place(session, user, province_id)
    election = current_election(session)
    figures = _totals(session, user, election, Level.PROVINCE, lambda m: m.place_id == province.id, now)
    by_child = _children_figures(session, user, election, Level.COMMUNE, lambda m: m.province_id == province.id,
                                 now, contest_id)
    communes = session.execute(sa.select(Commune.id, Commune.code, Commune.name).where(
        scope.visible(Commune, user), Commune.province_id == province.id, Commune.id.in_(by_child))
        .order_by(Commune.code))
    children = [Child(c.id, c.code, c.name, figures=by_child[c.id]) for c in communes]
    return _progress(session, now, "province", province, None, figures, children)


def _stations(session: Session, user: User, election: Election, commune: Commune,
              contest_id: int | None) -> dict[int, Child]:
    areas = session.execute(sa.select(PollingArea.id, PollingArea.code, PollingArea.name).where(
        scope.visible(PollingArea, user), PollingArea.commune_id == commune.id).order_by(PollingArea.number))
    children = {a.id: Child(a.id, a.code, a.name) for a in areas}
    held: dict[int, set[int]] = defaultdict(set)
    for area_id, cid in session.execute(sa.select(PollingAreaUnit.polling_area_id, PollingAreaUnit.contest_id)
                                        .join(PollingArea).where(PollingArea.commune_id == commune.id)):
        held[area_id].add(cid)
    voters = latest_voters(PollingArea.commune_id == commune.id)
    for row in session.execute(sa.select(voters.c.polling_area_id, voters.c.contest_id, voters.c.total)):
        if (child := children.get(row.polling_area_id)) is not None:
            child.on_list[row.contest_id] = row.total
    for area_id, child in children.items():
        child.contests = frozenset(held[area_id])
    s = TurnoutStation
    where = [s.election_id == election.id, s.commune_id == commune.id, scope.visible(s, user)]
    if contest_id is not None:
        where.append(s.contest_id == contest_id)
    for row in session.execute(sa.select(s.polling_area_id, s.contest_id, s.slot_at, s.status, s.voted, s.late)
                               .where(*where)):
        if (child := children.get(row.polling_area_id)) is not None:
            child.turnout[(row.contest_id, row.slot_at)] = StationSlot(row.status, row.voted, row.late, False)
    for row in session.execute(sa.select(CountStation.polling_area_id, CountStation.contest_id, CountStation.status)
                               .where(CountStation.election_id == election.id,
                                      CountStation.commune_id == commune.id, scope.visible(CountStation, user))):
        if (child := children.get(row.polling_area_id)) is not None:
            child.counts[row.contest_id] = row.status
    return children


def commune_progress(session: Session, user: User, commune_id: int, now: datetime,
                     contest_id: int | None = None) -> PlaceProgress:
    """A commune: its rollups, and each of its stations' reports (at most about a hundred)."""
    commune = commune_place(session, user, commune_id)
    election = current_election(session)
    figures = _totals(session, user, election, Level.COMMUNE, lambda m: m.place_id == commune.id, now)
    children = _stations(session, user, election, commune, contest_id)
    days = dict(session.execute(sa.select(PollingArea.id, PollingArea.early_voting_date)
                                .where(PollingArea.commune_id == commune.id)).all())
    t = TurnoutRollup
    dues = session.execute(sa.select(t.contest_id, t.slot_at, t.day, t.due_at).where(
        *_where(t, user, election, Level.COMMUNE, lambda m: m.place_id == commune.id, contest_id))).all()
    for child in children.values():
        day = days.get(child.id) or election.polling_date
        for contest, at, rday, due in dues:
            if rday != day or contest not in child.contests:
                continue
            slot = child.turnout.get((contest, at))
            if slot is None or slot.status is ReportStatus.RETURNED:
                child.turnout[(contest, at)] = StationSlot(slot.status if slot else None,
                                                           slot.voted if slot else None, False, due < now)
    return _progress(session, now, "commune", commune.province, commune, figures, list(children.values()))


def passed_deadline(session: Session, election_id: int, now: datetime) -> datetime | None:
    """The latest deadline already passed: overdue counts change when it does (part of the views' ETag)."""
    return session.scalar(passed_deadline_select(election_id, now))


def passed_deadline_select(election_id: Any, now: datetime) -> sa.Select[tuple[datetime | None]]:
    return sa.select(sa.func.max(TurnoutRollup.due_at)).where(
        TurnoutRollup.election_id == election_id, TurnoutRollup.level == Level.PROVINCE, TurnoutRollup.due_at < now)
