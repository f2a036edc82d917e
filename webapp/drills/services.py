"""Drills (diễn tập): an election made from the real one, rehearsed on the real accounts, then reset or deleted.

A drill copies the real election's contests, electoral units, candidates, the links of its polling areas to the
units, their voter counts and a compressed schedule; the polling areas, communes, teams and accounts are shared
(those rows carry no election), so a leader rehearses with the login of the day. Everything written during the
drill hangs off the drill's election and contests (webapp.elections.working keeps the two apart on every read);
resetting or deleting a drill deletes only those rows.

The schedule is the election's own hours and report times on the wall clock of the drill's day: the drill's clock
is real time, so report times fall due, stations become late and progress rolls up exactly as on the day.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.clock import VN_TZ
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import (
    Candidate,
    Contest,
    Election,
    ElectoralUnit,
    PollingArea,
    PollingAreaUnit,
    ReportTime,
    VoterCount,
)
from webapp.geo.models import Province
from webapp.hotline.models import CallLog
from webapp.progress.models import (
    CountRollup,
    CountStation,
    Correction,
    RefreshState,
    TurnoutRollup,
    TurnoutStation,
)
from webapp.reports.models import CountReport, CountVote, ReportPhoto, TurnoutFigure, TurnoutReport
from webapp.review.models import ReviewAction, StationInvolvement

DEFAULT_REPORTS = 6  # report times; the last is when the polls close (as 19:00 is on the day)
DEFAULT_COUNT_MINUTES = 90
MAX_GRACE = 15


class DrillError(ValueError):
    """A drill that cannot be made or changed; ``code`` is one of ``REFUSALS`` (worded by the caller)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


REFUSALS = ("slot_range", "reports_range", "count_range", "past_midnight", "from_drill", "no_province",
            "not_a_drill")


class NotAllowed(PermissionError):
    """Below the drill's scope: only the national administrator, or a provincial committee for its province."""


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A drill's compressed day, as aware datetimes in Ho Chi Minh City time."""

    starts_at: datetime  # voting opens
    report_times: list[datetime]
    polls_close: datetime
    count_until: datetime


def schedule(election: Election, report_times: list[time] | None = None) -> Schedule:
    """The drill's day (works for a real election too: its hours and national report times)."""
    times = report_times if report_times is not None else [rt.at for rt in election.report_times
                                                           if rt.province_id is None]

    def at(moment: time) -> datetime:
        return datetime.combine(election.polling_date, moment, tzinfo=VN_TZ)

    return Schedule(at(election.standard_open), [at(t) for t in sorted(times)], at(election.standard_close),
                    at(election.latest_close))


def plan(starts_at: datetime, slot_minutes: int, reports: int = DEFAULT_REPORTS,
         count_minutes: int = DEFAULT_COUNT_MINUTES) -> Schedule:
    """Opens at ``starts_at``, a report time every ``slot_minutes``, polls close at the last one, the count runs
    ``count_minutes`` more; all on one local day (the report times are times of day)."""
    if not 1 <= slot_minutes <= 180:
        raise DrillError("slot_range")
    if not 1 <= reports <= 12:
        raise DrillError("reports_range")
    if not 1 <= count_minutes <= 600:
        raise DrillError("count_range")
    start = (starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=VN_TZ)).astimezone(VN_TZ)
    start = start.replace(second=0, microsecond=0)
    times = [start + timedelta(minutes=slot_minutes * k) for k in range(1, reports + 1)]
    close = times[-1]
    until = close + timedelta(minutes=count_minutes)
    if until.date() != start.date():
        raise DrillError("past_midnight")
    return Schedule(start, times, close, until)


# --- who may do what ------------------------------------------------------------------------------------------


def may_manage(user: User, province_id: int | None) -> bool:
    """Create, change, reset or delete a drill of ``province_id`` (None: the whole country)."""
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.PROVINCE and province_id is not None and user.province_id == province_id


def may_enter(user: User, drill: Election) -> bool:
    """The user's place lies in the drill's (or the follow-up vote's, webapp.followups: its province): they can
    work in it (and switch back to the real election)."""
    if drill.source_election_id is None:
        return False
    where = scope.Scope.of(user)
    return (drill.drill_province_id is None or where.level is scope.Level.NATION
            or where.province_id == drill.drill_province_id)


