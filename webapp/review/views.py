"""The commune's review pages: the queue, one version beside its photo and the version it replaced, and the
decisions (confirm, return with reasons, reopen with a written reason)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db
from webapp.htmx import render
from webapp.i18n import _, _l
from webapp.inputs import query_int
from webapp.labels import REPORT_STATUS
from webapp.reports.models import ReportStatus
from webapp.clock import reporting_now
from webapp.reports import secrecy
from webapp.review import authority, queries, reasons, services
from webapp.review.forms import ConfirmForm, ReopenForm, ReturnForm
from webapp.review.models import Decision, ReportKind
from webapp.web import client_ip, local_dt, roles_required

bp = Blueprint("review", __name__)

# A decision is named after the status it leads to (one table of statuses, webapp/labels.py).
DECISION_LABELS = {
    Decision.CONFIRM: REPORT_STATUS[ReportStatus.CONFIRMED],
    Decision.RETURN: REPORT_STATUS[ReportStatus.RETURNED],
    Decision.REOPEN: _l("Reopened"),
}
STATE_FILTERS = {
    "received": _l("Waiting for review"),
    **{status.value: REPORT_STATUS[status] for status in (ReportStatus.RETURNED, ReportStatus.CONFIRMED)},
    "all": _l("Every state"),
}


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"REVIEW_DECISION": DECISION_LABELS, "REVIEW_REASONS": reasons.REASONS,
            "review_reason_labels": reasons.labels}


def _filters() -> queries.QueueFilters:
    args = request.args
    kind = args.get("kind", "")
    state = args.get("state", "received")
    return queries.QueueFilters(
        kind=ReportKind(kind) if kind in ReportKind._value2member_map_ else None,
        contest_id=query_int("contest"),
        state=ReportStatus(state) if state in ReportStatus._value2member_map_ else (
            None if state == "all" else ReportStatus.RECEIVED),
        flagged=args.get("flagged") == "1",
        page=query_int("page", 1),
    )


@bp.get("/review/")
@roles_required(*authority.REVIEWERS)
def queue() -> Response:
    """New and corrected reports of the official's stations waiting for a decision, newest first."""
    filters = _filters()
    found = queries.review_queue(db.session, current_user, filters)
    return render("review/queue.html", "review/_queue.html", found=found, filters=filters,
                  contests=queries.queue_contests(db.session), states=STATE_FILTERS,
                  sealed=secrecy.sealed_receipts(db.session, current_user))


REFUSALS = {
    authority.Refusal.NOT_REVIEWER: _l("Only officials of the commune, the province or the country decide on "
                                       "reports."),
    authority.Refusal.WROTE: _l("You entered figures of this polling station yourself, so you may not confirm, "
                                "return or reopen its reports for the rest of the election. Another official of "
                                "the commune, or the province, must decide."),
    authority.Refusal.RESET_CODE: _l("You reset the activation code of this polling station's leader after the "
                                     "leader had activated the account, so you may not confirm, return or reopen "
                                     "its reports for the rest of the election. Another official of the commune, "
                                     "or the province, must decide."),
}


def _page(kind: ReportKind, report_id: int, status: int = 200, **forms: Any) -> Response:
    detail = queries.report_detail(db.session, current_user, kind, report_id)
    refusal = authority.refusal(db.session, current_user, detail.report.polling_area_id)
    flags = authority.flags(authority.Presence(client_ip()), activation=detail.activation_presence,
                            sending=detail.sending_presence)
    shown = detail.report.status.value
    context = {
        "confirm_form": ConfirmForm(formdata=None, shown=shown),
        "return_form": ReturnForm(formdata=None, shown=shown),
        "reopen_form": ReopenForm(formdata=None),
        **forms,
    }
    return render("review/detail.html", "review/_detail.html", status=status, detail=detail,
                  can_review=refusal is None, refusal=REFUSALS[refusal] if refusal else None, flags=flags,
                  **context)


@bp.get("/review/count/<int:report_id>")
@roles_required(*authority.REVIEWERS)
def count(report_id: int) -> Response:
    """One version of a count minutes beside its photo and the version it replaced, with the decisions."""
    return _page(ReportKind.COUNT, report_id)


