"""Voter lists as JSON (``importVoterList``, ``getVoterList``, ``getVoterTotals``, ``recordVoterChange``,
``freezeVoterLists``): the same services, scope, audit and error shape as the pages and the rest of the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Response, current_app, jsonify, request
from flask_login import current_user

from webapp import db, scope
from webapp.api.blueprints import api_blueprint, roles_allowed
from webapp.api.parsing import load_json
from webapp.api.problems import ApiError, Problem
from webapp.clock import reporting_now as utcnow
from webapp.elections.models import Gender, PollingArea
from webapp.elections.services import current_election
from webapp.imports.api import accepted
from webapp.imports.common import ImportRejected
from webapp.voters import changes, figures, imports, services
from webapp.voters.models import VoterChangeCause, VoterListEntry, VoterNote
from webapp.voters.rules import Ballots
from webapp.web import client_ip, current_actor

bp = api_blueprint("voters_api", __name__, "/api/v1")


def _max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024))


def _rule_problems(violations: list[Any]) -> list[Problem]:
    return [Problem("voter_rule", v.field, {"message_id": v.message_id, "values": v.params}) for v in violations]


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def entry_json(entry: VoterListEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "stt": entry.stt, "card_number": entry.card_number, "full_name": entry.full_name,
        "birth_date": entry.birth_date.isoformat(), "gender": entry.gender.value,
        "id_number": services.masked_id(current_user, entry.id_number), "ethnicity": entry.ethnicity,
        "permanent_address": entry.permanent_address, "temporary_address": entry.temporary_address,
        "current_address": entry.current_address, "temporary_since": _iso(entry.temporary_since),
        "ballots": {"na": entry.votes_na, "provincial": entry.votes_province, "commune": entry.votes_commune},
        "note_code": entry.note_code.value if entry.note_code else None, "note": entry.note,
        "removed_at": _iso(entry.removed_at),
        "removal_cause": entry.removal_cause.value if entry.removal_cause else None,
        "added_after_posting": entry.added_after_posting,
    }


def _totals_json(totals: dict[Any, figures.Totals]) -> dict[str, Any]:
    return {kind.value: t.as_dict() for kind, t in totals.items()}


def _int(value: Any, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, Problem("invalid_type", field, {"expected": "integer"})) from None
    if not 1 <= number <= 2**31 - 1:
        raise ApiError(422, Problem("out_of_range", field, {"value": number, "min": 1, "max": 2**31 - 1}))
    return number


@bp.post("/voter-lists/import")
@roles_allowed(*services.WRITER_ROLES)
def import_voter_list() -> Response:
    """Import an area's or a commune's lists (Mẫu 31/HĐBC) from one .xlsx or .csv (importVoterList)."""
    if (request.content_length or 0) > _max_bytes() + 64 * 1024:
        raise ApiError(413, Problem("file_too_large", "file", {"max_mb": _max_bytes() // 2**20}))
    form = request.form
    problems = [Problem("unknown_field", name[:60]) for name in form if name not in ("area_id", "commune_id")]
    upload = request.files.get("file")
    if upload is None:
        problems.append(Problem("missing_upload", "file"))
    if bool(form.get("area_id")) == bool(form.get("commune_id")):
        problems.append(Problem("exclusive", "area_id", {"other": "commune_id"}))
    if problems:
        raise ApiError(400, problems)
    assert upload is not None
    area_id = _int(form["area_id"], "area_id") if form.get("area_id") else None
    commune_id = _int(form["commune_id"], "commune_id") if form.get("commune_id") else None
    filename = (upload.filename or "")[:200]
    if not filename.lower().endswith((".xlsx", ".csv")):
        raise ApiError(422, Problem("file_type", "file"))
    data = upload.read(_max_bytes() + 1)
    if len(data) > _max_bytes():
        raise ApiError(413, Problem("file_too_large", "file", {"max_mb": _max_bytes() // 2**20}))
    if commune_id is not None and imports.in_background(len(data), current_app.config):
        # A whole commune's file: the same background job as the page's; 202 with the job to follow (getJob).
        job = imports.queue_commune_import(db.session, user=current_user, commune_id=commune_id, filename=filename,
                                           data=data, ip=client_ip(), now=utcnow())
        return accepted(job)
    try:
        result = imports.import_voter_list(db.session, actor=current_actor(), election=current_election(db.session),
                                           filename=filename, data=data, now=utcnow(), max_bytes=_max_bytes(),
                                           area_id=area_id, commune_id=commune_id)
    except ImportRejected as exc:
        raise ApiError(422, [Problem("voter_row", e.column or None, {"row": e.row, "message_id": e.message_id,
                                                                     "values": e.params})
                             for e in exc.errors[:1000]]) from None
    return jsonify({"file": result.filename, "sha256": result.sha256, "rows": result.rows,
                    "areas": result.areas, **result.counts.as_dict()})


@bp.get("/polling-areas/<area_id>/voters")
@roles_allowed(*services.READER_ROLES)
def get_voter_list(area_id: str) -> Response:
    """One page of an area's list in STT order, or the rows whose name matches ``q`` (getVoterList)."""
    page = _int(request.args.get("page", "1"), "page")
    query = (request.args.get("q") or "")[:100]
    listing = services.list_page(db.session, current_user, current_election(db.session), area_id, query=query,
                                 page=page)
    out = jsonify({"area_id": listing.area.id, "page": listing.page, "pages": listing.pages,
                   "matching": listing.matching, "voters": [entry_json(e) for e in listing.rows]})
    out.headers["Cache-Control"] = "private, no-store"
    return out


