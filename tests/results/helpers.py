"""Builders for results tests: count minutes written straight to the database (the commune's review is not
built yet, so a test sets the status it needs), with the numbers it chooses."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.reports.helpers import vn
from tests.world import World
from webapp.audit.models import Channel
from webapp.elections.models import ContestKind, ElectoralUnit, PollingArea, PollingAreaUnit
from webapp.reports import receipts
from webapp.reports.models import CountReport, CountVote, ReportStatus, TurnoutFigure, TurnoutReport

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
    if current is not None:
        current.is_latest = False
        session.flush()
    team = list(area.team)
    report = CountReport(
        polling_area=area, contest_id=pau.contest_id, unit_id=unit.id,
        version=current.version + 1 if current else 1, supersedes_id=current.id if current else None,
        is_latest=True, status=status, voters_on_list=on_list, voters_voted=voted, ballots_issued=voted,
        ballots_received=voted, valid=valid, invalid=invalid,
        complaints_received=complaints[0], complaints_resolved=complaints[1], complaints_forwarded=complaints[2],
        signers=[{"id": m.id, "name": m.full_name, "role": m.role.value} for m in team[:3]],
        witness_1=witnesses[0], witness_2=witnesses[1], client_uuid=uuid.uuid4(), receipt=receipts.generate(),
        channel=Channel.WEB, submitted_by=w.user("to01"), submitted_at=vn(20, 30),
    )
    session.add(report)
    for candidate in unit.candidates:
        report.votes.append(CountVote(candidate_id=candidate.id, votes=chosen.get(candidate.id, 0)))
    session.flush()
    return report


def put_turnout(session: Session, w: World, area: PollingArea, hour: int, voted: int, *, minute: int = 0,
                status: ReportStatus = RECEIVED) -> TurnoutReport:
    from datetime import time

    slot = time(hour, minute)
    current = session.scalars(sa.select(TurnoutReport).where(
        TurnoutReport.polling_area_id == area.id, TurnoutReport.slot_at == slot, TurnoutReport.is_latest)).first()
    if current is not None:
        current.is_latest = False
        session.flush()
    election_id = area.unit_links[0].contest.election_id
    report = TurnoutReport(
        election_id=election_id, polling_area=area, slot_at=slot, version=current.version + 1 if current else 1,
        supersedes_id=current.id if current else None, is_latest=True, status=status,
        client_uuid=uuid.uuid4(), receipt=receipts.generate(), channel=Channel.WEB,
        submitted_by=w.user("to01"), submitted_at=vn(hour, minute),
    )
    session.add(report)
    for l in area.unit_links:
        report.figures.append(TurnoutFigure(contest_id=l.contest_id, voters_voted=voted))
    session.flush()
    return report
