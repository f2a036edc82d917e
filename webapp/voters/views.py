"""The voter-list pages: a commune's lists per area (import, freeze), an area's list (paged, search without
diacritics; the leader's own area read-only) and the removal form (with the certificate to vote elsewhere)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from webapp import db, scope
from webapp.clock import reporting_now as utcnow
from webapp.accounts.models import Role
from webapp.elections.models import ContestKind, Gender, PollingArea
from webapp.geo.models import Commune
from webapp.elections.services import current_election
from webapp.htmx import render
from webapp.i18n import _
from webapp.imports.common import ImportRejected
from webapp.voters import changes, figures, imports, services
from webapp.voters.forms import AdditionForm, FreezeForm, RemovalForm, VoterImportForm
from webapp.voters.models import VoterChangeCause, VoterListEntry, VoterNote
from webapp.jobs import runner
from webapp.web import client_ip, current_actor, roles_required

bp = Blueprint("voters", __name__, url_prefix="/voters")
#: Files up to this size (a few thousand rows) are imported inside the request; larger ones by a background job.


def _register_cli(state: object) -> None:
    from webapp.voters import cli

    state.app.cli.add_command(cli.voters)  # type: ignore[attr-defined]


bp.record_once(_register_cli)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return render(f"voters/{template}.html", f"voters/_{template}.html", status=status, ContestKind=ContestKind,
                  may_hand_out_cards=current_user.role in services.CARD_ROLES, **context)


def _commune_context(commune_id: int, **extra: Any) -> dict[str, Any]:
    election = current_election(db.session)
    try:
        summaries = services.commune_lists(db.session, current_user, election, commune_id)
    except services.NotAllowed:
        abort(403)
    return {"summaries": summaries, "commune": summaries[0].area.commune, "election": election,
            "import_form": extra.pop("import_form", None) or VoterImportForm(), "freeze_form": FreezeForm(),
            "voting_started": utcnow() >= figures.voting_starts(election), **extra}


@bp.get("/")
@roles_required(*services.READER_ROLES)
def index() -> Response:
    """A leader goes to their area's list, a commune official to the commune's; above, the communes to choose."""
    if current_user.role is Role.LEADER:
        if current_user.polling_area_id is None:
            abort(404)
        return redirect(url_for("voters.area", area_id=current_user.polling_area_id))
    if current_user.role is Role.COMMUNE and current_user.commune_id is not None:
        return redirect(url_for("voters.commune", commune_id=current_user.commune_id))
    communes = db.session.scalars(scope.select(Commune, current_user).order_by(Commune.code).limit(500)).all()
    return _page("index", communes=communes)


@bp.get("/communes/<int:commune_id>")
@roles_required(*services.WRITER_ROLES)
def commune(commune_id: int) -> Response:
    return _page("commune", **_commune_context(commune_id))


@bp.post("/communes/<int:commune_id>/import")
@roles_required(*services.WRITER_ROLES)
def import_commune(commune_id: int) -> Response:
    form = VoterImportForm()
    context = _commune_context(commune_id, import_form=form)
    if not form.validate_on_submit():
        return _page("commune", 422, **context)
    upload = form.file.data
    max_bytes = int(current_app.config.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024))
    filename, data = (upload.filename or "")[:200], upload.read(max_bytes + 1)
    if imports.in_background(len(data), current_app.config):
        # A commune's lists (tens of thousands of rows) are checked and saved by a background job: the web worker
        # answers at once and the job's page follows its progress.
        job = imports.queue_commune_import(db.session, user=current_user, commune_id=commune_id, filename=filename,
                                           data=data, ip=client_ip(), now=utcnow())
        db.after_commit(lambda: runner.submit(db.session, job))
        return redirect(url_for("jobs.show", job_id=job.id), 303)
    try:
        result = imports.import_voter_list(db.session, actor=current_actor(), election=context["election"],
                                           filename=filename, data=data, now=utcnow(), max_bytes=max_bytes,
                                           commune_id=commune_id)
    except ImportRejected as exc:
        return _page("commune", 422, **context, errors=exc.errors[:500], error_total=len(exc.errors))
    flash(_("Imported %(rows)d rows: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.",
            rows=result.rows, created=result.counts.created, updated=result.counts.updated,
            unchanged=result.counts.unchanged), "success")
    return redirect(url_for("voters.commune", commune_id=commune_id), 303)


@bp.post("/communes/<int:commune_id>/freeze")
@roles_required(*services.WRITER_ROLES)
def freeze(commune_id: int) -> Response:
    context = _commune_context(commune_id)
    if not FreezeForm().validate_on_submit():
        return _page("commune", 422, **context)
    if not context["voting_started"]:
        flash(_("A list is frozen when voting starts; it has not started yet."), "error")
        return _page("commune", 422, **context)
    result = changes.freeze(db.session, current_actor(), utcnow(), context["election"],
                             [s.area.id for s in context["summaries"]])
    flash(_("%(n)d lists frozen.", n=len(result.frozen)), "success")
    return redirect(url_for("voters.commune", commune_id=commune_id), 303)


@bp.get("/areas/<int:area_id>")
@roles_required(*services.READER_ROLES)
def area(area_id: int) -> Response:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    listing = services.list_page(db.session, current_user, current_election(db.session), area_id,
                                 query=(request.args.get("q") or "")[:100], page=min(max(page, 1), 100_000))
    return _page("area", listing=listing, may_write=services.may_write(current_user),
                 masked=lambda v: services.masked_id(current_user, v))


def _entry(voter_id: int) -> VoterListEntry:
    if not services.may_write(current_user):
        abort(403)
    return scope.get(db.session, VoterListEntry, voter_id, current_user)


@bp.route("/entries/<int:voter_id>/remove", methods=["GET", "POST"])
@roles_required(*services.WRITER_ROLES)
def remove(voter_id: int) -> Response:
    entry = _entry(voter_id)
    form = RemovalForm()
    problems: list[str] = []
    if form.validate_on_submit():
        election = current_election(db.session)
        cause = VoterChangeCause(form.cause.data)
        try:
            if cause is VoterChangeCause.CERTIFICATE_GIVEN:
                code = (form.destination.data or "").strip().upper()
                destination = db.session.scalars(sa.select(PollingArea).where(PollingArea.code == code)).first()
                changes.give_certificate(db.session, current_actor(), utcnow(), election, entry.id,
                                          destination.id if destination else None, form.document.data,
                                          form.certificate_number.data or "")
            else:
                changes.remove_voter(db.session, current_actor(), utcnow(), election, entry.id, cause,
                                      form.document.data)
        except changes.ChangeRejected as exc:
            problems = [_(v.message_id, **v.params) for v in exc.violations]
        else:
            flash(_("The change was recorded."), "success")
            return redirect(url_for("voters.area", area_id=entry.polling_area_id), 303)
    status = 422 if request.method == "POST" else 200
    return _page("remove", status, entry=entry, form=form, problems=problems,
                 masked=services.masked_id(current_user, entry.id_number))


@bp.route("/areas/<int:area_id>/add", methods=["GET", "POST"])
@roles_required(*services.WRITER_ROLES)
def add(area_id: int) -> Response:
    """An addition at the end of the area's list (the next STT), with its cause and document."""
    area = services.writable_area(db.session, current_user, area_id)
    form = AdditionForm()
    problems: list[str] = []
    if form.validate_on_submit():
        voter = changes.NewVoter(
            full_name=form.full_name.data, birth_date=form.birth_date.data, gender=Gender(form.gender.data),
            id_number=(form.id_number.data or "").strip(), ethnicity=form.ethnicity.data or "",
            permanent_address=form.permanent_address.data or "", temporary_address=form.temporary_address.data or "",
            temporary_since=form.temporary_since.data,
            note_code=VoterNote.TEMPORARY_RESIDENT if form.temporary_address.data and not form.permanent_address.data
            else None, note=form.note.data or "")
        try:
            change = changes.add_voter(db.session, current_actor(), utcnow(), current_election(db.session), area.id,
                                        VoterChangeCause(form.cause.data), form.document.data, voter)
        except changes.ChangeRejected as exc:
            problems = [_(v.message_id, **v.params) for v in exc.violations]
        else:
            flash(_("Added as number %(stt)d.", stt=change.entry.stt), "success")
            return redirect(url_for("voters.area", area_id=area.id), 303)
    return _page("add", 422 if request.method == "POST" else 200, area=area, form=form, problems=problems)
