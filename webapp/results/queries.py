"""The SQL behind the results: one GROUP BY per set of units, whatever the number of stations.

Every function takes a subquery of unit ids that the caller has already passed through ``webapp.scope``. Only the
latest version of each count minutes counts; the confirmed ones give the official figures, the received and
confirmed ones together give the provisional figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.elections.models import ElectoralUnit, PollingArea, PollingAreaUnit
from webapp.reports.checks import COMPLAINT_FIELDS, COUNT_FIELDS
from webapp.reports.models import CountReport, CountVote, ReportStatus
from webapp.results.rules import UnitTotals

SUMMED = COUNT_FIELDS
COMPLAINTS = COMPLAINT_FIELDS
OFFICIAL = "official"
PROVISIONAL = "provisional"
SIDES = (OFFICIAL, PROVISIONAL)

_IS = {
    OFFICIAL: CountReport.status == ReportStatus.CONFIRMED,
    # Returned minutes wait for the team's correction: they are in neither figure.
    PROVISIONAL: CountReport.status.in_((ReportStatus.RECEIVED, ReportStatus.CONFIRMED)),
}


def _sum_if(condition: Any, column: Any, label: str) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, column), else_=0)), 0).label(label)


def _count_if(condition: Any, label: str) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0).label(label)


def report_sums_stmt(unit_ids: Any) -> sa.Select[Any]:
    columns = [
        _sum_if(_IS[side], getattr(CountReport, name), f"{side}_{name}")
        for side in SIDES for name in SUMMED + COMPLAINTS
    ]
    columns += [_count_if(CountReport.status == status, status.value) for status in ReportStatus]
    return (
        sa.select(CountReport.unit_id, *columns)
        .where(CountReport.is_latest, CountReport.unit_id.in_(unit_ids))
        .group_by(CountReport.unit_id)
    )


def report_sums(session: Session, unit_ids: Any) -> dict[int, dict[str, int]]:
    """unit id -> {"official_valid": …, "provisional_valid": …, …, "confirmed": n, "received": n, "returned": n}."""
    return {row.unit_id: {k: int(v) for k, v in row._mapping.items() if k != "unit_id"}
            for row in session.execute(report_sums_stmt(unit_ids))}


def vote_sums_stmt(unit_ids: Any) -> sa.Select[Any]:
    return (
        sa.select(CountReport.unit_id, CountVote.candidate_id,
                  *(_sum_if(_IS[side], CountVote.votes, side) for side in SIDES))
        .join(CountReport, CountVote.report_id == CountReport.id)
        .where(CountReport.is_latest, CountReport.unit_id.in_(unit_ids))
        .group_by(CountReport.unit_id, CountVote.candidate_id)
    )


def vote_sums(session: Session, unit_ids: Any) -> dict[tuple[int, str], dict[int, int]]:
    """(unit id, side) -> {candidate id: votes}."""
    out: dict[tuple[int, str], dict[int, int]] = {}
    for row in session.execute(vote_sums_stmt(unit_ids)):
        for side in SIDES:
            out.setdefault((row.unit_id, side), {})[row.candidate_id] = int(getattr(row, side))
    return out


def expected_stations(session: Session, unit_ids: Any) -> dict[int, int]:
    """unit id -> the polling areas mapped to it (the stations whose minutes it waits for)."""
    stmt = (
        sa.select(PollingAreaUnit.unit_id, sa.func.count())
        .where(PollingAreaUnit.unit_id.in_(unit_ids))
        .group_by(PollingAreaUnit.unit_id)
    )
    return {unit_id: int(n) for unit_id, n in session.execute(stmt)}


def totals_of(sums: Mapping[str, int], votes: Mapping[int, int], side: str) -> UnitTotals:
    """The unit's totals on one side, as ``rules.aggregate`` would add them up station by station."""
    stations = sums.get(ReportStatus.CONFIRMED.value, 0)
    if side == PROVISIONAL:
        stations += sums.get(ReportStatus.RECEIVED.value, 0)
    return UnitTotals(**{name: sums.get(f"{side}_{name}", 0) for name in SUMMED},
                     votes={cid: votes[cid] for cid in sorted(votes)}, stations=stations)


