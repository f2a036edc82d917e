"""Starting, reading and finishing background jobs: plain functions of a session, the actor and the clock."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.elections import working
from webapp.imports.common import N_
from webapp.jobs.models import Job, JobKind, JobState

DIED = N_("The server running this job stopped before it finished. Nothing was saved; start it again.")
CRASHED = N_(
    "The job stopped because of an unexpected error. Nothing was saved; try again, and if it happens again, "
    "tell the technical team."
)

NOT_QUEUED = N_("The job could not be started: the job queue is not reachable. Try again in a minute.")
DRILL_GONE = N_("The drill this job was started in has been deleted. Nothing was made.")
NOT_IN_DRILL = N_("Nothing can be imported inside a drill: imports change what the drill shares with the real "
                  "election. Switch back to the real election to import.")


class JobNotFound(Exception):
    """No such job, or another account's: the web layer answers 404 either way."""


def jobs_dir(instance_path: str, configured: str | None = None) -> Path:
    path = Path(configured or Path(instance_path) / "jobs")
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_job(session: Session, *, actor: User, kind: JobKind, dataset: str, params: dict[str, Any],
              now: datetime) -> Job:
    """A queued job owned by ``actor``, audited; the caller commits, then enqueues its id. A session bound to an
    election (a drill, webapp.elections.working) passes it on: the job reads that election and marks its file."""
    if (election_id := working.bound_to(session)) is not None:
        params = {**params, "election_id": election_id}
    job = Job(kind=kind, dataset=dataset, owner_id=actor.id, state=JobState.QUEUED, params=params, done=0,
              message="", message_params={}, created_at=now)
    session.add(job)
    session.flush()
    audit.record_event(session, action=f"{kind.value}_job", entity_type="jobs", entity_id=str(job.id),
                       place=actor.audit_place(), after={"dataset": dataset, **params})
    return job


def get_job(session: Session, job_id: int, user: User) -> Job:
    """The user's own job; another account's id is not found."""
    job = session.get(Job, job_id)
    if job is None or job.owner_id != user.id:
        raise JobNotFound
    return job


def claim(session: Session, job_id: int, now: datetime) -> bool:
    """Mark a queued job running; False when it is not queued (already taken, or reaped)."""
    taken = session.execute(
        sa.update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=now, heartbeat_at=now)
    ).rowcount
    return bool(taken)


def beat(session: Session, job_id: int, now: datetime, done: int, total: int | None, message: str) -> None:
    session.execute(
        sa.update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(heartbeat_at=now, done=done, total=total, message=message)
    )


def finish(session: Session, job_id: int, now: datetime, state: JobState, *, message: str = "",
           message_params: dict[str, Any] | None = None, result: dict[str, Any] | None = None,
           file_name: str | None = None, done: int | None = None) -> None:
    values: dict[str, Any] = {"state": state, "finished_at": now, "heartbeat_at": now, "message": message,
                              "message_params": message_params or {}, "result": result, "file_name": file_name}
    if done is not None:
        values["done"] = done
    session.execute(sa.update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING).values(**values))


def reap(session: Session, now: datetime, stale_after: timedelta) -> int:
    """Mark failed every running job whose worker has not shown signs of life for ``stale_after``."""
    return session.execute(
        sa.update(Job).where(Job.state == JobState.RUNNING, Job.heartbeat_at < now - stale_after)
        .values(state=JobState.FAILED, finished_at=now, message=DIED, message_params={})
    ).rowcount


@dataclasses.dataclass
class Progress:
    """What the running job has done so far; a heartbeat thread writes it (the job's own transaction may hold
    SQLite's write lock, so the job never writes its progress itself)."""

    done: int = 0
    total: int | None = None
    message: str = ""
