"""Report times per province: the national default (administrator) and each province's own set."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.elections import services as elections
from webapp.elections.models import Election
from webapp.geo.models import Province
from webapp.htmx import render
from webapp.i18n import _
from webapp.settings import services
from webapp.settings.forms import ReportTimesForm
from webapp.web import roles_required

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _reason(reason: str, election: Election) -> str:
    return {
        "none": lambda: _("Keep at least one report time."),
        "outside_hours": lambda: _(
            "Report times must lie between %(start)s and %(end)s.",
            start=f"{election.earliest_open:%H:%M}",
            end=f"{election.latest_close:%H:%M}",
        ),
        "duplicate": lambda: _("This time is already in the list."),
        "grace": lambda: _("The grace must be between 0 and %(n)d minutes.", n=services.MAX_GRACE_MINUTES),
        "too_many": lambda: _("At most %(n)d report times.", n=services.MAX_TIMES),
    }[reason]()


def _election() -> Election:
    try:
        return elections.current_election(db.session)
    except elections.NoElection:
        abort(404)


def _form(election: Election, province_id: int | None) -> ReportTimesForm:
    rows = services.own_report_times(db.session, election, province_id)
    if not rows and province_id is not None:
        # A province without its own set starts from the national default.
        rows = services.own_report_times(db.session, election, None)
    data = [{"at": f"{r.at:%H:%M}", "grace": str(r.grace_minutes)} for r in rows]
    return ReportTimesForm(data={"rows": data} if data else None)


def _edit(province: Province | None) -> Response:
    election = _election()
    province_id = province.id if province else None
    form = ReportTimesForm()
    problem = ""
    if not form.is_submitted():
        form = _form(election, province_id)
    elif form.validate():
        try:
            services.replace_report_times(
                db.session, actor=current_user, election=election, province_id=province_id, slots=form.slots()
            )
        except services.NotAllowed:
            abort(403)
        except services.InvalidReportTimes as exc:
            if exc.index is None:
                problem = _reason(exc.reason, election)
            else:
                row = form.rows[exc.index].form
                (row.grace if exc.reason == "grace" else row.at).errors.append(_reason(exc.reason, election))
        else:
            flash(_("The report times are saved."), "success")
            return redirect(_url(province_id), 303)
    invalid = form.is_submitted()  # still here after a POST: something was refused
    form.pad()
    own = province_id is None or bool(services.own_report_times(db.session, election, province_id))
    provinces, with_own = [], set()
    if current_user.role is Role.ADMIN and province is None:
        provinces = list(db.session.scalars(scope.select(Province, current_user).order_by(Province.name)))
        with_own = services.provinces_with_own_times(db.session, election)
    return render("settings/report_times.html", "settings/_report_times.html", form=form, province=province,
                  own=own, provinces=provinces, with_own=with_own, election=election, problem=problem,
                  status=422 if invalid else 200)


def _url(province_id: int | None) -> str:
    if province_id is None:
        return url_for(".report_times")
    return url_for(".province_report_times", province_id=province_id)


@bp.route("/report-times", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.PROVINCE)
def report_times() -> Response:
    """The national default report times (administrator); a provincial committee goes to its own."""
    if current_user.role is Role.PROVINCE:
        return redirect(_url(current_user.province_id), 303)
    return _edit(None)


@bp.route("/report-times/<int:province_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.PROVINCE)
def province_report_times(province_id: int) -> Response:
    """A province's own report times, which replace the national default there."""
    return _edit(scope.get(db.session, Province, province_id, current_user))


@bp.post("/report-times/<int:province_id>/default")
@roles_required(Role.ADMIN, Role.PROVINCE)
def use_default(province_id: int) -> Response:
    """Drop the province's own report times: the national default applies again."""
    province = scope.get(db.session, Province, province_id, current_user)
    try:
        services.use_national_default(
            db.session, actor=current_user, election=_election(), province_id=province.id
        )
    except services.NotAllowed:
        abort(403)
    flash(_("%(province)s now uses the national report times.", province=province.name), "success")
    return redirect(_url(province.id), 303)
