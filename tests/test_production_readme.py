"""The README's production section, run as written on an empty database: its set-up block once (and again: it
changes nothing), then every line of its services block as a background process (gunicorn with
gunicorn.conf.py and two workers, the progress refresher, whatever else the block starts). Then, through the
real server: the administrator signs in with the one-time password and chooses a password, twenty signed-in
requests right after the start, a file imported at /data/, an export downloaded; nothing answers 500. Redis
holds the login limiter's counts (RATELIMIT_STORAGE_URI=redis://…, which every worker must boot with).

Only the ``export`` lines of the configuration get this test's values: its own database (PostgreSQL in the
PostgreSQL pass, a SQLite file in the other), its own Redis database number and key prefix, a free port, and its
own job queue (in its own database: a Redis database is shared by every run on the machine, and a consumer must
never take another run's jobs)."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import shlex
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import create_database
from tests.gunicorn_server import free_port
from tests.imports.helpers import headers, xlsx

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = 11  # the rate limiter's keys also carry this run's own prefix, so parallel runs never meet
SUBSTITUTED = ("SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI", "JOBS_QUEUE_URL", "BIND")
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Section:
    setup: list[str]
    services: list[str]


def production_section() -> Section:
    """The sh blocks of "## Production…": those under a heading that names the services, and the others."""
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## Production.*?(?=^## )", text, re.M | re.S)
    assert section, "README.md has no production section"
    setup: list[str] = []
    services: list[str] = []
    heading = ""
    for match in re.finditer(r"^(#{2,4} [^\n]*)$|^```sh\n(.*?)^```", section.group(0), re.M | re.S):
        if match.group(1):
            heading = match.group(1).lower()
            continue
        lines = [line for line in match.group(2).replace("\\\n", " ").splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
        (services if "services" in heading else setup).extend(lines)
    return Section(setup, services)


def _substitute(lines: list[str], values: dict[str, str]) -> list[str]:
    out, seen = [], set()
    for line in lines:
        match = re.match(r"export (\w+)=", line)
        if match and match.group(1) in values:
            seen.add(match.group(1))
            line = f"export {match.group(1)}={shlex.quote(values[match.group(1)])}"
        out.append(line)
    assert seen == set(values), f"the README's set-up block does not export {set(values) - seen}"
    return out


@dataclass
class Client:
    """A cookie jar over http.client: no redirects followed, bytes in and out."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Accept": "text/html"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            sent["Content-Type"] = content_type
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            status, data = response.status, response.read()
            got = {k.lower(): v for k, v in response.getheaders()}
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0]
                if value and "1970" not in cookie:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
        finally:
            conn.close()
        return status, got, data

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return self.request("POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def token(self, path: str) -> str:
        status, _, body = self.get(path)
        assert status == 200, (path, status)
        match = re.search(rb'<meta name="csrf-token" content="([^"]+)"', body)
        assert match, path
        return match.group(1).decode()


@dataclass(frozen=True)
class Deployment:
    values: dict[str, str]  # what the README's export lines get
    env: dict[str, str]  # the environment the README's lines start from
    port: int
    prefix: str  # of this run's keys in Redis


@pytest.fixture
def deployment() -> Iterator[Deployment]:
    url, drop = create_database(os.environ.get("TEST_DATABASE_URL"), "prod")
    prefix = f"readme-{uuid.uuid4().hex[:8]}"
    port = free_port()
    workdir = tempfile.TemporaryDirectory(prefix="readme-")
    queue = url if not url.startswith("sqlite") else f"sqlite:///{workdir.name}/jobs-queue.sqlite3"
    values = {"SECRET_KEY": f"readme-test-{uuid.uuid4().hex}-{uuid.uuid4().hex}", "DATABASE_URL": url,
              "RATELIMIT_STORAGE_URI": f"{REDIS_URL}/{REDIS_DB}", "JOBS_QUEUE_URL": queue,
              "BIND": f"127.0.0.1:{port}"}
    env = {k: v for k, v in os.environ.items() if k not in SUBSTITUTED and not k.startswith("WEBAPP_")}
    env |= {"WEBAPP_RATELIMIT_KEY_PREFIX": prefix, "PYTHONUNBUFFERED": "1", "WEBAPP_JOBS_DIR": f"{workdir.name}/jobs"}
    yield Deployment(values, env, port, prefix)
    workdir.cleanup()
    store = redis.Redis.from_url(values["RATELIMIT_STORAGE_URI"])
    for key in store.scan_iter(f"*{prefix}*"):
        store.delete(key)
    store.close()
    drop()
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def _run_setup(script: str, env: dict[str, str]) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done.stdout


def _start(line: str, exports: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(["bash", "-euo", "pipefail", "-c", f"{exports}\nexec {line}"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def _wait_ready(port: int, processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        dead = [p for p in processes if p.poll() is not None]
        assert not dead, "a service exited:\n" + "\n".join(log.read_text(errors="replace") for log in logs)
        try:
            if Client(port).get("/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not answer /healthz:\n" + "\n".join(log.read_text() for log in logs))


def test_the_production_section_runs_as_written(deployment: Deployment) -> None:
    section = production_section()
    assert any("gunicorn -c gunicorn.conf.py" in line for line in section.services)
    assert any("progress-refresher" in line for line in section.services)
    assert any("jobs-worker" in line for line in section.services)
    values, env, port = deployment.values, deployment.env, deployment.port
    setup = _substitute(section.setup, values)
    exports = "\n".join(line for line in setup if line.startswith("export "))

    first = _run_setup("\n".join(setup), env)
    assert "create-admin" in setup[-1], "the one-time password is read from the set-up block's last line"
    one_time = first.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Z0-9]{12}", one_time), first
    again = _run_setup("\n".join(setup), env)
    assert "Election 2026 already exists; nothing changed" in again and "already exists" in again.splitlines()[-1]

    logs = [Path(tempfile.mkstemp(prefix="readme-service-", suffix=".log")[1]) for _ in section.services]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for line, log in zip(section.services, logs, strict=True):
            processes.append(_start(line, exports, env, log))
        _wait_ready(port, processes, logs)
        _as_the_administrator(port, one_time, deployment.prefix, values["RATELIMIT_STORAGE_URI"])
        assert all(p.poll() is None for p in processes), "a service stopped"
    finally:
        for process in processes:
            _stop(process)
        output = "\n".join(log.read_text(errors="replace") for log in logs)
        for log in logs:
            log.unlink(missing_ok=True)
    assert "Traceback" not in output, output[-5000:]
    assert not re.search(r'" 5\d\d ', output), output[-5000:]
    assert len(re.findall(r"Booting worker", output)) == 2, output[-3000:]


def _as_the_administrator(port: int, one_time: str, prefix: str, redis_url: str) -> None:
    admin = Client(port)
    wrong = admin.post("/login", {"username": "quantri", "password": "not-it", "csrf_token": admin.token("/login")})
    assert wrong[0] == 422
    store = redis.Redis.from_url(redis_url)
    try:
        assert any(prefix in key.decode() for key in store.scan_iter(f"*{prefix}*")), "no limiter count in Redis"
    finally:
        store.close()

    status, headers_, _ = admin.post("/login", {"username": "quantri", "password": one_time,
                                                "csrf_token": admin.token("/login")})
    assert (status, headers_["location"]) == (303, "/activate")
    status, headers_, _ = admin.post("/activate", {"password": "Quan-tri-2026-moi", "confirm": "Quan-tri-2026-moi",
                                                   "csrf_token": admin.token("/activate")})
    assert status == 303, status

    # Right after the start, with two workers: every signed-in request answers (issue 11 §1, issue 10 §1).
    paths = ["/", "/data/", "/progress/", "/audit/", "/settings/report-times"] * 4
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda path: Client(port, dict(admin.cookies)).get(path)[0], paths))
    assert all(s in (200, 303) for s in statuses), list(zip(paths, statuses, strict=True))
    assert statuses.count(200) >= 16, statuses

    unit = ["QH", "QH-79-01", 1, "Đơn vị bầu cử số 1", "79", None, 3]
    body_fields = {"csrf_token": admin.token("/data/"), "dataset": "units",
                   "file": FileStorage(io.BytesIO(xlsx([headers("units"), unit])), filename="donvi.xlsx")}
    boundary, body = encode_multipart(body_fields)
    status, headers_, data = admin.request("POST", "/data/import", body, f"multipart/form-data; boundary={boundary}")
    assert status == 303, data[:3000]
    job = _finished(admin, headers_["location"])
    assert job["state"] == "done" and job["summary"]["created"] == 1, job
    status, _, page = admin.get(job["page_url"])
    assert status == 200 and b"donvi.xlsx" in page

    status, headers_, _ = admin.post("/data/export/units", {"csrf_token": admin.token("/data/")})
    assert status == 303
    job = _finished(admin, headers_["location"])
    assert job["state"] == "done" and job["file_url"], job
    status, headers_, data = admin.get(job["file_url"])
    assert status == 200 and headers_["content-type"].startswith("application/vnd.openxmlformats")
    rows = [list(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]
    assert any("QH-79-01" in row for row in rows), rows[:5]


def _finished(client: Client, page: str) -> dict[str, object]:
    """The job behind its page, once the README's jobs-worker has finished it (the web workers only queue it)."""
    match = re.fullmatch(r"/jobs/(\d+)", page)
    assert match, page
    deadline = time.monotonic() + 120
    while True:
        status, _, body = client.request("GET", f"/api/v1/jobs/{match.group(1)}")
        assert status == 200, body[:2000]
        job = json.loads(body)
        if job["state"] not in ("queued", "running") or time.monotonic() > deadline:
            return job
        time.sleep(0.3)
