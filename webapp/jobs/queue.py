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

# Storage is chosen when the app is configured (``init_app``); tasks are declared on this one object.
huey = Huey("baucu", results=False, storage_class=MemoryStorage)
_APP: Flask | None = None


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
    """Point the queue at the app's storage; ``JOBS_IMMEDIATE`` runs each task as it is enqueued (tests of the
    HTTP contract only: the queue's own tests run a real consumer)."""
    global _APP
    _APP = app
    immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    huey.immediate = False
    huey.storage.close()  # an earlier configuration's connection (tests configure more than one app)
    storage_class, kwargs = _storage(queue_url(app))
    huey.storage_class, huey.storage_kwargs = storage_class, kwargs
    huey.storage = huey.create_storage() if not immediate else MemoryStorage(huey.name)
    huey.immediate = immediate


def app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    assert _APP is not None, "the queue is used before create_app()"
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
