"""The leader's readiness check (Kiểm tra sẵn sàng) and what the commune, hotline and committees see of it."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db
from webapp.accounts.models import Role
from webapp.clock import utcnow
from webapp.elections import services as elections
from webapp.elections.models import Contest, PollingAreaUnit
from webapp.htmx import render
from webapp.i18n import _, _l
from webapp.inputs import query_int
from webapp.offline.views import sw_config
from webapp.readiness import services
from webapp.readiness.forms import ReadinessForm
from webapp.readiness.models import CHECKS
from webapp.web import roles_required

bp = Blueprint("readiness", __name__)

OVERSEERS = (Role.COMMUNE, Role.HOTLINE, Role.PROVINCE, Role.ADMIN)


def _station_pages(area_id: int) -> list[str]:
    """The pages the leader needs with no network: they must be kept on the phone."""
    election = elections.current_election(db.session)
    contests = db.session.scalars(
        sa.select(PollingAreaUnit.contest_id).join(Contest)
        .where(PollingAreaUnit.polling_area_id == area_id, Contest.election_id == election.id)
        .order_by(PollingAreaUnit.contest_id)).all()
    return [url_for("home.index"), url_for("offline.outbox"), url_for("reports.turnout", area_id=area_id),
            url_for("reports.counts", area_id=area_id),
            *(url_for("reports.count", area_id=area_id, contest_id=c) for c in contests)]


def _check_page(form: ReadinessForm, status: int = 200) -> Response:
    election = elections.current_election(db.session)
    area_id = current_user.polling_area_id
    latest = services.latest_check(db.session, current_user, election, area_id)
    return render("readiness/check.html", "readiness/_check.html", status=status, form=form, latest=latest,
                  pages=_station_pages(area_id), server_version=sw_config()["version"],
                  tolerance_minutes=int(services.CLOCK_TOLERANCE.total_seconds() // 60))


@bp.route("/readiness", methods=["GET", "POST"])
@roles_required(Role.LEADER, *OVERSEERS)
def check() -> Response:
    """The leader's phone runs the checks and sends the results through its outbox; others see the stations."""
    if current_user.role is not Role.LEADER:
        return redirect(url_for("readiness.stations"), 303)
    form = ReadinessForm()
    if not form.validate_on_submit():
        return _check_page(form, 422 if form.errors else 200)
    check = services.record_check(
        db.session, actor=current_user, election=elections.current_election(db.session),
        results=form.to_results(request.user_agent.string or ""), via_outbox=bool(request.headers.get("X-Outbox")),
        server_version=str(sw_config()["version"]), now=utcnow())
    if check.passed:
        flash(_("This phone is ready for election day."), "success")
    else:
        flash(_("This phone is not ready yet: see what failed below."), "warning")
    return redirect(url_for("readiness.check"), 303)


@bp.get("/readiness/stations")
@roles_required(*OVERSEERS)
def stations() -> Response:
    """Readiness per commune in the user's area (a commune official goes straight to their stations)."""
    if current_user.role is Role.COMMUNE:
        return redirect(url_for("readiness.commune", commune_id=current_user.commune_id), 303)
    election = elections.current_election(db.session)
    communes = services.communes_summary(db.session, current_user, election)
    return render("readiness/stations.html", "readiness/_stations.html", communes=communes, election=election)


@bp.get("/readiness/communes/<int:commune_id>")
@roles_required(*OVERSEERS)
def commune(commune_id: int) -> Response:
    """Each station of a commune with its phone's latest readiness check."""
    election = elections.current_election(db.session)
    place, rows = services.commune_stations(db.session, current_user, election, commune_id)
    return render("readiness/commune.html", "readiness/_commune.html", commune=place, rows=rows, election=election)


@bp.get("/readiness/calls")
@roles_required(*OVERSEERS)
def calls() -> Response:
    """Stations not ready (never checked, or their last check failed), with the numbers to call."""
    election = elections.current_election(db.session)
    found = services.not_ready(db.session, current_user, election, utcnow(), query_int("page", 1) or 1)
    return render("readiness/calls.html", "readiness/_calls.html", found=found, election=election)


CHECK_LABELS = {
    "pages_cached": _l("The station's pages are kept for use without network"),
    "outbox_works": _l("The outbox queues and sends (a test item, no report)"),
    "storage_persistent": _l("The browser keeps the saved data (persistent storage)"),
    "clock_ok": _l("The phone's clock is right (within two minutes)"),
    "version_current": _l("The app is the current version"),
    "account_active": _l("The account is active"),
}
CHECK_SHORT = {
    "pages_cached": _l("pages"),
    "outbox_works": _l("outbox"),
    "storage_persistent": _l("storage"),
    "clock_ok": _l("clock"),
    "version_current": _l("version"),
    "account_active": _l("account"),
}
CHECK_FIXES = {
    "pages_cached": _l("Some pages could not be kept. With the network on, open the turnout and count pages once, "
                       "then run the check again."),
    "outbox_works": _l("The test item did not go through the outbox. Do not use a private window, allow the site to "
                       "store data, then run the check again."),
    "storage_persistent": _l("The browser has not promised to keep the data. Add the app to the home screen, then "
                             "run the check again."),
    "clock_ok": _l("Set the phone's date and time to automatic (from the network), then run the check again."),
    "version_current": _l("The phone runs an older version of the app. Close every tab of it, open it again and run "
                          "the check again."),
    "account_active": _l("The account is not active. Call the commune."),
}
_DEVICE = re.compile(r"\(([^)]*)\)")
_BROWSER = re.compile(r"(Edg|OPR|SamsungBrowser|CriOS|FxiOS|Firefox|Chrome|Version)/(\d+)")


def device(user_agent: str) -> str:
    """A user agent cut to what a person recognises: the system in brackets and the browser's name and version."""
    system = _DEVICE.search(user_agent or "")
    browsers = _BROWSER.findall(user_agent or "")
    name, version = browsers[0] if browsers else ("", "")
    if name == "Version":
        name = "Safari"
    parts = [system.group(1) if system else "", f"{name} {version}".strip()]
    return " · ".join(p for p in parts if p)[:120]


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"READINESS_LABELS": CHECK_LABELS, "READINESS_SHORT": CHECK_SHORT, "READINESS_FIXES": CHECK_FIXES,
            "READINESS_CHECKS": CHECKS}


bp.add_app_template_filter(device, "device")
