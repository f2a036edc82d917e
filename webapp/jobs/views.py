"""A background job's page (polled with htmx while it runs), its JSON status and its file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db
from webapp.audit.models import AuditEntry
from webapp.htmx import render
from webapp.i18n import _
from webapp.imports.datasets import DATASETS
from webapp.jobs import runner, services
from webapp.jobs.models import Job, JobKind, JobState

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _job(job_id: int) -> Job:
    try:
        return services.get_job(db.session, job_id, current_user)
    except services.JobNotFound:
        abort(404)


def dataset_of(key: str) -> Any:
    """The dataset a job imports or exports: one of the import page's, or a voter list (webapp.voters)."""
    from webapp.voters.imports import JOB_DATASET

    return DATASETS.get(key) or JOB_DATASET


def error_list(job: Job) -> list[dict[str, Any]]:
    return [{"row": e["row"], "column": e["column"], "message": _(e["message_id"], **e["params"])}
            for e in (job.result or {}).get("errors", [])]


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int) -> Response:
    """Where a job is: waiting, running (rows so far), or its outcome; the page updates itself every 2 s."""
    job = _job(job_id)
    result = job.result or {}
    errors = error_list(job)
    response = render("jobs/job.html", "jobs/_job.html", job=job, dataset=dataset_of(job.dataset),
                      errors=errors, error_total=result.get("error_total", len(errors)),
                      filename=job.params.get("filename"), summary=result, dry_run=result.get("dry_run"),
                      normalised=result.get("normalised_cells", 0),
                      entry=db.session.get(AuditEntry, result["entry_id"]) if result.get("entry_id") else None)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:job_id>/file")
@login_required
def file(job_id: int) -> Response:
    """The file an export wrote, to the account that asked for it only."""
    job = _job(job_id)
    if job.kind is not JobKind.EXPORT or job.state is not JobState.DONE or not job.file_name:
        abort(404)
    path = runner.jobs_dir() / job.file_name
    if not path.is_file():
        abort(404)
    name = f"{DATASETS[job.dataset].file_stem}-{job.created_at:%Y%m%d-%H%M}.xlsx"
    response = send_file(path, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
