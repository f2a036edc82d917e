"""The provincial committee's statistical tables: Mẫu 28/HĐBC (biểu thống kê sơ bộ: the provisional figures,
minutes received or confirmed) and Mẫu 30/HĐBC (biểu thống kê chính thức: confirmed minutes only), one row per
contest the province's committee runs, with the columns of voters-and-drills.md §3 (the 2021 templates'):
voters, voted and turnout; units, units of a single polling area, units at half the voters or fewer, repeat and
additional elections; polling areas and those at half or fewer; ballots issued, received and their ratio, valid and
their share; then who was elected (women, under 40)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.elections.models import Gender
from webapp.followups.models import FollowUpVote
from webapp.followups.rules import short_of_members
from webapp.reports.models import CountReport, ReportStatus
from webapp.results.queries import OFFICIAL, PROVISIONAL
from webapp.results.services import CommitteeResults, ContestResults

PRELIMINARY, FINAL = "preliminary", "official"
FORM_NUMBERS = {PRELIMINARY: "28/HĐBC", FINAL: "30/HĐBC"}
# The written reports beside the tables, from the same rows: Mẫu 27/HĐBC (báo cáo tình hình và kết quả sơ bộ) and
# Mẫu 29/HĐBC (báo cáo tổng kết).
REPORT_NUMBERS = {PRELIMINARY: "27/HĐBC", FINAL: "29/HĐBC"}


@dataclasses.dataclass(frozen=True)
class ContestRow:
    contest: ContestResults
    voters_on_list: int
    voters_voted: int
    units: int
    single_station_units: int
    low_turnout: tuple[str, ...]  # the units at half the voters or fewer (preliminary: figures so far), by ``unit_label``
    short: tuple[tuple[str, int], ...]  # (unit, seats left empty) of the units short of members
    repeat_elections: int
    additional_elections: int
    stations: int
    stations_reported: int
    low_turnout_stations: int
    ballots_issued: int
    ballots_received: int
    valid: int
    seats: int
    elected: int
    elected_women: int
    elected_under_40: int

    @property
    def low_turnout_units(self) -> int:
        return len(self.low_turnout)

    @property
    def short_units(self) -> int:
        return len(self.short)


def _side_of(o: object, side: str) -> object:
    return getattr(o, side) or getattr(o, OFFICIAL)


def statistics(session: Session, results: CommitteeResults, kind: str, polling_day: date) -> list[ContestRow]:
    side = OFFICIAL if kind == FINAL else PROVISIONAL
    statuses = ((ReportStatus.CONFIRMED,) if kind == FINAL else (ReportStatus.CONFIRMED, ReportStatus.RECEIVED))
    rows = []
    for cr in results.contests:
        unit_ids = [o.unit.id for o in cr.units]
        stations = session.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case(
                (2 * CountReport.voters_voted <= CountReport.voters_on_list, 1), else_=0)), 0))
            .where(CountReport.is_latest, CountReport.unit_id.in_(unit_ids), CountReport.status.in_(statuses))
        ).one() if unit_ids else (0, 0)
        follow_ups = dict(session.execute(
            sa.select(FollowUpVote.kind, sa.func.count()).where(FollowUpVote.unit_id.in_(unit_ids))
            .group_by(FollowUpVote.kind)).all()) if unit_ids else {}
        figures = [_side_of(o, side) for o in cr.units]
        winners = [(o, c) for o in cr.units if o.complete for c in o.official.winners]
        born_limit = date(polling_day.year - 40, polling_day.month, polling_day.day)
        rows.append(ContestRow(
            contest=cr,
            voters_on_list=sum(f.totals.voters_on_list for f in figures),  # type: ignore[attr-defined]
            voters_voted=sum(f.totals.voters_voted for f in figures),  # type: ignore[attr-defined]
            units=len(cr.units), single_station_units=sum(1 for o in cr.units if o.expected == 1),
            low_turnout=tuple(unit_label(o.unit) for o, f in zip(cr.units, figures, strict=True)
                              if f.totals.stations and not f.result.turnout_met  # type: ignore[attr-defined]
                              and (kind != FINAL or o.complete)),
            # A unit is short once its result stands: every minutes confirmed (official), or arrived (preliminary).
            short=tuple((unit_label(o.unit), n) for o, f in zip(cr.units, figures, strict=True)
                        if (o.complete or (kind != FINAL and o.confirmed + o.received == o.expected > 0))
                        and (n := short_of_members(f.result))),  # type: ignore[attr-defined]
            repeat_elections=sum(n for k, n in follow_ups.items() if k.value == "repeat"),
            additional_elections=sum(n for k, n in follow_ups.items() if k.value == "additional"),
            stations=cr.expected, stations_reported=int(stations[0]), low_turnout_stations=int(stations[1]),
            ballots_issued=sum(f.totals.ballots_issued for f in figures),  # type: ignore[attr-defined]
            ballots_received=sum(f.totals.ballots_received for f in figures),  # type: ignore[attr-defined]
            valid=sum(f.totals.valid for f in figures),  # type: ignore[attr-defined]
            seats=cr.seats, elected=len(winners),
            elected_women=sum(1 for o, c in winners if _gender(o, c.id) is Gender.FEMALE),
            elected_under_40=sum(1 for _o, c in winners if c.birth_date > born_limit),
        ))
    return rows


def unit_label(unit: Any) -> str:
    """A unit as the province's report names it: its number, and its commune's name for a commune council's unit
    (every commune numbers its units from 1)."""
    return f"{unit.number} - {unit.commune.name}" if unit.commune_id is not None else str(unit.number)


def _gender(outcome: object, candidate_id: int) -> Gender | None:
    unit = outcome.unit  # type: ignore[attr-defined]
    return next((c.gender for c in unit.candidates if c.id == candidate_id), None)
