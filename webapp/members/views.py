"""Pages where the committee enters who signs the minutes: a unit's Ban, the commune's or province's committee."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.elections.models import ElectoralUnit
from webapp.geo.models import Commune, Province
from webapp.htmx import render
from webapp.i18n import _
from webapp.members import services
from webapp.members.forms import SignersForm
from webapp.web import roles_required

bp = Blueprint("members", __name__, url_prefix="/members")

EDITORS = (Role.COMMUNE, Role.PROVINCE, Role.ADMIN)


def _edit(body: services.Body, title: str, back: str, post: bool) -> Response:
    form = SignersForm()
    if not post:
        current = services.signers(db.session, body)
        form = SignersForm(data={"chair": current.chair, "vice_chairs": "\n".join(current.vice_chairs),
                                 "secretary": current.secretary})
    elif form.validate():
        services.set_signers(db.session, body, services.Signers(
            chair=form.chair.data or "", vice_chairs=form.vice_chair_names, secretary=form.secretary.data or ""))
        flash(_("The signers are saved: their names fill the minutes."), "success")
        return redirect(back, 303)
    return render("members/edit.html", "members/_edit.html", 422 if post else 200, form=form, body=body,
                  title=title, back=back)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def unit(unit_id: int) -> Response:
    """The Ban bầu cử of a unit: Trưởng ban, Phó Trưởng ban, Thư ký."""
    found = scope.get(db.session, ElectoralUnit, unit_id, current_user)
    if not services.runs_unit(current_user, found):
        abort(403)
    return _edit(services.Body.ban(found), found.name, url_for("results.unit", unit_id=found.id),
                 _posted())


@bp.route("/provinces/<int:province_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def province(province_id: int) -> Response:
    """The province's election committee: Chủ tịch, Phó Chủ tịch."""
    found = scope.get(db.session, Province, province_id, current_user)
    body = services.Body(found.id)
    if not services.may_edit_committee(current_user, body):
        abort(403)
    return _edit(body, found.name, url_for("results.province", province_id=found.id), _posted())


@bp.route("/communes/<int:commune_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def commune(commune_id: int) -> Response:
    """The commune's election committee: Chủ tịch, Phó Chủ tịch."""
    found = scope.get(db.session, Commune, commune_id, current_user)
    body = services.Body(found.province_id, found.id)
    if not services.may_edit_committee(current_user, body):
        abort(403)
    return _edit(body, found.name, url_for("results.commune", commune_id=found.id), _posted())


def _posted() -> bool:
    from flask import request

    return request.method == "POST"