@bp.get("/review/turnout/<int:turnout_id>")
@roles_required(*authority.REVIEWERS)
def turnout(turnout_id: int) -> Response:
    """One version of a turnout report beside the version it replaced, with the decisions."""
    return _page(ReportKind.TURNOUT, turnout_id)


def conflict_message(exc: services.ReviewConflict) -> str:
    if exc.newer is not None:
        return _("A newer version (version %(n)d) arrived at %(time)s; nothing was changed. Review the new one.",
                 n=exc.newer.version, time=local_dt(exc.newer.submitted_at))
    action = exc.action
    if action is None:
        return _("This report changed meanwhile; nothing was changed. Check it again.")
    who = action.actor.full_name or action.actor.username
    when = local_dt(action.at)
    messages = {
        Decision.CONFIRM: _("Already confirmed by %(who)s at %(time)s.", who=who, time=when),
        Decision.RETURN: _("Already returned for correction by %(who)s at %(time)s.", who=who, time=when),
        Decision.REOPEN: _("Already reopened by %(who)s at %(time)s.", who=who, time=when),
    }
    return messages[action.decision]


def _decide(kind: ReportKind, report_id: int, decision: Decision) -> Response:
    detail_url = url_for(f"review.{kind.value}", **{"report_id" if kind is ReportKind.COUNT else "turnout_id": report_id})
    services.load_report(db.session, current_user, kind, report_id)  # 404 before anything else
    form: Any = {Decision.CONFIRM: ConfirmForm, Decision.RETURN: ReturnForm, Decision.REOPEN: ReopenForm}[decision]()
    if not form.validate_on_submit():
        return _page(kind, report_id, 422, **{f"{decision.value}_form": form})
    now = reporting_now()
    common = {"actor": current_user, "kind": kind, "report_id": report_id, "now": now}
    calls = {
        Decision.CONFIRM: lambda: services.confirm_report(db.session, shown=form.shown_status, **common),
        Decision.RETURN: lambda: services.return_report(db.session, shown=form.shown_status,
                                                        reasons=form.reasons.data, text=form.text.data, **common),
        Decision.REOPEN: lambda: services.reopen_report(db.session, reason=form.reason.data, **common),
    }
    try:
        calls[decision]()
    except services.ReviewConflict as exc:
        db.session.rollback()
        flash(conflict_message(exc), "warning")
        return redirect(detail_url, 303)
    except services.InvalidDecision:
        flash(_("This page is out of date. Reload it and decide again."), "warning")
        return redirect(detail_url, 303)
    except services.ReasonRequired:
        return _page(kind, report_id, 422, **{f"{decision.value}_form": form})
    except services.NotAuthorised:
        return _page(kind, report_id, 403)
    done = {Decision.CONFIRM: _("Confirmed. The report is locked."),
            Decision.RETURN: _("Returned to the polling team with your reasons."),
            Decision.REOPEN: _("Reopened. The report waits for review again.")}
    flash(done[decision], "success")
    return redirect(url_for("review.queue") if decision is not Decision.REOPEN else detail_url, 303)


@bp.post("/review/count/<int:report_id>/confirm", defaults={"decision": "confirm"})
@bp.post("/review/count/<int:report_id>/return", defaults={"decision": "return"})
@bp.post("/review/count/<int:report_id>/reopen", defaults={"decision": "reopen"})
@roles_required(*authority.REVIEWERS)
def decide_count(report_id: int, decision: str) -> Response:
    """Confirm, return or reopen one version of a count minutes."""
    return _decide(ReportKind.COUNT, report_id, Decision(decision))


@bp.post("/review/turnout/<int:turnout_id>/confirm", defaults={"decision": "confirm"})
@bp.post("/review/turnout/<int:turnout_id>/return", defaults={"decision": "return"})
@bp.post("/review/turnout/<int:turnout_id>/reopen", defaults={"decision": "reopen"})
@roles_required(*authority.REVIEWERS)
def decide_turnout(turnout_id: int, decision: str) -> Response:
    """Confirm, return or reopen one version of a turnout report."""
    return _decide(ReportKind.TURNOUT, turnout_id, Decision(decision))
