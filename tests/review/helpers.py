"""Reports to review, sent the way a leader sends them (through the reports services), at a fixed election-day
clock; and the officials who review them."""

from __future__ import annotations

from datetime import time

from sqlalchemy.orm import Session

from tests.reports.helpers import AREA, count_data, good_numbers, new_id, vn
from tests.world import World
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind
from webapp.reports import services as reports
from webapp.reports.models import CountReport, TurnoutReport
from webapp.reports.services import TurnoutInput

__all__ = ["AREA", "send_count", "send_turnout", "vn"]


def send_count(session: Session, w: World, *, kind: ContestKind = ContestKind.NATIONAL_ASSEMBLY,
               voted: int | None = None, at: tuple[int, int] = (20, 0), area: str = AREA,
               leader: str = "to01", ip: str = "", **overrides: object) -> CountReport:
    """One contest's count minutes that pass every check, from the area's leader (on the web, from ``ip``)."""
    place = w.area(area)
    numbers = good_numbers(session, place, kind, voted=voted)
    contest_id = next(link.contest_id for link in place.unit_links if link.contest.kind is kind)
    result = reports.submit_count(session, actor=Actor(w.user(leader), Channel.WEB, ip), area_id=place.id,
                                  contest_id=contest_id, data=count_data(w, numbers, **overrides),
                                  client_uuid=new_id(), now=vn(*at))
    return result.report


def send_turnout(session: Session, w: World, voted: int, *, slot: time | None = None, at: tuple[int, int] = (9, 5),
                 area: str = AREA, leader: str = "to01", reason: str = "") -> TurnoutReport:
    result = reports.submit_turnout(session, actor=Actor(w.user(leader), Channel.WEB), area_id=w.area(area).id,
                                    data=TurnoutInput(voted=voted, slot=slot, reason=reason), client_uuid=new_id(),
                                    now=vn(*at))
    return result.report
