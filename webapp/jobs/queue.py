"""The task queue: Huey, with its storage chosen by ``JOBS_QUEUE_URL``.

A SQLite file in ``instance/`` by default (``make run`` starts a consumer beside the web server, nothing else to
install); ``redis://…`` or ``postgresql://…`` in production. The web workers only enqueue; the consumer
(``flask --app wsgi jobs-worker``) runs the tasks with the same configuration and database as the web app.
A task is sent by name (``enqueue``) to the function registered under it (``handler``, ``every_minute``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, PostgresStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

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


# The queue knows its handlers by name, not by module: each registers itself where it is written (the modules that
# enqueue, ``webapp.jobs.runner`` and ``webapp.results.batch``, and ``webapp.voters.cli``), and the app factory imports
# those modules, so the web workers and the consumer hold the same table. No module of this package imports them.
_HANDLERS: dict[str, Callable[..., Any]] = {}
_EVERY_MINUTE: dict[str, Callable[[], Any]] = {}
_INTERVAL: dict[str, int] = {}  # a minute task's period in minutes, when it is not 1


def _register(table: dict[str, Callable[..., Any]], name: str) -> Callable[[F], F]:
    def register(func: F) -> F:
        known = table.get(name)
        if known is not None and (known.__module__, known.__qualname__) != (func.__module__, func.__qualname__):
            raise ValueError(f"two job handlers named {name!r}: {known.__module__} and {func.__module__}")
        table[name] = func
        return func

    return register


def handler(name: str) -> Callable[[F], F]:
    """Register ``func`` as what the consumer runs for the tasks ``enqueue(name, …)`` sends."""
    return _register(_HANDLERS, name)


def every_minute(name: str, *, minutes: int = 1) -> Callable[[F], F]:
    """Register ``func`` (no arguments) to be run by the consumer every minute (or every ``minutes``, on the
    minutes of the hour that ``minutes`` divides), in the app's context."""
    if minutes != 1:
        _INTERVAL[name] = minutes
    return _register(_EVERY_MINUTE, name)


def enqueue(name: str, *args: Any) -> None:
    """Send a task to this app's queue (run at once in ``JOBS_IMMEDIATE``); an unknown name fails here, in the
    sender, rather than later in the consumer."""
    if name not in _HANDLERS:
        raise LookupError(f"no job handler named {name!r}")
    bind()
    _run(name, *args)


@huey.task()
def _run(name: str, *args: Any) -> None:
    with app().app_context():
        _HANDLERS[name](*args)


@huey.periodic_task(crontab(minute="*"))
def _minute() -> None:
    """Every minute, each registered task; one that fails is logged and the others still run."""
    with app().app_context():
        minute = time.gmtime().tm_min
        for name, func in sorted(_EVERY_MINUTE.items()):
            if minute % _INTERVAL.get(name, 1):
                continue
            try:
                func()
            except Exception:
                log.exception("the minute task %s failed", name)
