"""The task queue: Huey, with its storage chosen by ``JOBS_QUEUE_URL``.

A SQLite file in ``instance/`` by default (``make run`` starts a consumer beside the web server, nothing else to
install); ``redis://…`` or ``postgresql://…`` in production. The web workers only enqueue; the consumer
(``flask --app wsgi jobs-worker``) runs the tasks with the same configuration and database as the web app.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, PostgresStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

# Tasks are declared on this one object; its storage is chosen for the app that enqueues or consumes (``bind``).
huey = Huey("baucu", results=False, storage_class=MemoryStorage)
_APP: Flask | None = None
_BOUND: tuple[bool, str] | None = None


def queue_url(app: Flask) -> str:
    return app.config.get("JOBS_QUEUE_URL") or f"sqlite:///{Path(app.instance_path) / 'jobs-queue.sqlite3'}"


def _storage(url: str) -> tuple[type, dict[str, Any]]:
    if url.startswith("sqlite:///"):
        return SqliteStorage, {"filename": url.removeprefix("sqlite:///"), "timeout": 30}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage, {"url": url}
    if url.startswith(("postgresql", "postgres://")):
        dsn = "postgresql://" + url.split("://", 1)[1]  # psycopg's own form, without SQLAlchemy's "+psycopg"
        return PostgresStorage, {"dsn": dsn}
    raise ValueError(f"JOBS_QUEUE_URL must start with sqlite:///, redis:// or postgresql://, not {url[:20]!r}")


def init_app(app: Flask) -> None:
    """Check the queue's address at start; the storage itself is opened at the first enqueue (``bind``).
    ``JOBS_IMMEDIATE`` runs each task as it is enqueued (tests of the HTTP contract only: the queue's own tests
    run a real consumer)."""
    url = queue_url(app)
    _storage(url)
    app.extensions["jobs_queue"] = (bool(app.config.get("JOBS_IMMEDIATE")), url)


def bind(application: Flask | None = None) -> None:
    """Point the queue at this app's storage (once per process in production; tests run several apps)."""
    global _APP, _BOUND
    application = application or current_app._get_current_object()  # type: ignore[attr-defined]
    wanted = application.extensions["jobs_queue"]
    _APP = application
    if _BOUND == wanted:
        return
    immediate, url = wanted
    huey.storage.close()  # the previous app's connection, if any
    huey.storage_class, huey.storage_kwargs = MemoryStorage, {}
    huey.immediate = False
    if immediate:
        huey.immediate = True  # an in-memory storage
    else:
        huey.storage_class, huey.storage_kwargs = _storage(url)
        huey.storage = huey.create_storage()
    _BOUND = wanted


def app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    assert _APP is not None, "a task runs before the queue was bound to an app"
    return _APP


@huey.task()
def run_job(job_id: int) -> None:
    from webapp.jobs import runner

    with app().app_context():
        runner.run(job_id)


@huey.task()
def make_batch(batch: Any, documents: list[str], static_folder: str) -> None:
    from webapp.results import batch as batches

    batches.run(batch, documents, static_folder)


@huey.periodic_task(crontab(minute="*"))
def reap_stale_jobs() -> None:
    """Every minute: a job whose worker died (no heartbeat for ``JOBS_STALE_AFTER``) is marked failed."""
    from webapp.jobs import runner

    with app().app_context():
        runner.reap()


@huey.periodic_task(crontab(minute="*"))
def freeze_voter_lists() -> None:
    """Every minute: the voter lists of the areas where voting has started are frozen (webapp.voters)."""
    from webapp.voters import cli

    with app().app_context():
        cli.freeze_now()


@huey.periodic_task(crontab(minute="*/15"))
def snapshot_voter_lists() -> None:
    """Every 15 minutes: the voter-change report's snapshots that are due are stored (webapp.voters.snapshots)."""
    from webapp.voters import cli

    with app().app_context():
        cli.snapshot_now()
