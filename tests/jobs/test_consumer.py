"""Jobs run by a real consumer (``flask jobs-worker`` in its own process) against their own committed database:
an import, an export and the commune's PDF batch; a consumer killed mid-job leaves a job marked failed.

The queue is SQLite on the SQLite run and PostgreSQL (Huey's PostgresStorage) on the PostgreSQL run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import world
from tests.conftest import csrf_token, login, world_database
from tests.imports.helpers import csv_bytes, headers, read_xlsx, xlsx
from tests.imports.test_views import UNIT_ROW, post
from tests.results.helpers import BEN_THANH, COMMUNE, NA, PROV, RECEIVED, put_report, unit_areas
from webapp import create_app
from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.audit.models import AuditEntry, Channel
from webapp.elections.models import ElectoralUnit
from webapp.imports import services as imports

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
pytestmark = pytest.mark.slow


class Live:
    def __init__(self, url: str, queue_url: str, jobs_dir: str) -> None:
        self.url, self.queue_url, self.jobs_dir = url, queue_url, jobs_dir
        self.consumers: list[subprocess.Popen[bytes]] = []

    def start_consumer(self, stale_after: float = 600) -> subprocess.Popen[bytes]:
        env = {**os.environ, "DATABASE_URL": self.url, "JOBS_QUEUE_URL": self.queue_url,
               "WEBAPP_JOBS_DIR": self.jobs_dir, "WEBAPP_JOBS_STALE_AFTER": str(stale_after),
               "WEBAPP_JOBS_HEARTBEAT": "0.5", "FLASK_APP": "wsgi"}
        log = open(Path(self.jobs_dir) / f"consumer-{len(self.consumers)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen([FLASK, "--app", "wsgi", "jobs-worker", "--workers", "1"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.consumers.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.consumers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in Path(self.jobs_dir).glob("consumer-*.log"))


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    base = os.environ.get("TEST_DATABASE_URL")
    url, drop = world_database(base, "jobs")
    jobs_dir = tempfile.mkdtemp(prefix="baucu-live-jobs-")
    queue_url = url if base else f"sqlite:///{jobs_dir}/queue.sqlite3"
    running = Live(url, queue_url, jobs_dir)
    running.start_consumer()
    yield running
    running.stop_all()
    drop()


@pytest.fixture(scope="module")
def live_app(live: Live) -> Iterator[Flask]:
    application = create_app({"TESTING": True, "DATABASE_URL": live.url, "SECRET_KEY": "test-secret",
                              "JOBS_QUEUE_URL": live.queue_url, "JOBS_DIR": live.jobs_dir,
                              "RESULTS_EXPORT_DIR": live.jobs_dir})
    yield application
    application.extensions["db"].engine.dispose()


@pytest.fixture
def web(live_app: Flask) -> FlaskClient:
    from webapp.extensions import limiter

    limiter.reset()
    return live_app.test_client()


def api_url(location: str) -> str:
    """``getJob``'s address for the job page at ``location``."""
    return f"/api/v1/jobs/{location.rsplit('/', 1)[1]}"


