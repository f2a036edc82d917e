"""What the turnout, count and photo services share: errors, who may send, the station's day, the
exactly-once insert, and the station's history. Callers import ``webapp.reports.services``."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp import scope
from webapp.accounts.models import Role, User
from webapp.audit.models import Channel
from webapp.clock import VN_TZ
from webapp.elections import working
from webapp.elections.models import (
    Contest,
    ContestKind,
    Election,
    ElectoralUnit,
    PollingArea,
    PollingAreaUnit,
)
from webapp.reports import receipts
from webapp.reports.checks import Finding
from webapp.reports.models import CountReport, ReportPhoto, TurnoutReport

T = TypeVar("T")

RECEIPT_TABLES: tuple[type, ...] = (TurnoutReport, CountReport)


class ReportError(Exception):
    """Base of every refusal of a report."""


class NotAllowed(ReportError):
    """Only the polling-team leader of the area sends its reports (views answer 403)."""


class ContestNotHeld(ReportError):
    """The area does not vote in this contest (check 12; views answer 404)."""


class ReportLocked(ReportError):
    """The version that counts was confirmed by the commune; only a reopening allows a new version (or a photo).
    ``subject``: what was refused, "count" (minutes), "turnout" (a turnout report) or "photo"."""

    def __init__(self, subject: str = "count") -> None:
        super().__init__(subject)
        self.subject = subject


class ReportSuperseded(ReportError):
    """A newer version replaced this one: a photo documents only the version that counts (``latest``)."""

    def __init__(self, latest: int | None) -> None:
        super().__init__(latest)
        self.latest = latest


class ClientUuidConflict(ReportError):
    """The client id was already used for a different report (another area, contest or kind)."""


class NoReportTimes(ReportError):
    """No turnout report time is configured for the area's province nor nationally."""


class UnknownReportTime(ReportError):
    """The report time sent is not one of the day's report times, or it has not started yet."""


class ReportRejected(ReportError):
    """The checks refused the report: blocking findings, suspicious ones without an explanation, or (count
    minutes) problems of the signers and witnesses (``counts.SIGNATURE_PROBLEMS``), all of them at once."""

    def __init__(self, findings: Sequence[Finding], unexplained: Sequence[Finding] = (),
                 contests: Sequence[int | None] | None = None, signatures: Sequence[str] = ()) -> None:
        super().__init__([f.code for f in findings] + list(signatures))
        self.findings = list(findings)
        self.unexplained = list(unexplained)
        self.signatures = list(signatures)
        # Turnout: the contest each finding is about (None: all of them), aligned with ``findings``.
        self.contests = list(contests) if contests is not None else [None] * len(self.findings)


@dataclasses.dataclass(frozen=True)
class Submission(Generic[T]):
    """What a submit returns: the stored version and whether this call was a replay of an earlier one."""

    report: T
    replayed: bool


@dataclasses.dataclass(frozen=True)
class StationDay:
    """The polling day of one area, as aware datetimes (the area's early-vote date when it has one)."""

    day: date
    opens: datetime  # earliest allowed opening (05:00)
    closes: datetime  # latest allowed closing (21:00)
    voting_closes: datetime  # the standard close (19:00): count minutes come after it

    def at(self, moment: time) -> datetime:
        return datetime.combine(self.day, moment, tzinfo=VN_TZ)


def station_day(election: Election, area: PollingArea) -> StationDay:
    day = area.early_voting_date or election.polling_date

    def at(moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=VN_TZ)

    return StationDay(day, at(election.earliest_open), at(election.latest_close), at(election.standard_close))


def may_submit(actor: User, area: PollingArea, channel: Channel | None = None) -> bool:
    """The area's polling-team leader sends its reports. The hotline enters them on the leader's behalf when the
    leader reports by phone (proxy entry, webapp.hotline): only with ``channel`` PHONE, and only for an area the
    caller has already found in the hotline's scope."""
    return may_submit_to(actor, area.id, channel)


