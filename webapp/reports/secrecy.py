"""Early-vote secrecy (voters-and-drills.md §6; Câu 154): the count minutes of a polling area that voted early are
stored when they arrive but stay sealed, for everyone but the team that sent them, until voting ends on polling
day (the election's standard close on its polling date; a drill's own day and hours). Where every area of a unit
voted early, that unit's minutes are not sealed.

One rule (``sealed_until``) and one place that applies it: a session bound with ``bind`` (every request's, the
progress refresher's) has every ORM statement narrowed, while the seal holds, so that the sealed minutes, their
votes, photos, station rows, corrections and audit entries are not found at all — by the results, the rollups,
the feeds, the exports and the PDFs alike. ``unsealed`` lifts the narrowing for the few reads that may see a
sealed minutes' receipt and state (the reviewer's and the hotline's lists), never its figures.

Polling day's hot requests (issue 14's turnout peak falls within the seal) pay nothing for it: only statements
that read a sealed table are narrowed, what is sealed is kept per process by configuration token, and the
narrowing is built once per sealed set.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, aliased, with_loader_criteria
from sqlalchemy.sql import visitors

from webapp.clock import VN_TZ
from webapp.elections.models import Election, PollingArea, PollingAreaUnit
from webapp.lru import LRU

SEAL = "early_vote_seal"  # session.info: the Seal the session reads under
_SUSPENDED = "early_vote_seal_off"  # session.info: inside ``unsealed`` (or while the seal finds its election)
SEALED_TABLES = ("count_reports", "report_photos")  # audit entries that carry a sealed minutes' figures


def polls_close(election: Election) -> datetime:
    """When voting ends on the election's polling day (a drill's own day and hours)."""
    return datetime.combine(election.polling_date, election.standard_close, tzinfo=VN_TZ)


def sealed_until(election: Election, early_voting_date: date | None, *, unit_all_early: bool = False) -> datetime | None:
    """When the minutes of an area that voted on ``early_voting_date`` may be opened: the polling day's close;
    None when they are never sealed (an area voting on polling day, or a unit whose every area voted early)."""
    if early_voting_date is None or unit_all_early:
        return None
    return polls_close(election)


def is_sealed(election: Election, early_voting_date: date | None, now: datetime, *,
              unit_all_early: bool = False) -> bool:
    until = sealed_until(election, early_voting_date, unit_all_early=unit_all_early)
    return until is not None and now < until


# --- which minutes the rule seals --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sealed:
    """The (area, contest) pairs the rule seals in the session's election, time aside: the area voted early and
    its unit for that contest has an area that did not. A few hundred at most (218 areas voted early in 2026), so
    the narrowing is a list of ids rather than a subquery per row."""

    areas: dict[int, tuple[int, ...]]  # {contest id: the areas whose minutes for it are sealed}
    units: frozenset[int]  # the units holding such an area
    # The loader criteria narrowing to this set, by the reader's own area when it is one of them (else None):
    # built once, not per statement (building them costs more CPU than the SELECT they narrow).
    criteria: LRU[int | None, tuple[Any, ...]] = dataclasses.field(
        default_factory=lambda: LRU(512), compare=False, hash=False, repr=False)

    @functools.cached_property
    def all_areas(self) -> frozenset[int]:
        return frozenset(a for areas in self.areas.values() for a in areas)


def sealed_pairs(session: Session) -> Sealed:
    """Found in two statements: the early areas' links, then which of their units have a polling-day area."""
    early = sa.select(PollingArea.id).where(PollingArea.early_voting_date.is_not(None))
    links = session.execute(sa.select(PollingAreaUnit.polling_area_id, PollingAreaUnit.contest_id,
                                      PollingAreaUnit.unit_id).where(PollingAreaUnit.polling_area_id.in_(early))).all()
    if not links:
        return Sealed({}, frozenset())
    mixed = set(session.scalars(
        sa.select(PollingAreaUnit.unit_id).join(PollingArea, PollingArea.id == PollingAreaUnit.polling_area_id)
        .where(PollingAreaUnit.unit_id.in_({link.unit_id for link in links}),
               PollingArea.early_voting_date.is_(None)).distinct()))
    areas: dict[int, list[int]] = {}
    for area_id, contest_id, unit_id in links:
        if unit_id in mixed:
            areas.setdefault(contest_id, []).append(area_id)
    return Sealed({c: tuple(sorted(a)) for c, a in areas.items()},
                  frozenset(link.unit_id for link in links if link.unit_id in mixed))


def hidden_clause(sealed: Sealed, area_id: Any, contest_id: Any, own: int | None = None) -> Any:
    """True for rows of sealed minutes (the reader's own area apart)."""
    clause = sa.or_(*(sa.and_(contest_id == c, area_id.in_(areas)) for c, areas in sealed.areas.items()))
    return clause if own is None else sa.and_(clause, area_id != own)


