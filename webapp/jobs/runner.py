"""Running one job in the consumer: claim it, keep its heartbeat and progress, do the work, record the outcome.

The work is the same service a request used to run (``imports.services.import_file``, ``export_workbook``);
only where it runs changes. A heartbeat thread writes the progress every ``JOBS_HEARTBEAT`` seconds on its own
connection; a job without a heartbeat for ``JOBS_STALE_AFTER`` belongs to a worker that died and is marked
failed by ``reap`` (every minute, and when a consumer starts).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import timedelta
from pathlib import Path
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import election_now, utcnow
from webapp.db import get_db
from webapp.drills import marking
from webapp.elections import working
from webapp.elections.models import Election
from webapp.i18n import _
from webapp.imports import services as imports
from webapp.imports.common import N_
from webapp.imports.datasets import DATASETS
from webapp.jobs import queue, services
from webapp.jobs.models import Job, JobKind, JobState
from webapp.reports import secrecy

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 500
Step = Callable[[str, int, int | None], None]  # a progress report: message, rows done, rows in all

#: The importers of datasets that are not tables of ``webapp.imports`` (the voter lists), by dataset key: each
#: registers itself (``importer``), so the runner does not import the packages that queue jobs.
Importer = Callable[..., Any]
_IMPORTERS: dict[str, Importer] = {}


def importer(dataset: str) -> Callable[[Importer], Importer]:
    """Register the function that imports ``dataset``'s file in a job: it is called with the session and the
    keywords ``job``, ``actor`` (an ``audit.Actor``), ``data``, ``now``, ``max_bytes`` and ``progress``, raises
    ``ImportRejected`` or returns a result with ``filename``, ``sha256``, ``rows`` and ``counts``."""
    def register(func: Importer) -> Importer:
        _IMPORTERS[dataset] = func
        return func

    return register


def _config(name: str, default: float) -> float:
    return float(current_app.config.get(name) or default)


def jobs_dir() -> Path:
    return services.jobs_dir(current_app.instance_path, current_app.config.get("JOBS_DIR"))


def upload_path(job_id: int) -> Path:
    return jobs_dir() / f"{job_id}.upload"


def _session(actor: User | None = None, ip: str = "") -> Session:
    session = get_db().sessionmaker()
    context = audit.AuditContext(actor.id, actor.username, Channel.WEB, ip) if actor else audit.SYSTEM
    audit.bind(session, context)
    area = actor.polling_area_id if actor else None
    secrecy.bind(session, clock=election_now, viewer_area=lambda: area)  # as the owner's requests read
    return session


class _Heartbeat(threading.Thread):
    def __init__(self, app: Any, job_id: int, progress: services.Progress) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.app, self.job_id, self.progress = app, job_id, progress
        self.stopped = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            interval = _config("JOBS_HEARTBEAT", 2)
            while not self.stopped.wait(interval):
                try:
                    with _session() as session:
                        p = self.progress
                        services.beat(session, self.job_id, utcnow(), p.done, p.total, p.message)
                        session.commit()
                except Exception:  # a busy database: the next beat tries again
                    log.warning("heartbeat of job %s not written", self.job_id, exc_info=True)


@queue.handler("job")
def run(job_id: int) -> None:
    """Run one job to its end; whatever happens, it ends done, rejected or failed, never running."""
    with _session() as session:
        if not services.claim(session, job_id, utcnow()):
            session.rollback()
            log.info("job %s is not queued any more; skipped", job_id)
            return
        session.commit()
    progress = services.Progress()
    heartbeat = _Heartbeat(current_app._get_current_object(), job_id, progress)  # type: ignore[attr-defined]
    if not current_app.config.get("JOBS_IMMEDIATE"):  # run inside the request: no worker of its own to die
        heartbeat.start()
    try:
        outcome = _work(job_id, progress)
    except Exception:
        log.exception("job %s failed", job_id)
        outcome = {"state": JobState.FAILED, "message": services.CRASHED}
    finally:
        heartbeat.stopped.set()
        if heartbeat.is_alive():
            heartbeat.join()
    with _session() as session:
        services.finish(session, job_id, utcnow(), done=progress.done, **outcome)
        session.commit()


def _work(job_id: int, progress: services.Progress) -> dict[str, Any]:
    with _session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        actor = session.get(User, job.owner_id)
        assert actor is not None
        audit.bind(session, audit.AuditContext(actor.id, actor.username, Channel.WEB, job.params.get("ip", "")))
        locale = actor.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        drill = None
        if (election_id := job.params.get("election_id")) is not None:
            # Started inside a drill (or any bound session): the job works in that election, as its request did.
            with working.unbound(session):
                election = session.get(Election, election_id)
            if election is None:
                return {"state": JobState.FAILED, "message": services.DRILL_GONE}
            working.bind(session, election.id)
            drill = election if election.source_election_id is not None else None
        # The guide sheet is written in the owner's language, as the request used to.
        with current_app.test_request_context(), force_locale(locale):
            if job.kind is JobKind.EXPORT:
                return _export(session, job, actor, progress, drill)
            if drill is not None:
                upload_path(job.id).unlink(missing_ok=True)
                return {"state": JobState.FAILED, "message": services.NOT_IN_DRILL}
            return _import(session, job, actor, progress)


def _export(session: Session, job: Job, actor: User, progress: services.Progress,
            drill: Election | None = None) -> dict[str, Any]:
    """The workbook of the job's dataset; a drill's carries its banner on every sheet (webapp.drills.marking)."""
    progress.message = N_("Writing the rows")
    stem = DATASETS[job.dataset].file_stem
    name = f"{job.id}-{stem}.xlsx"
    part = jobs_dir() / f"{name}.part"

    def written(rows: int) -> None:
        progress.done = rows

    imports.export_workbook(session, user=actor, dataset=job.dataset, translate=_, target=str(part),
                            progress=written, mark=marking.banner(drill.code) if drill is not None else None)
    os.replace(part, jobs_dir() / name)
    # The reads end here: on SQLite a transaction that read before the heartbeat wrote may not write any more.
    session.rollback()
    audit.record_event(session, action="export", entity_type="jobs", entity_id=str(job.id),
                       place=actor.audit_place(), after={"dataset": job.dataset, "rows": progress.done})
    session.commit()
    return {"state": JobState.DONE, "file_name": name, "result": {"rows": progress.done}}


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(params, default=str))


def _rejected(session: Session, exc: imports.ImportRejected) -> dict[str, Any]:
    """A refused file: nothing written, each row's problem kept for the job's page."""
    session.rollback()
    errors = [{"row": e.row, "column": e.column, "message_id": e.message_id, "params": _jsonable(e.params)}
              for e in exc.errors[:MAX_ERRORS_KEPT]]
    return {"state": JobState.REJECTED, "result": {"errors": errors, "error_total": len(exc.errors)}}


def _import(session: Session, job: Job, actor: User, progress: services.Progress) -> dict[str, Any]:
    path = upload_path(job.id)
    data = path.read_bytes()
    dry_run = bool(job.params.get("dry_run"))

    def step(message: str, done: int, total: int | None) -> None:
        progress.message, progress.done, progress.total = message, done, total

    if session.get_bind().dialect.name == "sqlite":
        # SQLite has one writer: the import takes the write lock before it reads (a transaction that read first
        # could not write once another had, e.g. the heartbeat), and keeps it until it commits; the heartbeat
        # waits meanwhile. PostgreSQL needs none of this (and the job's row must stay free for the heartbeat).
        session.execute(sa.update(Job).where(Job.id == job.id).values(heartbeat_at=utcnow()))

    if job.dataset in _IMPORTERS:
        return _import_other(session, job, actor, data, path, step)
    try:
        result = imports.import_file(
            session, actor=actor, dataset=job.dataset, filename=job.params.get("filename", ""), data=data,
            now=utcnow(), max_bytes=int(current_app.config.get("IMPORT_MAX_BYTES", 10 * 2**20)),
            max_rows=int(current_app.config.get("IMPORT_MAX_ROWS", imports.DEFAULT_MAX_ROWS)), progress=step,
        )
    except imports.ImportRejected as exc:
        return _rejected(session, exc)
    finally:
        path.unlink(missing_ok=True)
    summary = {"file": result.filename, "sha256": result.sha256, "rows": result.rows, "normalised_cells": result.normalised_cells,
               "dry_run": dry_run, **result.counts.as_dict()}
    if dry_run:
        session.rollback()
    else:
        session.commit()
        summary["entry_id"] = result.entry_id
    return {"state": JobState.DONE, "result": summary}


def _import_other(session: Session, job: Job, actor: User, data: bytes, path: Path, step: Step) -> dict[str, Any]:
    """A registered importer's file (the voter lists of webapp.voters.imports), all or nothing."""
    try:
        result = _IMPORTERS[job.dataset](
            session, job=job, actor=audit.Actor(actor, Channel.WEB, job.params.get("ip", "")), data=data,
            now=utcnow(), max_bytes=int(current_app.config.get("IMPORT_MAX_BYTES", 10 * 2**20)), progress=step)
    except imports.ImportRejected as exc:
        return _rejected(session, exc)
    finally:
        path.unlink(missing_ok=True)
    session.commit()
    return {"state": JobState.DONE, "result": {"file": result.filename, "sha256": result.sha256,
                                               "rows": result.rows, **result.counts.as_dict()}}


@queue.every_minute("reap-stale-jobs")
def reap() -> int:
    """Mark failed the jobs whose worker died; called every minute and when a consumer starts."""
    with _session() as session:
        count = services.reap(session, utcnow(), timedelta(seconds=_config("JOBS_STALE_AFTER", 600)))
        session.commit()
    if count:
        log.warning("%d job(s) whose worker died were marked failed", count)
    return count


def submit(session: Session, job: Job) -> None:
    """Hand a committed job to the queue; if the queue cannot take it, the job fails with the reason at once
    (never a job left waiting for a message that was never sent)."""
    try:
        queue.enqueue("job", job.id)
    except Exception:
        log.exception("job %s could not be queued", job.id)
        session.rollback()
        session.execute(sa.update(Job).where(Job.id == job.id, Job.state == JobState.QUEUED).values(
            state=JobState.FAILED, finished_at=utcnow(), message=services.NOT_QUEUED))
        session.commit()