def complaints_of(sums: Mapping[str, int], side: str) -> dict[str, int]:
    return {name: sums.get(f"{side}_{name}", 0) for name in COMPLAINTS}


def commune_breakdown(session: Session, unit_id: int, visible_areas: Any) -> list[dict[str, int]]:
    """The unit's official totals by commune (the Ban's minutes break them down), with stations expected and
    confirmed; ``visible_areas`` is the scope clause on PollingArea."""
    expected = (
        sa.select(PollingArea.commune_id, sa.func.count().label("expected"))
        .join(PollingAreaUnit, PollingAreaUnit.polling_area_id == PollingArea.id)
        .where(PollingAreaUnit.unit_id == unit_id, visible_areas)
        .group_by(PollingArea.commune_id)
    )
    confirmed = CountReport.status == ReportStatus.CONFIRMED
    sums = (
        sa.select(PollingArea.commune_id, _count_if(confirmed, "confirmed"),
                  *(_sum_if(confirmed, getattr(CountReport, name), name) for name in SUMMED))
        .join(PollingArea, PollingArea.id == CountReport.polling_area_id)
        .where(CountReport.is_latest, CountReport.unit_id == unit_id, visible_areas)
        .group_by(PollingArea.commune_id)
    )
    rows: dict[int, dict[str, int]] = {
        commune_id: {"commune_id": commune_id, "expected": int(n), "confirmed": 0, **dict.fromkeys(SUMMED, 0)}
        for commune_id, n in session.execute(expected)
    }
    for row in session.execute(sums):
        entry = rows.setdefault(row.commune_id, {"commune_id": row.commune_id, "expected": 0})
        entry.update({k: int(v) for k, v in row._mapping.items() if k != "commune_id"})
    # Each candidate's votes by commune (the Ban's minutes give them), from the same confirmed minutes.
    votes = (
        sa.select(PollingArea.commune_id, CountVote.candidate_id, sa.func.sum(CountVote.votes).label("votes"))
        .join(CountReport, CountVote.report_id == CountReport.id)
        .join(PollingArea, PollingArea.id == CountReport.polling_area_id)
        .where(CountReport.is_latest, CountReport.unit_id == unit_id, confirmed, visible_areas)
        .group_by(PollingArea.commune_id, CountVote.candidate_id)
    )
    for entry in rows.values():
        entry["votes"] = {}
    for row in session.execute(votes):
        rows[row.commune_id]["votes"][row.candidate_id] = int(row.votes)
    return list(rows.values())


def whole_units(session: Session, unit_ids: Any, visible_areas: Any) -> set[int]:
    """The units among ``unit_ids`` whose every polling area satisfies ``visible_areas`` (the scope clause on
    PollingArea): those mapped to the unit now, and those whose latest minutes were sent for it (the mapping may
    have changed since). Only readers who see a whole unit may see its provisional sums: anyone else could
    subtract the stations they see and read the other communes' unconfirmed figures."""
    mine = sa.select(PollingArea.id).where(visible_areas)
    mapped_elsewhere = sa.exists().where(PollingAreaUnit.unit_id == ElectoralUnit.id,
                                         PollingAreaUnit.polling_area_id.not_in(mine))
    sent_elsewhere = sa.exists().where(CountReport.unit_id == ElectoralUnit.id, CountReport.is_latest,
                                       CountReport.polling_area_id.not_in(mine))
    stmt = sa.select(ElectoralUnit.id).where(ElectoralUnit.id.in_(unit_ids), ~mapped_elsewhere, ~sent_elsewhere)
    return set(session.scalars(stmt))
