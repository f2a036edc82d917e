"""The drills page (create, reset, delete), switching between the real election and a drill, and the binding of
every request to the election its browser works in."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db
from webapp.accounts.models import Role, User
from webapp.drills import marking, services
from webapp.drills.forms import DrillForm
from webapp.drills.words import REFUSALS
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import Election
from webapp.geo.models import Province
from webapp.htmx import render
from webapp.i18n import _
from webapp.urls import safe_next

bp = Blueprint("drills", __name__, url_prefix="/drills")

SESSION_KEY = "election_id"  # the browser's choice: a drill's id; absent = the real election
# Pages that write rows a drill shares with the real election (polling areas and teams by import, accounts and
# their codes, API tokens): refused inside a drill, where nothing may reach the real election.
SHARED_WRITES = frozenset({"imports", "imports_api", "accounts_admin", "api_tokens"})
# ... but an export is a read: it is made in the drill, with the drill's rows and its mark (webapp.jobs.runner).
READS_BY_POST = frozenset({"imports.export", "imports_api.start_export"})


def _register_cli(state: object) -> None:
    from webapp.drills import cli

    state.app.cli.add_command(cli.drill)  # type: ignore[attr-defined]


bp.record_once(_register_cli)


@bp.before_app_request
def _bind_election() -> None:
    """Bind the request's session to the drill its browser chose; otherwise the session works in the real election
    (``working`` binds it on its first query once a drill exists), so that no page of one shows a row of the
    other."""
    g.drill = None
    chosen = session.get(SESSION_KEY)
    if chosen is None:
        return
    if current_user.is_authenticated:
        with working.unbound(db.session):
            drill = db.session.get(Election, chosen) if isinstance(chosen, int) else None
        if drill is not None and services.may_enter(current_user, drill):
            working.bind(db.session, drill.id)
            if drill.is_drill:
                g.drill = drill
            else:
                g.follow_up = drill  # an additional or repeat election (webapp.followups): not a drill
            if (request.method not in db.SAFE_METHODS and request.blueprint in SHARED_WRITES
                    and request.endpoint not in READS_BY_POST):
                abort(403)
            return
    session.pop(SESSION_KEY, None)


@bp.after_app_request
def _mark_spreadsheet(response: Response) -> Response:
    """A drill's XLSX downloads carry the mark on every sheet (webapp.drills.marking)."""
    drill = g.get("drill")
    if drill is not None and response.mimetype == marking.XLSX and not response.direct_passthrough:
        response.set_data(marking.mark_workbook(response.get_data(), drill.code))
    return response


@bp.app_context_processor
def _drill_context() -> dict[str, object]:
    def enterable() -> list[Election]:
        if not current_user.is_authenticated:
            return []
        if "drills_enterable" not in g:
            g.drills_enterable = services.drills(db.session, current_user)
        return g.drills_enterable

    def follow_ups() -> list[Election]:
        if not current_user.is_authenticated:
            return []
        if "follow_ups_enterable" not in g:
            g.follow_ups_enterable = services.follow_up_votes(db.session, current_user)
        return g.follow_ups_enterable

    return {"working_drill": g.get("drill"), "working_follow_up": g.get("follow_up"),
            "enterable_drills": enterable, "enterable_follow_ups": follow_ups}


def _form(user: User) -> DrillForm:
    form = DrillForm()
    if user.role is Role.ADMIN:
        provinces = db.session.scalars(sa.select(Province).order_by(Province.code)).all()
        form.province.choices = [("", _("Whole country"))] + [(str(p.id), p.name) for p in provinces]
    else:
        own = db.session.get(Province, user.province_id)
        form.province.choices = [(str(own.id), own.name)] if own else []
    return form


def _may_create(user: User) -> bool:
    return user.role is Role.ADMIN or user.role is Role.PROVINCE


def _page(form: DrillForm | None, status: int = 200) -> Response:
    listed = services.drills(db.session, current_user)
    follow_ups = services.follow_up_votes(db.session, current_user)
    with working.unbound(db.session):
        schedules = {d.id: services.schedule(d) for d in listed}
    return render("drills/index.html", "drills/_index.html", status, drills=listed, form=form,
                  schedules=schedules, follow_ups=follow_ups, may_manage=lambda d: services.may_manage(current_user, d.drill_province_id))