def drills(session: Session, user: User | None = None) -> list[Election]:
    """The drills made from elections, newest first; those the user can enter when ``user`` is given."""
    with working.unbound(session):
        found = list(session.scalars(sa.select(Election).where(Election.source_election_id.is_not(None),
                                                               Election.is_drill)
                                     .order_by(Election.polling_date.desc(), Election.standard_open.desc(),
                                               Election.id.desc())))
    return [d for d in found if user is None or may_enter(user, d)]


def follow_up_votes(session: Session, user: User) -> list[Election]:
    """The follow-up votes (webapp.followups) the user can work in, by polling day."""
    with working.unbound(session):
        found = list(session.scalars(sa.select(Election).where(Election.source_election_id.is_not(None),
                                                               ~Election.is_drill)
                                     .order_by(Election.polling_date, Election.id)))
    return [e for e in found if may_enter(user, e)]


def find_drill(session: Session, code: str) -> Election | None:
    with working.unbound(session):
        drill = elections.find_election(session, code)
    return drill if drill is not None and drill.source_election_id is not None and drill.is_drill else None


# --- simulated stations' accounts ---------------------------------------------------------------------------

BOT_PREFIX = "dtbot"


def _bot_prefix(drill: Election) -> str:
    return f"{BOT_PREFIX}{drill.id}-"


def bot_leader(session: Session, drill: Election, area_id: int) -> User:
    """The account a simulated station without a leader's account reports with: a leader of that area that can
    never sign in (no password, inactive), named after the drill, deleted with it."""
    from webapp.clock import utcnow

    area = session.get(PollingArea, area_id)
    assert area is not None
    username = f"{_bot_prefix(drill)}{area.code}"[:60]
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        user = User(username=username, full_name=f"Trạm mô phỏng {area.code} ({drill.code})", role=Role.LEADER,
                    province_id=area.province_id, commune_id=area.commune_id, polling_area_id=area.id,
                    password_hash=None, is_active=False, created_at=utcnow())
        session.add(user)
        session.flush()
    return user


def _bots(session: Session, drill: Election) -> None:
    """Delete the drill's simulated accounts and what the database noted about them."""
    bots = sa.select(User.id).where(User.username.like(f"{_bot_prefix(drill)}%")).scalar_subquery()
    conn = session.connection()
    conn.execute(sa.delete(StationInvolvement.__table__).where(StationInvolvement.__table__.c.user_id.in_(bots)))
    conn.execute(sa.delete(User.__table__).where(User.__table__.c.username.like(f"{_bot_prefix(drill)}%")))


# --- create, reset, delete ------------------------------------------------------------------------------------


def _new_code(session: Session, start: datetime, province: Province | None) -> str:
    base = f"DT{start:%y%m%d%H%M}-{province.code if province else 'VN'}"
    code, n = base, 1
    while session.scalar(sa.select(Election.id).where(Election.code == code)) is not None:
        n += 1
        code = f"{base}-{n}"
    return code


