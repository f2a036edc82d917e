"""The station's history: every version of every report, who sent it, when, how, its receipt and state."""

from __future__ import annotations

from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db
from webapp.htmx import render
from webapp.reports import services
from webapp.reports.views.blueprint import bp


@bp.get("/reports/<int:area_id>")
@login_required
def history(area_id: int) -> Response:
    """Every turnout report and count minutes version of one polling area, newest first."""
    found = services.station_history(db.session, current_user, area_id)
    return render("reports/history.html", "reports/_history.html", history=found,
                  can_send=services.may_submit(current_user, found.area))
