"""SQLite, the embedded default, takes concurrent writers: imports posted while the progress rollups refresh,
readers that write (a language switch), and a lock held too long answers "busy, try again" (503), never 500.

These run on a SQLite file of their own whatever TEST_DATABASE_URL says: they are about SQLite's locking, so
the PostgreSQL pass leaves them out (``sqlite_only``) rather than run them again unchanged."""

from __future__ import annotations

import io
import logging
import re
import shutil
import sqlite3
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import csrf_token, login, world_database
from tests.imports.helpers import headers, xlsx
from webapp import create_app
from webapp.audit.models import AuditEntry
from webapp.clock import utcnow
from webapp.elections.models import ElectoralUnit
from webapp.progress.models import Dirty
from webapp.progress.refresher import run_refresh

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def sqlite_url() -> Iterator[str]:
    url, _drop = world_database(None, "writers")
    yield url
    shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)


def _app(url: str, **config: object) -> Flask:
    # The import runs inside its request (the queue's immediate mode), so that its writes meet the others here.
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret", "JOBS_IMMEDIATE": True,
                       "JOBS_DIR": tempfile.mkdtemp(prefix="sqlite-writers-jobs-"), **config})


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    # Every progress read finds the rollups stale, so every one refreshes them after its response.
    application = _app(sqlite_url, PROGRESS_REFRESH_SECONDS=0)
    yield application
    application.extensions["db"].engine.dispose()


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    login(client, username)
    return client


def _post_units(client: FlaskClient, number: int) -> int:
    row = ["HĐND xã", f"X-26743-{number:02d}", number, f"Đơn vị bầu cử số {number}", "79", "26743", 3]
    values = {"csrf_token": csrf_token(client, "/data/"), "dataset": "units",
              "file": FileStorage(io.BytesIO(xlsx([headers("units"), row])), filename="donvi.xlsx")}
    boundary, body = encode_multipart(values)
    return client.post("/data/import", data=body, content_type=f"multipart/form-data; boundary={boundary}").status_code


def _run_all(jobs: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors


def test_imports_while_the_progress_rollups_refresh_and_readers_write(app: Flask, caplog) -> None:
    importers = [_signed_in(app, name) for name in ("quantri", "tinh", "xa")]
    reader, switcher = _signed_in(app, "tinh"), _signed_in(app, "xa")
    statuses: dict[str, Counter[int]] = {"import": Counter(), "progress": Counter(), "lang": Counter()}
    done = threading.Event()
    lock = threading.Lock()

    def note(kind: str, status: int) -> None:
        with lock:
            statuses[kind][status] += 1

    def importer(index: int) -> Callable[[], None]:
        def job() -> None:
            for k in range(6):
                note("import", _post_units(importers[index], 10 + index * 10 + k))
        return job

    def refresher() -> None:
        # What a leader's report leaves behind (a place to recompute), then the refresh that runs after a
        # response: a long write transaction, again and again while the imports are posted.
        while not done.is_set():
            with app.extensions["db"].sessionmaker() as session:
                session.add(Dirty(province_id=None, commune_id=None, times=True))
                session.commit()
            run_refresh(app, utcnow)

    place = reader.get("/progress/").headers["Location"]  # the reader's province

    def progress_reader() -> None:
        while not done.is_set():
            response = reader.get(place)
            note("progress", response.status_code)
            response.close()  # as the WSGI server does: the refresh after the response runs here

    def language_switcher() -> None:
        # A GET that writes (the account's language): it begins as a reader.
        k = 0
        while not done.is_set():
            note("lang", switcher.get(f"/lang/{('en', 'vi')[k % 2]}?next=/").status_code)
            k += 1

    def importers_then_stop() -> None:
        try:
            _run_all([importer(i) for i in range(len(importers))])
        finally:
            done.set()

    with caplog.at_level(logging.WARNING):
        _run_all([importers_then_stop, refresher, progress_reader, language_switcher])

    assert statuses["import"] == Counter({303: 18}), statuses
    assert set(statuses["progress"]) <= {200}, statuses
    assert set(statuses["lang"]) == {303}, statuses
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    with app.extensions["db"].sessionmaker() as session:
        codes = session.scalars(sa.select(ElectoralUnit.code).where(ElectoralUnit.code.like("X-26743-__"))).all()
        imports = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "import"))
    assert {f"X-26743-{10 + i * 10 + k:02d}" for i in range(3) for k in range(6)} <= set(codes)
    assert imports >= 18


def test_a_lock_held_past_the_busy_timeout_answers_503_in_vietnamese_and_writes_nothing(sqlite_url: str) -> None:
    app = _app(sqlite_url, SQLITE_BUSY_TIMEOUT=0.3)
    try:
        client = _signed_in(app, "tinh")
        token = csrf_token(client, "/data/")
        before = Counter()
        with app.extensions["db"].sessionmaker() as session:
            before["units"] = session.scalar(sa.select(sa.func.count()).select_from(ElectoralUnit))
        holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's long write
        try:
            values = {"csrf_token": token, "dataset": "units",
                      "file": FileStorage(io.BytesIO(xlsx([headers("units"), ["HĐND xã", "X-26743-99", 99,
                                                                              "Đơn vị 99", "79", "26743", 3]])),
                                          filename="donvi.xlsx")}
            boundary, body = encode_multipart(values)
            page = client.post("/data/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")
            api = client.post("/api/v1/stations/1/turnout", json={}, headers={"X-CSRFToken": token})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert page.status_code == 503 and page.headers["Retry-After"]
        assert "Máy chủ đang bận" in page.get_data(as_text=True)
        assert api.status_code == 503 and api.get_json()["errors"][0]["code"] == "busy"
        with app.extensions["db"].sessionmaker() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(ElectoralUnit)) == before["units"]
        # The lock gone, the same page works.
        assert client.get("/data/").status_code == 200
        assert re.search(r"csrf-token", client.get("/data/").get_data(as_text=True))
    finally:
        app.extensions["db"].engine.dispose()
