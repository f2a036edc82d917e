"""A database that goes away (issue 10 §1): a signed-in user gets the branded 503 page (or fragment, or the API's
JSON), never a traceback, and the same session works again when the database is back.

The shared PostgreSQL server is never stopped: the app reaches it through a small TCP proxy that the test cuts
(every open connection dropped, new ones closed at once). On SQLite the file's directory is moved away and the
pool's open connections are dropped."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.conftest import login, migrated_database
from tests.reports.helpers import AREA
from webapp import create_app
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import utcnow
from webapp.db import make_engine
from webapp.seed import demo


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to ``target``; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.up = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets: socket.socket) -> None:
        for s in sockets:
            with self.lock:
                self.open.discard(s)
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def cut(self) -> None:
        self.up = False
        with self.lock:
            sockets = list(self.open)
        self._drop(*sockets)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


class Outage:
    """The database of an app, made unreachable and reachable again."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.proxy: CuttableProxy | None = None
        if parsed.get_backend_name() == "postgresql":
            self.proxy = CuttableProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
            self.app_url = parsed.set(host="127.0.0.1", port=self.proxy.port).render_as_string(hide_password=False)
        else:
            self.directory = Path(parsed.database or "").parent
            self.app_url = url
        self.engine = None

    def cut(self) -> None:
        if self.proxy is not None:
            self.proxy.cut()
        else:
            self.directory.rename(self.directory.with_name(self.directory.name + "-away"))
            self.engine.dispose()  # the connections a pool keeps open would still reach the moved file

    def restore(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
        else:
            self.directory.with_name(self.directory.name + "-away").rename(self.directory)

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.close()


@pytest.fixture(scope="module")
def outage() -> Iterator[tuple[Outage, object]]:
    url, drop = migrated_database(os.environ.get("TEST_DATABASE_URL"), "d")
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        demo.load_demo(session, utcnow())
        session.commit()
    engine.dispose()
    cut = Outage(url)
    app = create_app({"DATABASE_URL": cut.app_url, "SECRET_KEY": "test-secret"})
    cut.engine = app.extensions["db"].engine
    try:
        yield cut, app
    finally:
        app.extensions["db"].engine.dispose()
        cut.close()
        drop()
        if cut.proxy is None:
            shutil.rmtree(cut.directory, ignore_errors=True)


def branded(body: str) -> bool:
    return "Traceback" not in body and "Internal Server Error" not in body and (
        "cơ sở dữ liệu" in body or "Lỗi máy chủ" in body)


def test_pages_fragments_and_the_api_answer_503_while_the_database_is_away(outage):
    cut, app = outage
    client = app.test_client()
    login(client, "to01")
    home = client.get("/")
    assert home.status_code == 200
    area_id = re.search(r'href="/reports/(\d+)/turnout"', home.get_data(as_text=True)).group(1)
    assert AREA
    cut.cut()
    try:
        page = client.get("/")
        assert page.status_code == 503 and branded(page.get_data(as_text=True)), page.get_data(as_text=True)
        assert page.headers["Retry-After"] == "30" and "<html" in page.get_data(as_text=True)
        fragment = client.get(f"/reports/{area_id}/turnout", headers={"HX-Request": "true"})
        assert fragment.status_code == 503 and branded(fragment.get_data(as_text=True))
        assert "<html" not in fragment.get_data(as_text=True)
        api = client.get("/api/v1/me", headers={"Accept": "application/json"})
        assert api.status_code == 503 and api.json["errors"][0]["code"] == "unavailable"
        anonymous = app.test_client().get("/login")
        assert anonymous.status_code in (200, 503) and "Traceback" not in anonymous.get_data(as_text=True)
    finally:
        cut.restore()
    # Back: the same session works again, with no restart.
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me", headers={"Accept": "application/json"}).status_code == 200


def test_the_progress_refresher_outlives_the_database_going_away(outage):
    """The refresher's round (the real election, then today's drills) runs through an outage and refreshes again
    once the database is back: on the rehearsal's PostgreSQL restart it exited, and the dashboards stood still
    until something restarted it."""
    cut, app = outage
    runner = app.test_cli_runner()
    cut.cut()
    try:
        away = runner.invoke(args=["progress-refresher", "--once"])
    finally:
        cut.restore()
    assert away.exit_code == 0, away.output
    assert away.exception is None
    back = runner.invoke(args=["progress-refresher", "--once"])
    assert back.exit_code == 0 and back.exception is None, back.output
