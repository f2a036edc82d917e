"""The JSON API, version 1: the same submissions as the forms (same services, checks, idempotency and scope),
answered as JSON; plus the reads a client needs to fill them in, and the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from webapp import db, errors, scope
from webapp.api import auth, bodies, openapi
from webapp.api.parsing import Reader, load_json
from webapp.api.problems import ApiError, Problem, api_error, error_response, finding_json, response
from webapp.audit.models import Channel
from webapp.clock import reporting_now
from webapp.elections import services as elections
from webapp.elections.models import Candidate, ContestKind, PollingArea
from webapp.errors import DATABASE_UNAVAILABLE, without_database
from webapp.extensions import csrf
from webapp.reports import services, station
from webapp.reports.common import area_contests, scoped_area
from webapp.reports.counts import SIGNATURE_PROBLEMS
from webapp.reports.models import CountReport
from webapp.web import current_actor

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # auth.authenticate checks CSRF itself for every request not authenticated by a token
bp.record_once(lambda state: auth.init_app(state.app))
bp.before_request(auth.authenticate)

_STATUS_CODES = {400: "invalid_json", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 413: "payload_too_large"}


def now() -> datetime:
    """The reports' clock, as the forms read it (``REPORTING_CLOCK_OVERRIDE`` freezes it for drills)."""
    return reporting_now()


# --- errors -----------------------------------------------------------------------------------------------


def _fail(status: int, code: str, field: str | None = None, **params: Any) -> Response:
    return error_response(api_error(status, code, field, **params))


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc)


_DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    scope.OutOfScope: (404, "not_found"),
    services.NotAllowed: (403, "not_allowed"),
    services.ContestNotHeld: (404, "contest_not_held"),
    services.ReportLocked: (409, "locked"),
    services.ReportSuperseded: (409, "superseded"),
    services.ClientUuidConflict: (409, "client_uuid_conflict"),
    services.NoReportTimes: (409, "no_report_times"),
    services.UnknownReportTime: (422, "unknown_report_time"),
}


def _domain_error(exc: Exception) -> Response:
    status, code = next(value for kind, value in _DOMAIN_ERRORS.items() if isinstance(exc, kind))
    field = "slot" if code == "unknown_report_time" else "client_uuid" if code == "client_uuid_conflict" else None
    params: dict[str, Any] = {}
    if isinstance(exc, services.ReportLocked) and exc.subject != "count":
        params["report"] = exc.subject
    if isinstance(exc, services.ReportSuperseded):
        params["latest_version"] = exc.latest
    return _fail(status, code, field, **params)


for _exc_type in _DOMAIN_ERRORS:
    bp.register_error_handler(_exc_type, _domain_error)


@bp.errorhandler(services.PhotoRejected)
def _photo_rejected(exc: services.PhotoRejected) -> Response:
    return _fail(413 if exc.code == "too_large" else 422, exc.code, "photo")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    return _fail(status, _STATUS_CODES.get(status, "internal" if status >= 500 else "invalid_json"))


@bp.errorhandler(OperationalError)
def _database_error(exc: OperationalError) -> Response:
    return errors.database_busy(exc) if db.is_locked(exc) else _unhandled(exc)


@bp.errorhandler(Exception)
def _unhandled(exc: Exception) -> Response:
    current_app.logger.exception("unhandled API error", exc_info=exc)
    without_database()
    if isinstance(exc, DATABASE_UNAVAILABLE):
        answer = _fail(503, "unavailable")
        answer.headers["Retry-After"] = "30"
        return answer
    return _fail(500, "internal")


def _rejected(exc: services.ReportRejected, contest_kinds: dict[int, str] | None = None) -> Response:
    """422 with the blocking findings, the suspicious ones still unexplained and the problems of the signers and
    witnesses, all in one answer; the rest as warnings."""
    names = _candidate_names(exc.findings)
    unexplained = {id(f) for f in exc.unexplained}
    errors, warnings = [], []
    for finding, contest_id in zip(exc.findings, exc.contests):
        kind = contest_kinds.get(contest_id) if contest_kinds and contest_id is not None else None
        if finding.severity.value == "block":
            errors.append(finding_json(finding, names, contest=kind))
        elif id(finding) in unexplained:
            errors.append(finding_json(finding, names, field=f"explanations.{finding.code}", contest=kind))
        else:
            warnings.append(finding_json(finding, names, contest=kind))
    errors += [Problem(code, SIGNATURE_PROBLEMS[code]).as_json() for code in exc.signatures]
    return response(422, errors, warnings)