@bp.get("/polling-areas/<area_id>/voter-totals")
@roles_allowed(*services.READER_ROLES)
def get_voter_totals(area_id: str) -> Response:
    """The totals of an area's list per contest and sex, and when it was frozen (getVoterTotals)."""
    election = current_election(db.session)
    area = services.readable_area(db.session, current_user, area_id)
    totals = figures.totals(db.session, election.id, [area.id]).get(area.id)
    frozen = figures.frozen_at(db.session, election.id, area.id)
    return jsonify({"area_id": area.id, "has_list": totals is not None, "frozen_at": _iso(frozen),
                    "totals": _totals_json(totals) if totals else {}})


def _date(data: dict[str, Any], field: str, required: bool = True) -> date | None:
    value = data.get(field)
    if value in (None, ""):
        if required:
            raise ApiError(400, Problem("required", field))
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ApiError(400, Problem("invalid_type", field, {"expected": "date (YYYY-MM-DD)"})) from None


def _text(data: dict[str, Any], field: str, limit: int) -> str:
    value = data.get(field, "")
    if not isinstance(value, str):
        raise ApiError(400, Problem("invalid_type", field, {"expected": "string"}))
    if len(value) > limit:
        raise ApiError(422, Problem("too_long", field, {"max": limit}))
    return value


def _choice(data: dict[str, Any], field: str, enum: Any, required: bool = True) -> Any:
    value = data.get(field)
    if value in (None, "") and not required:
        return None
    try:
        return enum(value)
    except ValueError:
        raise ApiError(400, Problem("invalid_choice", field, {"choices": [e.value for e in enum]})) from None


CHANGE_FIELDS = {"cause", "document", "entry_id", "voter", "destination_area_id", "certificate_number"}
VOTER_FIELDS = {"full_name", "birth_date", "gender", "id_number", "ethnicity", "permanent_address",
                "temporary_address", "current_address", "temporary_since", "note_code", "note", "ballots"}


@bp.post("/polling-areas/<area_id>/voter-changes")
@roles_allowed(*services.WRITER_ROLES)
def record_voter_change(area_id: str) -> Response:
    """Record a change of an area's list: a removal (``entry_id``), an addition (``voter``), a correction
    (``entry_id`` and ``voter``) or a certificate to vote elsewhere (``entry_id`` and ``destination_area_id``)
    (recordVoterChange)."""
    area = services.writable_area(db.session, current_user, area_id)
    data = load_json(request.get_data(cache=False))
    if not isinstance(data, dict):
        raise ApiError(400, Problem("not_an_object"))
    unknown = [Problem("unknown_field", str(k)[:60]) for k in data if k not in CHANGE_FIELDS]
    if unknown:
        raise ApiError(400, unknown)
    cause = _choice(data, "cause", VoterChangeCause)
    document = _text(data, "document", 300)
    election = current_election(db.session)
    actor = current_actor()
    now = utcnow()
    try:
        if cause is VoterChangeCause.CERTIFICATE_GIVEN:
            entry = _entry_of(area, data)
            given, received = changes.give_certificate(
                db.session, actor, now, election, entry.id, _int(data.get("destination_area_id"),
                                                                   "destination_area_id"),
                document, _text(data, "certificate_number", 50))
            recorded = [given, received]
        elif cause is VoterChangeCause.CORRECTION:
            recorded = [changes.correct_voter(db.session, actor, now, election, _entry_of(area, data).id, document,
                                              _voter(data.get("voter")))]
        elif cause in changes.ADDITIONS:
            recorded = [changes.add_voter(db.session, actor, now, election, area.id, cause, document,
                                          _voter(data.get("voter")),
                                          certificate_number=_text(data, "certificate_number", 50) or None)]
        else:
            recorded = [changes.remove_voter(db.session, actor, now, election, _entry_of(area, data).id, cause,
                                             document)]
    except changes.ChangeRejected as exc:
        raise ApiError(422, _rule_problems(exc.violations)) from None
    out = jsonify({"changes": [{"id": c.id, "cause": c.cause.value, "polling_area_id": c.polling_area_id,
                                "entry": entry_json(c.entry)} for c in recorded]})
    out.status_code = 201
    return out