def wait_for(client: FlaskClient, location: str, live: Live, *, until: tuple[str, ...] = ("done", "rejected", "failed"),
             timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(api_url(location)).get_json()
        if body["state"] in until:
            return body
        assert time.monotonic() < deadline, f"job still {body['state']} after {timeout} s:\n{live.logs()}"
        time.sleep(0.1)


def session_of(live_app: Flask) -> Session:
    return live_app.extensions["db"].sessionmaker()


def test_an_import_runs_in_the_consumer_and_reports_progress(web, live, live_app) -> None:
    login(web, "xa")
    response = post(web, "units", xlsx([headers("units"), UNIT_ROW]), "donvi.xlsx")
    assert response.status_code == 303
    location = response.headers["Location"]
    page = BeautifulSoup(web.get(location).data, "html.parser")
    assert page.select_one("#job")  # queued or running, or already done
    body = wait_for(web, location, live)
    assert body["state"] == "done", body
    assert body["summary"]["created"] == 1 and body["summary"]["rows"] == 1
    with session_of(live_app) as session:
        assert session.scalar(sa.select(sa.func.count()).where(ElectoralUnit.code == "X-26743-09")) == 1
        channels = set(session.scalars(sa.select(AuditEntry.channel).where(
            AuditEntry.entity_type == "electoral_units", AuditEntry.actor_username == "xa")))
        assert channels == {Channel.IMPORT}
    soup = BeautifulSoup(web.get(location).data, "html.parser")
    assert "donvi.xlsx" in soup.select_one("#import-result").get_text()
    # The same file again: idempotent, nothing changes.
    again = wait_for(web, post(web, "units", xlsx([headers("units"), UNIT_ROW]), "donvi.xlsx").headers["Location"],
                     live)
    assert (again["summary"]["created"], again["summary"]["unchanged"]) == (0, 1)


def test_a_rejected_import_says_why_in_vietnamese_row_by_row(web, live) -> None:
    login(web, "xa")
    bad = [headers("units"), ["HĐND xã", "X-26743-10", 10, "Đơn vị 10", "79", "26743", 7]]
    location = post(web, "units", xlsx(bad), "sai.xlsx").headers["Location"]
    body = wait_for(web, location, live)
    assert body["state"] == "rejected"
    assert body["errors"] == [{"row": 2, "column": "Số đại biểu được bầu",
                               "message": "Mỗi đơn vị bầu cử của cuộc bầu cử này bầu tối đa 5 đại biểu."}]
    report = BeautifulSoup(web.get(location).data, "html.parser").select_one("#import-errors")
    assert "Không nhập được tệp" in report.get_text()


def test_an_export_runs_in_the_consumer_and_only_its_owner_gets_it(web, live, live_app) -> None:
    login(web, "tinh")
    started = web.post("/data/export/teams", data={"csrf_token": csrf_token(web, "/data/")})
    assert started.status_code == 303
    location = started.headers["Location"]
    body = wait_for(web, location, live)
    assert body["state"] == "done", body
    with web.get(body["file_url"]) as download:
        assert download.status_code == 200
        rows = read_xlsx(download.data)
    with session_of(live_app) as session:
        tinh = session.scalars(sa.select(User).where(User.username == "tinh")).one()
        expected = read_xlsx(imports.export_workbook(session, user=tinh, dataset="teams", translate=lambda s: s))
    assert rows == expected and len(rows) == body["summary"]["rows"] + 1 > 1
    # Another account, even a national one, finds no such job.
    web.post("/logout", data={"csrf_token": csrf_token(web, "/data/")})
    login(web, "quantri")
    for path in (location, api_url(location), body["file_url"]):
        assert web.get(path).status_code == 404, path


def test_the_commune_pdf_batch_runs_in_the_consumer(web, live, live_app) -> None:
    with session_of(live_app) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        w = world.World(session)
        commune = w.commune(BEN_THANH)
        for n in range(1, 4):
            for kind in (NA, PROV, COMMUNE):
                put_report(session, w, w.area(f"{BEN_THANH}-{n:02d}"), kind, voted=812, status=RECEIVED)
        session.commit()
        commune_id = commune.id
    login(web, "xa")
    status_url = f"/results/communes/{commune_id}/batch"
    assert web.post(status_url, data={"csrf_token": csrf_token(web, status_url)}).status_code == 303
    deadline = time.monotonic() + 120
    while "batch.pdf" not in web.get(status_url).get_data(as_text=True):
        assert time.monotonic() < deadline, live.logs()
        time.sleep(0.2)
    with web.get(f"{status_url}.pdf") as download:
        assert download.status_code == 200 and download.data[:5] == b"%PDF-"


def test_a_committee_forms_pdf_is_made_in_the_consumer_and_its_download_audited(web, live, live_app) -> None:
    with session_of(live_app) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        w = world.World(session)
        unit = w.unit("QH-79-01")
        for area in unit_areas(session, unit):
            put_report(session, w, area, NA, voted=900, votes={1: 800, 2: 100, 3: 100})
        session.commit()
        province_id = unit.province_id
    login(web, "tinh")
    url = f"/results/provinces/{province_id}/report.pdf?kind=official"
    waiting = web.get(url)
    assert waiting.mimetype == "text/html" and 'id="form-file"' in waiting.get_data(as_text=True)
    started = time.perf_counter()
    made = web.post(url, data={"csrf_token": csrf_token(web, url)})
    assert made.status_code == 303 and time.perf_counter() - started < 5  # queued, not made, in the request
    deadline = time.monotonic() + 120
    while True:
        response = web.get(url)
        if response.mimetype == "application/pdf":
            break
        assert "every 2s" in response.get_data(as_text=True) or 'href="' + url in response.get_data(as_text=True)
        response.close()
        assert time.monotonic() < deadline, live.logs()
        time.sleep(0.2)
    with response:
        assert response.data[:5] == b"%PDF-"
    with session_of(live_app) as session:
        printed = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "print",
                                                              AuditEntry.actor_username == "tinh")).all()
    assert [(p.entity_id, p.after["pdf"]) for p in printed] == [("29/HĐBC", True)]


def test_a_consumer_killed_mid_job_leaves_the_job_failed_not_running(web, live) -> None:
    login(web, "tinh")
    rows = [headers("teams")] + [[f"{BEN_THANH}-{n % 12 + 1:02d}", n // 12 + 1, f"Người {n}", "Thành viên", ""]
                                 for n in range(60_000)]
    location = post(web, "teams", csv_bytes(rows), "to.csv").headers["Location"]
    body = wait_for(web, location, live, until=("running", "done", "rejected", "failed"))
    assert body["state"] == "running", body
    for process in live.consumers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    time.sleep(2.5)  # longer than the new consumer's stale_after below
    assert web.get(api_url(location)).get_json()["state"] == "running"  # nobody is left to say otherwise
    live.start_consumer(stale_after=2)  # a new consumer finds the job without a heartbeat
    body = wait_for(web, location, live, until=("done", "rejected", "failed"), timeout=120)
    assert body["state"] == "failed"
    assert body["message"].startswith("Máy chủ")  # "the server running this job stopped …", in Vietnamese
    page = BeautifulSoup(web.get(location).data, "html.parser")
    assert "Máy chủ" in page.select_one("#job [role=alert]").get_text()