def _candidate_names(findings: list[Any]) -> dict[int, str]:
    ids = {int(f.params["candidate"]) for f in findings if str(f.params.get("candidate", "")).isdigit()}
    if not ids:
        return {}
    rows = db.session.execute(
        scope.select(Candidate, current_user).with_only_columns(Candidate.id, Candidate.full_name)
        .where(Candidate.id.in_(ids))
    )
    return {cid: name for cid, name in rows}


# --- helpers ----------------------------------------------------------------------------------------------


def _json_body() -> Any:
    if (request.content_length or 0) > 256 * 1024:
        raise ApiError(413, Problem("payload_too_large"))
    return load_json(request.get_data(cache=False))


def _area_for_submit(area_id: int) -> PollingArea:
    """The area if the caller sees it (else 404) and leads its team (else 403), checked before the body is
    judged: a malformed body must not tell an outsider more than a missing station would."""
    area = scoped_area(db.session, current_user, area_id)  # kept for the request: the service asks again
    if not services.may_submit(current_user, area):
        raise services.NotAllowed
    return area


def _area_kinds(area: PollingArea) -> dict[int, str]:
    # area_contests keeps them for the request: the turnout service reads the same links.
    return {link.contest_id: link.contest.kind.value for link in area_contests(db.session, area)}


def _submitted(body: dict[str, Any], replayed: bool) -> Response:
    """201 for a new report, 200 with the same body for a replay of its client_uuid."""
    out = jsonify(body)
    out.status_code = 200 if replayed else 201
    out.headers["Location"] = url_for("api.get_receipt", code=body["receipt"])
    return out


# --- the document -----------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this API (public, cacheable)."""
    out = jsonify(openapi.document())
    out.headers["Cache-Control"] = "public, max-age=300"
    out.add_etag()
    return out.make_conditional(request)


# --- reads ------------------------------------------------------------------------------------------------


@bp.get("/v1/me")
@auth.login_required
def get_me() -> Response:
    """The calling account, its place, how it is authenticated (and its CSRF token for a cookie session)."""
    from flask_wtf.csrf import generate_csrf

    user = current_user
    place = {
        "province": _place(user.province), "commune": _place(user.commune),
        "polling_area": _place(user.polling_area),
    }
    by_token = auth.authenticated_by_token()
    token = auth.current_token() if by_token else None
    return jsonify({
        "id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role.value,
        "locale": user.locale, **place, "auth": "token" if by_token else "session",
        "token": {"name": token.name, "prefix": token.prefix,
                  "expires_at": bodies.iso(token.expires_at)} if token else None,
        "csrf_token": None if by_token else generate_csrf(),
        "election": _working_election(),
    })


def _working_election() -> dict[str, Any] | None:
    """The election this session works in: the real one, or the drill its browser switched to (webapp.drills)."""
    from webapp.elections import services as elections

    try:
        election = elections.current_election(db.session)
    except elections.NoElection:
        return None
    return {"id": election.id, "code": election.code, "name": election.name,
            "is_drill": election.is_drill}


def _place(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.id, "code": obj.code, "name": obj.name} if obj is not None else None


@bp.get("/v1/stations/<int:area_id>")
@auth.login_required
def get_station(area_id: int) -> Response:
    """A polling area as a client needs it to fill in reports: contests, units, candidates, voters, team,
    report times."""
    overview = elections.station_overview(db.session, current_user, area_id)
    area, election = overview.area, overview.election
    return jsonify({
        "id": area.id, "code": area.code, "name": area.name, "address": area.address,
        "kind": area.kind.value, "early_voting_date": area.early_voting_date.isoformat()
        if area.early_voting_date else None,
        "commune": _place(area.commune), "province": _place(area.province),
        "may_submit": services.may_submit(current_user, area),
        "election": {"code": election.code, "name": election.name, "polling_date": election.polling_date.isoformat(),
                     "standard_open": f"{election.standard_open:%H:%M}",
                     "standard_close": f"{election.standard_close:%H:%M}"},
        "contests": [{
            "kind": c.contest.kind.value, "contest_id": c.contest.id, "name": c.contest.name,
            "unit": {"id": c.unit.id, "code": c.unit.code, "name": c.unit.name, "seats": c.unit.seats},
            "voters_on_list": c.voters.total if c.voters else None,
            "candidates": [{"id": cand.id, "full_name": cand.full_name, "ballot_order": cand.ballot_order}
                           for cand in c.unit.candidates],
        } for c in overview.contests],
        "team": [{"id": m.id, "full_name": m.full_name, "role": m.role.value} for m in area.team],
        "report_times": [{"at": f"{t.at:%H:%M}", "grace_minutes": t.grace_minutes} for t in overview.report_times],
    })


