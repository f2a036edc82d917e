"""Issue 11 §2: a 100,000-row import and the national teams export as background jobs, next to the old in-request
code, with the web workers' latency while the jobs run.

    .venv/bin/python benchmarks/jobs.py --db postgresql+psycopg://postgres@127.0.0.1:5432/baucu_h7_national

The database must hold the national synthetic dataset (``flask gen-national``, see national_dataset.py). The
script adds an administrator ``bench_admin`` (a password, national scope) if missing, then:

1. **after**: starts gunicorn (2 sync workers, a free port) and one consumer (``flask jobs-worker --workers 1``,
   a fresh SQLite queue), signs in, starts the teams export (``POST /data/export/teams``) and waits for it
   through ``getJob`` (``/api/v1/jobs/<id>``); then a new consumer and the import of a 100,000-row teams CSV (100,000 new
   members: 50,000 polling areas × places 101 and 102). Reported: the job's time (started → finished), the
   consumer's peak RSS (VmHWM of a consumer started for that job alone), and the latency of a simple page
   (``GET /login``, one request every 100 ms) while the job runs, against the same page before the job.
   The imported members are deleted afterwards (the run leaves the dataset as it found it, plus audit rows).
2. **before**: the code as it was (``git archive <--before commit>``, default c900d53) runs the same export and the
   same import in-process, as a web worker used to, each in its own process (its peak RSS is ``ru_maxrss``);
   the import is rolled back.

``--skip-before`` / ``--skip-after`` run one half, ``--only export|import`` one job. ``--baseline <commit>`` first
runs step 1 with that commit's code (``git archive``), so that two versions of the jobs are measured the same
way in one run. Each job reports the load average at its start and end: the machine is shared.
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PASSWORD = "bench-" + "x" * 20
ROWS = 100_000
PLACES = (101, 102)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_admin(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from webapp.accounts.models import Role, User
    from webapp.accounts.services import hash_secret
    from webapp.clock import utcnow
    from webapp.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        if conn.scalar(sa.select(User.id).where(User.username == "bench_admin")) is None:
            conn.execute(sa.insert(User).values(username="bench_admin", role=Role.ADMIN, full_name="Benchmark",
                                                phone="", password_hash=hash_secret(PASSWORD), created_at=utcnow()))
    engine.dispose()


def teams_csv(url: str) -> bytes:
    from webapp.db import make_engine
    from webapp.elections.models import PollingArea
    from webapp.imports.datasets import DATASETS

    engine = make_engine(url)
    with engine.connect() as conn:
        codes = conn.scalars(sa.select(PollingArea.code).order_by(PollingArea.id).limit(ROWS // len(PLACES))).all()
    engine.dispose()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in DATASETS["teams"].columns])
    for code in codes:
        for place in PLACES:
            writer.writerow([code, place, f"Nguyễn Văn Thử {place}", "Thành viên", "0912345678"])
    return buffer.getvalue().encode("utf-8-sig")


def delete_imported(url: str) -> int:
    from webapp.db import make_engine
    from webapp.elections.models import TeamMember

    engine = make_engine(url)
    with engine.begin() as conn:
        deleted = conn.execute(sa.delete(TeamMember).where(TeamMember.position.in_(PLACES))).rowcount
    engine.dispose()
    return deleted


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(self.base + path, timeout=300) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, path, exc.read().decode()
        except OSError as exc:  # a worker restarted under us
            return 599, path, str(exc)

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, str, str]:
        request = urllib.request.Request(self.base + path, data=body, headers={"Content-Type": content_type})
        try:
            with self.opener.open(request, timeout=300) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:  # the page after the 303 failed; its address is what counts
            return exc.code, exc.url, exc.read().decode()

    def token(self, path: str) -> str:
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', self.get(path)[2])
        assert match, path
        return match.group(1)

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(fields).encode()
        return self.post(path, body, "application/x-www-form-urlencoded")

    def upload(self, path: str, fields: dict[str, str], filename: str, data: bytes) -> tuple[int, str, str]:
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     f"Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.post(path, b"".join(parts), f"multipart/form-data; boundary={boundary}")


class Prober(threading.Thread):
    """GET a simple page every 100 ms and keep the latencies."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.client, self.samples, self.stop = Client(base), [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            status, _url, _body = self.client.get("/login")
            self.samples.append((time.perf_counter() - started) * 1000 if status == 200 else float("inf"))
            self.stop.wait(0.1)


