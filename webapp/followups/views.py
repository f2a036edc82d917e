"""The committee's page to create a unit's additional or repeat election (``webapp.followups.services``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.clock import reporting_now
from webapp.elections.models import ElectoralUnit
from webapp.followups import services
from webapp.followups.forms import FollowUpForm
from webapp.followups.words import KIND_LABELS, REFUSALS
from webapp.htmx import render
from webapp.i18n import _
from webapp.web import roles_required

bp = Blueprint("followups", __name__, url_prefix="/follow-ups")

CREATORS = (Role.COMMUNE, Role.PROVINCE, Role.ADMIN)


def _page(unit: ElectoralUnit, form: FollowUpForm, plan: services.Plan, status: int = 200) -> Response:
    return render("followups/new.html", "followups/_new.html", status, unit=unit, form=form, plan=plan,
                  KIND_LABELS=KIND_LABELS)


def _unit(unit_id: int) -> ElectoralUnit:
    unit = scope.get(db.session, ElectoralUnit, unit_id, current_user)
    if not services.may_create(current_user, unit):
        abort(403)
    return unit


@bp.get("/units/<int:unit_id>")
@roles_required(*CREATORS)
def new(unit_id: int) -> Response:
    """What the unit's result calls for, and the form to create it."""
    unit = _unit(unit_id)
    plan = services.plan(db.session, current_user, unit)
    form = FollowUpForm(data={"kind": plan.kind.value if plan.kind else None})
    return _page(unit, form, plan)


@bp.post("/units/<int:unit_id>")
@roles_required(*CREATORS)
def create(unit_id: int) -> Response:
    unit = _unit(unit_id)
    form = FollowUpForm()
    if form.validate():
        try:
            follow_up = services.create_follow_up(db.session, actor=current_user, now=reporting_now(), unit_id=unit.id,
                                                  kind=form.kind.data, polling_date=form.polling_date.data)
        except services.FollowUpRefused as exc:
            field = form.polling_date if exc.code.startswith("date") else form.kind
            field.errors = [str(REFUSALS[exc.code])]
        else:
            flash(_("%(kind)s created for %(day)s.", kind=KIND_LABELS[follow_up.kind],
                    day=form.polling_date.data.strftime("%d/%m/%Y")), "success")
            return redirect(url_for("results.unit", unit_id=unit.id), 303)
    return _page(unit, form, services.plan(db.session, current_user, unit), 422)
