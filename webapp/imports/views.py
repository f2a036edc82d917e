"""Import page, uploads, results, template downloads and exports of the election's data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.audit.models import AuditEntry
from webapp.clock import utcnow
from webapp.errors import render_error
from webapp.htmx import render
from webapp.i18n import _
from webapp.imports import services
from webapp.imports.datasets import DATASETS
from webapp.imports.forms import ImportForm
from webapp.jobs import runner
from webapp.jobs import services as jobs
from webapp.jobs.models import Job, JobKind
from webapp.web import client_ip, roles_required

bp = Blueprint("imports", __name__, url_prefix="/data")
importers_only = roles_required(Role.ADMIN, Role.PROVINCE, Role.COMMUNE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024))


def _page(form: ImportForm, status: int = 200, **context: Any) -> Response:
    context.setdefault("errors", [])
    context.setdefault("error_total", len(context["errors"]))
    return render(
        "imports/index.html",
        "imports/_index.html",
        status=status,
        form=form,
        datasets=list(DATASETS.values()),
        max_mb=_max_bytes() // (1024 * 1024),
        **context,
    )


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/")
@importers_only
def index() -> Response:
    """What can be imported, the template files, the exports and the upload form."""
    return _page(ImportForm())


def _read_upload(form: ImportForm) -> tuple[str, bytes]:
    storage = form.file.data
    try:
        return storage.filename or "", storage.read(_max_bytes() + 1)
    finally:
        storage.close()  # a large upload is spooled to a temporary file


def _started(job: Job) -> Response:
    """The job is queued once committed (the worker must find it); its page follows its progress."""
    db.after_commit(lambda: runner.submit(db.session, job))
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.post("/import")
@importers_only
def upload() -> Response:
    """Import one file in the background: every row is checked first, then all of it is saved, or none of it."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    filename, data = _read_upload(form)
    if len(data) > _max_bytes():  # refused here, before anything is queued or stored
        message = _("The file is larger than %(limit)d MB. Split it into smaller files.",
                    limit=_max_bytes() // 2**20)
        return _page(form, status=422, errors=[{"row": 0, "column": "", "message": message}], filename=filename)
    job = jobs.start_job(db.session, actor=current_user, kind=JobKind.IMPORT, dataset=form.dataset.data,
                         params={"filename": filename[:200], "dry_run": bool(form.dry_run.data), "ip": client_ip()},
                         now=utcnow())
    runner.upload_path(job.id).write_bytes(data)
    return _started(job)


@bp.get("/results/<int:entry_id>")
@importers_only
def result(entry_id: int) -> Response:
    """What an import created, updated and left unchanged."""
    entry = scope.get(db.session, AuditEntry, entry_id, current_user)
    if entry.action != "import" or entry.after is None or entry.after.get("dataset") not in DATASETS:
        abort(404)
    return render(
        "imports/result.html",
        "imports/_result.html",
        dry_run=False,
        entry=entry,
        dataset=DATASETS[entry.after["dataset"]],
        summary=entry.after,
        normalised=entry.after.get("normalised_cells", 0),
    )


@bp.get("/templates/<dataset>.<fmt>")
@importers_only
def template(dataset: str, fmt: str) -> Response:
    """An empty file to fill in, with the Vietnamese headers and one example row."""
    if dataset not in DATASETS or fmt not in ("xlsx", "csv"):
        abort(404)
    body = services.template_file(dataset, fmt, _)
    name = f"mau-{DATASETS[dataset].file_stem}.{fmt}"
    return _download(body, name, XLSX if fmt == "xlsx" else "text/csv; charset=utf-8")


@bp.post("/export/<dataset>")
@importers_only
def export(dataset: str) -> Response:
    """Export the rows of a dataset within the user's area, in the background, as an .xlsx that imports back
    unchanged."""
    if dataset not in DATASETS:
        abort(404)
    job = jobs.start_job(db.session, actor=current_user, kind=JobKind.EXPORT, dataset=dataset,
                         params={"ip": client_ip()}, now=utcnow())
    return _started(job)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> Response:
    """An upload over the server's limit: back on the import page with a plain explanation."""
    if not current_user.is_authenticated or not services.may_import(current_user):
        return render_error(413)
    message = _(
        "The file is larger than %(limit)d MB. Split it into smaller files.", limit=_max_bytes() // 2**20
    )
    return _page(ImportForm(formdata=None), status=413, errors=[{"row": 0, "column": "", "message": message}])
