"""What happened in an election (a drill, usually), read back for one commune or province.

Per station and report time: how long after the report time its turnout report first arrived, and by which
channel; the count minutes' first arrival after the polls closed; the minutes returned for correction and when
the correction came; the hotline's calls and their outcomes; what the hotline entered by phone; the stations the
system never heard from; the stations whose phone never passed the readiness check.

Calls: those made in the election (once call logs carry it), else those of its polling day, from midnight to six
the next morning, local time."""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import User
from webapp.audit.models import Channel
from webapp.clock import VN_TZ
from webapp.elections import services as elections
from webapp.elections.models import Contest, Election, PollingArea, PollingAreaUnit
from webapp.geo.models import Commune, Province
from webapp.hotline.models import CallLog, CallOutcome
from webapp.inputs import CONTROL_IN_TEXT
from webapp.readiness.services import checks_by_area, taking_part
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport
from webapp.review.models import Decision, ReportKind, ReviewAction

CALL_DAY_END = timedelta(hours=30)  # the polling day's calls: until 06:00 the next morning


class UnknownElection(LookupError):
    pass


def local(day: datetime | None, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=VN_TZ)  # type: ignore[arg-type]


def minutes_between(start: datetime, end: datetime | None) -> int | None:
    """Whole minutes from ``start`` to ``end`` (negative when ``end`` came first), rounded to the nearest."""
    if end is None:
        return None
    seconds = (end - start).total_seconds()
    return int(seconds // 60 + (1 if seconds % 60 >= 30 else 0))


@dataclasses.dataclass
class SlotArrival:
    """A station's turnout report for one report time."""

    at: time
    due: datetime  # the report time, on the polling day
    deadline: datetime  # the report time plus its grace minutes
    received_at: datetime | None = None
    channel: Channel | None = None

    @property
    def minutes_after(self) -> int | None:
        return minutes_between(self.due, self.received_at)

    @property
    def late(self) -> bool:
        return self.received_at is not None and self.received_at > self.deadline


@dataclasses.dataclass
class CountArrival:
    """A station's count minutes of one contest: first arrival after the polls closed, versions, final status."""

    contest: Contest
    closed: datetime
    received_at: datetime | None = None
    versions: int = 0
    status: ReportStatus | None = None

    @property
    def minutes_after(self) -> int | None:
        return minutes_between(self.closed, self.received_at)


@dataclasses.dataclass
class Returned:
    """Minutes returned for correction, and the version that corrected them (if one came)."""

    area: PollingArea
    contest: Contest
    version: int
    returned_at: datetime
    reasons: list[str]
    text: str
    corrected_at: datetime | None
    final_status: ReportStatus | None

    @property
    def minutes_to_correct(self) -> int | None:
        return minutes_between(self.returned_at, self.corrected_at)


@dataclasses.dataclass
class PhoneEntry:
    area: PollingArea
    what: str  # "turnout" or "count"
    slot: time | None
    contest: Contest | None
    version: int
    at: datetime
    by: User


@dataclasses.dataclass
class Station:
    area: PollingArea
    slots: list[SlotArrival]
    counts: list[CountArrival]
    readiness_runs: int = 0
    readiness_passed: bool = False
    calls: int = 0

    @property
    def reached(self) -> bool:
        """The system heard from the station: a report of any kind arrived."""
        return any(s.received_at for s in self.slots) or any(c.received_at for c in self.counts)


@dataclasses.dataclass
class Totals:
    stations: int = 0
    turnout_expected: int = 0
    turnout_received: int = 0
    turnout_late: int = 0
    count_expected: int = 0
    count_received: int = 0
    returned: int = 0
    corrected: int = 0
    never_reached: int = 0
    not_ready: int = 0
    calls: int = 0
    phone_entries: int = 0
    delays: list[int] = dataclasses.field(default_factory=list)

    @property
    def turnout_missing(self) -> int:
        return self.turnout_expected - self.turnout_received

    @property
    def turnout_on_time(self) -> int:
        return self.turnout_received - self.turnout_late

    @property
    def median_delay(self) -> float | None:
        return statistics.median(self.delays) if self.delays else None

    @property
    def max_delay(self) -> int | None:
        return max(self.delays) if self.delays else None


@dataclasses.dataclass
class CommuneTotals:
    commune: Commune
    totals: Totals


@dataclasses.dataclass
class DrillReport:
    election: Election
    place: Commune | Province
    level: str  # "commune" or "province"
    stations: list[Station]
    report_times: list[time]
    returned: list[Returned]
    calls: list[CallLog]
    phone_entries: list[PhoneEntry]
    totals: Totals
    communes: list[CommuneTotals]
    generated_at: datetime

    @property
    def url_args(self) -> dict[str, int]:
        """The place's part of the report's URLs."""
        return {f"{self.level}_id": self.place.id}

    @property
    def never_reached(self) -> list[Station]:
        return [s for s in self.stations if not s.reached]

    @property
    def not_ready(self) -> list[Station]:
        return [s for s in self.stations if not s.readiness_passed]

    @property
    def call_outcomes(self) -> list[tuple[CallOutcome, int]]:
        counts = Counter(c.outcome for c in self.calls)
        return [(o, counts[o]) for o in CallOutcome if counts[o]]


def find_election(session: Session, code: str) -> Election:
    # A code no election can have is not looked up (PostgreSQL refuses a NUL byte in a query).
    if not code or len(code) > 20 or CONTROL_IN_TEXT.search(code):
        raise UnknownElection(code)
    election = elections.find_election(session, code)
    if election is None:
        raise UnknownElection(code)
    return election


def _areas(session: Session, user: User, election: Election, level: str, place_id: int) -> list[PollingArea]:
    column = PollingArea.commune_id if level == "commune" else PollingArea.province_id
    return list(session.scalars(
        scope.select(PollingArea, user).where(column == place_id, taking_part(election))
        .options(selectinload(PollingArea.commune)).order_by(PollingArea.code)))


def _slot_arrivals(session: Session, election: Election, areas: list[PollingArea]) -> dict[int, list[SlotArrival]]:
    ids = [a.id for a in areas]
    first = {(r.polling_area_id, r.slot_at): r for r in session.execute(
        sa.select(TurnoutReport.polling_area_id, TurnoutReport.slot_at, TurnoutReport.submitted_at,
                  TurnoutReport.channel)
        .where(TurnoutReport.election_id == election.id, TurnoutReport.polling_area_id.in_(ids),
               TurnoutReport.version == 1))}
    times_of: dict[int, list] = {}
    out: dict[int, list[SlotArrival]] = {}
    for area in areas:
        if area.province_id not in times_of:
            times_of[area.province_id] = elections.report_times(session, election, area.province_id)
        slots = []
        for rt in times_of[area.province_id]:
            due = local(election.polling_date, rt.at)
            row = first.get((area.id, rt.at))
            slots.append(SlotArrival(rt.at, due, due + timedelta(minutes=rt.grace_minutes),
                                     row.submitted_at if row else None, row.channel if row else None))
        out[area.id] = slots
    return out


def _count_arrivals(session: Session, election: Election, areas: list[PollingArea]) -> dict[int, list[CountArrival]]:
    ids = [a.id for a in areas]
    closed = local(election.polling_date, election.standard_close)
    contests = {c.id: c for c in session.scalars(sa.select(Contest).where(Contest.election_id == election.id))}
    out: dict[int, dict[int, CountArrival]] = defaultdict(dict)
    for area_id, contest_id in session.execute(
            sa.select(PollingAreaUnit.polling_area_id, PollingAreaUnit.contest_id)
            .where(PollingAreaUnit.polling_area_id.in_(ids), PollingAreaUnit.contest_id.in_(list(contests)))):
        out[area_id][contest_id] = CountArrival(contests[contest_id], closed)
    for r in session.execute(
            sa.select(CountReport.polling_area_id, CountReport.contest_id, sa.func.min(CountReport.submitted_at),
                      sa.func.count(), sa.func.max(sa.case((CountReport.is_latest, CountReport.status))))
            .where(CountReport.polling_area_id.in_(ids), CountReport.contest_id.in_(list(contests)))
            .group_by(CountReport.polling_area_id, CountReport.contest_id)):
        arrival = out[r[0]].get(r[1]) or out[r[0]].setdefault(r[1], CountArrival(contests[r[1]], closed))
        arrival.received_at, arrival.versions = r[2], r[3]
        arrival.status = ReportStatus(r[4]) if r[4] else None
    return {area_id: sorted(arrivals.values(), key=lambda a: a.contest.id) for area_id, arrivals in out.items()}


def _returned(session: Session, election: Election, areas_by_id: dict[int, PollingArea]) -> list[Returned]:
    actions = session.execute(
        sa.select(ReviewAction, CountReport)
        .join(CountReport, CountReport.id == ReviewAction.count_report_id)
        .join(Contest, Contest.id == CountReport.contest_id)
        .where(ReviewAction.kind == ReportKind.COUNT, ReviewAction.decision == Decision.RETURN,
               Contest.election_id == election.id, ReviewAction.polling_area_id.in_(list(areas_by_id)))
        .options(selectinload(CountReport.contest))
        .order_by(ReviewAction.at, ReviewAction.id)).all()
    pairs = {(report.polling_area_id, report.contest_id) for _action, report in actions}
    versions: dict[tuple[int, int], list] = defaultdict(list)
    if pairs:
        # Every version of the minutes that were returned, in one statement (not two per return).
        for row in session.execute(
                sa.select(CountReport.polling_area_id, CountReport.contest_id, CountReport.version,
                          CountReport.submitted_at, CountReport.is_latest, CountReport.status)
                .where(CountReport.polling_area_id.in_({a for a, _c in pairs}),
                       CountReport.contest_id.in_({c for _a, c in pairs}))):
            versions[(row.polling_area_id, row.contest_id)].append(row)
    out = []
    for action, report in actions:
        rows = versions[(report.polling_area_id, report.contest_id)]
        later = [r.submitted_at for r in rows if r.version > report.version]
        final = next((r.status for r in rows if r.is_latest), None)
        out.append(Returned(areas_by_id[report.polling_area_id], report.contest, report.version, action.at,
                            list(action.reasons or []), action.text, min(later) if later else None, final))
    return out


def _phone_entries(session: Session, election: Election, areas_by_id: dict[int, PollingArea]) -> list[PhoneEntry]:
    ids = list(areas_by_id)
    out = [PhoneEntry(areas_by_id[r.polling_area_id], "turnout", r.slot_at, None, r.version, r.submitted_at,
                      r.submitted_by)
           for r in session.scalars(sa.select(TurnoutReport).where(
               TurnoutReport.election_id == election.id, TurnoutReport.polling_area_id.in_(ids),
               TurnoutReport.channel == Channel.PHONE).options(selectinload(TurnoutReport.submitted_by)))]
    out += [PhoneEntry(areas_by_id[r.polling_area_id], "count", None, r.contest, r.version, r.submitted_at,
                       r.submitted_by)
            for r in session.scalars(sa.select(CountReport).join(Contest).where(
                Contest.election_id == election.id, CountReport.polling_area_id.in_(ids),
                CountReport.channel == Channel.PHONE)
                .options(selectinload(CountReport.submitted_by), selectinload(CountReport.contest)))]
    return sorted(out, key=lambda e: (e.at, e.area.code))


def _calls(session: Session, election: Election, ids: list[int]) -> list[CallLog]:
    start = local(election.polling_date, time(0))
    window = sa.and_(CallLog.at >= start, CallLog.at < start + CALL_DAY_END)
    # A call belongs to the election it was made in; one without (made before calls had one) counts by its day.
    window = sa.or_(CallLog.election_id == election.id, sa.and_(CallLog.election_id.is_(None), window))
    return list(session.scalars(
        sa.select(CallLog).where(CallLog.polling_area_id.in_(ids), window)
        .options(selectinload(CallLog.polling_area), selectinload(CallLog.caller))
        .order_by(CallLog.at, CallLog.id)))


def _add(totals: Totals, station: Station) -> None:
    totals.stations += 1
    totals.turnout_expected += len(station.slots)
    for s in station.slots:
        if s.received_at is not None:
            totals.turnout_received += 1
            totals.turnout_late += s.late
            totals.delays.append(s.minutes_after)  # type: ignore[arg-type]
    totals.count_expected += len(station.counts)
    totals.count_received += sum(1 for c in station.counts if c.received_at)
    totals.never_reached += not station.reached
    totals.not_ready += not station.readiness_passed
    totals.calls += station.calls


def drill_report(session: Session, user: User, election: Election, level: str, place_id: int,
                 now: datetime) -> DrillReport:
    """The report of ``election`` for a commune or a province (``level``) in the user's scope; ``scope.OutOfScope``
    for a place outside it."""
    widest = scope.Level.COMMUNE if level == "commune" else scope.Level.PROVINCE
    if scope.Scope.of(user).level > widest:
        # A commune's official sees only part of a province; a leader, only part of a commune.
        raise scope.OutOfScope(level)
    place = scope.get(session, Commune if level == "commune" else Province, place_id, user)
    areas = _areas(session, user, election, level, place.id)
    by_id = {a.id: a for a in areas}
    slots = _slot_arrivals(session, election, areas)
    counts = _count_arrivals(session, election, areas)
    runs = checks_by_area(session, election, list(by_id))
    calls = _calls(session, election, list(by_id))
    calls_per_area = Counter(c.polling_area_id for c in calls)
    stations = [Station(a, slots[a.id], counts.get(a.id, []), len(runs.get(a.id, [])),
                        any(r.passed for r in runs.get(a.id, [])), calls_per_area[a.id]) for a in areas]
    returned = _returned(session, election, by_id)
    phone = _phone_entries(session, election, by_id)
    totals = Totals()
    per_commune: dict[int, CommuneTotals] = {}
    for s in stations:
        _add(totals, s)
        if s.area.commune_id not in per_commune:
            per_commune[s.area.commune_id] = CommuneTotals(s.area.commune, Totals())
        _add(per_commune[s.area.commune_id].totals, s)
    for r in returned:
        totals.returned += 1
        totals.corrected += r.corrected_at is not None
        per_commune[r.area.commune_id].totals.returned += 1
        per_commune[r.area.commune_id].totals.corrected += r.corrected_at is not None
    for e in phone:
        totals.phone_entries += 1
        per_commune[e.area.commune_id].totals.phone_entries += 1
    times = sorted({s.at for st in stations for s in st.slots})
    return DrillReport(election, place, level, stations, times, returned, calls, phone, totals,
                       sorted(per_commune.values(), key=lambda c: c.commune.code), now)
