"""Recomputing the commune and province rollups from the station rows, in one place and in SQL (field lesson 8).

``refresh`` takes the communes queued in ``progress_dirty`` and recomputes only those, then their provinces;
``rebuild`` rewrites every station row from the reports and every rollup (after bulk loads, or as a repair).
``claim``/``release`` make the refresh single-flight across processes through the ``progress_state`` row.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.db import insert_rows
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import Contest, Election, PollingArea, PollingAreaUnit, ReportTime, VoterCount
from webapp.geo.models import Commune
from webapp.progress.models import (
    CountRollup,
    CountStation,
    Dirty,
    Level,
    RefreshState,
    TurnoutRollup,
    TurnoutStation,
)
from webapp.progress.tracking import DEFAULT_GRACE, due_at
from webapp.reports import secrecy
from webapp.reports.models import CountReport, ReportStatus, TurnoutFigure, TurnoutReport

CHUNK = 500  # communes recomputed per statement


@dataclasses.dataclass(frozen=True)
class RefreshResult:
    full: bool
    communes: int
    provinces: int


def _chunks(items: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _schedules(session: Session, election: Election) -> dict[int | None, dict[time, int]]:
    """{province id (None: national default): {report time: grace minutes}}."""
    out: dict[int | None, dict[time, int]] = defaultdict(dict)
    for row in session.execute(sa.select(ReportTime.province_id, ReportTime.at, ReportTime.grace_minutes)
                               .where(ReportTime.election_id == election.id)):
        out[row.province_id][row.at] = row.grace_minutes
    return out


def latest_voters(area_filter: Any) -> Any:
    ranked = (
        sa.select(VoterCount.polling_area_id, VoterCount.contest_id, VoterCount.total, sa.func.row_number().over(
            partition_by=(VoterCount.polling_area_id, VoterCount.contest_id),
            order_by=(VoterCount.as_of.desc(), VoterCount.id.desc())).label("rank"))
        .where(VoterCount.polling_area_id.in_(sa.select(PollingArea.id).where(area_filter)))
        .subquery()
    )
    return sa.select(ranked).where(ranked.c.rank == 1).subquery()


@functools.lru_cache(maxsize=4096)
def _due(day: date, slot: time, grace: int) -> datetime:
    return due_at(day, slot, grace)


def _insert(session: Session, model: Any, rows: Iterable[dict[str, Any]]) -> None:
    names = [c.name for c in model.__table__.columns]
    insert_rows(session, model.__table__, names, ([row[n] for n in names] for row in rows))


def _returned(status: Any) -> Any:
    return status == ReportStatus.RETURNED


def _sum_if(condition: Any, value: Any = 1) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def _commune_rollups(session: Session, election: Election, communes: list[int],
                     schedules: dict[int | None, dict[time, int]]) -> None:
    contests = sa.select(Contest.id).where(Contest.election_id == election.id)
    voters = latest_voters(PollingArea.commune_id.in_(communes))
    expected = session.execute(
        sa.select(PollingArea.commune_id, PollingArea.province_id, PollingAreaUnit.contest_id,
                  PollingArea.early_voting_date, sa.func.count().label("n"),
                  sa.func.coalesce(sa.func.sum(voters.c.total), 0).label("on_list"))
        .join(PollingArea, PollingArea.id == PollingAreaUnit.polling_area_id)
        .outerjoin(voters, sa.and_(voters.c.polling_area_id == PollingAreaUnit.polling_area_id,
                                   voters.c.contest_id == PollingAreaUnit.contest_id))
        .where(PollingArea.commune_id.in_(communes), PollingAreaUnit.contest_id.in_(contests))
        .group_by(PollingArea.commune_id, PollingArea.province_id, PollingAreaUnit.contest_id,
                  PollingArea.early_voting_date)
    ).all()
    s = TurnoutStation
    counted = ~_returned(s.status)
    confirmed = s.status == ReportStatus.CONFIRMED
    reported = session.execute(
        sa.select(s.commune_id, s.province_id, s.contest_id, s.slot_at, s.day,
                  _sum_if(counted).label("reported"), _sum_if(sa.and_(counted, s.late)).label("late"),
                  _sum_if(_returned(s.status)).label("returned"), _sum_if(confirmed).label("confirmed"),
                  _sum_if(counted, s.voted).label("voted"),
                  _sum_if(counted, sa.func.coalesce(voters.c.total, 0)).label("voted_on_list"),
                  _sum_if(confirmed, s.voted).label("confirmed_voted"),
                  _sum_if(confirmed, sa.func.coalesce(voters.c.total, 0)).label("confirmed_on_list"))
        .outerjoin(voters, sa.and_(voters.c.polling_area_id == s.polling_area_id,
                                   voters.c.contest_id == s.contest_id))
        .where(s.election_id == election.id, s.commune_id.in_(communes))
        .group_by(s.commune_id, s.province_id, s.contest_id, s.slot_at, s.day)
    ).all()
    rows: dict[tuple[int, int, time, date], dict[str, Any]] = {}

    def row(commune: int, province: int, contest: int, slot: time, day: date) -> dict[str, Any]:
        key = (commune, contest, slot, day)
        if key not in rows:
            grace = (schedules.get(province) or schedules.get(None) or {}).get(slot, DEFAULT_GRACE)
            rows[key] = {"election_id": election.id, "level": Level.COMMUNE, "place_id": commune,
                         "contest_id": contest, "slot_at": slot, "day": day, "province_id": province,
                         "due_at": _due(day, slot, grace), "expected": 0, "on_list": 0, "reported": 0,
                         "reported_late": 0, "returned": 0, "confirmed": 0, "voted": 0, "voted_on_list": 0,
                         "confirmed_voted": 0, "confirmed_on_list": 0}
        return rows[key]

    for e in expected:
        day = e.early_voting_date or election.polling_date
        for slot in schedules.get(e.province_id) or schedules.get(None) or {}:
            r = row(e.commune_id, e.province_id, e.contest_id, slot, day)
            r["expected"] += e.n
            r["on_list"] += int(e.on_list)
    for rep in reported:
        r = row(rep.commune_id, rep.province_id, rep.contest_id, rep.slot_at, rep.day)
        for name in ("reported", "returned", "confirmed", "voted", "voted_on_list", "confirmed_voted",
                     "confirmed_on_list"):
            r[name] = int(getattr(rep, name))
        r["reported_late"] = int(rep.late)
    _fill_unconfigured(rows, expected, election)
    session.execute(sa.delete(TurnoutRollup).where(TurnoutRollup.election_id == election.id,
                                                   TurnoutRollup.level == Level.COMMUNE,
                                                   TurnoutRollup.place_id.in_(communes)))
    if rows:
        _insert(session, TurnoutRollup, rows.values())
    _commune_count_rollups(session, election, communes, expected)


def _fill_unconfigured(rows: dict[tuple[int, int, time, date], dict[str, Any]], expected: Iterable[Any],
                       election: Election) -> None:
    """A report time that has reports but is no longer configured: its expected stations are those of the
    commune on that day (else "812/0")."""
    by_key = {(e.commune_id, e.contest_id, e.early_voting_date or election.polling_date): e for e in expected}
    for (commune, contest, _slot, day), r in rows.items():
        if r["expected"] == 0 and (e := by_key.get((commune, contest, day))) is not None:
            r["expected"], r["on_list"] = e.n, int(e.on_list)


def _commune_count_rollups(session: Session, election: Election, communes: list[int],
                           expected: Iterable[Any]) -> None:
    s = CountStation
    counted = ~_returned(s.status)
    confirmed = s.status == ReportStatus.CONFIRMED
    sent = session.execute(
        sa.select(s.commune_id, s.province_id, s.contest_id,
                  _sum_if(s.status == ReportStatus.RECEIVED).label("received"),
                  _sum_if(_returned(s.status)).label("returned"), _sum_if(confirmed).label("confirmed"),
                  _sum_if(counted, s.voters_voted).label("voted"),
                  _sum_if(counted, s.voters_on_list).label("voted_on_list"),
                  _sum_if(confirmed, s.voters_voted).label("confirmed_voted"),
                  _sum_if(confirmed, s.voters_on_list).label("confirmed_on_list"))
        .where(s.election_id == election.id, s.commune_id.in_(communes))
        .group_by(s.commune_id, s.province_id, s.contest_id)
    ).all()
    rows: dict[tuple[int, int], dict[str, Any]] = {}

    def row(commune: int, province: int, contest: int) -> dict[str, Any]:
        return rows.setdefault((commune, contest), {
            "election_id": election.id, "level": Level.COMMUNE, "place_id": commune, "contest_id": contest,
            "province_id": province, "expected": 0, "received": 0, "returned": 0, "confirmed": 0, "voted": 0,
            "voted_on_list": 0, "confirmed_voted": 0, "confirmed_on_list": 0})

    for e in expected:
        row(e.commune_id, e.province_id, e.contest_id)["expected"] += e.n
    for c in sent:
        r = row(c.commune_id, c.province_id, c.contest_id)
        for name in ("received", "returned", "confirmed", "voted", "voted_on_list", "confirmed_voted",
                     "confirmed_on_list"):
            r[name] = int(getattr(c, name))
    session.execute(sa.delete(CountRollup).where(CountRollup.election_id == election.id,
                                                 CountRollup.level == Level.COMMUNE,
                                                 CountRollup.place_id.in_(communes)))
    if rows:
        _insert(session, CountRollup, rows.values())


_TURNOUT_SUMS = ("expected", "on_list", "reported", "reported_late", "returned", "confirmed", "voted",
                 "voted_on_list", "confirmed_voted", "confirmed_on_list")
_COUNT_SUMS = ("expected", "received", "returned", "confirmed", "voted", "voted_on_list", "confirmed_voted",
               "confirmed_on_list")


def _province_rollups(session: Session, election: Election, provinces: list[int]) -> None:
    """A province's rows are the sums of its communes' rows (never of the station rows again)."""
    for model, keys, sums in ((TurnoutRollup, ("contest_id", "slot_at", "day"), _TURNOUT_SUMS),
                              (CountRollup, ("contest_id",), _COUNT_SUMS)):
        session.execute(sa.delete(model).where(model.election_id == election.id, model.level == Level.PROVINCE,
                                               model.province_id.in_(provinces)))
        columns = [sa.literal(election.id).label("election_id"), sa.literal(Level.PROVINCE.value).label("level"),
                   model.province_id.label("place_id"), *(getattr(model, k) for k in keys), model.province_id]
        if model is TurnoutRollup:
            columns.append(sa.func.max(TurnoutRollup.due_at).label("due_at"))
        columns += [sa.func.sum(getattr(model, name)).label(name) for name in sums]
        select = (sa.select(*columns)
                  .where(model.election_id == election.id, model.level == Level.COMMUNE,
                         model.province_id.in_(provinces))
                  .group_by(model.province_id, *(getattr(model, k) for k in keys)))
        names = ["election_id", "level", "place_id", *keys, "province_id"]
        names += (["due_at"] if model is TurnoutRollup else []) + list(sums)
        session.execute(sa.insert(model).from_select(names, select))


def _recompute(session: Session, election: Election, communes: set[int]) -> set[int]:
    """Recompute these communes' rollups and their provinces'; returns the provinces."""
    if not communes:
        return set()
    schedules = _schedules(session, election)
    ordered = sorted(communes)
    provinces: set[int] = set()
    for chunk in _chunks(ordered):
        _commune_rollups(session, election, chunk, schedules)
        provinces.update(session.scalars(sa.select(Commune.province_id).where(Commune.id.in_(chunk)).distinct()))
    if provinces:
        _province_rollups(session, election, sorted(provinces))
    return provinces


def _take_dirty(session: Session) -> tuple[bool, set[int], set[int], set[int | None]]:
    """Take the queued places (everything?, communes, whole provinces, provinces whose times changed)."""
    last = session.scalar(sa.select(sa.func.max(Dirty.id)))
    if last is None:
        return False, set(), set(), set()
    rows = session.execute(sa.select(Dirty.province_id, Dirty.commune_id, Dirty.times).where(Dirty.id <= last)).all()
    # A writer's row not yet committed has a lower id but stays in the queue for the next refresh.
    session.execute(sa.delete(Dirty).where(Dirty.id <= last))
    everything = any(r.province_id is None and r.commune_id is None for r in rows)
    communes = {r.commune_id for r in rows if r.commune_id is not None}
    provinces = {r.province_id for r in rows if r.commune_id is None and r.province_id is not None}
    times = {r.province_id for r in rows if r.times}
    return everything, communes, provinces, times


def fix_deadlines(session: Session, election: Election, provinces: set[int] | None = None) -> None:
    """Set each station row's deadline (report time + grace of its province's schedule) and lateness."""
    schedules = _schedules(session, election)
    s = TurnoutStation
    where = [s.election_id == election.id]
    if provinces is not None:
        where.append(s.province_id.in_(provinces))
    groups: dict[tuple[datetime, time, date], list[int]] = defaultdict(list)
    for province, slot, day in session.execute(sa.select(s.province_id, s.slot_at, s.day).where(*where).distinct()):
        grace = (schedules.get(province) or schedules.get(None) or {}).get(slot, DEFAULT_GRACE)
        groups[(due_at(day, slot, grace), slot, day)].append(province)
    for (due, slot, day), members in groups.items():
        session.execute(sa.update(s).where(s.election_id == election.id, s.slot_at == slot, s.day == day,
                                           s.province_id.in_(members))
                        .values(due_at=due, late=s.submitted_at > due))


def rebuild_stations(session: Session, election: Election) -> None:
    """Rewrite every station row of the election from the latest version of each report (sealed ones too: the
    seal applies when the rollups are summed)."""
    with secrecy.unsealed(session):
        _rebuild_stations(session, election)


def _rebuild_stations(session: Session, election: Election) -> None:
    session.execute(sa.delete(TurnoutStation).where(TurnoutStation.election_id == election.id))
    session.execute(sa.delete(CountStation).where(CountStation.election_id == election.id))
    r, f, a = TurnoutReport, TurnoutFigure, PollingArea
    turnout = (
        sa.select(r.election_id, r.polling_area_id, r.slot_at, f.contest_id, a.province_id, a.commune_id,
                  sa.func.coalesce(a.early_voting_date, election.polling_date), r.id, r.version, r.status,
                  f.voters_voted, r.submitted_at, r.submitted_at.label("due_at"), sa.false())
        .join(f, f.report_id == r.id).join(a, a.id == r.polling_area_id)
        .where(r.election_id == election.id, r.is_latest)
    )
    session.execute(sa.insert(TurnoutStation).from_select(
        ["election_id", "polling_area_id", "slot_at", "contest_id", "province_id", "commune_id", "day",
         "report_id", "version", "status", "voted", "submitted_at", "due_at", "late"], turnout))
    fix_deadlines(session, election)
    c = CountReport
    counts = (
        sa.select(c.polling_area_id, c.contest_id, Contest.election_id, a.province_id, a.commune_id, c.id,
                  c.version, c.status, c.voters_on_list, c.voters_voted, c.submitted_at)
        .join(Contest, Contest.id == c.contest_id).join(a, a.id == c.polling_area_id)
        .where(Contest.election_id == election.id, c.is_latest)
    )
    session.execute(sa.insert(CountStation).from_select(
        ["polling_area_id", "contest_id", "election_id", "province_id", "commune_id", "report_id", "version",
         "status", "voters_on_list", "voters_voted", "submitted_at"], counts))


def _all_communes(session: Session, election: Election) -> set[int]:
    found = set(session.scalars(sa.select(PollingArea.commune_id).distinct()))
    found.update(session.scalars(sa.select(TurnoutStation.commune_id)
                                 .where(TurnoutStation.election_id == election.id).distinct()))
    found.update(session.scalars(sa.select(CountStation.commune_id)
                                 .where(CountStation.election_id == election.id).distinct()))
    return found


def _state(session: Session, election: Election, now: datetime) -> RefreshState:
    state = session.get(RefreshState, election.id)
    if state is None:
        state = RefreshState(election_id=election.id, version=0, refreshed_at=now)
        session.add(state)
    return state


def refresh(session: Session, *, now: datetime, full: bool = False) -> RefreshResult:
    """Recompute the rollups of the queued communes and their provinces (everything when ``full``, when the
    queue says so, or the first time). Flushes; the caller commits."""
    election = elections.current_election(session)
    state = _state(session, election, now)
    everything, communes, provinces, times = _take_dirty(session)
    taken = set(communes)
    # The early-vote seal came or went (webapp.reports.secrecy): the count rollups are summed again.
    sealed = secrecy.holds(session)
    full = full or everything or not state.version or state.sealed != sealed
    state.sealed = sealed
    if full:
        rebuild_stations(session, election)
        for model in (TurnoutRollup, CountRollup):
            session.execute(sa.delete(model).where(model.election_id == election.id))
        communes = _all_communes(session, election)
    else:
        if times:
            fix_deadlines(session, election, None if None in times else {p for p in times if p is not None})
        if provinces:
            communes.update(session.scalars(sa.select(PollingArea.commune_id)
                                            .where(PollingArea.province_id.in_(provinces)).distinct()))
    touched = _recompute(session, election, communes)
    if full or communes:
        state.version = (state.version or 0) + 1
    state.refreshed_at = now
    state.claimed_until = None
    if provinces:
        taken.update(session.scalars(sa.select(PollingArea.commune_id)
                                     .where(PollingArea.province_id.in_(provinces)).distinct()))
    if everything or taken or times:
        _share_queue(session, election, everything, taken, times)
    session.flush()
    return RefreshResult(full, len(communes), len(touched))


def _share_queue(session: Session, election: Election, everything: bool, communes: set[int],
                 times: set[int | None]) -> None:
    """The queue names places, not elections, and places are shared with the drills (webapp.drills): what this
    refresh took is recomputed for every other election already summarised, so that neither misses a change."""
    others = session.scalars(sa.select(RefreshState).where(RefreshState.election_id != election.id,
                                                           RefreshState.version > 0)).all()
    with working.unbound(session):
        for other_state in others:
            other = session.get(Election, other_state.election_id)
            if other is None:
                continue
            if everything:
                other_state.version = 0  # rebuilt in full by its next refresh
                continue
            if times:
                fix_deadlines(session, other, None if None in times else {p for p in times if p is not None})
            if communes:
                _recompute(session, other, set(communes))
                other_state.version += 1


def rebuild(session: Session, *, now: datetime) -> RefreshResult:
    """Recompute every summary from the reports (``flask rebuild-progress``)."""
    return refresh(session, now=now, full=True)


# --- single flight ---------------------------------------------------------------------------------------


def is_stale(session: Session, state: RefreshState | None, now: datetime, ttl: timedelta) -> bool:
    """Never built, or older than ``ttl`` with something queued."""
    if state is None or not state.version:
        return True
    if state.refreshed_at > now - ttl:
        return False
    return session.scalar(sa.select(Dirty.id).limit(1)) is not None


def claim(session: Session, election_id: int, now: datetime, *, ttl: timedelta, lease: timedelta) -> bool:
    """Take the right to refresh for ``lease`` unless another process holds it or the snapshot is fresh.
    Flushes; the caller commits at once so that the other processes see the claim."""
    s = RefreshState
    if session.get(s, election_id) is None:
        try:
            with session.begin_nested():
                session.execute(sa.insert(s).values(election_id=election_id, version=0, refreshed_at=now,
                                                    claimed_until=now + lease))
        except IntegrityError:
            return False
        return True
    taken = session.execute(
        sa.update(s)
        .where(s.election_id == election_id, sa.or_(s.claimed_until.is_(None), s.claimed_until < now),
               sa.or_(s.version == 0, s.refreshed_at <= now - ttl))
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def release(session: Session, election_id: int) -> None:
    session.execute(sa.update(RefreshState).where(RefreshState.election_id == election_id)
                    .values(claimed_until=None).execution_options(synchronize_session=False))
