"""Imports and exports as JSON (``importDataset``, ``startExport``, ``downloadJobFile``): the import page's
upload and the export buttons, through the same background jobs; ``getJob`` (``webapp.jobs.api``) follows them.

An import is checked row by row in the job and saved all or nothing: a rejected one ends in state ``rejected``
with every row's problem in ``errors`` and nothing stored."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request, send_file, url_for
from flask_login import current_user

from webapp import db
from webapp.api.blueprints import api_blueprint, roles_allowed
from webapp.api.problems import ApiError, Problem
from webapp.clock import utcnow
from webapp.imports.common import IMPORTER_ROLES
from webapp.imports.datasets import DATASETS
from webapp.jobs import runner
from webapp.jobs import services as jobs
from webapp.jobs.api import status_json
from webapp.jobs.models import Job, JobKind, JobState
from webapp.jobs.views import XLSX
from webapp.web import client_ip

bp = api_blueprint("imports_api", __name__, "/api/v1")
EXTENSIONS = (".xlsx", ".csv")


def _max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024))


def accepted(job: Job) -> Response:
    """202: queued once the request's writes are committed; ``Location`` is the job's status (``getJob``)."""
    db.session.flush()
    db.after_commit(lambda: runner.submit(db.session, job))
    out = jsonify(status_json(job))
    out.status_code = 202
    out.headers["Location"] = url_for("jobs_api.get_job", job_id=job.id)
    out.headers["Cache-Control"] = "private, no-store"
    return out


def _choice(field: str, value: str | None, choices: list[str]) -> Problem | None:
    if value is None or value == "":
        return Problem("required", field)
    if value not in choices:
        return Problem("invalid_choice", field, {"choices": choices})
    return None


@bp.post("/imports")
@roles_allowed(*IMPORTER_ROLES)
def import_dataset() -> Response:
    """Import one .xlsx or .csv file (multipart) in the background (importDataset)."""
    if (request.content_length or 0) > _max_bytes() + 64 * 1024:
        raise ApiError(413, Problem("file_too_large", "file", {"max_mb": _max_bytes() // 2**20}))
    form = request.form
    problems = [p for p in (_choice("dataset", form.get("dataset"), list(DATASETS)),
                            _choice("dry_run", form.get("dry_run", "false"), ["true", "false", "1", "0"])) if p]
    upload = request.files.get("file")
    if upload is None:
        problems.append(Problem("missing_upload", "file"))
    problems += [Problem("unknown_field", name[:60]) for name in form if name not in ("dataset", "dry_run")]
    if problems:
        raise ApiError(400, problems)
    assert upload is not None
    filename = (upload.filename or "")[:200]
    if not filename.lower().endswith(EXTENSIONS):
        raise ApiError(422, Problem("file_type", "file"))
    try:
        data = upload.read(_max_bytes() + 1)
    finally:
        upload.close()
    if len(data) > _max_bytes():
        raise ApiError(413, Problem("file_too_large", "file", {"max_mb": _max_bytes() // 2**20}))
    job = jobs.start_job(db.session, actor=current_user, kind=JobKind.IMPORT, dataset=form["dataset"],
                         params={"filename": filename, "dry_run": form.get("dry_run") in ("true", "1"),
                                 "ip": client_ip()}, now=utcnow())
    runner.upload_path(job.id).write_bytes(data)
    return accepted(job)


@bp.post("/exports/<dataset>")
@roles_allowed(*IMPORTER_ROLES)
def start_export(dataset: str) -> Response:
    """Export a dataset's rows within the caller's area as .xlsx, in the background (startExport)."""
    if dataset not in DATASETS:
        raise ApiError(404, Problem("not_found"))
    job = jobs.start_job(db.session, actor=current_user, kind=JobKind.EXPORT, dataset=dataset,
                         params={"ip": client_ip()}, now=utcnow())
    return accepted(job)


@bp.get("/jobs/<int:job_id>/file")
@roles_allowed(*IMPORTER_ROLES)
def download_job_file(job_id: int) -> Response:
    """The .xlsx a finished export wrote, to the account that started it only (downloadJobFile)."""
    try:
        job = jobs.get_job(db.session, job_id, current_user)
    except jobs.JobNotFound:
        raise ApiError(404, Problem("not_found")) from None
    if job.kind is not JobKind.EXPORT or job.state is not JobState.DONE or not job.file_name:
        raise ApiError(404, Problem("not_found"))
    path = runner.jobs_dir() / job.file_name
    if not path.is_file():
        raise ApiError(404, Problem("not_found"))
    name = f"{DATASETS[job.dataset].file_stem}-{job.created_at:%Y%m%d-%H%M}.xlsx"
    response = send_file(path, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
