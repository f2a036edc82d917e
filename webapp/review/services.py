"""The commune's decisions about a report version: confirm it, return it for correction with reason codes, or
reopen a confirmed one with a written reason. Every function takes the session, the acting official and the
clock, checks scope and role, flushes and never commits.

Two officials may act on the same version at once. Each action names the status it was shown, and the status
change starts with a conditional UPDATE (``… WHERE id = :id AND status = :shown AND is_latest``) that takes the
row's lock: on PostgreSQL the second official's UPDATE waits for the first to commit, then finds the condition
false and matches no row; the second official is told who acted and when (``ReviewConflict``). The status itself
then changes through ``webapp.reports.versions.change_status``, which audits it and tells the progress summaries."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from webapp import scope
from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.reports import versions
from webapp.reports.common import request_memo
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport
from webapp.review import authority
from webapp.review import reasons as reason_codes
from webapp.review.models import Decision, ReportKind, ReviewAction

Report = TurnoutReport | CountReport
MODELS: dict[ReportKind, type[TurnoutReport | CountReport]] = {
    ReportKind.TURNOUT: TurnoutReport,
    ReportKind.COUNT: CountReport,
}
# Which shown status each decision may start from, and where it leads. A reopened report goes back to
# "received": it waits in the queue again, and the leader may send a new version.
ALLOWED_FROM = {
    Decision.CONFIRM: frozenset({ReportStatus.RECEIVED, ReportStatus.RETURNED}),
    Decision.RETURN: frozenset({ReportStatus.RECEIVED}),
    Decision.REOPEN: frozenset({ReportStatus.CONFIRMED}),
}
LEADS_TO = {
    Decision.CONFIRM: ReportStatus.CONFIRMED,
    Decision.RETURN: ReportStatus.RETURNED,
    Decision.REOPEN: ReportStatus.RECEIVED,
}
MIN_REOPEN_REASON = 10  # characters: "reopen" needs a sentence, not "x"


class ReviewError(Exception):
    """Base of every refusal of a review decision."""


class NotAuthorised(ReviewError):
    """The actor may not decide on this station's reports (403); ``reason`` says why (``authority.Refusal``):
    leaders and the hotline never decide, nor does anyone who had a hand in the station's figures."""

    def __init__(self, reason: authority.Refusal) -> None:
        super().__init__(reason)
        self.reason = reason


class ReasonRequired(ReviewError):
    """A return needs at least one known reason code (and text with "other"); a reopening needs a written
    reason. ``field`` names what is missing: "reasons" or "text"."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class InvalidDecision(ReviewError):
    """The decision cannot start from the status the form says it was shown (e.g. reopen a received report)."""


class ReviewConflict(ReviewError):
    """Someone else acted first, or a newer version arrived: nothing was changed. ``action`` is the latest
    decision about this version (who and when), ``newer`` the version that replaced it, if any."""

    def __init__(self, report: Report, action: ReviewAction | None, newer: Report | None) -> None:
        super().__init__(report.id)
        self.report = report
        self.action = action
        self.newer = newer


def kind_of(report: Report) -> ReportKind:
    return ReportKind.COUNT if isinstance(report, CountReport) else ReportKind.TURNOUT


def load_report(session: Session, user: User, kind: ReportKind, report_id: int) -> Report:
    """One version of a report with its polling area (one statement), if the user sees that area (else
    ``scope.OutOfScope``, a 404). Kept for the request until the session next flushes, commits or rolls back, per
    place (``scope.Scope``): the view's 404 check and the decision ask for the same version."""
    key = ("review", kind, scope.Scope.of(user), report_id)
    memo = request_memo(session)
    if (report := memo.get(key)) is None:
        model = MODELS[kind]
        report = memo[key] = scope.get(session, model, report_id, user, joinedload(model.polling_area))
    return report


def last_action(session: Session, kind: ReportKind, report_id: int) -> ReviewAction | None:
    column = ReviewAction.turnout_report_id if kind is ReportKind.TURNOUT else ReviewAction.count_report_id
    return session.scalars(
        sa.select(ReviewAction).where(column == report_id).order_by(ReviewAction.at.desc(), ReviewAction.id.desc())
    ).first()


def latest_version(session: Session, report: Report) -> Report | None:
    """The version that counts now for the same station and contest (count) or report time (turnout)."""
    if isinstance(report, CountReport):
        where: Any = (CountReport.polling_area_id == report.polling_area_id,
                      CountReport.contest_id == report.contest_id, CountReport.is_latest)
        return session.scalars(sa.select(CountReport).where(*where)).first()
    return session.scalars(sa.select(TurnoutReport).where(
        TurnoutReport.election_id == report.election_id, TurnoutReport.polling_area_id == report.polling_area_id,
        TurnoutReport.slot_at == report.slot_at, TurnoutReport.is_latest)).first()