def summary(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{len(samples)} requests, p50 {statistics.median(ordered):.0f} ms, p99 {p99:.0f} ms, "
            f"max {ordered[-1]:.0f} ms")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=env.get("PYTHONPATH", ROOT), env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_job(base: str, env: dict[str, str], workdir: Path, label: str, begin: Any) -> dict[str, Any]:
    """Start a consumer for this job alone, start the job with ``begin(client)``, wait, measure."""
    consumer = start([str(BIN / "flask"), "--app", "wsgi", "jobs-worker", "--workers", "1"], env,
                     workdir / f"consumer-{label}.log")
    try:
        return _measure(base, consumer, label, begin)
    finally:
        stop(consumer)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _measure(base: str, consumer: subprocess.Popen[bytes], label: str, begin: Any) -> dict[str, Any]:
    time.sleep(3)
    client = Client(base)
    client.form("/login", {"username": "bench_admin", "password": PASSWORD, "csrf_token": client.token("/login")})
    # A fresh worker answers its first signed-in request with a 500 on this base (issue 10 §1, branch h1): warm
    # both workers first.
    for _ in range(12):
        client.get("/data/")
    quiet = Prober(base)
    quiet.start()
    time.sleep(3)
    quiet.stop.set()
    quiet.join()
    prober = Prober(base)
    prober.start()
    cpu_before = cpu_seconds(consumer.pid)
    load_at_start = os.getloadavg()[0]
    started = time.perf_counter()
    _status, location, _body = begin(client)
    job_path = "/api/v1/jobs/" + location.rsplit("/", 1)[1]
    while True:
        status = json.loads(client.get(job_path)[2])
        if status["state"] in ("done", "rejected", "failed"):
            break
        time.sleep(0.5)
    wall = time.perf_counter() - started
    prober.stop.set()
    prober.join()
    rss = peak_rss_mb(consumer.pid)
    return {"label": label, "state": status["state"], "summary": status["summary"], "message": status["message"],
            "job_s": status["seconds"], "wall_s": round(wall, 1),
            "consumer_cpu_s": round(cpu_seconds(consumer.pid) - cpu_before, 1), "consumer_peak_rss_mb": round(rss),
            "load_1min": f"{load_at_start:.1f} → {os.getloadavg()[0]:.1f}",
            "latency_idle": summary(quiet.samples), "latency_during": summary(prober.samples)}


def code_of(commit: str) -> Path:
    """The tree of ``commit`` in a temporary directory (run with this checkout's virtualenv)."""
    code = Path(tempfile.mkdtemp(prefix="baucu-baseline-"))
    subprocess.run(f"git -C {ROOT} archive {commit} | tar -x -C {code}", shell=True, check=True)
    return code


