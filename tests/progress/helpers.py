"""Builders for progress tests: a leader account for any polling area, turnout sent through the reports
service, and an independent GROUP BY over the raw reports to check the rollups against (field lesson 8)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.reports.helpers import vn
from tests.world import NOW, World
from webapp.accounts.models import Role, User
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.elections import services as elections
from webapp.elections.models import PollingArea
from webapp.progress import refresh
from webapp.reports import services as reports
from webapp.reports.models import ReportStatus, TurnoutFigure, TurnoutReport
from webapp.reports.services import TurnoutInput

__all__ = ["areas_of", "leader", "raw_turnout", "rebuild_now", "refresh_now", "send", "vn"]


def leader(session: Session, area: PollingArea) -> User:
    """The area's team leader (the world has accounts for two areas only)."""
    user = session.scalars(sa.select(User).where(User.role == Role.LEADER, User.polling_area_id == area.id)).first()
    if user is None:
        user = User(username=f"lead-{area.code}", role=Role.LEADER, province_id=area.province_id,
                    commune_id=area.commune_id, polling_area_id=area.id, created_at=NOW)
        session.add(user)
        session.flush()
    return user


def send(session: Session, area: PollingArea, voted: int | dict[int, int], *, now: datetime,
         slot: object = None, reason: str = "") -> TurnoutReport:
    data = (TurnoutInput(per_contest=voted, slot=slot, reason=reason) if isinstance(voted, dict)
            else TurnoutInput(voted=voted, slot=slot, reason=reason))
    return reports.submit_turnout(session, actor=Actor(leader(session, area), Channel.WEB), area_id=area.id, data=data,
                                  client_uuid=uuid.uuid4(), now=now).report


def areas_of(w: World, commune_code: str) -> list[PollingArea]:
    commune = w.commune(commune_code)
    return list(w.session.scalars(sa.select(PollingArea).where(PollingArea.commune_id == commune.id)
                                  .order_by(PollingArea.number)))


def refresh_now(session: Session, now: datetime | None = None) -> refresh.RefreshResult:
    return refresh.refresh(session, now=now or vn(12))


def rebuild_now(session: Session, now: datetime | None = None) -> refresh.RefreshResult:
    return refresh.rebuild(session, now=now or vn(12))


def raw_turnout(session: Session, *, level: str) -> dict[tuple, tuple[int, int, int, int, int]]:
    """{(place id, contest id, slot): (reported, returned, confirmed, voted provisional, voted confirmed)} straight
    from turnout_reports and turnout_figures, grouped by ``level`` ("commune", "province" or "nation")."""
    place = {"commune": PollingArea.commune_id, "province": PollingArea.province_id,
             "nation": sa.literal(0)}[level]
    r, f = TurnoutReport, TurnoutFigure
    election = elections.current_election(session)
    counted = r.status != ReportStatus.RETURNED
    confirmed = r.status == ReportStatus.CONFIRMED
    rows = session.execute(
        sa.select(place.label("place"), f.contest_id, r.slot_at,
                  sa.func.sum(sa.case((counted, 1), else_=0)), sa.func.sum(sa.case((~counted, 1), else_=0)),
                  sa.func.sum(sa.case((confirmed, 1), else_=0)),
                  sa.func.sum(sa.case((counted, f.voters_voted), else_=0)),
                  sa.func.sum(sa.case((confirmed, f.voters_voted), else_=0)))
        .join(f, f.report_id == r.id).join(PollingArea, PollingArea.id == r.polling_area_id)
        .where(r.is_latest, r.election_id == election.id)
        .group_by(place, f.contest_id, r.slot_at)
    ).all()
    out: dict[tuple, tuple[int, int, int, int, int]] = defaultdict(lambda: (0, 0, 0, 0, 0))
    for row in rows:
        out[(row[0], row[1], row[2])] = tuple(int(v) for v in row[3:])  # type: ignore[assignment]
    return dict(out)