def create_drill(session: Session, *, actor: User | None, source: Election, province_id: int | None,
                 starts_at: datetime, slot_minutes: int, reports: int = DEFAULT_REPORTS,
                 count_minutes: int = DEFAULT_COUNT_MINUTES, name: str | None = None) -> Election:
    """A drill of ``source`` for one province (None: the whole country). ``actor`` None is the command line.
    Flushes; the caller commits."""
    if actor is not None and not may_manage(actor, province_id):
        raise NotAllowed
    if source.source_election_id is not None:
        raise DrillError("from_drill")
    day = plan(starts_at, slot_minutes, reports, count_minutes)
    province = session.get(Province, province_id) if province_id is not None else None
    if province_id is not None and province is None:
        raise DrillError("no_province")
    with working.unbound(session):
        code = _new_code(session, day.starts_at, province)
        drill = Election(
            code=code, polling_date=day.starts_at.date(),
            name=(name or f"Diễn tập: {source.name}")[:300],
            standard_open=day.starts_at.time(), earliest_open=day.starts_at.time(),
            standard_close=day.polls_close.time(), latest_close=day.count_until.time(),
            is_drill=True, source_election_id=source.id, drill_province_id=province_id,
            drill_slot_minutes=slot_minutes, created_by_id=actor.id if actor else None,
        )
        session.add(drill)
        session.flush()
        grace = max(1, min(MAX_GRACE, slot_minutes // 2))
        for moment in day.report_times:
            session.add(ReportTime(election_id=drill.id, province_id=None, at=moment.time(), grace_minutes=grace))
        for contest in session.scalars(sa.select(Contest).where(Contest.election_id == source.id)
                                       .order_by(Contest.id)):
            session.add(Contest(election_id=drill.id, kind=contest.kind, name=contest.name))
        session.flush()
        counts = _copy_configuration(session, source, drill)
    audit.record_event(session, action="create", entity_type="drill", entity_id=str(drill.id),
                       place=(province_id, None, None),
                       after={"code": code, "source": source.code, "starts_at": day.starts_at.isoformat(),
                              "slot_minutes": slot_minutes, "reports": reports, "count_minutes": count_minutes,
                              **counts})
    return drill


def _copy_configuration(session: Session, source: Election, drill: Election) -> dict[str, int]:
    """Copy the source's units, candidates, area links and voter counts into the drill's contests, in SQL (a
    national drill copies about 200,000 links and as many voter counts)."""
    old_c, new_c = sa.orm.aliased(Contest), sa.orm.aliased(Contest)
    contest_map = (sa.select(old_c.id.label("old_id"), new_c.id.label("new_id"))
                   .join(new_c, sa.and_(new_c.kind == old_c.kind, new_c.election_id == drill.id))
                   .where(old_c.election_id == source.id).subquery())
    u = ElectoralUnit.__table__
    where_units = [u.c.contest_id == contest_map.c.old_id]
    if drill.drill_province_id is not None:
        where_units.append(u.c.province_id == drill.drill_province_id)
    conn = session.connection()
    units = conn.execute(u.insert().from_select(
        ["contest_id", "province_id", "commune_id", "code", "number", "name", "seats"],
        sa.select(contest_map.c.new_id, u.c.province_id, u.c.commune_id, u.c.code, u.c.number, u.c.name,
                  u.c.seats).join_from(u, contest_map, sa.and_(*where_units)))).rowcount
    old_u, new_u = u.alias("old_u"), u.alias("new_u")
    unit_map = (sa.select(old_u.c.id.label("old_id"), new_u.c.id.label("new_id"))
                .join_from(old_u, contest_map, old_u.c.contest_id == contest_map.c.old_id)
                .join(new_u, sa.and_(new_u.c.contest_id == contest_map.c.new_id, new_u.c.code == old_u.c.code))
                .subquery())
    c = Candidate.__table__
    candidates = conn.execute(c.insert().from_select(
        ["unit_id", "full_name", "name_folded", "birth_date", "gender", "ballot_order"],
        sa.select(unit_map.c.new_id, c.c.full_name, c.c.name_folded, c.c.birth_date, c.c.gender,
                  c.c.ballot_order).join_from(c, unit_map, c.c.unit_id == unit_map.c.old_id))).rowcount
    link = PollingAreaUnit.__table__
    area = PollingArea.__table__
    in_place = [] if drill.drill_province_id is None else [area.c.province_id == drill.drill_province_id]
    links = conn.execute(link.insert().from_select(
        ["polling_area_id", "contest_id", "unit_id"],
        sa.select(link.c.polling_area_id, contest_map.c.new_id, unit_map.c.new_id)
        .join_from(link, contest_map, link.c.contest_id == contest_map.c.old_id)
        .join(unit_map, unit_map.c.old_id == link.c.unit_id)
        .join(area, area.c.id == link.c.polling_area_id).where(*in_place))).rowcount
    v = VoterCount.__table__
    voters = conn.execute(v.insert().from_select(
        ["polling_area_id", "contest_id", "total", "male", "female", "as_of", "source", "recorded_at",
         "recorded_by_id"],
        sa.select(v.c.polling_area_id, contest_map.c.new_id, v.c.total, v.c.male, v.c.female, v.c.as_of,
                  v.c.source, v.c.recorded_at, v.c.recorded_by_id)
        .join_from(v, contest_map, v.c.contest_id == contest_map.c.old_id)
        .join(area, area.c.id == v.c.polling_area_id).where(*in_place))).rowcount
    return {"units": units, "candidates": candidates, "links": links, "voter_counts": voters}


def _written_during(session: Session, drill: Election) -> list[str]:
    """Delete what was written during the drill (reports, reviews, photos' rows, progress, four-eyes notes); the
    photos' paths."""
    contests = sa.select(Contest.id).where(Contest.election_id == drill.id).scalar_subquery()
    turnout = sa.select(TurnoutReport.id).where(TurnoutReport.election_id == drill.id).scalar_subquery()
    counts = sa.select(CountReport.id).where(CountReport.contest_id.in_(contests)).scalar_subquery()
    conn = session.connection()
    photos = list(conn.scalars(sa.select(ReportPhoto.path).where(ReportPhoto.count_report_id.in_(counts))))
    for model in (TurnoutStation, CountStation, TurnoutRollup, CountRollup, Correction, RefreshState):
        conn.execute(sa.delete(model.__table__).where(model.__table__.c.election_id == drill.id))
    calls = CallLog.__table__
    conn.execute(sa.delete(calls).where(calls.c.election_id == drill.id))
    notes = StationInvolvement.__table__
    conn.execute(sa.delete(notes).where(notes.c.election_id == drill.id))
    ra = ReviewAction.__table__
    conn.execute(sa.delete(ra).where(sa.or_(ra.c.turnout_report_id.in_(turnout), ra.c.count_report_id.in_(counts))))
    conn.execute(sa.delete(ReportPhoto.__table__).where(ReportPhoto.__table__.c.count_report_id.in_(counts)))
    conn.execute(sa.delete(CountVote.__table__).where(CountVote.__table__.c.report_id.in_(counts)))
    cr = CountReport.__table__
    conn.execute(sa.delete(cr).where(cr.c.contest_id.in_(contests)))
    conn.execute(sa.delete(TurnoutFigure.__table__).where(TurnoutFigure.__table__.c.report_id.in_(turnout)))
    tr = TurnoutReport.__table__
    conn.execute(sa.delete(tr).where(tr.c.election_id == drill.id))
    return photos


def _configuration(session: Session, drill: Election, *, keep_contests: bool) -> None:
    contests = sa.select(Contest.id).where(Contest.election_id == drill.id).scalar_subquery()
    units = sa.select(ElectoralUnit.id).where(ElectoralUnit.contest_id.in_(contests)).scalar_subquery()
    conn = session.connection()
    for table, clause in ((VoterCount.__table__, VoterCount.__table__.c.contest_id.in_(contests)),
                          (PollingAreaUnit.__table__, PollingAreaUnit.__table__.c.contest_id.in_(contests)),
                          (Candidate.__table__, Candidate.__table__.c.unit_id.in_(units)),
                          (ElectoralUnit.__table__, ElectoralUnit.__table__.c.contest_id.in_(contests))):
        conn.execute(sa.delete(table).where(clause))
    if not keep_contests:
        conn.execute(sa.delete(ReportTime.__table__).where(ReportTime.__table__.c.election_id == drill.id))
        conn.execute(sa.delete(Contest.__table__).where(Contest.__table__.c.election_id == drill.id))


def _checked(actor: User | None, drill: Election) -> Election:
    if drill.source_election_id is None or not drill.is_drill:
        raise DrillError("not_a_drill")
    if actor is not None and not may_manage(actor, drill.drill_province_id):
        raise NotAllowed
    return drill


def reset_drill(session: Session, *, actor: User | None, drill: Election) -> list[str]:
    """Back to the drill's start: everything written during it deleted, the configuration copied afresh from the
    real election (an import made since is rehearsed too). Returns the photos' paths to delete once committed."""
    _checked(actor, drill)
    with working.unbound(session):
        source = session.get(Election, drill.source_election_id)
        photos = _written_during(session, drill)
        _bots(session, drill)
        _configuration(session, drill, keep_contests=True)
        counts = _copy_configuration(session, source, drill)
    session.expire_all()
    audit.record_event(session, action="reset", entity_type="drill", entity_id=str(drill.id),
                       place=(drill.drill_province_id, None, None), after={"code": drill.code, **counts})
    return photos


def delete_drill(session: Session, *, actor: User | None, drill: Election) -> list[str]:
    """The drill and everything in it, gone; the real election untouched. Returns the photos' paths."""
    _checked(actor, drill)
    code, ident, place = drill.code, drill.id, drill.drill_province_id
    with working.unbound(session):
        photos = _written_during(session, drill)
        _bots(session, drill)
        _configuration(session, drill, keep_contests=False)
        session.execute(sa.delete(Election.__table__).where(Election.__table__.c.id == ident))
    session.expunge(drill)
    audit.record_event(session, action="delete", entity_type="drill", entity_id=str(ident),
                       place=(place, None, None), before={"code": code})
    return photos

