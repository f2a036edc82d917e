"""The call list: stations in the hotline's scope with no turnout report for the current report time after its
deadline, most overdue first, with the numbers to call.

"Current" is the latest report time of the station's province whose deadline (the time plus its grace minutes)
has passed today. A station is overdue since the deadline of the first report time after the last one it
reported (or the day's first, if it reported none): a station silent all day comes before one that is only
late for the last time. One query per set of report times (the national default and each province that set
its own) counts the late stations and returns a page of them, ordered and cut in SQL after a keyset cursor (overdue
since, code) rather than an offset, so a deep page costs what the first does; only the page shown loads names
and phones."""

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
from webapp.inputs import parse_hhmm
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
    first_missed: time | None = None  # the first report time it missed: its lateness counts from that deadline
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


@dataclasses.dataclass(frozen=True)
class Cursor:
    """A place in the list (keyset): a station's overdue-since time and its code. The list is ordered by both."""
    since: datetime
    code: str

    def __str__(self) -> str:
        return f"{to_local(self.since):%H:%M},{self.code}"

    @classmethod
    def parse(cls, text: str | None, day: date) -> Cursor | None:
        """The cursor of a ``after``/``before`` link, or None (the first page) for anything malformed."""
        hhmm, _, code = (text or "").partition(",")
        at = parse_hhmm(hhmm)
        if at is None or not code or len(code) > 64:
            return None
        return cls(datetime.combine(day, at, tzinfo=VN_TZ), code)


@dataclasses.dataclass
class CallList:
    rows: list[LateStation]
    total: int
    slots: list[time]  # the report times the listed stations are late for (one, unless provinces differ)
    newer: Cursor | None = None  # pass as ``before`` for the previous (more overdue) page
    older: Cursor | None = None  # pass as ``after`` for the next (less overdue) page

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


def _passed(day: date, slots: Slots, now: datetime) -> Slots:
    """The report times whose deadline has passed at ``now``; the last is the one stations are late for."""
    return tuple(s for s in slots if _due(day, s) < now)


def _late_in(session: Session, user: User, election: Election, day: date, province_ids: list[int],
             slots: Slots, now: datetime, after: Cursor | None, before: Cursor | None,
             limit: int) -> tuple[list[LateStation], int | None]:
    """Up to ``limit`` late stations of provinces sharing one set of report times, next to the cursor in the
    order (overdue since, code), and how many are late in all: one query. A station is overdue since the
    deadline of the first report time after its last report, so that order is (that report time, code), a
    keyset the database walks to any depth as fast as to the first page. The count is None when nothing lies
    beyond the cursor (the window that counts has no row to ride on)."""
    passed = _passed(day, slots, now)
    if not passed:
        return [], 0
    current = passed[-1][0]
    # One grouped outer join rather than NOT EXISTS: its plan (a hash join) does not depend on fresh statistics
    # of turnout_reports, which grows fast on the day.
    has_current = sa.func.max(sa.case((TurnoutReport.slot_at == current, 1), else_=0))
    last = sa.func.max(sa.case((TurnoutReport.slot_at < current, TurnoutReport.slot_at)))
    # The index of the report time the station is overdue since: the first after its last report.
    overdue_for = sa.case((last.is_(None), 0), *[(last < s[0], i) for i, s in enumerate(passed)],
                          else_=len(passed) - 1)
    on_day = PollingArea.early_voting_date == day
    if day == election.polling_date:
        on_day = sa.or_(on_day, PollingArea.early_voting_date.is_(None))
    late = (
        sa.select(PollingArea.id, PollingArea.code, last.label("last"), overdue_for.label("overdue_for"),
                  sa.func.count().over().label("late"))
        .select_from(PollingArea)
        .outerjoin(TurnoutReport, sa.and_(TurnoutReport.polling_area_id == PollingArea.id,
                                          TurnoutReport.election_id == election.id, TurnoutReport.is_latest,
                                          TurnoutReport.slot_at <= current))
        .where(scope.visible(PollingArea, user), PollingArea.province_id.in_(province_ids), on_day)
        .group_by(PollingArea.id, PollingArea.code)
        .having(sa.func.coalesce(has_current, 0) == 0)
    ).subquery()
    stmt = sa.select(late)
    dues = [_due(day, s) for s in passed]
    if after is not None:
        stmt = stmt.where(_beyond(late, dues, after, later=True)).order_by(late.c.overdue_for, late.c.code)
    elif before is not None:
        stmt = stmt.where(_beyond(late, dues, before, later=False)).order_by(late.c.overdue_for.desc(),
                                                                              late.c.code.desc())
    else:
        stmt = stmt.order_by(late.c.overdue_for, late.c.code)
    rows = session.execute(stmt.limit(limit)).all()
    out = []
    for r in rows:
        last_slot = time.fromisoformat(r.last) if isinstance(r.last, str) else r.last  # SQLite: MAX() gives text
        since = dues[r.overdue_for]
        minutes = max(0, math.ceil((now - since).total_seconds() / 60))
        out.append(LateStation(r.id, r.code, current, last_slot, since, minutes, passed[r.overdue_for][0]))
    return out, (rows[0].late if rows else None)


