"""The hotline's reading and its one kind of writing (besides entry by phone): find a station by code, name,
commune, a team member's phone or a receipt code; a station's timeline; record how a call went."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.admin_services import contains
from webapp.accounts.models import ActivationCode, Role, User
from webapp.elections.models import PollingArea, TeamMember
from webapp.geo.models import Commune
from webapp.hotline.models import CallLog, CallOutcome
from webapp.reports import receipts
from webapp.reports import services as reports
from webapp.reports.models import CountReport, TurnoutReport
from webapp.review.queries import area_actions
from webapp.textnorm import fold

SEARCH_LIMIT = 50
CALLERS = frozenset({Role.HOTLINE, Role.PROVINCE, Role.ADMIN})
_PHONE_CHARS = re.compile(r"^[\d\s.+()-]+$")


class HotlineError(Exception):
    """Base of the hotline's refusals."""


class NotCaller(HotlineError):
    """Only the hotline and provincial or national officials record calls (403)."""


def phone_digits(query: str) -> str | None:
    """A phone number as stored (0 and 9–10 digits), from what was typed ("+84 912 000 001"), or None when the
    query is not a phone number (at least 6 digits, nothing else but spaces and punctuation)."""
    text = query.strip()
    if not _PHONE_CHARS.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+84") or (digits.startswith("84") and len(digits) == 11):
        digits = "0" + digits[2:]
    return digits if len(digits) >= 6 else None


@dataclasses.dataclass
class SearchResult:
    query: str
    how: str  # "receipt" | "number" (a phone or a code) | "text" | ""
    areas: list[PollingArea]
    report: TurnoutReport | CountReport | None = None  # the report a receipt code names

    @property
    def report_kind(self) -> str | None:
        return None if self.report is None else ("count" if isinstance(self.report, CountReport) else "turnout")


def _area_options() -> Any:
    return selectinload(PollingArea.commune), selectinload(PollingArea.team)


def search_stations(session: Session, user: User, query: str) -> SearchResult:
    """Stations in the user's scope: by receipt code (the report it names), by a team member's or leader's phone
    (a part of the number is enough), by code, name or commune name, every word of the query matching one of
    them ("ben thanh 3"), or by the name of a team member or of the leader's account; words are compared folded
    (webapp.textnorm.fold: diacritics, dashes and apostrophes optional)."""
    query = query.strip()[:100]
    if not query:
        return SearchResult(query, "", [])
    code = receipts.normalise(query)
    if len(query) <= 8 and receipts.is_well_formed(code):
        found = reports.find_receipt(session, user, code)
        if found is not None:
            area = scope.get(session, PollingArea, found.polling_area_id, user)
            return SearchResult(query, "receipt", [area], found)
    stmt = scope.select(PollingArea, user).join(Commune, Commune.id == PollingArea.commune_id)
    digits = phone_digits(query)
    if digits is not None:
        # A whole number is looked up by its index; a part of one ("the last digits") needs a scan.
        matches = (lambda col: col == digits) if len(digits) >= 10 else (lambda col: col.like(f"%{digits}%"))
        members = sa.select(TeamMember.polling_area_id).where(matches(TeamMember.phone))
        leaders = sa.select(User.polling_area_id).where(matches(User.phone), User.polling_area_id.is_not(None))
        # Station codes look like numbers too ("00070-01"): a number matches a phone or a code.
        stmt = stmt.where(sa.or_(PollingArea.id.in_(members), PollingArea.id.in_(leaders),
                                 PollingArea.code.like(f"%{query}%")))
        how = "number"
    else:
        folded = fold(query)
        place = [sa.or_(PollingArea.name_folded.like(contains(word), escape="\\"),
                        PollingArea.code.like(contains(word), escape="\\"),
                        Commune.name_folded.like(contains(word), escape="\\")) for word in folded.split()]
        # A person's name is matched whole ("nguyen van an", or its end "van an"), not word by word: "an" alone
        # is a part of thousands of names. Only the people of the user's area are read (a province's, not the
        # country's half a million team members).
        name = contains(folded)
        members = sa.select(TeamMember.polling_area_id).where(scope.visible(TeamMember, user),
                                                              TeamMember.name_folded.like(name, escape="\\"))
        leaders = sa.select(User.polling_area_id).where(scope.visible(User, user), User.polling_area_id.is_not(None),
                                                        User.name_folded.like(name, escape="\\"))
        stmt = stmt.where(sa.or_(sa.and_(*place), PollingArea.id.in_(members), PollingArea.id.in_(leaders)))
        how = "text"
    areas = session.scalars(stmt.order_by(PollingArea.code).limit(SEARCH_LIMIT).options(*_area_options())).all()
    return SearchResult(query, how, list(areas))