@bp.get("/v1/receipts/<code>")
@auth.login_required
def get_receipt(code: str) -> Response:
    """The report with this receipt code, if it lies within the caller's area (the hotline's "I sent it!")."""
    report = services.find_receipt(db.session, current_user, code[:20])
    if report is None:
        raise scope.OutOfScope("receipt")
    if isinstance(report, CountReport):
        return jsonify(bodies.count_json(report, False, report.contest.kind.value) | {"replayed": None})
    kinds = _area_kinds(report.polling_area)
    return jsonify(bodies.turnout_json(report, False, kinds) | {"replayed": None})


# --- submissions ------------------------------------------------------------------------------------------


@bp.post("/v1/stations/<int:area_id>/count/<any(na, provincial, commune):contest>")
@auth.login_required
def submit_count(area_id: int, contest: str) -> Response:
    """Send one contest's count minutes (submitCountReport); a replay of its client_uuid changes nothing."""
    try:
        client_uuid, data = bodies.count_body(_json_body())
    except ApiError:
        _area_for_submit(area_id)
        raise
    try:
        result = services.submit_count(
            db.session, actor=current_actor(Channel.API), area_id=area_id, kind=ContestKind(contest), data=data,
            client_uuid=client_uuid, now=now())
    except services.ReportRejected as exc:
        return _rejected(exc)
    body = bodies.count_json(result.report, result.replayed, contest)
    return _submitted(body, result.replayed)


@bp.post("/v1/stations/<int:area_id>/turnout")
@auth.login_required
def submit_turnout(area_id: int) -> Response:
    """Send a turnout report for one report time (submitTurnoutReport); a replay changes nothing."""
    # The area's place checked (404 / 403) before the body is judged, as _area_for_submit does, against the
    # configuration this process keeps for it (the service checks the token).
    config = station.for_sender(db.session, current_actor(Channel.API), area_id, full=False)
    body = bodies.turnout_body(_json_body())
    kinds = {contest.contest_id: contest.kind.value for contest in config.contests}
    per_contest = None
    if body.per_contest is not None:
        ids = {kind: cid for cid, kind in kinds.items()}
        if unknown := [k for k in body.per_contest if k not in ids]:
            raise ApiError(422, [Problem("contest_not_held", f"per_contest.{k}") for k in unknown])
        per_contest = {ids[kind]: value for kind, value in body.per_contest.items()}
    data = services.TurnoutInput(voted=body.voted, per_contest=per_contest, reason=body.reason, slot=body.slot,
                                 no_change=body.no_change)
    try:
        result = services.submit_turnout(db.session, actor=current_actor(Channel.API), area_id=config.area_id,
                                         data=data, client_uuid=body.client_uuid, now=now())
    except services.ReportRejected as exc:
        return _rejected(exc, kinds)
    out = bodies.turnout_json(result.report, result.replayed, kinds)
    return _submitted(out, result.replayed)


@bp.post("/v1/reports/count/<int:report_id>/photo")
@auth.login_required
def attach_count_photo(report_id: int) -> Response:
    """Attach the photo of the signed paper minutes to one version (attachCountPhoto, multipart)."""
    report = services.count_report_for(db.session, current_user, report_id)
    if not services.may_submit(current_user, report.polling_area):
        raise services.NotAllowed
    reader = Reader(dict(request.form.items()))
    client_uuid = reader.client_uuid()
    upload = request.files.get("photo")
    reader.seen.add("csrf_token")
    if upload is None:
        reader.shape.append(Problem("missing_file", "photo"))
    reader.finish()
    assert client_uuid is not None and upload is not None
    result = services.attach_photo(
        db.session, actor=current_user, report_id=report.id, content=upload.read(_photo_max_bytes() + 1),
        client_uuid=client_uuid, channel=Channel.API, now=now(), upload_dir=_upload_dir(),
        max_bytes=_photo_max_bytes())
    photo = result.report
    out = {"photo_id": photo.id, "report_id": report.id, "receipt": report.receipt, "sha256": photo.sha256,
           "width": photo.width, "height": photo.height, "size": photo.size, "replayed": result.replayed,
           "uploaded_at": bodies.iso(photo.uploaded_at), "client_uuid": str(photo.client_uuid)}
    response_ = jsonify(out)
    response_.status_code = 200 if result.replayed else 201
    return response_


def _photo_max_bytes() -> int:
    from webapp.reports.photos import MAX_BYTES

    return int(current_app.config.get("PHOTO_MAX_BYTES", MAX_BYTES))


def _upload_dir() -> Path:
    return Path(current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads")
