"""The commune's review as JSON (``listReviewQueue``, ``confirmReport``, ``returnReport``, ``reopenReport``):
the pages' queue and decisions, with the same services, scope, four-eyes rule and audit.

Optimistic concurrency as on the pages: each decision names what the official was shown, either as the
report's ``ETag`` in ``If-Match`` (from the queue, or the answer to an earlier decision) or as ``shown`` (the
status) in the body. A stale ``If-Match`` answers 412 and changes nothing; a ``shown`` status that someone
else's decision, or a newer version, made stale answers 409 with who acted and when, as the page's warning."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_login import current_user

from webapp import db
from webapp.api.blueprints import api_blueprint, roles_allowed
from webapp.api.bodies import iso
from webapp.api.parsing import Reader, load_json
from webapp.api.problems import ApiError, Problem
from webapp.clock import reporting_now
from webapp.inputs import parse_int
from webapp.reports.models import CountReport, ReportStatus
from webapp.review import authority, queries, reasons, services
from webapp.review.models import Decision, ReportKind, ReviewAction
from webapp.web import local_dt

bp = api_blueprint("review_api", __name__, "/api/v1/review")
STATES = {s.value: s for s in ReportStatus} | {"all": None}
MAX_TEXT = 1000


def etag(kind: ReportKind, report: services.Report) -> str:
    """What a decision names as "shown": this version in this status (a new version has another id)."""
    return f'"{kind.value}-{report.id}-{report.status.value}"'


def _place(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.id, "code": obj.code, "name": obj.name} if obj is not None else None


def item_json(kind: ReportKind, report: services.Report, flags: int) -> dict[str, Any]:
    area = report.polling_area
    return {
        "kind": kind.value, "report_id": report.id, "version": report.version, "status": report.status.value,
        "is_latest": report.is_latest, "etag": etag(kind, report), "receipt": report.receipt,
        "polling_area": _place(area), "commune": _place(area.commune), "submitted_at": iso(report.submitted_at),
        "channel": report.channel.value, "flags": flags,
        "contest": report.contest.kind.value if isinstance(report, CountReport) else None,
        "slot": None if isinstance(report, CountReport) else f"{report.slot_at:%H:%M}",
    }


@bp.get("/queue")
@roles_allowed(*authority.REVIEWERS)
def list_queue() -> Response:
    """The versions in the caller's area waiting for a decision (or in another state), newest first."""
    args = request.args
    problems = []
    kind = args.get("kind")
    if kind is not None and kind not in ReportKind._value2member_map_:
        problems.append(Problem("invalid_choice", "kind", {"choices": [k.value for k in ReportKind]}))
    state = args.get("state", ReportStatus.RECEIVED.value)
    if state not in STATES:
        problems.append(Problem("invalid_choice", "state", {"choices": list(STATES)}))
    numbers = {}
    for name, default in (("contest_id", None), ("page", 1)):
        raw = args.get(name)
        numbers[name] = default if raw is None else parse_int(raw)
        if raw is not None and (numbers[name] is None or numbers[name] < 1):
            problems.append(Problem("invalid_type", name, {"expected": "positive integer"}))
    if problems:
        raise ApiError(400, problems)
    filters = queries.QueueFilters(kind=ReportKind(kind) if kind else None, contest_id=numbers["contest_id"],
                                   state=STATES[state], flagged=args.get("flagged") in ("1", "true"),
                                   page=numbers["page"])
    found = queries.review_queue(db.session, current_user, filters)
    return jsonify({"items": [item_json(i.kind, i.report, i.flags) for i in found.items], "total": found.total,
                    "page": found.page, "pages": found.pages, "page_size": queries.PAGE_SIZE})


def _body() -> Reader:
    if (request.content_length or 0) > 64 * 1024:
        raise ApiError(413, Problem("payload_too_large"))
    raw = request.get_data(cache=False)
    return Reader(load_json(raw) if raw.strip() else {})


def _shown(kind: ReportKind, report: services.Report, reader: Reader, *, required: bool) -> ReportStatus | None:
    """The status the caller was shown: from ``If-Match`` (412 when it is not this version as it is now) or
    from ``shown``."""
    value = reader.text("shown", 20) if "shown" in reader.data else ""
    if_match = request.headers.get("If-Match")
    if if_match is not None:
        if etag(kind, report) not in [t.strip() for t in if_match.split(",")] and if_match.strip() != "*":
            raise ApiError(412, Problem("stale", None, {"etag": etag(kind, report),
                                                         "status": report.status.value}),
                           {"ETag": etag(kind, report)})
        return report.status
    if value:
        if value not in ReportStatus._value2member_map_:
            reader.shape.append(Problem("invalid_choice", "shown", {"choices": [s.value for s in ReportStatus]}))
            return None
        return ReportStatus(value)
    if required:
        reader.shape.append(Problem("shown_required", "shown"))
    return None