def may_submit_to(actor: User, area_id: int, channel: Channel | None = None) -> bool:
    """``may_submit`` by the area's id."""
    if actor.role is Role.HOTLINE:
        return channel is Channel.PHONE
    return actor.role is Role.LEADER and actor.polling_area_id == area_id


# Within one request the leader's page reads the area and its contests, then the service reads them again to send:
# the second read is served from the session until its next flush, commit or rollback (when the memo is dropped,
# so a change made in between is always seen). The area is kept per scope (``scope.Scope``), so it is only ever
# handed to a user with the same place in the hierarchy as the one whose scoped query found it.
_MEMO = "reports.memo"


def request_memo(session: Session) -> dict[tuple[Any, ...], Any]:
    """What the session read and may serve again until its next flush, commit or rollback (keys name the scope)."""
    return session.info.setdefault(_MEMO, {})


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_MEMO, None)


for _event in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    if not event.contains(Session, _event, _forget):
        event.listen(Session, _event, _forget)


def area_ident(area_id: Any) -> int:
    """A polling area's id as given in a URL or a body; anything that is not one is an area nobody sees."""
    try:
        return int(area_id)
    except (TypeError, ValueError) as exc:
        raise scope.OutOfScope(PollingArea.__name__) from exc


def scoped_area(session: Session, user: User, area_id: int, *, with_team: bool = False) -> PollingArea:
    """The area if the user sees it (else OutOfScope): ``scope.get``, or with ``with_team`` the same scoped
    query with the polling team joined in (one statement instead of a lazy load later); kept until the session
    next flushes or ends (a request's view and its service ask for the same area)."""
    key = ("area", scope.Scope.of(user), area_id, with_team)
    if (area := request_memo(session).get(key)) is not None:
        return area
    if not with_team:
        area = scope.get(session, PollingArea, area_id, user)
    else:
        area = session.scalars(
            scope.select(PollingArea, user).where(PollingArea.id == area_ident(area_id))
            .options(joinedload(PollingArea.team))
        ).unique().first()
        if area is None:
            raise scope.OutOfScope(PollingArea.__name__)
    request_memo(session)[key] = area
    return area


def area_for_submit(session: Session, actor: User, area_id: int, channel: Channel | None = None, *,
                    with_team: bool = False) -> PollingArea:
    """The area, if the actor sees it (else OutOfScope, a 404) and may send its reports (else NotAllowed)."""
    area = scoped_area(session, actor, area_id, with_team=with_team)
    if not may_submit(actor, area, channel):
        raise NotAllowed
    return area


@functools.cache
def _links_statement(with_candidates: bool) -> sa.Select[tuple[PollingAreaUnit]]:
    # Built once (on first use, when every mapper is known): building a statement costs about as much CPU as
    # running it, and these run on every submission (benchmarks/README.md).
    unit = joinedload(PollingAreaUnit.unit)
    return (
        sa.select(PollingAreaUnit)
        .where(PollingAreaUnit.polling_area_id == sa.bindparam("area_id"))
        .options(joinedload(PollingAreaUnit.contest),
                 unit.joinedload(ElectoralUnit.candidates) if with_candidates else unit)
    )


_KIND_ORDER = {kind: i for i, kind in enumerate(ContestKind)}


def area_contests(session: Session, area: PollingArea, *, with_candidates: bool = False) -> list[PollingAreaUnit]:
    """The contests the area votes in, widest electorate first (NA, provincial, commune), each with its contest
    and unit (and the unit's candidates with ``with_candidates``) loaded in the same statement."""
    # The election the session works in too: a drill shares the areas, not their contests (elections.working).
    key = ("links", area.id, with_candidates, working.bound_to(session))
    if (links := request_memo(session).get(key)) is None:
        rows = session.scalars(_links_statement(with_candidates), {"area_id": area.id}).unique().all()
        links = request_memo(session)[key] = sorted(rows, key=lambda link: _KIND_ORDER[link.contest.kind])
    return list(links)