@bp.get("")
@login_required
def index() -> Response:
    """The drills the user can enter; officials who may make one see its form."""
    return _page(_form(current_user) if _may_create(current_user) else None)


@bp.post("")
@login_required
def create() -> Response:
    """Make a drill from the real election."""
    if not _may_create(current_user):
        abort(403)
    form = _form(current_user)
    if form.validate():
        source = elections.real_election(db.session)
        if source is None:
            abort(404)
        try:
            drill = services.create_drill(
                db.session, actor=current_user, source=source,
                province_id=int(form.province.data) if form.province.data else None,
                starts_at=form.starts_at.data, slot_minutes=form.slot_minutes.data, reports=form.reports.data,
                count_minutes=form.count_minutes.data, name=form.name.data or None)
        except services.NotAllowed:
            abort(403)
        except services.DrillError as exc:
            form.starts_at.errors = [str(REFUSALS[exc.code])]
        else:
            flash(_("Drill %(code)s created.", code=drill.code), "success")
            return redirect(url_for("drills.index"), 303)
    return _page(form, 422)


def _managed(drill_id: int) -> Election:
    with working.unbound(db.session):
        drill = db.session.get(Election, drill_id)
    # Below the drill's scope it answers as missing, as another place's objects do.
    if drill is None or drill.source_election_id is None or not drill.is_drill or not services.may_manage(current_user,
                                                                                    drill.drill_province_id):
        abort(404)
    return drill


def _remove_photos(paths: list[str]) -> None:
    from webapp.reports.photos import stored_path
    from webapp.reports.views.photos import upload_dir

    folder = upload_dir()
    for relative in paths:
        try:
            stored_path(folder, relative).unlink(missing_ok=True)
        except (ValueError, OSError):
            current_app.logger.warning("drill photo not removed: %s", relative)


@bp.post("/<int:drill_id>/reset")
@login_required
def reset(drill_id: int) -> Response:
    """Everything written during the drill deleted; it starts again."""
    drill = _managed(drill_id)
    photos = services.reset_drill(db.session, actor=current_user, drill=drill)
    db.after_commit(lambda: _remove_photos(photos))  # files go only once the rows that named them are gone
    flash(_("Drill %(code)s reset.", code=drill.code), "success")
    return redirect(url_for("drills.index"), 303)


@bp.post("/<int:drill_id>/delete")
@login_required
def delete(drill_id: int) -> Response:
    """The drill and everything in it deleted; the real election untouched."""
    drill = _managed(drill_id)
    code = drill.code
    photos = services.delete_drill(db.session, actor=current_user, drill=drill)
    db.after_commit(lambda: _remove_photos(photos))
    if session.get(SESSION_KEY) == drill_id:
        session.pop(SESSION_KEY, None)
    flash(_("Drill %(code)s deleted.", code=code), "success")
    return redirect(url_for("drills.index"), 303)


@bp.post("/switch")
@login_required
def switch() -> Response:
    """Work in a drill (``election`` = its id) or back in the real election (``election`` = ``real``)."""
    wanted = request.form.get("election", "real")
    if wanted == "real":
        session.pop(SESSION_KEY, None)
        flash(_("You are working in the real election."), "success")
    else:
        with working.unbound(db.session):
            drill = db.session.get(Election, int(wanted)) if wanted.isdigit() and len(wanted) < 10 else None
        if drill is None or not services.may_enter(current_user, drill):
            abort(404)
        session[SESSION_KEY] = drill.id
        if drill.is_drill:
            flash(_("You are working in the drill %(code)s. Nothing you send counts for the real election.",
                    code=drill.code), "warning")
        else:
            flash(_("You are working in %(name)s, on %(day)s.", name=drill.name,
                    day=drill.polling_date.strftime("%d/%m/%Y")), "warning")
    return redirect(safe_next(request.form.get("next")), 303)
