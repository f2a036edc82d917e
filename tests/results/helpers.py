"""Builders for results tests: count minutes and turnout reports written through ``webapp.reports.versions``
without the services' checks (the commune's review is not built, so a test sets the status it needs), with the
numbers it chooses."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.reports.helpers import vn
from tests.world import World
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.elections import services as elections
from webapp.elections.models import ContestKind, ElectoralUnit, PollingArea, PollingAreaUnit
from webapp.progress.tracking import due_at
from webapp.reports import versions
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport

NA = ContestKind.NATIONAL_ASSEMBLY
PROV = ContestKind.PROVINCIAL_COUNCIL
COMMUNE = ContestKind.COMMUNE_COUNCIL
CONFIRMED, RECEIVED, RETURNED = ReportStatus.CONFIRMED, ReportStatus.RECEIVED, ReportStatus.RETURNED
BEN_THANH = "26743"


def unit_areas(session: Session, unit: ElectoralUnit) -> list[PollingArea]:
    return list(session.scalars(
        sa.select(PollingArea).join(PollingAreaUnit).where(PollingAreaUnit.unit_id == unit.id)
        .order_by(PollingArea.code)))


def put_report(session: Session, w: World, area: PollingArea, kind: ContestKind, *, on_list: int = 1000,
               voted: int = 800, invalid: int = 10, votes: Mapping[int, int] | None = None,
               status: ReportStatus = CONFIRMED, complaints: tuple[int, int, int] = (0, 0, 0),
               witnesses: tuple[str, str] = ("Nguyễn Văn Chứng", "Lê Thị Kiến")) -> CountReport:
    """A new latest version of the area's minutes for ``kind`` (the previous one stops counting).
    ``votes`` by ballot order (1-based); by default every candidate gets half the valid ballots."""
    pau = next(l for l in area.unit_links if l.contest.kind is kind)
    unit = pau.unit
    valid = voted - invalid
    by_order = {c.ballot_order: c for c in unit.candidates}
    chosen = {by_order[o].id: n for o, n in (votes or {}).items()} if votes is not None else {
        c.id: valid // 2 for c in unit.candidates}
    current = session.scalars(sa.select(CountReport).where(
        CountReport.polling_area_id == area.id, CountReport.contest_id == pau.contest_id, CountReport.is_latest)).first()
    values = {
        "polling_area_id": area.id, "contest_id": pau.contest_id, "unit_id": unit.id, "is_latest": True,
        "status": status, "voters_on_list": on_list, "voters_voted": voted, "ballots_issued": voted,
        "ballots_received": voted, "valid": valid, "invalid": invalid, "names_kept": None,
        "complaints_received": complaints[0], "complaints_resolved": complaints[1],
        "complaints_forwarded": complaints[2],
        "signers": [{"id": m.id, "name": m.full_name, "role": m.role.value} for m in list(area.team)[:3]],
        "witness_1": witnesses[0], "witness_2": witnesses[1], "client_uuid": uuid.uuid4(), "submitted_at": vn(20, 30),
    }
    return _write(session, w, versions.COUNT, area, pau.contest.election_id, values,
                  {c.id: chosen.get(c.id, 0) for c in unit.candidates}, current,
                  {v.candidate_id: v.votes for v in current.votes} if current else {})


def _write(session: Session, w: World, kind: versions.Kind, area: PollingArea, election_id: int,
           values: dict[str, Any], children: Mapping[int, int], current: Any, current_children: Mapping[int, int],
           **timing: Any) -> Any:
    """Through the one path that writes versions (audit entries and progress summaries included), as sent by the
    area's leader on the web. A confirmed version the test replaces is first reopened (by a plain UPDATE: the
    commune's decision is not what these tests are about)."""
    if current is not None and current.status is CONFIRMED:
        table = kind.model.__table__
        session.execute(sa.update(table).where(table.c.id == current.id).values(status=RECEIVED))
    return versions.write(session, kind, Actor(w.user("to01"), Channel.WEB),
                          place=(area.province_id, area.commune_id, area.id), election_id=election_id,
                          values=values, children=children, current=current, current_children=current_children,
                          **timing).report


def put_turnout(session: Session, w: World, area: PollingArea, hour: int, voted: int, *, minute: int = 0,
                status: ReportStatus = RECEIVED) -> TurnoutReport:
    from datetime import time

    slot = time(hour, minute)
    current = session.scalars(sa.select(TurnoutReport).where(
        TurnoutReport.polling_area_id == area.id, TurnoutReport.slot_at == slot, TurnoutReport.is_latest)).first()
    election = area.unit_links[0].contest.election
    values = {"election_id": election.id, "polling_area_id": area.id, "slot_at": slot, "is_latest": True,
              "status": status, "client_uuid": uuid.uuid4(), "submitted_at": vn(hour, minute)}
    day = area.early_voting_date or election.polling_date
    grace = next((t.grace_minutes for t in elections.report_times(session, election, area.province_id)
                  if t.at == slot), None)
    return _write(session, w, versions.TURNOUT, area, election.id, values,
                  {link.contest_id: voted for link in area.unit_links}, current,
                  {f.contest_id: f.voters_voted for f in current.figures} if current else {},
                  day=day, due=due_at(day, slot, grace))


def set_status(session: Session, report: CountReport | TurnoutReport, status: ReportStatus, *, by: Any = None,
               at: datetime | None = None, **reviewed: Any) -> None:
    """The commune's decision as the summaries and the audit log see it (``webapp.review`` writes it the same
    way), without the review's rules: these tests are about what follows from a status, not who may set it."""
    versions.change_status(session, report, status, by=by, at=at or vn(21), **reviewed)
