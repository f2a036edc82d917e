from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db
from webapp.accounts.models import Role
from webapp.clock import reporting_now
from webapp.elections import services as elections
from webapp.home import menu, services
from webapp.htmx import render

bp = Blueprint("home", __name__)


@bp.app_context_processor
def _menu() -> dict[str, object]:
    return {"main_menu": menu.menu_for}


@bp.get("/")
@login_required
def index() -> Response:
    """The home page of the signed-in user's role and place: what to do now, then the rest."""
    if current_user.role is Role.LEADER:
        overview = elections.station_overview(db.session, current_user, current_user.polling_area_id)
        today = services.leader_day(db.session, current_user, reporting_now())
        return render("home/leader.html", "home/_leader.html", overview=overview, today=today,
                      returned=today.returned)
    summary = services.area_summary(db.session, current_user)
    today = services.official_today(db.session, current_user, reporting_now())
    return render("home/official.html", "home/_official.html", summary=summary, today=today)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page links: answer with the app's icon rather than a 404."""
    return send_from_directory(current_app.static_folder or "static", "icons/icon-192.png", mimetype="image/png",
                               max_age=86400)
