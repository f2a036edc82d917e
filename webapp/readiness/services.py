"""Recording a readiness check and reading the stations' readiness, always within the reader's scope.

The phone runs what only it can know (its pages kept for offline use, its outbox, persistent storage, the version
of the app its service worker runs); the server decides what it can check itself: the phone's clock against its
own, the version against the one it serves, the account, and that the results came through the outbox."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import Role, User
from webapp.clock import to_local
from webapp.elections.models import Contest, Election, PollingArea, PollingAreaUnit
from webapp.geo.models import Commune
from webapp.hotline import calllist
from webapp.readiness.models import ReadinessCheck

#: How far the phone's clock may be from the server's (the report times are minutes apart).
CLOCK_TOLERANCE = timedelta(minutes=2)
PAGE_SIZE = calllist.PAGE_SIZE


class ReadinessError(ValueError):
    """The results cannot be recorded (the account has no station)."""


@dataclasses.dataclass(frozen=True)
class PhoneResults:
    """What the phone reported."""

    client_uuid: uuid.UUID
    pages_cached: bool
    storage_persistent: bool
    app_version: str
    client_time: datetime | None
    user_agent: str
    missing_pages: tuple[str, ...] = ()
    storage_note: str = ""


def record_check(session: Session, *, actor: User, election: Election, results: PhoneResults, via_outbox: bool,
                 server_version: str, now: datetime) -> ReadinessCheck:
    """Store one run of the readiness check of the actor's station. ``via_outbox``: the results arrived as an
    item of the phone's outbox (queued in IndexedDB and replayed), which is the outbox check itself. A run sent
    twice (a double tap, a replay) is stored once."""
    if actor.role is not Role.LEADER or actor.polling_area_id is None:
        raise ReadinessError("only a station leader's phone is checked")
    known = session.scalars(sa.select(ReadinessCheck).where(ReadinessCheck.client_uuid == results.client_uuid)).first()
    if known is not None:
        return known
    skew = None if results.client_time is None else round((results.client_time - now).total_seconds())
    outcomes = {
        "pages_cached": results.pages_cached,
        "outbox_works": via_outbox,
        "storage_persistent": results.storage_persistent,
        "clock_ok": skew is not None and abs(skew) <= CLOCK_TOLERANCE.total_seconds(),
        "version_current": bool(results.app_version) and results.app_version == server_version,
        "account_active": actor.is_active and not actor.needs_activation,
    }
    details: dict[str, Any] = {}
    if results.missing_pages:
        details["missing_pages"] = list(results.missing_pages)[:20]
    if results.storage_note:
        details["storage"] = results.storage_note[:200]
    area = session.get(PollingArea, actor.polling_area_id)
    assert area is not None
    check = ReadinessCheck(
        election_id=election.id, polling_area_id=area.id, province_id=area.province_id, commune_id=area.commune_id,
        user_id=actor.id, client_uuid=results.client_uuid, checked_at=now, client_time=results.client_time,
        clock_skew_seconds=skew, user_agent=results.user_agent[:300], app_version=results.app_version[:20],
        server_version=server_version[:20], passed=all(outcomes.values()), details=details, **outcomes)
    try:
        with session.begin_nested():
            session.add(check)
    except IntegrityError:
        # The same run sent twice at once (a double tap racing a replay): the other request stored it.
        return session.scalars(sa.select(ReadinessCheck)
                               .where(ReadinessCheck.client_uuid == results.client_uuid)).one()
    return check


def latest_check(session: Session, user: User, election: Election, area_id: int) -> ReadinessCheck | None:
    """The station's latest run in this election (within the user's scope)."""
    return session.scalars(
        scope.select(ReadinessCheck, user)
        .where(ReadinessCheck.election_id == election.id, ReadinessCheck.polling_area_id == area_id)
        .order_by(ReadinessCheck.checked_at.desc(), ReadinessCheck.id.desc()).limit(1)).first()


def taking_part(election: Election) -> Any:
    """The WHERE clause keeping the polling areas that vote in ``election`` (a drill may be one province's)."""
    return PollingArea.id.in_(sa.select(PollingAreaUnit.polling_area_id).join(Contest)
                              .where(Contest.election_id == election.id))


def _latest_ids(election: Election) -> Any:
    """The id of each station's latest run in ``election`` (a subquery)."""
    ranked = (sa.select(ReadinessCheck.id, sa.func.row_number().over(
        partition_by=ReadinessCheck.polling_area_id,
        order_by=(ReadinessCheck.checked_at.desc(), ReadinessCheck.id.desc())).label("rank"))
        .where(ReadinessCheck.election_id == election.id).subquery())
    return sa.select(ranked.c.id).where(ranked.c.rank == 1)


@dataclasses.dataclass
class StationReadiness:
    area: PollingArea
    check: ReadinessCheck | None

    @property
    def ready(self) -> bool:
        return self.check is not None and self.check.passed


@dataclasses.dataclass
class CommuneReadiness:
    commune: Commune
    stations: int
    ready: int
    failed: int

    @property
    def unchecked(self) -> int:
        return self.stations - self.ready - self.failed


def commune_stations(session: Session, user: User, election: Election, commune_id: int) -> tuple[Commune, list[StationReadiness]]:
    """Every station of a commune with its latest run; ``scope.OutOfScope`` for a commune outside the user's."""
    commune = scope.get(session, Commune, commune_id, user)
    areas = session.scalars(scope.select(PollingArea, user).where(PollingArea.commune_id == commune.id,
                                                                  taking_part(election))
                            .order_by(PollingArea.number)).all()
    checks = {c.polling_area_id: c for c in session.scalars(
        sa.select(ReadinessCheck).where(ReadinessCheck.id.in_(_latest_ids(election)),
                                        ReadinessCheck.commune_id == commune.id)
        .options(selectinload(ReadinessCheck.user)))}
    return commune, [StationReadiness(a, checks.get(a.id)) for a in areas]


def communes_summary(session: Session, user: User, election: Election) -> list[CommuneReadiness]:
    """For each commune in scope with stations: how many stations, how many ready, how many failed their last run."""
    latest = sa.select(ReadinessCheck.polling_area_id, ReadinessCheck.passed).where(
        ReadinessCheck.id.in_(_latest_ids(election))).subquery()
    rows = session.execute(
        sa.select(PollingArea.commune_id, sa.func.count(),
                  sa.func.count(sa.case((latest.c.passed.is_(True), 1))),
                  sa.func.count(sa.case((latest.c.passed.is_(False), 1))))
        .select_from(PollingArea).outerjoin(latest, latest.c.polling_area_id == PollingArea.id)
        .where(scope.visible(PollingArea, user), taking_part(election)).group_by(PollingArea.commune_id)).all()
    communes = {c.id: c for c in session.scalars(sa.select(Commune).where(Commune.id.in_([r[0] for r in rows])))}
    out = [CommuneReadiness(communes[cid], n, ready, failed) for cid, n, ready, failed in rows]
    return sorted(out, key=lambda c: (-(c.stations - c.ready), c.commune.code))


@dataclasses.dataclass
class NotReady:
    """A station to call: its latest run failed, or its phone never ran the check. The fields after ``check`` are
    filled for the page shown, as ``calllist`` fills its late stations (the same phones, the same last call)."""

    area_id: int
    code: str
    check: ReadinessCheck | None = None
    area: PollingArea | None = None
    leaders: list[User] = dataclasses.field(default_factory=list)
    team: list[Any] = dataclasses.field(default_factory=list)
    last_call: Any = None

    team_leader = calllist.LateStation.team_leader
    others = calllist.LateStation.others
    leader_phones = calllist.LateStation.leader_phones


@dataclasses.dataclass
class NotReadyList:
    rows: list[NotReady]
    total: int
    never_checked: int
    page: int
    pages: int


def not_ready(session: Session, user: User, election: Election, now: datetime, page: int = 1) -> NotReadyList:
    """The stations in scope that are not ready: never checked first (then by code), then those whose latest run
    failed; one page loaded with the leaders' and the team's phones and the last call."""
    latest = sa.select(ReadinessCheck.polling_area_id, ReadinessCheck.id, ReadinessCheck.passed).where(
        ReadinessCheck.id.in_(_latest_ids(election))).subquery()
    base = (sa.select(PollingArea.id, PollingArea.code, latest.c.id.label("check_id"))
            .select_from(PollingArea).outerjoin(latest, latest.c.polling_area_id == PollingArea.id)
            .where(scope.visible(PollingArea, user), taking_part(election),
                   sa.or_(latest.c.id.is_(None), latest.c.passed.is_(False))))
    listed = base.subquery()
    counts = session.execute(sa.select(sa.func.count(), sa.func.count(sa.case((listed.c.check_id.is_(None), 1))))
                             .select_from(listed)).one()
    total, never = counts[0], counts[1]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.execute(base.order_by(sa.case((latest.c.id.is_(None), 0), else_=1), PollingArea.code)
                           .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    shown = [NotReady(r.id, r.code) for r in rows]
    checks = {c.id: c for c in session.scalars(
        sa.select(ReadinessCheck).where(ReadinessCheck.id.in_([r.check_id for r in rows if r.check_id])))}
    for row, r in zip(shown, rows, strict=True):
        row.check = checks.get(r.check_id) if r.check_id else None
    calllist._load_page(session, user, shown, to_local(now).date())  # type: ignore[arg-type]
    return NotReadyList(shown, total, never, page, pages)


def checks_by_area(session: Session, election: Election, area_ids: list[int]) -> dict[int, list[ReadinessCheck]]:
    """Every run of the given stations in ``election``, oldest first (the drill report reads them)."""
    out: dict[int, list[ReadinessCheck]] = defaultdict(list)
    if not area_ids:
        return out
    for c in session.scalars(sa.select(ReadinessCheck).where(ReadinessCheck.election_id == election.id,
                                                             ReadinessCheck.polling_area_id.in_(area_ids))
                             .order_by(ReadinessCheck.checked_at, ReadinessCheck.id)):
        out[c.polling_area_id].append(c)
    return out
