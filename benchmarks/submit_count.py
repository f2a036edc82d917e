"""Count-minutes submissions per second through gunicorn on PostgreSQL, next to a bare one-INSERT endpoint.

    .venv/bin/python benchmarks/submit_count.py                      # 20 s each, 16 clients
    .venv/bin/python benchmarks/submit_count.py --duration 30 --clients 8 --keep

What it does, in one run:
1. creates a fresh PostgreSQL database (``--pg``, default the local server), migrates it, loads the demo
   (40 polling areas of Ho Chi Minh City) and gives every polling area a leader account;
2. starts two gunicorn servers with the production configuration (``gunicorn.conf.py``) on free ports: the app
   (``wsgi:app``) and the bare endpoint (``benchmarks/bare_app.py``);
3. logs every leader in through ``/login`` (session cookie + CSRF token from ``/api/v1/me``);
4. drives each server with a closed loop of ``--clients`` threads (keep-alive connections) for ``--warmup`` then
   ``--duration`` seconds: the app through ``POST /api/v1/stations/{id}/count/{contest}`` with the session
   cookie and ``X-CSRFToken`` — the path of the phone's outbox — each request new minutes (a new client_uuid,
   so every one is checked and stored as a new version), the bare endpoint with the same JSON bodies;
5. prints req/s, p50/p95/p99, the ratio, and compares the rows stored with the 201s acknowledged.

``--via form`` drives the leader's HTML form instead (``POST /reports/{id}/count/{contest_id}`` with
``step=send`` and the CSRF field, acknowledged by a 303 to the receipt).

Targets (issue 3 §6): ratio ≥ 0.5, app p99 < 250 ms, stored == acknowledged. Exit status 1 if one is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.bare_app import TABLE  # noqa: E402
from webapp import migrate  # noqa: E402
from webapp.accounts.models import Role, User  # noqa: E402
from webapp.audit import services as audit  # noqa: E402
from webapp.audit.models import Channel  # noqa: E402
from webapp.clock import utcnow  # noqa: E402
from webapp.db import make_engine  # noqa: E402
from webapp.elections.models import PollingArea  # noqa: E402
from webapp.seed import demo  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent


# --- the database ------------------------------------------------------------------------------------------


def create_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"baucu_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", admin_url, count=1)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()

    return url, drop


def prepare(url: str) -> list[tuple[str, int]]:
    """Migrate, load the demo, a leader account for every polling area; (username, area id) of each."""
    migrate.upgrade(url)
    engine = make_engine(url)
    leaders = []
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "benchmark", Channel.CLI))
        demo.load_demo(session, utcnow())
        first = session.scalars(sa.select(User).where(User.username == "to01")).one()
        leaders.append((first.username, first.polling_area_id))
        for area in session.scalars(sa.select(PollingArea).where(PollingArea.id != first.polling_area_id)
                                    .order_by(PollingArea.code)):
            username = f"bench-{area.code}"
            session.add(User(username=username, role=Role.LEADER, province_id=area.province_id,
                             commune_id=area.commune_id, polling_area_id=area.id, password_hash=first.password_hash,
                             created_at=utcnow()))
            leaders.append((username, area.id))
        session.commit()
    TABLE.create(engine)
    engine.dispose()
    return leaders


def integrity(url: str) -> dict[str, bool]:
    """After the app's run: every row written was audited (one create per version, recording its votes, and one
    update per superseded version), and each area and contest has exactly one latest version."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            one = lambda sql: int(conn.exec_driver_sql(sql).scalar_one())
            audited = lambda table, action: one(
                f"SELECT count(*) FROM audit_entries WHERE entity_type = '{table}' AND action = '{action}'")
            reports, votes = one("SELECT count(*) FROM count_reports"), one("SELECT count(*) FROM count_votes")
            pairs = one("SELECT count(DISTINCT (polling_area_id, contest_id)) FROM count_reports")
            latest = one("SELECT count(*) FROM count_reports WHERE is_latest")
            return {
                "audit: a create per version, with its votes": (
                    audited("count_reports", "create"),
                    one("SELECT coalesce(sum((SELECT count(*) FROM json_object_keys(after->'votes'))), 0) "
                        "FROM audit_entries WHERE entity_type = 'count_reports' AND action = 'create'"),
                ) == (reports, votes),
                "audit: an update per superseded version": audited("count_reports", "update") == reports - pairs,
                "one latest version per area and contest": latest == pairs,
            }
    finally:
        engine.dispose()