# What the rule seals, per process: {(database, election bound, configuration token): Sealed}. The token changes
# with every write to polling_areas and polling_area_units (webapp.elections.models.ConfigurationVersion), and
# each request reads it, so another process's change is seen by the next request here (as webapp.reports.station
# keeps the stations' configurations). An election with no early area keeps an empty set: nothing more to read.
_kept: LRU[tuple[str, int | None, str | None], Sealed] = LRU(16)


def kept_sealed(session: Session) -> Sealed:
    """``sealed_pairs`` for the configuration the session reads now: one statement (the token) while it is
    unchanged."""
    from webapp.elections import working
    from webapp.reports.station import token_column

    token = session.scalar(sa.select(token_column()))
    key = (str(session.get_bind().engine.url), working.bound_to(session), token)
    sealed = _kept.get(key)
    if sealed is None:
        sealed = sealed_pairs(session)
        _kept.put(key, sealed)
    return sealed


# --- the session's seal ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Seal:
    """Who reads and by which clock: ``clock(election)`` is the domain clock of that election (a drill runs on
    real time), ``viewer_area`` the polling area of the reader's own team (its own minutes stay open to it)."""

    clock: Callable[[Election], datetime]
    viewer_area: Callable[[], int | None]
    # {the election the session works in (None: the real one): (its polls' close, the clock's now, what the rule
    # seals while the seal holds) or None}
    found: dict[int | None, tuple[datetime, datetime, Sealed | None] | None] = dataclasses.field(default_factory=dict)


def bind(session: Session, *, clock: Callable[[Election], datetime],
         viewer_area: Callable[[], int | None] = lambda: None) -> None:
    """Read under the seal from now on."""
    session.info[SEAL] = Seal(clock, viewer_area)