def after(url: str, data: bytes, only: tuple[str, ...], code: Path = ROOT, name: str = "after") -> list[dict[str, Any]]:
    """The jobs as they run now: over HTTP, in the consumer; with the code in ``code`` (this checkout, or a
    baseline commit's tree, first on PYTHONPATH so that it wins over the editable install)."""
    workdir = Path(tempfile.mkdtemp(prefix="baucu-bench-jobs-"))
    env = {**os.environ, "DATABASE_URL": url, "JOBS_QUEUE_URL": f"sqlite:///{workdir}/queue.sqlite3",
           "WEBAPP_JOBS_DIR": str(workdir), "SECRET_KEY": "b" * 40, "WEBAPP_IMPORT_MAX_ROWS": str(ROWS),
           "PYTHONPATH": str(code)}
    port = free_port()
    web = start([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "60",
                 "benchmarks.configured_wsgi:app"], env, workdir / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        results = []
        if "export" in only:
            results.append(run_job(base, env, workdir, f"{name}: export teams",
                                   lambda c: c.form("/data/export/teams", {"csrf_token": c.token("/data/")})))
            print(results[-1], load(), flush=True)
        if "import" in only:
            results.append(run_job(base, env, workdir, f"{name}: import {ROWS:,} team rows",
                                   lambda c: c.upload("/data/import", {"csrf_token": c.token("/data/"),
                                                                       "dataset": "teams"}, "doi.csv", data)))
            print(results[-1], load(), flush=True)
    finally:
        stop(web)
        print(f"deleted {delete_imported(url)} imported members", flush=True)
    return results


BEFORE_SCRIPT = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from webapp import create_app
from webapp.db import get_db
from webapp.accounts.models import User
from webapp.clock import utcnow
from webapp.imports import services
import sqlalchemy as sa
app = create_app({"DATABASE_URL": sys.argv[2], "SECRET_KEY": "b" * 40})
with app.app_context():
    session = get_db().sessionmaker()
    admin = session.scalars(sa.select(User).where(User.username == "bench_admin")).one()
    started = time.perf_counter()
    if sys.argv[3] == "export":
        body = services.export_workbook(session, user=admin, dataset="teams", translate=lambda s: s)
        what = f"{len(body):,} bytes"
    else:
        data = open(sys.argv[4], "rb").read()
        result = services.import_file(session, actor=admin, dataset="teams", filename="doi.csv", data=data,
                                      now=utcnow(), max_bytes=50 * 2**20, max_rows=200_000)
        session.flush()
        what = str(result.counts)
        session.rollback()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"{time.perf_counter() - started:.1f} s wall, {usage.ru_utime + usage.ru_stime:.1f} s CPU (whole process), peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, {what}")
"""


def before(url: str, data: bytes, commit: str, only: tuple[str, ...]) -> list[str]:
    code = Path(tempfile.mkdtemp(prefix="baucu-before-"))
    subprocess.run(f"git -C {ROOT} archive {commit} | tar -x -C {code}", shell=True, check=True)
    csv_path = code / "doi.csv"
    csv_path.write_bytes(data)
    lines = []
    for what in only:
        out = subprocess.run([str(BIN / "python"), "-c", BEFORE_SCRIPT, str(code), url, what, str(csv_path)],
                             cwd=code, capture_output=True, text=True)
        line = f"before {what}: {out.stdout.strip() or out.stderr[-2000:]} ({load()})"
        print(line, flush=True)
        lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="the national dataset's URL (PostgreSQL)")
    parser.add_argument("--before", default="c900d53", help="the commit of the in-request code (before the jobs)")
    parser.add_argument("--baseline", help="also run the jobs, the same way, with this commit's code, first")
    parser.add_argument("--skip-before", action="store_true")
    parser.add_argument("--skip-after", action="store_true")
    parser.add_argument("--only", choices=("export", "import"), help="one of the two jobs")
    args = parser.parse_args()
    ensure_admin(args.db)
    data = teams_csv(args.db)
    print(f"CSV: {len(data):,} bytes; {load()}", flush=True)
    only = (args.only,) if args.only else ("export", "import")
    results = []
    if args.baseline:
        results += after(args.db, data, only, code_of(args.baseline), f"baseline {args.baseline}")
    if not args.skip_after:
        results += after(args.db, data, only)
    for r in results:
        print(f"{r['label']:<42} {r['state']:<5} job {r['job_s']} s, consumer CPU {r['consumer_cpu_s']} s, "
              f"peak RSS {r['consumer_peak_rss_mb']} MB, load {r['load_1min']}; /login during: {r['latency_during']}")
    if not args.skip_before:
        before(args.db, data, args.before, only)
    print(load())


if __name__ == "__main__":
    main()
