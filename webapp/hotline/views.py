"""The hotline's pages: search, a station's timeline with its phones, the call list and the call outcomes.
Entry by phone is in ``webapp.hotline.proxy``."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.elections.models import PollingArea
from webapp.hotline import bp, calllist, services
from webapp.hotline.forms import OUTCOME_LABELS, CallForm
from webapp.htmx import render
from webapp.i18n import _
from webapp.clock import reporting_now
from webapp.reports import secrecy
from webapp.web import roles_required

HOTLINE_ROLES = (Role.HOTLINE, Role.PROVINCE, Role.ADMIN)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"CALL_OUTCOME": OUTCOME_LABELS}


@bp.get("/hotline/")
@roles_required(*HOTLINE_ROLES)
def search() -> Response:
    """Find a station by code, name, commune (diacritics optional), a team member's phone or a receipt code."""
    found = services.search_stations(db.session, current_user, request.args.get("q", ""))
    return render("hotline/search.html", "hotline/_search.html", found=found)


def _station_page(area_id: int, form: CallForm, status: int = 200) -> Response:
    timeline = services.station_timeline(db.session, current_user, area_id)
    return render("hotline/station.html", "hotline/_station.html", status=status, timeline=timeline,
                  call_form=form, can_enter=current_user.role is Role.HOTLINE,
                  sealed=secrecy.sealed_receipts(db.session, current_user, area_id))


@bp.get("/hotline/stations/<int:area_id>")
@roles_required(*HOTLINE_ROLES)
def station(area_id: int) -> Response:
    """A station's timeline: every report version, decision and call, with the team's phones."""
    form = CallForm(formdata=None, slot=request.args.get("slot", ""), phone=request.args.get("phone", ""))
    return _station_page(area_id, form)


@bp.post("/hotline/stations/<int:area_id>/calls")
@roles_required(*HOTLINE_ROLES)
def record_call(area_id: int) -> Response:
    """Record how a call to the station went (reached, no answer, reported by phone, device problem) and a note."""
    scope.get(db.session, PollingArea, area_id, current_user)
    form = CallForm()
    if not form.validate_on_submit():
        return _station_page(area_id, form, 422)
    services.record_call(db.session, actor=current_user, area_id=area_id, outcome=form.outcome_value,
                         note=form.note.data or "", number=form.phone.data or "", slot_at=form.slot_time,
                         now=reporting_now())
    flash(_("Call recorded: %(outcome)s.", outcome=OUTCOME_LABELS[form.outcome_value]), "success")
    if request.args.get("next") == "calls":
        return redirect(url_for("hotline.calls"), 303)
    return redirect(url_for("hotline.station", area_id=area_id), 303)


@bp.get("/hotline/calls")
@roles_required(*HOTLINE_ROLES)
def calls() -> Response:
    """Stations late for the current report time, most overdue first, with tap-to-call links."""
    found = calllist.call_list(db.session, current_user, reporting_now(), after=request.args.get("after"),
                               before=request.args.get("before"))
    return render("hotline/calls.html", "hotline/_calls.html", found=found)


from webapp.hotline import proxy  # noqa: F401  (routes)