def _conflict(session: Session, kind: ReportKind, report: Report) -> ReviewConflict:
    session.refresh(report)
    newer = None if report.is_latest else latest_version(session, report)
    return ReviewConflict(report, last_action(session, kind, report.id), newer)


def _decide(session: Session, *, actor: User, kind: ReportKind, report_id: int, shown: ReportStatus,
            decision: Decision, reasons: Sequence[str] = (), text: str = "", now: datetime) -> ReviewAction:
    report = load_report(session, actor, kind, report_id)
    if (reason := authority.refusal(session, actor, report.polling_area_id)) is not None:
        raise NotAuthorised(reason)
    if shown not in ALLOWED_FROM[decision]:
        raise InvalidDecision(decision)
    after = LEADS_TO[decision]
    reviewed = {"reviewed_by_id": actor.id, "reviewed_at": now, "returned_reasons": reason_codes.summarise(
        reasons, text) if decision is Decision.RETURN else ""} if isinstance(report, CountReport) else {}
    recorded: list[ReviewAction] = []

    def record() -> list[audit.Written]:
        # Once the version is claimed: the decision's row, written with its own statement (no flush), and its
        # audit entry beside the status's, in one INSERT.
        area = report.polling_area
        action = session.scalars(_action_statement(), {
            "kind": kind, "turnout_report_id": report.id if kind is ReportKind.TURNOUT else None,
            "count_report_id": report.id if kind is ReportKind.COUNT else None, "province_id": area.province_id,
            "commune_id": area.commune_id, "polling_area_id": area.id, "version": report.version,
            "decision": decision, "status_before": shown, "status_after": after, "reasons": list(reasons),
            "text": text, "actor_id": actor.id, "at": now,
        }, execution_options={"autoflush": False}).one()
        recorded.append(action)
        rows = []
        if decision is Decision.REOPEN:
            rows.append(audit.Written("reopen", report.__tablename__, str(report.id), report.audit_place(),
                                      {"status": shown.value}, {"status": after.value, "reason": text}))
        return rows + [audit.Written("create", ReviewAction.__tablename__, str(action.id), action.audit_place(),
                                     None, audit.snapshot(action))]

    if not versions.change_status(session, report, after, by=actor, at=now, shown=shown, then=record, **reviewed):
        raise _conflict(session, kind, report)
    session.flush()
    return recorded[0]


@functools.cache
def _action_statement() -> sa.Insert:
    # RETURNING the entity has the ORM load the new row from the INSERT itself (as ``versions.write`` does).
    return sa.insert(ReviewAction).returning(ReviewAction)


def confirm_report(session: Session, *, actor: User, kind: ReportKind, report_id: int, shown: ReportStatus,
                   now: datetime) -> ReviewAction:
    """Confirm one version as matching the paper: it is locked (the reports refuse a new version of confirmed
    count minutes) until someone reopens it. ``shown`` is the status the official saw on the page."""
    return _decide(session, actor=actor, kind=kind, report_id=report_id, shown=shown, decision=Decision.CONFIRM,
                   now=now)


def return_report(session: Session, *, actor: User, kind: ReportKind, report_id: int, shown: ReportStatus,
                  reasons: Sequence[str], text: str, now: datetime) -> ReviewAction:
    """Send a received version back to the polling team with reason codes and a note; the leader sees them on
    their home page and sends a corrected version, which needs confirming again."""
    codes = list(dict.fromkeys(c for c in reasons if c in reason_codes.REASONS))
    text = (text or "").strip()
    if not codes or len(codes) != len(set(reasons)):
        raise ReasonRequired("reasons")
    if reason_codes.NEEDS_TEXT & set(codes) and not text:
        raise ReasonRequired("text")
    return _decide(session, actor=actor, kind=kind, report_id=report_id, shown=shown, decision=Decision.RETURN,
                   reasons=codes, text=text, now=now)


def reopen_report(session: Session, *, actor: User, kind: ReportKind, report_id: int, reason: str,
                  now: datetime) -> ReviewAction:
    """Unlock a confirmed version (back to "received") with a written reason, recorded in the audit log. The
    leader may then send a new version, which needs confirming again."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REOPEN_REASON:
        raise ReasonRequired("text")
    return _decide(session, actor=actor, kind=kind, report_id=report_id, shown=ReportStatus.CONFIRMED,
                   decision=Decision.REOPEN, text=reason, now=now)
