from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db
from webapp.accounts.models import Role
from webapp.elections import services as elections
from webapp.home import services
from webapp.htmx import render
from webapp.review import queries as review

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> Response:
    """The home page of the signed-in user's role and place."""
    if current_user.role is Role.LEADER:
        overview = elections.station_overview(db.session, current_user, current_user.polling_area_id)
        return render("home/leader.html", "home/_leader.html", overview=overview,
                      returned=review.returned_reports(db.session, current_user))
    summary = services.area_summary(db.session, current_user)
    return render("home/official.html", "home/_official.html", summary=summary)
