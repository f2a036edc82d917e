"""Recomputing the commune and province rollups from the station rows, in one place and in SQL (field lesson 8).

``refresh`` takes the communes queued in ``progress_dirty`` and recomputes only those, then their provinces;
``rebuild`` rewrites every station row from the reports and every rollup (after bulk loads, or as a repair).
``claim``/``release`` make the refresh single-flight across processes through the ``progress_state`` row; the SQL
that sums the rows is ``webapp.progress.rollups``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import Contest, Election, PollingArea
from webapp.geo.models import Commune, Province
from webapp.progress.models import (
    CountRollup,
    CountStation,
    Dirty,
    PlaceVersion,
    RefreshState,
    TurnoutRollup,
    TurnoutStation,
)
from webapp.progress import rollups
from webapp.progress.tracking import DEFAULT_GRACE, due_at
from webapp.reports import secrecy
from webapp.reports.models import CountReport, TurnoutFigure, TurnoutReport

@dataclasses.dataclass(frozen=True)
class RefreshResult:
    full: bool
    communes: int
    provinces: int



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
    schedules = rollups.report_schedules(session, election)
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
    touched = rollups.recompute(session, election, communes)
    if full or communes:
        state.version = (state.version or 0) + 1
        mark_changed(session, election.id, state.version, now, None if full else communes, touched)
    state.refreshed_at = now
    state.claimed_until = None
    if provinces:
        taken.update(session.scalars(sa.select(PollingArea.commune_id)
                                     .where(PollingArea.province_id.in_(provinces)).distinct()))
    if everything or taken or times:
        _share_queue(session, election, everything, taken, times, now)
    session.flush()
    return RefreshResult(full, len(communes), len(touched))


def _share_queue(session: Session, election: Election, everything: bool, communes: set[int],
                 times: set[int | None], now: datetime) -> None:
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
                provinces = rollups.recompute(session, other, set(communes))
                other_state.version += 1
                mark_changed(session, other.id, other_state.version, now, communes, provinces)


def mark_changed(session: Session, election_id: int, version: int, now: datetime, communes: set[int] | None,
                 provinces: set[int]) -> None:
    """Record ``version`` as the last change of these communes, these provinces and the nation (every place when
    ``communes`` is None: a full rebuild). A recomputed commune counts as changed even when its sums came out
    the same: it is queued only when something in it was written, and its page lists its stations, which two
    compensating changes could alter under equal sums; a poll must never get 204 for a page that changed."""
    pv = PlaceVersion.__table__
    if communes is None:
        session.execute(sa.delete(pv).where(pv.c.election_id == election_id))
        for level, model in (("commune", Commune), ("province", Province)):
            session.execute(pv.insert().from_select(
                ["election_id", "level", "place_id", "version", "changed_at"],
                sa.select(sa.literal(election_id), sa.literal(level), model.id, sa.literal(version),
                          sa.literal(now, PlaceVersion.changed_at.type))))
        session.execute(pv.insert().values(election_id=election_id, level="nation", place_id=0, version=version,
                                           changed_at=now))
        return
    rows = [{"election_id": election_id, "level": level, "place_id": ident, "version": version, "changed_at": now}
            for level, ids in (("commune", sorted(communes)), ("province", sorted(provinces)), ("nation", [0]))
            for ident in ids]
    session.execute(_place_version_upsert(session.get_bind().dialect.name), rows)


@functools.cache
def _place_version_upsert(dialect: str) -> sa.Insert:
    # One upsert for every changed place, as the stations' rows are kept (tracking._count_station_upsert).
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(PlaceVersion.__table__)
    return insert.on_conflict_do_update(index_elements=("election_id", "level", "place_id"),
                                        set_={"version": insert.excluded.version,
                                              "changed_at": insert.excluded.changed_at})


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