def count_rows(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
    finally:
        engine.dispose()


# --- the servers -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """A gunicorn started with the production configuration; stopped by its own pid."""

    def __init__(self, name: str, target: str, url: str, log_dir: Path) -> None:
        self.name, self.port = name, free_port()
        env = {**os.environ, "BIND": f"{HOST}:{self.port}", "DATABASE_URL": url, "APP_ENV": "production",
               "SECRET_KEY": secrets.token_urlsafe(48), "PYTHONPATH": str(ROOT)}
        self.log = (log_dir / f"bench-{name}.log").open("wb")
        self.process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", target], cwd=ROOT,
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log.name}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


# --- CPU per process group ------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def processes() -> dict[int, tuple[str, int, float, float]]:
    """{pid: (command name, parent pid, user CPU seconds, system CPU seconds)} of every process (Linux /proc)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2:].split()
        out[int(entry)] = (name, int(rest[1]), int(rest[11]) / _TICK, int(rest[12]) / _TICK)
    return out


def cpu_by_group(server_pid: int, database: str | None = None) -> dict[str, float]:
    """CPU seconds so far of: the server (gunicorn master and workers), PostgreSQL (every backend and helper
    process of the server, or with ``database`` only the backends connected to it: on a machine shared with other
    users of the same PostgreSQL, their queries are not this benchmark's), this client process."""
    procs = processes()
    server = [procs[p] for p in {server_pid} | {pid for pid, proc in procs.items() if proc[1] == server_pid}
              if p in procs]
    postgres = [proc for pid, proc in procs.items() if proc[0].startswith("postgres")
                and (database is None or serves(pid, database))]
    client = procs.get(os.getpid(), ("", 0, 0.0, 0.0))
    return {
        "server": sum(p[2] + p[3] for p in server), "server_sys": sum(p[3] for p in server),
        "postgres": sum(p[2] + p[3] for p in postgres), "postgres_sys": sum(p[3] for p in postgres),
        "client": client[2] + client[3],
    }


def serves(pid: int, database: str) -> bool:
    # A backend's process title: "postgres: [<cluster>: ]<user> <database> <client> <state>".
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split()
    except OSError:
        return False
    return database in title[2:5]


# --- the clients -------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection with its own cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            raise
        for header in response.headers.get_all("Set-Cookie") or ():
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, data


class Leader:
    """A logged-in leader: session cookie, CSRF token, and the bodies of its station's minutes."""

    def __init__(self, port: int | Any, username: str, area_id: int, via: str = "api") -> None:
        # A port of a server, or any object with Client's ``request`` (the in-process profiler's test client).
        self.client = Client(port) if isinstance(port, int) else port
        self.via = via
        self.area_id = area_id
        status, page = self.client.request("GET", "/login")
        token = re.search(rb'name="csrf-token" content="([^"]+)"', page)
        assert status == 200 and token, f"no login page ({status})"
        form = urlencode({"username": username, "password": demo.DEMO_PASSWORD,
                          "csrf_token": token.group(1).decode()}).encode()
        status, _ = self.client.request("POST", "/login", form,
                                        {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303, f"login of {username} answered {status}"
        status, me = self.client.request("GET", "/api/v1/me")
        assert status == 200, f"/api/v1/me answered {status}"
        self.csrf = json.loads(me)["csrf_token"]
        status, raw = self.client.request("GET", f"/api/v1/stations/{area_id}")
        station = json.loads(raw)
        self.contests = station["contests"]
        self.signers = [m["id"] for m in station["team"][:3]]
        self.turn = 0

    def minutes(self) -> tuple[str, dict[str, Any]]:
        """Consistent minutes of the next contest (V = I = C, G + B = C, every candidate G/2 votes)."""
        contest = self.contests[self.turn % len(self.contests)]
        # The same shortfall for every contest of a round keeps V_na >= V_provincial >= V_commune (check 11).
        voted = contest["voters_on_list"] - 100 - (self.turn // len(self.contests)) % 50
        self.turn += 1
        invalid = 10 if voted % 2 == 0 else 11
        valid = voted - invalid
        return contest["kind"], {
            "client_uuid": str(uuid.uuid4()), "voters_on_list": contest["voters_on_list"],
            "voters_voted": voted, "ballots_issued": voted, "ballots_received": voted, "valid": valid,
            "invalid": invalid, "votes": {str(c["id"]): valid // 2 for c in contest["candidates"]},
            "signer_ids": self.signers, "witnesses": ["Nguyễn Văn Chứng", "Lê Thị Kiến"],
        }

    def submit(self) -> int:
        kind, body = self.minutes()
        if self.via == "form":
            return self._submit_form(kind, body)
        if self.via == "floor":  # everything before the minutes are judged: refused at the body's first field
            body = {"client_uuid": "not a uuid"}
        status, _ = self.client.request(
            "POST", f"/api/v1/stations/{self.area_id}/count/{kind}", json.dumps(body).encode(),
            {"Content-Type": "application/json", "X-CSRFToken": self.csrf})
        return status

    def _submit_form(self, kind: str, body: dict[str, Any], client: Any = None, csrf: str = "",
                     path: str = "/reports/{area}/count/{contest}", extra: tuple[tuple[str, Any], ...] = ()) -> int:
        """The leader's page: the read-back's final "send" (``step=send``), answered 303 to the receipt; the
        same form to another ``path`` by another ``client`` (the hotline's entry by phone, ``extra`` its tick)."""
        contest_id = next(c["contest_id"] for c in self.contests if c["kind"] == kind)
        fields: list[tuple[str, Any]] = [("csrf_token", csrf or self.csrf), ("client_uuid", body["client_uuid"]),
                                         ("step", "send"), ("witness_1", body["witnesses"][0]),
                                         ("witness_2", body["witnesses"][1])]
        fields += [(name, body[name]) for name in ("voters_on_list", "voters_voted", "ballots_issued",
                                                   "ballots_received", "valid", "invalid")]
        fields += [(name, 0) for name in ("complaints_received", "complaints_resolved", "complaints_forwarded")]
        fields += [(f"votes_{cid}", votes) for cid, votes in body["votes"].items()]
        fields += [("signers", sid) for sid in body["signer_ids"]]
        fields += extra
        status, _ = (client or self.client).request("POST", path.format(area=self.area_id, contest=contest_id),
                                        urlencode(fields).encode(),
                                        {"Content-Type": "application/x-www-form-urlencoded"})
        return status


class Bare:
    """The same bodies to the bare endpoint."""

    def __init__(self, port: int, leader: Leader) -> None:
        self.client = Client(port)
        self.leader = leader

    def submit(self) -> int:
        _kind, body = self.leader.minutes()
        status, _ = self.client.request("POST", "/submit", json.dumps(body).encode(),
                                        {"Content-Type": "application/json"})
        return status


# --- the load ----------------------------------------------------------------------------------------------


def drive(senders: list[list[Any]], warmup: float, duration: float, ack: int = 201,
          server_pid: int | None = None) -> dict[str, Any]:
    """A closed loop: each thread sends its next request as soon as the previous one is answered. Every
    answer is tallied (warm-up included, for the stored-vs-acknowledged count); rate and latencies come from
    the requests completed inside the measured window."""
    start = time.perf_counter() + warmup
    end = start + duration
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    measured: Counter[int] = Counter()

    def loop(own: list[Any]) -> None:
        mine, seen, counted = [], Counter(), Counter()
        i = 0
        while time.perf_counter() < end:
            sender = own[i % len(own)]
            i += 1
            t0 = time.perf_counter()
            try:
                status = sender.submit()
            except (OSError, http.client.HTTPException):
                status = 0
            t1 = time.perf_counter()
            seen[status] += 1
            if start <= t1 <= end:
                mine.append(t1 - t0)
                counted[status] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(seen)
            measured.update(counted)

    for own in senders:  # idle keep-alive connections were closed by the server meanwhile: start afresh
        for sender in own:
            sender.client.conn.close()
    threads = [threading.Thread(target=loop, args=(own,)) for own in senders]
    cpu_before: dict[str, float] = {}
    for thread in threads:
        thread.start()
    if server_pid is not None:  # CPU inside the measured window, per request acknowledged in it
        time.sleep(max(0.0, start - time.perf_counter()))
        cpu_before = cpu_by_group(server_pid)
        time.sleep(max(0.0, end - time.perf_counter()))
        cpu_after = cpu_by_group(server_pid)
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    cpu_ms = {name: (cpu_after[name] - cpu_before[name]) * 1000 / max(1, measured[ack])
              for name in cpu_before} if cpu_before else {}

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")

    return {
        "rate": measured[ack] / duration, "measured": sum(measured.values()), "ok": measured[ack],
        "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": ordered[-1] * 1000 if ordered else 0,
        "mean_ms": statistics.fmean(ordered) * 1000 if ordered else float("nan"),
        "acknowledged": statuses[ack], "statuses": dict(statuses), "cpu_ms_per_request": cpu_ms,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", PG_ADMIN), help="admin URL of PostgreSQL")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=16, help="concurrent closed-loop clients")
    parser.add_argument("--via", choices=("api", "form", "floor"), default="api",
                        help="the API with session + X-CSRFToken (default), the leader's HTML form (303), or the "
                             "floor: the API refusing a body whose client_uuid is malformed (400) after the session, "
                             "the account, CSRF and the area's scope, i.e. what any submission costs before its "
                             "minutes are checked and stored")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    url, drop = create_database(args.pg)
    servers: list[Server] = []
    try:
        t0 = time.perf_counter()
        leaders = prepare(url)
        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"database {url.rsplit('/', 1)[-1]}: migrated, demo + {len(leaders)} leaders "
              f"in {time.perf_counter() - t0:.1f} s", flush=True)
        app = Server("app", "wsgi:app", url, Path("/tmp"))
        bare = Server("bare", "benchmarks.bare_app:app", url, Path("/tmp"))
        servers = [app, bare]
        app.wait_ready("/healthz")
        bare.wait_ready("/healthz")
        logged = [Leader(app.port, username, area_id, args.via) for username, area_id in leaders]
        groups = [logged[i::args.clients] for i in range(min(args.clients, len(logged)))]
        print(f"gunicorn app :{app.port}, bare :{bare.port}; {len(logged)} leaders logged in; "
              f"{len(groups)} clients, {args.warmup:g} s warm-up + {args.duration:g} s each", flush=True)

        results = {}
        results["bare"] = drive([[Bare(bare.port, leader) for leader in group] for group in groups],
                                args.warmup, args.duration, server_pid=bare.process.pid)
        results["bare"]["stored"] = count_rows(url, "bench_bare_reports")
        ack = {"form": 303, "floor": 400}.get(args.via, 201)
        results["app"] = drive(groups, args.warmup, args.duration, ack,
                               server_pid=app.process.pid)
        results["app"]["stored"] = count_rows(url, "count_reports")
        kept = integrity(url)
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"kept {url}")
        else:
            drop()

    ratio = results["app"]["rate"] / results["bare"]["rate"]
    print(f"\nload average after the run (other processes share these {os.cpu_count()} cores): "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| endpoint | req/s | p50 ms | p95 ms | p99 ms | max ms | answers (measured) | acknowledged | stored |")
    print("|---|---|---|---|---|---|---|---|---|")
    via = "HTML form, 303" if args.via == "form" else "API"
    for name, label in (("bare", "bare Flask, one INSERT"), ("app", f"count minutes ({via}; session + CSRF, all checks)")):
        r = results[name]
        print(f"| {label} | {r['rate']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['max_ms']:.0f} | {r['measured']} {r['statuses']} | {r['acknowledged']} | {r['stored']} |")
    print("\nCPU per acknowledged request in the measured window, ms (server: gunicorn's processes; postgres: "
          "every PostgreSQL process, other databases' included; client: this script; *_sys: of which in the "
          "kernel):")
    for name in ("bare", "app"):
        cpu = results[name]["cpu_ms_per_request"]
        total = cpu["server"] + cpu["postgres"] + cpu["client"]
        print(f"  {name:5} " + "  ".join(f"{k} {v:.2f}" for k, v in cpu.items()) + f"  total {total:.2f}")
    checks = {
        "ratio >= 0.5": ratio >= 0.5,
        "app p99 < 250 ms": results["app"]["p99_ms"] < 250,
        "stored == acknowledged (app)": results["app"]["stored"] == (
            0 if args.via == "floor" else results["app"]["acknowledged"]),
        "stored == acknowledged (bare)": results["bare"]["stored"] == results["bare"]["acknowledged"],
        **kept,
    }
    print(f"\nratio app/bare = {ratio:.2f}")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results,
                                         "ratio": ratio, "checks": checks}, indent=2))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