def _conflict(exc: services.ReviewConflict) -> ApiError:
    action, newer = exc.action, exc.newer
    params: dict[str, Any] = {"status": exc.report.status.value}
    if newer is not None:
        params |= {"newer_report_id": newer.id, "newer_version": newer.version,
                   "time": local_dt(newer.submitted_at)}
    elif action is not None:
        params |= {"decision": action.decision.value, "by": action.actor.full_name or action.actor.username,
                   "at": iso(action.at), "time": local_dt(action.at)}
    return ApiError(409, Problem("review_conflict", None, params),
                    {"ETag": etag(services.kind_of(exc.report), exc.report)})


def _reason_required(decision: Decision, field: str) -> ApiError:
    if decision is Decision.REOPEN:
        return ApiError(422, Problem("reopen_reason_required", "reason", {"min": services.MIN_REOPEN_REASON}))
    return ApiError(422, Problem(f"return_{field}_required", field))


def decision_json(kind: ReportKind, report: services.Report, action: ReviewAction) -> dict[str, Any]:
    return {**item_json(kind, report, 0), "decision": action.decision.value, "action_id": action.id,
            "status_before": action.status_before.value, "decided_at": iso(action.at),
            "reasons": list(action.reasons), "text": action.text,
            "returned_reasons": report.returned_reasons if isinstance(report, CountReport) else None}


def _decide(kind: ReportKind, report_id: int, decision: Decision) -> Response:
    report = services.load_report(db.session, current_user, kind, report_id)  # 404 before anything else
    if (refusal := authority.refusal(db.session, current_user, report.polling_area_id)) is not None:
        raise ApiError(403, Problem(f"review_{refusal.value}"))
    reader = _body()
    shown = _shown(kind, report, reader, required=decision is not Decision.REOPEN)
    picked: list[str] = []
    text = ""
    if decision is Decision.RETURN:
        picked = reader.text_list("reasons", len(reasons.REASONS), 40)
        text = reader.text("text", MAX_TEXT)
    elif decision is Decision.REOPEN:
        text = reader.text("reason", MAX_TEXT)
    reader.finish()
    if decision is Decision.REOPEN and shown not in (None, ReportStatus.CONFIRMED):
        raise ApiError(409, Problem("invalid_decision", "shown", {"status": report.status.value}))
    common: dict[str, Any] = {"actor": current_user, "kind": kind, "report_id": report.id, "now": reporting_now()}
    try:
        if decision is Decision.CONFIRM:
            action = services.confirm_report(db.session, shown=shown, **common)
        elif decision is Decision.RETURN:
            action = services.return_report(db.session, shown=shown, reasons=picked, text=text, **common)
        else:
            action = services.reopen_report(db.session, reason=text, **common)
    except services.ReviewConflict as exc:
        raise _conflict(exc) from None  # the blueprint's error handler rolls back
    except services.InvalidDecision:
        raise ApiError(409, Problem("invalid_decision", "shown", {"status": report.status.value})) from None
    except services.ReasonRequired as exc:
        raise _reason_required(decision, exc.field) from None
    body = decision_json(kind, report, action)
    out = jsonify(body)
    out.headers["ETag"] = body["etag"]
    return out


@bp.post("/<any(count, turnout):kind>/<int:report_id>/confirm", defaults={"decision": "confirm"},
         endpoint="confirm")
@bp.post("/<any(count, turnout):kind>/<int:report_id>/return", defaults={"decision": "return"}, endpoint="return")
@bp.post("/<any(count, turnout):kind>/<int:report_id>/reopen", defaults={"decision": "reopen"}, endpoint="reopen")
@roles_allowed(*authority.REVIEWERS)
def decide(kind: str, report_id: int, decision: str) -> Response:
    """Confirm, return or reopen one version of a count minutes or a turnout report (confirmReport,
    returnReport, reopenReport)."""
    return _decide(ReportKind(kind), report_id, Decision(decision))
