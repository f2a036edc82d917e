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
from webapp.web import roles_required

bp = Blueprint("imports", __name__, url_prefix="/data")
importers_only = roles_required(Role.ADMIN, Role.PROVINCE, Role.COMMUNE)
MAX_ERRORS_SHOWN = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024))


def _translated(errors: list[services.RowError]) -> list[dict[str, Any]]:
    return [
        {"row": e.row, "column": e.column, "message": _(e.message_id, **e.params)}
        for e in errors[:MAX_ERRORS_SHOWN]
    ]


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


def _preview(result: services.ImportResult) -> Response:
    summary = {"file": result.filename, "rows": result.rows, **result.counts.as_dict()}
    return render("imports/result.html", "imports/_result.html", dry_run=True, entry=None,
                  dataset=DATASETS[result.dataset], summary=summary, normalised=result.normalised_cells)


@bp.post("/import")
@importers_only
def upload() -> Response:
    """Import one file: every row is checked first, then all of it is saved, or none of it."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    filename, data = _read_upload(form)
    max_rows = int(current_app.config.get("IMPORT_MAX_ROWS", services.DEFAULT_MAX_ROWS))
    try:
        result = services.import_file(db.session, actor=current_user, dataset=form.dataset.data, filename=filename,
                                      data=data, now=utcnow(), max_bytes=_max_bytes(), max_rows=max_rows)
    except services.ImportRejected as exc:
        db.session.rollback()
        return _page(form, status=422, errors=_translated(exc.errors), error_total=len(exc.errors),
                     filename=filename)
    if form.dry_run.data:
        db.session.rollback()
        return _preview(result)
    db.session.commit()
    return redirect(url_for("imports.result", entry_id=result.entry_id), 303)


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


@bp.get("/export/<dataset>.xlsx")
@importers_only
def export(dataset: str) -> Response:
    """The rows of a dataset within the user's area, as an .xlsx that imports back unchanged."""
    if dataset not in DATASETS:
        abort(404)
    body = services.export_workbook(db.session, user=current_user, dataset=dataset, translate=_)
    name = f"{DATASETS[dataset].file_stem}-{utcnow():%Y%m%d-%H%M}.xlsx"
    return _download(body, name, XLSX)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> Response:
    """An upload over the server's limit: back on the import page with a plain explanation."""
    if not current_user.is_authenticated or not services.may_import(current_user):
        return render_error(413)
    message = _(
        "The file is larger than %(limit)d MB. Split it into smaller files.", limit=_max_bytes() // 2**20
    )
    return _page(ImportForm(formdata=None), status=413, errors=[{"row": 0, "column": "", "message": message}])
