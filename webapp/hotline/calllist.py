"""The call list: stations in the hotline's scope with no turnout report for the current report time after its
deadline, most overdue first, with the numbers to call.

"Current" is the latest report time of the station's province whose deadline (the time plus its grace minutes)
has passed today. A station is overdue since the deadline of the first report time after the last one it
reported (or the day's first, if it reported none): a station silent all day comes before one that is only
late for the last time. One query per set of report times (the national default and each province that set
its own) counts the late stations and returns the most overdue of them, ordered and cut to the page in SQL,
whatever their number; only the page shown loads names and phones."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import Role, User
from webapp.clock import VN_TZ, to_local
from webapp.elections import services as elections
from webapp.elections.models import Election, PollingArea, ReportTime, TeamMember, TeamRole
from webapp.geo.models import Province
from webapp.hotline.models import CallLog
from webapp.reports.models import TurnoutReport

PAGE_SIZE = 50
Slots = tuple[tuple[time, int], ...]  # (report time, grace minutes), in order


@dataclasses.dataclass
class LateStation:
    area_id: int
    code: str
    slot: time  # the report time it is late for
    last_reported: time | None
    overdue_since: datetime
    overdue_minutes: int
    area: PollingArea | None = None
    leaders: list[User] = dataclasses.field(default_factory=list)
    team: list[TeamMember] = dataclasses.field(default_factory=list)
    last_call: CallLog | None = None

    @property
    def team_leader(self) -> TeamMember | None:
        return next((m for m in self.team if m.role is TeamRole.LEADER), None)

    @property
    def others(self) -> list[TeamMember]:
        return [m for m in self.team if m.role is not TeamRole.LEADER and m.phone]

    @property
    def leader_phones(self) -> list[tuple[str, str]]:
        """(name, number) of the leader: the team list's number, then any other number of a leader account."""
        out: list[tuple[str, str]] = []
        lead = self.team_leader
        if lead is not None and lead.phone:
            out.append((lead.full_name, lead.phone))
        for user in self.leaders:
            if user.phone and user.phone not in {n for _, n in out}:
                out.append((user.full_name or user.username, user.phone))
        return out


@dataclasses.dataclass
class CallList:
    rows: list[LateStation]
    total: int
    page: int
    pages: int
    slots: list[time]  # the report times the listed stations are late for (one, unless provinces differ)

    @property
    def slot_labels(self) -> str:
        return ", ".join(s.strftime("%H:%M") for s in self.slots)


def _province_slots(session: Session, election: Election, province_ids: list[int]) -> dict[int, Slots]:
    rows = session.execute(sa.select(ReportTime.province_id, ReportTime.at, ReportTime.grace_minutes)
                           .where(ReportTime.election_id == election.id).order_by(ReportTime.at)).all()
    own: dict[int | None, list[tuple[time, int]]] = defaultdict(list)
    for r in rows:
        own[r.province_id].append((r.at, r.grace_minutes))
    national = tuple(own.get(None, ()))
    return {pid: tuple(own[pid]) if own.get(pid) else national for pid in province_ids}


def _due(day: date, slot: tuple[time, int]) -> datetime:
    return datetime.combine(day, slot[0], tzinfo=VN_TZ) + timedelta(minutes=slot[1])