class unsealed:  # noqa: N801 - used as a statement: ``with unsealed(session):``
    """Within the block the session finds sealed minutes too: only to show their receipt and state."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        self.previous = self.session.info.get(_SUSPENDED, False)
        self.session.info[_SUSPENDED] = True
        return self.session

    def __exit__(self, *_exc: Any) -> None:
        self.session.info[_SUSPENDED] = self.previous


def holds(session: Session) -> bool:
    """Whether the seal holds now for this session (bound, and its election's polling day not yet closed)."""
    seal: Seal | None = session.info.get(SEAL)
    if seal is None or session.info.get(_SUSPENDED):
        return False
    from webapp.elections import services as elections
    from webapp.elections import working

    key = working.bound_to(session)
    if key not in seal.found:
        with unsealed(session):
            try:
                election = elections.current_election(session)
            except elections.NoElection:
                election = None
            if election is None:
                seal.found[key] = None
            else:
                close, now = polls_close(election), seal.clock(election)
                seal.found[key] = (close, now, kept_sealed(session) if now < close else None)
    found = seal.found[key]
    return found is not None and found[2] is not None and bool(found[2].areas)


def sealed_now(session: Session) -> Sealed | None:
    """What is sealed for this session now (None when nothing is)."""
    from webapp.elections import working

    return session.info[SEAL].found[working.bound_to(session)][2] if holds(session) else None


def sealed_until_now(session: Session) -> datetime | None:
    """The close the seal waits for, while it holds for this session."""
    from webapp.elections import working

    if not holds(session):
        return None
    return session.info[SEAL].found[working.bound_to(session)][0]  # type: ignore[index]


def criteria(sealed: Sealed, own: int | None) -> tuple[Any, ...]:
    """The loader criteria for a reader whose own area is ``own``, built once per sealed set and own area."""
    own = own if own in sealed.all_areas else None  # any other reader is narrowed alike
    built = sealed.criteria.get(own)
    if built is None:
        built = _criteria(sealed, own)
        sealed.criteria.put(own, built)
    return built


def _criteria(sealed: Sealed, own: int | None) -> tuple[Any, ...]:
    from webapp.audit.models import AuditEntry
    from webapp.progress.models import CountStation, Correction, ReportKind
    from webapp.reports.models import CountReport, CountVote, ReportPhoto

    def hidden(area: Any, contest: Any) -> Any:
        return hidden_clause(sealed, area, contest, own)

    report = aliased(CountReport)

    def hidden_report(report_id: Any) -> Any:
        return report_id.in_(sa.select(report.id).where(hidden(report.polling_area_id, report.contest_id)))

    audit_hidden = sa.and_(AuditEntry.entity_type.in_(SEALED_TABLES),
                           AuditEntry.polling_area_id.in_(sorted(sealed.all_areas)))
    if own is not None:
        audit_hidden = sa.and_(audit_hidden, AuditEntry.polling_area_id != own)
    return (
        with_loader_criteria(CountReport, ~hidden(CountReport.polling_area_id, CountReport.contest_id),
                             include_aliases=True),
        with_loader_criteria(CountStation, ~hidden(CountStation.polling_area_id, CountStation.contest_id),
                             include_aliases=True),
        with_loader_criteria(Correction, sa.or_(Correction.kind != ReportKind.COUNT, ~hidden(
            Correction.polling_area_id, Correction.contest_id)), include_aliases=True),
        with_loader_criteria(CountVote, ~hidden_report(CountVote.report_id), include_aliases=True),
        with_loader_criteria(ReportPhoto, ~hidden_report(ReportPhoto.count_report_id), include_aliases=True),
        with_loader_criteria(AuditEntry, sa.or_(AuditEntry.polling_area_id.is_(None), ~audit_hidden),
                             include_aliases=True),
    )


@functools.cache
def _sealed_table_names() -> frozenset[str]:
    from webapp.audit.models import AuditEntry
    from webapp.progress.models import CountStation, Correction
    from webapp.reports.models import CountReport, CountVote, ReportPhoto

    return frozenset(model.__table__.name for model in (CountReport, CountStation, Correction, CountVote,
                                                        ReportPhoto, AuditEntry))


def _names(table: Any) -> bool:
    while table is not None and not isinstance(table, sa.Table):
        table = getattr(table, "element", None)  # an alias (aliased(CountReport)), a subquery's own is walked
    return table is not None and table.name in _sealed_table_names()


def reads_sealed(statement: Any) -> bool:
    """Whether the statement may read a table the seal narrows: it names one (in a column, a FROM, a join or a
    subquery), or a loader option of it loads one (an eager load joins tables the statement does not name yet).
    Most of polling day's hot statements (the turnout reports, the polls, the accounts) read none: the seal then
    costs them nothing, not even finding what it seals."""
    from sqlalchemy.orm.util import LoaderCriteriaOption

    for option in getattr(statement, "_with_options", ()):
        if isinstance(option, LoaderCriteriaOption):  # the election's narrowing (webapp.elections.working)
            continue
        context = getattr(option, "context", None)
        if context is None:
            return True  # an option this does not know: as if it loaded a sealed table
        for load in context:
            if any(_names(getattr(getattr(token, "mapper", None), "local_table", None))
                   for token in load.path.path):
                return True
    return any(_names(node) or _names(getattr(node, "table", None)) for node in visitors.iterate(statement))


@event.listens_for(Session, "do_orm_execute")
def _seal(state: ORMExecuteState) -> None:
    info = state.session.info
    if SEAL not in info or info.get(_SUSPENDED) or not state.is_select or state.is_column_load \
            or state.is_relationship_load:
        return
    from webapp.elections import working

    key = working.bound_to(state.session)
    if key in info[SEAL].found and not ((found := info[SEAL].found[key]) and found[2] and found[2].areas):
        return  # known not to hold (after the close, no early area): not even a look at the statement
    if not reads_sealed(state.statement):
        return
    sealed = sealed_now(state.session)
    if sealed is None:
        return
    with unsealed(state.session):
        own = info[SEAL].viewer_area()
    state.statement = state.statement.options(*criteria(sealed, own))


@dataclasses.dataclass(frozen=True)
class SealedReceipt:
    """What the reviewer and the hotline may know of sealed minutes: that they arrived, and their state."""

    area_code: str
    area_name: str
    contest_name: str
    receipt: str
    status: str
    submitted_at: datetime
    opens_at: datetime


def sealed_receipts(session: Session, user: Any, area_id: int | None = None) -> list[SealedReceipt]:
    """The latest sealed minutes within the user's scope (of one area), while the seal holds: receipt and
    state only, never a figure."""
    from webapp import scope
    from webapp.elections.models import Contest
    from webapp.reports.models import CountReport

    opens_at, sealed = sealed_until_now(session), sealed_now(session)
    if opens_at is None or sealed is None:
        return []
    r = CountReport
    stmt = (sa.select(PollingArea.code, PollingArea.name, Contest.name, r.receipt, r.status, r.submitted_at)
            .join(PollingArea, PollingArea.id == r.polling_area_id).join(Contest, Contest.id == r.contest_id)
            .where(r.is_latest, scope.visible(r, user), hidden_clause(sealed, r.polling_area_id, r.contest_id))
            .order_by(PollingArea.code, Contest.id))
    if area_id is not None:
        stmt = stmt.where(r.polling_area_id == area_id)
    with unsealed(session):
        rows = session.execute(stmt).all()
    return [SealedReceipt(code, name, contest, receipt, status.value, at, opens_at)
            for code, name, contest, receipt, status, at in rows]
