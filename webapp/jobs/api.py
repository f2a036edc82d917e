"""A background job's status as JSON (``getJob``): what a client polls after starting an import or an export
(an ``importDataset`` operation would answer 202 with the job's id and this document's address)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, url_for
from flask_login import current_user

from webapp import db
from webapp.i18n import _
from webapp.imports.common import IMPORTER_ROLES
from webapp.jobs import services
from webapp.jobs.models import Job, JobKind, JobState
from webapp.jobs.views import error_list
from webapp.web import roles_required

bp = Blueprint("jobs_api", __name__, url_prefix="/api/v1/jobs")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def file_url(job: Job) -> str | None:
    """Where the API gives the file a finished export wrote (downloadJobFile), None while there is none."""
    if job.kind is not JobKind.EXPORT or job.state is not JobState.DONE or not job.file_name:
        return None
    return url_for("imports_api.download_job_file", job_id=job.id)


def status_json(job: Job) -> dict[str, Any]:
    result = job.result or {}
    seconds = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None
    return {
        "id": job.id, "kind": job.kind.value, "dataset": job.dataset, "state": job.state.value,
        "done": job.done, "total": job.total,
        "message": _(job.message, **job.message_params) if job.message else None,
        "created_at": _iso(job.created_at), "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at), "seconds": None if seconds is None else round(seconds, 1),
        "errors": error_list(job) if job.state is JobState.REJECTED else [],
        "error_total": result.get("error_total", 0),
        "summary": {k: v for k, v in result.items() if k not in ("errors", "error_total")} or None,
        "page_url": url_for("jobs.show", job_id=job.id),
        "file_url": file_url(job),
    }


@bp.get("/<int:job_id>")
@roles_required(*IMPORTER_ROLES)
def get_job(job_id: int) -> Response:
    """The job's state, progress and outcome; another account's job answers 404."""
    try:
        job = services.get_job(db.session, job_id, current_user)
    except services.JobNotFound:
        abort(404)
    response = jsonify(status_json(job))
    response.headers["Cache-Control"] = "private, no-store"
    return response