@dataclasses.dataclass
class Event:
    at: datetime
    kind: str  # turnout | count | photo | review | call | reset (of the leader's code, after activation)
    obj: Any


@dataclasses.dataclass
class Timeline:
    area: PollingArea
    team: list[TeamMember]
    leaders: list[User]  # the area's leader accounts (their phone may differ from the team list)
    events: list[Event]
    reports: dict[tuple[str, int], Any] = dataclasses.field(default_factory=dict)  # (kind, id) -> report

    def report_of(self, action: Any) -> Any:
        """The report a review decision was about (to name its ballot or report time), if it is in the timeline."""
        if action.count_report_id is not None:
            return self.reports.get(("count", action.count_report_id))
        return self.reports.get(("turnout", action.turnout_report_id))

    @property
    def other_leader_phones(self) -> list[User]:
        """Leader accounts whose number is not already on the team list."""
        listed = {m.phone for m in self.team if m.phone}
        return [u for u in self.leaders if u.phone and u.phone not in listed]

    @property
    def team_leaders(self) -> list[TeamMember]:
        return [m for m in self.team if m.role.value == "leader"]

    @property
    def team_others(self) -> list[TeamMember]:
        return [m for m in self.team if m.role.value != "leader"]


def station_timeline(session: Session, user: User, area_id: int) -> Timeline:
    """Everything that happened at one station, newest first: every version of every report (state, who, when,
    channel, receipt), the photos, the commune's decisions, the hotline's calls and the resets of its leader's code
    after activation."""
    history = reports.station_history(session, user, area_id)
    area = history.area
    events = [Event(r.submitted_at, "turnout", r) for r in history.turnout]
    events += [Event(r.submitted_at, "count", r) for r in history.counts]
    events += [Event(p.uploaded_at, "photo", p) for r in history.counts for p in r.photos]
    events += [Event(a.at, "review", a) for a in area_actions(session, user, area.id)]
    calls = session.scalars(scope.select(CallLog, user).where(CallLog.polling_area_id == area.id)
                            .options(selectinload(CallLog.caller))).all()
    events += [Event(c.at, "call", c) for c in calls]
    resets = session.scalars(
        sa.select(ActivationCode).where(ActivationCode.polling_area_id == area.id, ActivationCode.after_activation)
        .options(selectinload(ActivationCode.issued_by), selectinload(ActivationCode.user))).all()
    events += [Event(r.issued_at, "reset", r) for r in resets]
    order = {"reset": -1, "call": 0, "review": 1, "photo": 2, "count": 3, "turnout": 4}
    events.sort(key=lambda e: (e.at, -order[e.kind], getattr(e.obj, "id", 0)), reverse=True)
    leaders = session.scalars(scope.select(User, user).where(User.polling_area_id == area.id,
                                                             User.role == Role.LEADER)).all()
    known = {("turnout", r.id): r for r in history.turnout} | {("count", r.id): r for r in history.counts}
    return Timeline(area, list(area.team), list(leaders), events, known)


def record_call(session: Session, *, actor: User, area_id: int, outcome: CallOutcome, note: str = "",
                number: str = "", slot_at: time | None = None, now: datetime) -> CallLog:
    """Record one call about a station in the caller's scope: the outcome, the number called, a note."""
    if actor.role not in CALLERS:
        raise NotCaller
    area = scope.get(session, PollingArea, area_id, actor)
    call = CallLog(polling_area_id=area.id, province_id=area.province_id, commune_id=area.commune_id,
                   slot_at=slot_at, outcome=outcome, number=re.sub(r"[^\d+]", "", number or "")[:20],
                   note=(note or "").strip()[:1000], caller_id=actor.id, at=now)
    session.add(call)
    session.flush()
    return call
