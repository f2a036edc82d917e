"""Polling areas and electoral units, as the user's scope allows."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.elections import services
from webapp.elections.models import ElectoralUnit
from webapp.htmx import render

bp = Blueprint("elections", __name__)


@bp.get("/stations")
@login_required
def stations() -> Response:
    """Polling areas in scope, searchable by code or name with or without diacritics."""
    query = request.args.get("q", "")[:100]
    areas = services.search_areas(db.session, current_user, query)
    return render("elections/stations.html", "elections/_station_list.html", areas=areas, query=query)


@bp.get("/stations/<int:area_id>")
@login_required
def station(area_id: int) -> Response:
    """One polling area: its contests, units, candidates, voters, team and report times."""
    overview = services.station_overview(db.session, current_user, area_id)
    return render("elections/station.html", "elections/_station.html", overview=overview)


@bp.get("/units/<int:unit_id>")
@login_required
def unit(unit_id: int) -> Response:
    """One electoral unit and its candidates."""
    found = scope.get(db.session, ElectoralUnit, unit_id, current_user)
    return render("elections/unit.html", "elections/_unit.html", unit=found)