def _beyond(late: sa.Subquery, dues: list[datetime], cursor: Cursor, *, later: bool) -> sa.ColumnElement[bool]:
    """The rows after (``later``) or before the cursor in the order (overdue since, code). The cursor may come
    from a province with other report times, so compare deadlines, not indexes."""
    if later:
        strictly = [i for i, due in enumerate(dues) if due > cursor.since]
        past = late.c.overdue_for >= strictly[0] if strictly else sa.false()
    else:
        strictly = [i for i, due in enumerate(dues) if due < cursor.since]
        past = late.c.overdue_for <= strictly[-1] if strictly else sa.false()
    same = [i for i, due in enumerate(dues) if due == cursor.since]
    if not same:
        return past
    code = late.c.code > cursor.code if later else late.c.code < cursor.code
    return sa.or_(past, sa.and_(late.c.overdue_for == same[0], code))


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


def call_list(session: Session, user: User, now: datetime, after: str | None = None,
              before: str | None = None, size: int | None = None) -> CallList:
    """One page of the late stations in the user's scope at ``now``, most overdue first (then by code): the first,
    or the one after (or before) a cursor from a previous page's ``older`` (``newer``) link."""
    size = size or PAGE_SIZE
    election = elections.current_election(session)
    day = to_local(now).date()
    after_at, before_at = Cursor.parse(after, day), Cursor.parse(before, day)
    if after_at is not None:
        before_at = None
    s = scope.Scope.of(user)
    province_ids = [s.province_id] if s.province_id is not None else list(session.scalars(
        sa.select(Province.id).where(Province.id.in_(sa.select(PollingArea.province_id).distinct()))))
    groups: dict[Slots, list[int]] = defaultdict(list)
    for pid, slots in _province_slots(session, election, province_ids).items():
        groups[slots].append(pid)
    late: list[LateStation] = []
    total = 0
    late_for: set[time] = set()
    for slots, pids in groups.items():
        rows, count = _late_in(session, user, election, day, pids, slots, now, after_at, before_at, size + 1)
        if count is None:  # nothing beyond the cursor in these provinces: count them all, without rows
            count = _late_in(session, user, election, day, pids, slots, now, None, None, 1)[1] or 0
        late += rows
        total += count
        if count:
            late_for.add(_passed(day, slots, now)[-1][0])
    late.sort(key=lambda r: (r.overdue_since, r.code), reverse=before_at is not None)
    more = len(late) > size
    shown = late[:size]
    if before_at is not None:
        shown.reverse()
    _load_page(session, user, shown, day)
    first = Cursor(shown[0].overdue_since, shown[0].code) if shown else None
    final = Cursor(shown[-1].overdue_since, shown[-1].code) if shown else None
    has_newer = more if before_at is not None else after_at is not None
    has_older = more if before_at is None else True
    return CallList(shown, total, sorted(late_for),
                    newer=first if has_newer else None, older=final if has_older else None)
