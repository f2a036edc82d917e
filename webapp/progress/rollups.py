"""The rollups' SQL: a commune's rows summed from its station rows, a province's from its communes' rows
(``webapp.progress.refresh`` decides which to recompute and when)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.db import insert_rows
from webapp.elections.models import Contest, Election, PollingArea, PollingAreaUnit, ReportTime
from webapp.elections.services import latest_voters
from webapp.geo.models import Commune
from webapp.progress.models import CountRollup, CountStation, Level, TurnoutRollup, TurnoutStation
from webapp.progress.tracking import DEFAULT_GRACE, due_at
from webapp.reports.models import ReportStatus

CHUNK = 500  # communes recomputed per statement


def _chunks(items: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]

def report_schedules(session: Session, election: Election) -> dict[int | None, dict[time, int]]:
    """{province id (None: national default): {report time: grace minutes}}."""
    out: dict[int | None, dict[time, int]] = defaultdict(dict)
    for row in session.execute(sa.select(ReportTime.province_id, ReportTime.at, ReportTime.grace_minutes)
                               .where(ReportTime.election_id == election.id)):
        out[row.province_id][row.at] = row.grace_minutes
    return out


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


def recompute(session: Session, election: Election, communes: set[int]) -> set[int]:
    """Recompute these communes' rollups and their provinces'; returns the provinces."""
    if not communes:
        return set()
    schedules = report_schedules(session, election)
    ordered = sorted(communes)
    provinces: set[int] = set()
    for chunk in _chunks(ordered):
        _commune_rollups(session, election, chunk, schedules)
        provinces.update(session.scalars(sa.select(Commune.province_id).where(Commune.id.in_(chunk)).distinct()))
    if provinces:
        _province_rollups(session, election, sorted(provinces))
    return provinces
