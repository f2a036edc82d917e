"""The one live server of the browser tests: a database of its own (created, migrated and loaded as
``tests.conftest.world_database`` does), the app served by werkzeug on 127.0.0.1 in a thread, on a port the OS
picks (Chromium refuses "unsafe" ports such as 5060 or 10080 that a fixed choice might hit). ``stop()`` and
``start()`` keep the port: the phone sees a server that went away and came back. Real processes (gunicorn) are
``tests.gunicorn_server``."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.conftest import world_database
from tests.world import NOW
from webapp import create_app
from webapp.seed import demo


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class LiveServer:
    """The app on 127.0.0.1 (``url``), its database (``database_url``, ``engine``)."""

    def __init__(self, app: Flask, database_url: str) -> None:
        self.app = app
        self.database_url = database_url
        self.static_dir: Path | None = None  # a copy of static/ the app serves, when a test changes it
        self.port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def engine(self) -> sa.Engine:
        return self.app.extensions["db"].engine

    def start(self) -> None:
        for _ in range(50):  # the port of a server just stopped may take a moment to be free again
            try:
                self._server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                           request_handler=_QuietHandler)
                break
            except OSError:
                time.sleep(0.1)
        assert self._server is not None
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()

    def ensure_running(self) -> None:
        if self._server is None:
            self.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._server = None

    def scalar(self, statement: sa.Select) -> Any:
        with Session(self.engine) as session:
            return session.scalar(statement)


def demo_day(session: Session) -> None:
    """The demo election (what most browser tests show) as of the test world's ``NOW``."""
    demo.load_demo(session, NOW)


@contextmanager
def serve(label: str, build: Callable[[Session], object], config: Mapping[str, Any],
                prepare: Callable[[Flask], None] | None = None) -> Iterator[LiveServer]:
    """Serve the app on a new database that ``build`` filled (committed), with ``config`` over the defaults;
    ``prepare`` changes the app before its first request (a copy of static/, a test blueprint)."""
    url, drop = world_database(os.environ.get("TEST_DATABASE_URL"), label, build)
    app = create_app({"DATABASE_URL": url, **config})
    if prepare is not None:
        prepare(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = LiveServer(app, url)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        server.engine.dispose()
        drop()
