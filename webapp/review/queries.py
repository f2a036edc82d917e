"""What the review pages read: the queue of versions waiting for the commune, one version beside the one it
replaced, the decisions taken, and the returned reports a leader must correct."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import ActivationCode, Role, User
from webapp.audit.models import AuditEntry
from webapp.elections import services as elections
from webapp.elections.models import Candidate, Contest, PollingArea
from webapp.reports import checks
from webapp.reports.checks import Finding, Severity
from webapp.reports.models import CountReport, CountVote, ReportStatus, TurnoutReport
from webapp.review.authority import Presence
from webapp.review.models import Decision, ReportKind, ReviewAction
from webapp.review.services import Report, kind_of, latest_version, load_report

PAGE_SIZE = 30


@dataclasses.dataclass(frozen=True)
class QueueFilters:
    kind: ReportKind | None = None
    contest_id: int | None = None  # count minutes of one contest only
    state: ReportStatus | None = ReportStatus.RECEIVED  # None: every state
    flagged: bool = False
    page: int = 1


@dataclasses.dataclass
class QueueItem:
    kind: ReportKind
    report: Report
    flags: int  # findings and explanations of a count; 1 for a turnout report with a written reason

    @property
    def changed(self) -> bool:
        return self.report.version > 1


@dataclasses.dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    pages: int


def _flagged_count() -> Any:
    # JSON cannot be compared on PostgreSQL; its text can, and empty values are stored as "[]" and "{}".
    return sa.or_(sa.cast(CountReport.findings, sa.Text) != "[]", sa.cast(CountReport.explanations, sa.Text) != "{}")


def _queue_rows(user: User, election_id: int, f: QueueFilters) -> Any:
    parts = []
    if f.kind in (None, ReportKind.COUNT):
        q = sa.select(sa.literal_column("'count'").label("kind"), CountReport.id.label("id"),
                      CountReport.submitted_at.label("at")).where(
            scope.visible(CountReport, user), CountReport.is_latest,
            CountReport.contest_id.in_(sa.select(Contest.id).where(Contest.election_id == election_id)))
        if f.state is not None:
            q = q.where(CountReport.status == f.state)
        if f.contest_id is not None:
            q = q.where(CountReport.contest_id == f.contest_id)
        if f.flagged:
            q = q.where(_flagged_count())
        parts.append(q)
    if f.kind in (None, ReportKind.TURNOUT) and f.contest_id is None:
        q = sa.select(sa.literal_column("'turnout'").label("kind"), TurnoutReport.id.label("id"),
                      TurnoutReport.submitted_at.label("at")).where(
            scope.visible(TurnoutReport, user), TurnoutReport.is_latest, TurnoutReport.election_id == election_id)
        if f.state is not None:
            q = q.where(TurnoutReport.status == f.state)
        if f.flagged:
            q = q.where(TurnoutReport.reason != "")
        parts.append(q)
    return sa.union_all(*parts).subquery() if parts else None


def review_queue(session: Session, user: User, filters: QueueFilters) -> QueuePage:
    """The latest versions in the user's scope, newest first: by default those waiting for a decision.
    One query pages through both kinds together; a second and third load the page's reports."""
    rows_q = _queue_rows(user, elections.current_election(session).id, filters)
    if rows_q is None:
        return QueuePage([], 0, 1, 1)
    total = session.scalar(sa.select(sa.func.count()).select_from(rows_q)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    rows = session.execute(sa.select(rows_q.c.kind, rows_q.c.id).order_by(rows_q.c.at.desc(), rows_q.c.id.desc())
                           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    ids = {kind: [r.id for r in rows if r.kind == kind.value] for kind in ReportKind}
    area = selectinload(CountReport.polling_area).selectinload(PollingArea.commune)
    counts = {r.id: r for r in session.scalars(
        sa.select(CountReport).where(CountReport.id.in_(ids[ReportKind.COUNT]))
        .options(area, selectinload(CountReport.contest), selectinload(CountReport.submitted_by),
                 selectinload(CountReport.photos)))} if ids[ReportKind.COUNT] else {}
    turnout = {r.id: r for r in session.scalars(
        sa.select(TurnoutReport).where(TurnoutReport.id.in_(ids[ReportKind.TURNOUT]))
        .options(selectinload(TurnoutReport.polling_area).selectinload(PollingArea.commune),
                 selectinload(TurnoutReport.figures), selectinload(TurnoutReport.submitted_by)))
    } if ids[ReportKind.TURNOUT] else {}
    items = []
    for r in rows:
        if r.kind == ReportKind.COUNT.value:
            c = counts[r.id]
            items.append(QueueItem(ReportKind.COUNT, c, len(c.findings) + len(c.explanations)))
        else:
            t = turnout[r.id]
            items.append(QueueItem(ReportKind.TURNOUT, t, 1 if t.reason else 0))
    return QueuePage(items, total, page, pages)


def queue_contests(session: Session) -> list[Contest]:
    return list(session.scalars(sa.select(Contest).where(
        Contest.election_id == elections.current_election(session).id).order_by(Contest.id)))


def _actions(session: Session, kind: ReportKind, report_ids: list[int]) -> list[ReviewAction]:
    column = ReviewAction.turnout_report_id if kind is ReportKind.TURNOUT else ReviewAction.count_report_id
    return list(session.scalars(sa.select(ReviewAction).where(column.in_(report_ids))
                                .options(selectinload(ReviewAction.actor))
                                .order_by(ReviewAction.at.desc(), ReviewAction.id.desc())))


@dataclasses.dataclass
class VoteRow:
    candidate: Candidate
    votes: int | None
    previous: int | None

    @property
    def changed(self) -> bool:
        return self.previous is not None and self.previous != self.votes


@dataclasses.dataclass
class Detail:
    """One version beside the version it replaced, with what changed and every decision about the station's
    versions of the same contest (count) or report time (turnout)."""

    kind: ReportKind
    report: Report
    previous: Report | None
    latest: Report | None  # the version that counts now, when it is not this one
    changed: set[str]  # count fields, or turnout contest ids as strings
    actions: list[ReviewAction]
    findings: list[Finding] = dataclasses.field(default_factory=list)
    votes: list[VoteRow] = dataclasses.field(default_factory=list)
    turnout: list[tuple[Contest, int, int | None]] = dataclasses.field(default_factory=list)
    # How the sending account came to its user: its last activation before this version was sent (None: none
    # recorded), the address the version was sent from (its audit entry), and every reset of the station
    # leader's code after activation that happened before it was sent.
    activation: ActivationCode | None = None
    sent_from: str = ""
    resets: list[ActivationCode] = dataclasses.field(default_factory=list)

    @property
    def names(self) -> dict[int, str]:
        return {row.candidate.id: row.candidate.full_name for row in self.votes}

    @property
    def activation_presence(self) -> Presence | None:
        return Presence(self.activation.used_ip) if self.activation is not None else None

    @property
    def sending_presence(self) -> Presence | None:
        return Presence(self.sent_from) if self.sent_from else None


def _provenance(session: Session, detail: Detail) -> None:
    report = detail.report
    # When the version was really stored, and from where: its audit entry (``submitted_at`` follows the
    # reports' clock, which a drill may freeze; codes and activations are stamped with the real time).
    stored = session.execute(
        sa.select(AuditEntry.at, AuditEntry.ip).where(AuditEntry.entity_type == report.__tablename__,
                                                      AuditEntry.entity_id == str(report.id),
                                                      AuditEntry.action == "create")
        .order_by(AuditEntry.id).limit(1)).first()
    stored_at = stored.at if stored is not None else report.submitted_at
    detail.sent_from = stored.ip if stored is not None else ""
    detail.activation = session.scalars(
        sa.select(ActivationCode).where(ActivationCode.user_id == report.submitted_by_id,
                                        ActivationCode.used_at.is_not(None), ActivationCode.used_at <= stored_at)
        .options(selectinload(ActivationCode.issued_by))
        .order_by(ActivationCode.used_at.desc(), ActivationCode.id.desc()).limit(1)).first()
    detail.resets = list(session.scalars(
        sa.select(ActivationCode).where(ActivationCode.polling_area_id == report.polling_area_id,
                                        ActivationCode.after_activation, ActivationCode.issued_at <= stored_at)
        .options(selectinload(ActivationCode.issued_by), selectinload(ActivationCode.user))
        .order_by(ActivationCode.issued_at, ActivationCode.id)))


def _versions(session: Session, report: Report) -> list[int]:
    if isinstance(report, CountReport):
        return list(session.scalars(sa.select(CountReport.id).where(
            CountReport.polling_area_id == report.polling_area_id, CountReport.contest_id == report.contest_id)))
    return list(session.scalars(sa.select(TurnoutReport.id).where(
        TurnoutReport.election_id == report.election_id, TurnoutReport.polling_area_id == report.polling_area_id,
        TurnoutReport.slot_at == report.slot_at)))


def report_detail(session: Session, user: User, kind: ReportKind, report_id: int) -> Detail:
    """One version in the user's scope (else OutOfScope), beside the one it replaced."""
    report = load_report(session, user, kind, report_id)
    model = type(report)
    previous = session.get(model, report.supersedes_id) if report.supersedes_id else None
    detail = Detail(kind, report, previous, None if report.is_latest else latest_version(session, report), set(),
                    _actions(session, kind, _versions(session, report)))
    _provenance(session, detail)
    if isinstance(report, CountReport):
        before = previous if isinstance(previous, CountReport) else None
        if before is not None:
            detail.changed = {name for name in (*checks.MINUTES_FIELDS, *checks.INVENTORY_FIELDS) if getattr(before, name) != getattr(report, name)}
        old = {v.candidate_id: v.votes for v in before.votes} if before is not None else {}
        votes = session.scalars(sa.select(CountVote).where(CountVote.report_id == report.id)
                                .options(selectinload(CountVote.candidate))).all()
        detail.votes = sorted((VoteRow(v.candidate, v.votes, old.get(v.candidate_id) if before else None)
                               for v in votes), key=lambda row: row.candidate.ballot_order)
        detail.changed |= {f"votes:{row.candidate.id}" for row in detail.votes if row.changed}
        detail.findings = [Finding(f["check"], f["code"], Severity(f["severity"]), tuple(f["fields"]), f["params"])
                           for f in report.findings]
    else:
        old_t = {f.contest_id: f.voters_voted for f in previous.figures} if isinstance(previous, TurnoutReport) else {}
        detail.turnout = [(f.contest, f.voters_voted, old_t.get(f.contest_id)) for f in report.figures]
        detail.changed = {str(c.id) for c, n, p in detail.turnout if p is not None and p != n}
    return detail


@dataclasses.dataclass
class Returned:
    kind: ReportKind
    report: Report
    action: ReviewAction | None


def returned_reports(session: Session, user: User) -> list[Returned]:
    """The leader's reports the commune sent back, count minutes first, each with the return's reasons."""
    if user.role is not Role.LEADER:
        return []
    counts = session.scalars(scope.select(CountReport, user).where(
        CountReport.is_latest, CountReport.status == ReportStatus.RETURNED)
        .options(selectinload(CountReport.contest)).order_by(CountReport.contest_id)).all()
    turnout = session.scalars(scope.select(TurnoutReport, user).where(
        TurnoutReport.is_latest, TurnoutReport.status == ReportStatus.RETURNED)
        .order_by(TurnoutReport.slot_at)).all()
    found: list[Returned] = []
    for kind, reports in ((ReportKind.COUNT, counts), (ReportKind.TURNOUT, turnout)):
        actions = {a.report_id: a for a in reversed(_actions(session, kind, [r.id for r in reports]))
                   if a.decision is Decision.RETURN} if reports else {}
        found += [Returned(kind, r, actions.get(r.id)) for r in reports]
    return found


def area_actions(session: Session, user: User, area_id: int) -> list[ReviewAction]:
    """Every decision about the reports of one polling area in the user's scope, newest first."""
    return list(session.scalars(scope.select(ReviewAction, user).where(ReviewAction.polling_area_id == area_id)
                                .options(selectinload(ReviewAction.actor))
                                .order_by(ReviewAction.at.desc(), ReviewAction.id.desc())))


__all__ = ["Detail", "QueueFilters", "QueueItem", "QueuePage", "Returned", "area_actions", "kind_of",
           "queue_contests", "report_detail", "returned_reports", "review_queue"]
