"""Progress as JSON for higher-level systems (read-only, described in ``webapp.progress.openapi``): the same
figures as the pages, with the same ETag, so that a system pulling every few seconds gets 304 while nothing
changed. Counts are integers; percentages are display strings with two decimals ("70.12") or null."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user

from webapp import db
from webapp.accounts.models import Role
from webapp.api.auth import require_scope
from webapp.clock import reporting_now
from webapp.inputs import parse_datetime, query_int
from webapp.progress import feed, services
from webapp.progress.services import CountFigures, Figures, PlaceProgress, SlotFigures
from webapp.progress.views import READERS, conditional
from webapp.results.rules import percent_json
from webapp.web import roles_required

bp = Blueprint("progress_api", __name__, url_prefix="/api/v1/progress")
bp.before_request(require_scope)  # an integration token reads only what its scopes open

# Integration accounts read the progress through the API (tokens with the "progress:read" scope), never the pages.
API_READERS = (*READERS, Role.INTEGRATION)



def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _part(stations: int, voted: int, on_list: int, pct: Decimal | None) -> dict[str, Any]:
    return {"stations": stations, "voters_voted": voted, "voters_on_list": on_list, "turnout_percent": percent_json(pct)}


def slot_json(s: SlotFigures) -> dict[str, Any]:
    return {
        "at": s.at.strftime("%H:%M"), "due_at": _iso(s.due_at), "stations_expected": s.expected,
        "stations_reported": s.reported, "stations_missing": s.missing, "stations_overdue": s.overdue,
        "stations_reported_late": s.reported_late, "stations_returned": s.returned,
        "stations_confirmed": s.confirmed, "voters_on_list": s.on_list,
        "provisional": _part(s.reported, s.voted, s.voted_on_list, s.percent),
        "confirmed": _part(s.confirmed, s.confirmed_voted, s.confirmed_on_list, s.confirmed_percent),
    }


def count_json(c: CountFigures) -> dict[str, Any]:
    return {
        "stations_expected": c.expected, "stations_sent": c.sent, "stations_received": c.received,
        "stations_returned": c.returned, "stations_confirmed": c.confirmed, "stations_missing": c.missing,
        "provisional": _part(c.sent, c.voted, c.voted_on_list, c.percent),
        "confirmed": _part(c.confirmed, c.confirmed_voted, c.confirmed_on_list, c.confirmed_percent),
    }


def _contests(p: PlaceProgress, figures: Figures) -> list[dict[str, Any]]:
    return [{"contest": c.kind.value, "contest_id": c.id, "turnout": [slot_json(s) for s in figures.series(c.id)],
             "count": count_json(figures.counts[c.id]) if c.id in figures.counts else None} for c in p.contests]


def _stations(p: PlaceProgress) -> list[dict[str, Any]]:
    return [
        {"id": st.id, "code": st.code, "name": st.name, "contests": [
            {"contest": c.kind.value, "contest_id": c.id, "voters_on_list": st.on_list.get(c.id),
             "turnout": [{"at": at.strftime("%H:%M"), "status": slot.status.value if slot.status else None,
                          "voters_voted": slot.voted, "late": slot.late, "overdue": slot.overdue}
                         for at in p.times if (slot := st.turnout.get((c.id, at))) is not None],
             "count_status": st.counts[c.id].value if c.id in st.counts else None}
            for c in p.contests if c.id in st.contests]}
        for st in p.children
    ]


def progress_json(p: PlaceProgress) -> dict[str, Any]:
    place = p.commune or p.province
    body: dict[str, Any] = {
        "level": p.level,
        "place": {"id": place.id, "code": place.code, "name": place.name} if place else None,
        "as_of": _iso(p.as_of) if p.as_of else None,
        "version": p.version,
        "now": _iso(p.now),
        "contests": _contests(p, p.figures),
    }
    if p.level == "commune":
        body["stations"] = _stations(p)
    else:
        body["children"] = [{"id": ch.id, "code": ch.code, "name": ch.name,
                             "contests": _contests(p, ch.figures or Figures())} for ch in p.children]
    return body


@bp.get("/nation")
@roles_required(*API_READERS)
def nation() -> Response:
    """The whole country and its provinces (national users)."""
    services.nation_place(current_user)
    return conditional(lambda _token: jsonify(progress_json(
        services.nation_progress(db.session, current_user, reporting_now()))))


@bp.get("/provinces/<int:province_id>")
@roles_required(*API_READERS)
def province(province_id: int) -> Response:
    """A province and its communes."""
    services.province_place(db.session, current_user, province_id)
    return conditional(lambda _token: jsonify(progress_json(
        services.province_progress(db.session, current_user, province_id, reporting_now()))), ("province", province_id))


@bp.get("/communes/<int:commune_id>")
@roles_required(*API_READERS)
def commune(commune_id: int) -> Response:
    """A commune and its stations."""
    services.commune_place(db.session, current_user, commune_id)
    return conditional(lambda _token: jsonify(progress_json(
        services.commune_progress(db.session, current_user, commune_id, reporting_now()))), ("commune", commune_id))


@bp.get("/corrections")
@roles_required(*API_READERS)
def corrections() -> Response:
    """Corrections inside the caller's place (and the province or commune asked for), newest first."""
    # A value this endpoint cannot read is refused (400, as documented), never silently dropped.
    if any(name in request.args and query_int(name) is None for name in ("province_id", "commune_id", "limit")):
        abort(400)
    province_id, commune_id = query_int("province_id"), query_int("commune_id")
    since = parse_datetime(request.args.get("since")) if "since" in request.args else None
    limit = query_int("limit", 100)
    if ("since" in request.args and since is None) or not 1 <= limit <= 1000:
        abort(400)
    if province_id is not None:
        services.province_place(db.session, current_user, province_id)
    if commune_id is not None:
        services.commune_place(db.session, current_user, commune_id)
    rows = feed.corrections(db.session, current_user, province_id=province_id, commune_id=commune_id,
                                limit=limit, since=since)
    return jsonify({"corrections": [
        {"id": r.correction.id, "at": _iso(r.correction.at), "kind": r.correction.kind.value,
         "change": r.correction.change.value, "lowered": r.correction.lowered,
         "station": {"id": r.area.id, "code": r.area.code, "name": r.area.name},
         "province_id": r.correction.province_id, "commune_id": r.correction.commune_id,
         "slot": r.correction.slot_at.strftime("%H:%M") if r.correction.slot_at else None,
         "contest": r.contest.kind.value if r.contest else None,
         "version_before": r.correction.version_before, "version_after": r.correction.version_after,
         "status_before": r.correction.status_before.value, "status_after": r.correction.status_after.value,
         "status_now": r.report.status.value if r.report else None,
         "sent_by": r.correction.actor_username or None,
         "confirmed_by": r.confirmed_by.username if r.confirmed_by else None,
         "confirmed_at": _iso(r.confirmed_at),
         "changes": [{"kind": line.kind, "label": line.label, "before": line.before, "after": line.after}
                     for line in r.lines]}
        for r in rows
    ]})