def _entry_of(area: PollingArea, data: dict[str, Any]) -> VoterListEntry:
    entry = scope.get(db.session, VoterListEntry, _int(data.get("entry_id"), "entry_id"), current_user)
    if entry.polling_area_id != area.id:
        raise scope.OutOfScope("VoterListEntry")
    return entry


def _voter(data: Any) -> changes.NewVoter:
    if not isinstance(data, dict):
        raise ApiError(400, Problem("required", "voter"))
    unknown = [Problem("unknown_field", f"voter.{str(k)[:50]}") for k in data if k not in VOTER_FIELDS]
    if unknown:
        raise ApiError(400, unknown)
    ballots = data.get("ballots")
    if ballots is not None and not (isinstance(ballots, dict) and all(
            isinstance(ballots.get(k, False), bool) for k in ("na", "provincial", "commune"))):
        raise ApiError(400, Problem("invalid_type", "voter.ballots", {"expected": "object of booleans"}))
    birth = _date(data, "birth_date")
    assert birth is not None
    return changes.NewVoter(
        full_name=_text(data, "full_name", 200), birth_date=birth, gender=_choice(data, "gender", Gender),
        id_number=_text(data, "id_number", 12), ethnicity=_text(data, "ethnicity", 50),
        permanent_address=_text(data, "permanent_address", 300),
        temporary_address=_text(data, "temporary_address", 300),
        current_address=_text(data, "current_address", 300), temporary_since=_date(data, "temporary_since", False),
        note_code=_choice(data, "note_code", VoterNote, required=False), note=_text(data, "note", 500),
        ballots=Ballots(ballots.get("na", False), ballots.get("provincial", False), ballots.get("commune", False))
        if ballots is not None else None)


@bp.post("/voter-lists/freeze")
@roles_allowed(*services.WRITER_ROLES)
def freeze_voter_lists() -> Response:
    """Freeze the lists of a commune's areas or of the given areas at the start of voting (freezeVoterLists)."""
    data = load_json(request.get_data(cache=False)) if request.get_data(cache=True) else {}
    if not isinstance(data, dict):
        raise ApiError(400, Problem("not_an_object"))
    unknown = [Problem("unknown_field", str(k)[:60]) for k in data if k not in ("area_ids", "commune_id")]
    if unknown:
        raise ApiError(400, unknown)
    election = current_election(db.session)
    now = utcnow()
    if "area_ids" in data:
        ids = data["area_ids"]
        if not isinstance(ids, list) or len(ids) > 10_000:
            raise ApiError(400, Problem("invalid_type", "area_ids", {"expected": "array of integers"}))
        areas = [scope.get(db.session, PollingArea, _int(i, "area_ids"), current_user) for i in ids]
        area_ids = [a.id for a in areas]
    else:
        commune = data.get("commune_id")
        area_ids = changes.freezable_areas(db.session, current_user,
                                            _int(commune, "commune_id") if commune is not None else None)
    started = [i for i in area_ids if figures.voting_starts(election, db.session.get(PollingArea, i)) <= now]
    if len(started) != len(area_ids):
        raise ApiError(409, Problem("voting_not_started"))
    result = changes.freeze(db.session, current_actor(), now, election, area_ids)
    return jsonify({"frozen": result.frozen, "already_frozen": result.already, "without_list": result.without_list})