def _late_in(session: Session, user: User, election: Election, day: date, province_ids: list[int],
             slots: Slots, now: datetime, first: int) -> tuple[list[LateStation], int]:
    """The ``first`` most overdue stations of provinces sharing one set of report times, and how many are late:
    one query. With the same report times, the earlier a station's last report, the longer it is overdue."""
    passed = [s for s in slots if _due(day, s) < now]
    if not passed:
        return [], 0
    current = passed[-1][0]
    # One grouped outer join rather than NOT EXISTS: its plan (a hash join) does not depend on fresh statistics
    # of turnout_reports, which grows fast on the day.
    has_current = sa.func.max(sa.case((TurnoutReport.slot_at == current, 1), else_=0))
    last = sa.func.max(sa.case((TurnoutReport.slot_at < current, TurnoutReport.slot_at)))
    on_day = PollingArea.early_voting_date == day
    if day == election.polling_date:
        on_day = sa.or_(on_day, PollingArea.early_voting_date.is_(None))
    rows = session.execute(
        sa.select(PollingArea.id, PollingArea.code, last.label("last"), sa.func.count().over().label("late"))
        .select_from(PollingArea)
        .outerjoin(TurnoutReport, sa.and_(TurnoutReport.polling_area_id == PollingArea.id,
                                          TurnoutReport.election_id == election.id, TurnoutReport.is_latest,
                                          TurnoutReport.slot_at <= current))
        .where(scope.visible(PollingArea, user), PollingArea.province_id.in_(province_ids), on_day)
        .group_by(PollingArea.id, PollingArea.code)
        .having(sa.func.coalesce(has_current, 0) == 0)
        .order_by(sa.nulls_first(last.asc()), PollingArea.code)
        .limit(first)
    ).all()
    out = []
    for area_id, code, last_slot, _late in rows:
        if isinstance(last_slot, str):  # SQLite hands a MAX() of a TIME column back as text
            last_slot = time.fromisoformat(last_slot)
        following = next(s for s in slots if last_slot is None or s[0] > last_slot)
        since = _due(day, following)
        minutes = max(0, math.ceil((now - since).total_seconds() / 60))
        out.append(LateStation(area_id, code, current, last_slot, since, minutes))
    return out, rows[0].late if rows else 0


def _load_page(session: Session, user: User, rows: list[LateStation], day: date) -> None:
    ids = [r.area_id for r in rows]
    if not ids:
        return
    areas = {a.id: a for a in session.scalars(
        sa.select(PollingArea).where(PollingArea.id.in_(ids))
        .options(selectinload(PollingArea.commune), selectinload(PollingArea.team)))}
    leaders: dict[int, list[User]] = defaultdict(list)
    for u in session.scalars(scope.select(User, user).where(User.polling_area_id.in_(ids), User.role == Role.LEADER,
                                                            User.is_active)):
        leaders[u.polling_area_id].append(u)  # type: ignore[index]
    calls: dict[int, CallLog] = {}
    start = datetime.combine(day, time(0), tzinfo=VN_TZ)
    for c in session.scalars(scope.select(CallLog, user).where(CallLog.polling_area_id.in_(ids), CallLog.at >= start)
                             .options(selectinload(CallLog.caller)).order_by(CallLog.at.desc(), CallLog.id.desc())):
        calls.setdefault(c.polling_area_id, c)
    for r in rows:
        r.area = areas[r.area_id]
        r.team = list(r.area.team)
        r.leaders = leaders.get(r.area_id, [])
        r.last_call = calls.get(r.area_id)


def call_list(session: Session, user: User, now: datetime, page: int = 1) -> CallList:
    """The late stations in the user's scope at ``now``, most overdue first (then by code), one page loaded."""
    election = elections.current_election(session)
    day = to_local(now).date()
    s = scope.Scope.of(user)
    province_ids = [s.province_id] if s.province_id is not None else list(session.scalars(
        sa.select(Province.id).where(Province.id.in_(sa.select(PollingArea.province_id).distinct()))))
    groups: dict[Slots, list[int]] = defaultdict(list)
    for pid, slots in _province_slots(session, election, province_ids).items():
        groups[slots].append(pid)
    page = max(1, page)
    late: list[LateStation] = []
    total = 0
    for slots, pids in groups.items():
        rows, count = _late_in(session, user, election, day, pids, slots, now, page * PAGE_SIZE)
        late += rows
        total += count
    late.sort(key=lambda r: (-r.overdue_minutes, r.code))
    pages = max(1, -(-total // PAGE_SIZE))
    shown = late[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    _load_page(session, user, shown, day)
    return CallList(shown, total, min(page, pages), pages, sorted({r.slot for r in late}))