def find_by_uuid(session: Session, model: type[T], client_uuid: uuid.UUID) -> T | None:
    return session.scalars(sa.select(model).where(model.client_uuid == client_uuid)).first()  # type: ignore[attr-defined]


def insert_once(
    session: Session,
    model: type[T],
    client_uuid: uuid.UUID,
    build: Callable[[], T],
    matches: Callable[[T], bool],
    attempts: int = 6,
) -> Submission[T]:
    """Run ``build`` (which adds a new row: a photo; report versions go through ``versions.write``) and flush it
    inside a SAVEPOINT. If another request inserted the same client id meanwhile (a double tap racing itself),
    the UNIQUE constraint refuses ours and the winner's row is returned instead; other clashes are retried."""
    for attempt in range(attempts):
        savepoint = session.begin_nested()
        try:
            obj = build()
            session.flush()
        except IntegrityError:
            savepoint.rollback()
            winner = find_by_uuid(session, model, client_uuid)
            if winner is not None:
                if not matches(winner):
                    raise ClientUuidConflict from None
                return Submission(winner, True)
            if attempt == attempts - 1:
                raise
            continue
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return Submission(obj, False)
    raise AssertionError("unreachable")


def replayed(session: Session, model: type[T], client_uuid: uuid.UUID, matches: Callable[[T], bool]) -> (
        Submission[T] | None):
    """The earlier result for this client id, if any: sending again returns it and creates nothing."""
    existing = find_by_uuid(session, model, client_uuid)
    if existing is None:
        return None
    if not matches(existing):
        raise ClientUuidConflict
    return Submission(existing, True)


def new_receipt(model: type) -> str:
    """A receipt code for a new row of ``model`` (no query: see ``receipts.FIRST``)."""
    return receipts.generate("turnout" if model is TurnoutReport else "count")


def find_receipt(session: Session, user: User, code: str) -> TurnoutReport | CountReport | None:
    """The report with this receipt code, if it lies in the user's scope (the hotline settles "I sent it!")."""
    code = receipts.normalise(code)
    if not receipts.is_well_formed(code):
        return None
    for model in RECEIPT_TABLES:
        found = session.scalars(scope.select(model, user).where(model.receipt == code)).first()
        if found is not None:
            return found
    return None


@dataclasses.dataclass
class StationHistory:
    area: PollingArea
    turnout: list[TurnoutReport]
    counts: list[CountReport]


def station_history(session: Session, user: User, area_id: int) -> StationHistory:
    """Every version of every report of the area, newest first, with who sent it, when, how and its state."""
    area = scope.get(session, PollingArea, area_id, user)
    turnout = session.scalars(
        scope.select(TurnoutReport, user)
        .where(TurnoutReport.polling_area_id == area.id)
        .options(selectinload(TurnoutReport.figures), selectinload(TurnoutReport.submitted_by))
        .order_by(TurnoutReport.submitted_at.desc(), TurnoutReport.id.desc())
    ).all()
    counts = session.scalars(
        scope.select(CountReport, user)
        .where(CountReport.polling_area_id == area.id)
        .options(selectinload(CountReport.photos), selectinload(CountReport.submitted_by),
                 selectinload(CountReport.contest))
        .order_by(CountReport.submitted_at.desc(), CountReport.id.desc())
    ).all()
    return StationHistory(area, list(turnout), list(counts))


def contest_of(session: Session, contest_id: int) -> Contest | None:
    return session.get(Contest, contest_id)


def photo_for(session: Session, user: User, photo_id: int) -> ReportPhoto:
    """One photo, if the user sees the report it documents (else OutOfScope)."""
    return scope.get(session, ReportPhoto, photo_id, user)


def jsonable_findings(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [
        {"check": f.check, "code": f.code, "severity": f.severity.value, "fields": list(f.fields),
         "params": dict(f.params)}
        for f in findings
    ]
