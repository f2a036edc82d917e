"""A whole country's election day, rehearsed against a production deployment (issue 14).

    .venv/bin/python benchmarks/election_day.py --areas 500 --compress 60 --json /tmp/day.json     # CI size
    .venv/bin/python benchmarks/election_day.py --areas 72195 --window 08:50-09:50 --compress 1    # the peak hour
    .venv/bin/python benchmarks/election_day.py --areas 500 --nodes 2 --faults kill-node,postgres  # two nodes
    .venv/bin/python benchmarks/election_day.py --db postgresql+psycopg://…/baucu_day --find-k     # largest k

What runs is what the README's production section starts: gunicorn with ``gunicorn.conf.py`` (``APP_ENV=production``),
PostgreSQL, Redis for the sign-in limits and the job queue, and the progress refresher as its own process
(``WEBAPP_PROGRESS_REFRESH_AFTER_RESPONSE=false``), supervised as deploy/systemd's unit asks of systemd (started
again 2 s after it exits; each exit is in the fault timeline). PostgreSQL and Redis are the rehearsal's own, never
the machine's: a cluster made with ``initdb`` in a temporary directory (run as user postgres, a free port, its
socket in that directory) and a ``redis-server --save ""`` on a free port, removed at the end; restarting them
stops nobody else, so every fault runs in CI and on a shared machine. The database is the national synthetic
dataset (``flask gen-national --areas N``) made there, or with ``--db`` a dataset copied there with ``pg_dump |
pg_restore`` (the named database is only read: the day's writes and the restarts never reach its server).

``--nodes 2`` (root, iproute2 and nginx) runs two app nodes, each a gunicorn master in a network namespace of its
own, linked by a veth pair to a bridge in the root namespace (a private /24), behind nginx in the root namespace
with deploy/nginx's files (tests/nginx_proxy.py, as the two-node test runs them); PostgreSQL and Redis listen on
the bridge's address too, as a database machine on the LAN. The namespaces, veths and bridge are removed whatever
happens (``finally``, SIGINT, SIGTERM). Faults hit the last node; ``kill-node`` kills the first, master and workers.

The day is played in virtual time, ``--compress k`` times faster than real time, restricted to ``--window``:
- at each report time (09:00, 11:00, 14:00, 17:00, 19:00) every station sends its turnout through the API the
  phone's outbox uses: 75 % in the first 10 minutes, 15 % in the rush before the deadline (report time + 15), 7 %
  late, 3 % never, whose figure the hotline enters by phone (the hotline's page, channel phone) 25–50 minutes after;
- the commune's official opens and confirms each report 5–30 minutes after it arrived (the review page's form);
- dashboards stay open and poll every 20 s (2 per commune, 10 per province, 300 hotline, 50 national, scaled by
  the share of the country's 72,195 polling areas simulated), as htmx does: 204 while nothing changed. They have
  been open since the morning: each is opened before the window's clock starts (``--warm-up`` seconds are given
  to starting the nodes and opening them; the app's clock reads a time before the window meanwhile), measured as
  its own operation ``dashboard_open``, and the window plays their polls from a random phase;
- from 20:00 to 23:30 every station sends its count minutes (each contest it votes in), then the photo of the
  signed paper; 5 % of them (``--return-share``) are returned by the commune with a reason and sent again corrected 10–20 minutes later.
- between 06:00 and 07:00, ``--signin-share`` of the leaders sign in with their password (argon2, the real cost).
Every other user holds a session from earlier in the day (made with the app's own sign-in functions), as on the
day, where sessions last 36 hours.

Every write carries a client_uuid and is retried with the same one until it is acknowledged, as the outbox does, so
a fault may slow a write but never lose it: at the end every acknowledged write must be stored once (``stored ==
acknowledged``, ``duplicates == 0``). Scheduled faults (``--faults``): ``kill-worker`` (SIGKILL to one gunicorn
worker at 20 % of the window), ``kill-node`` (with ``--nodes 2``: SIGKILL to a whole node, master and workers, at
30 %, in the first report time's rush), ``reload`` (SIGHUP, a deploy, at 40 %), ``postgres`` (the rehearsal's
PostgreSQL restarted with a fast shutdown, at 60 %), ``redis`` (restarted, its data forgotten, at 80 %). The fault
timeline gives, for each, what every client saw in the ``--fault-watch`` seconds after it (until the next fault):
errors by kind, writes sent again with the same client_uuid, and those stored once after it (counted at their
first failure), the refresher's exits, and nginx's error log by kind (``nginx_errors``).

Prints and writes (``--json``) per operation the count, rate, p50/p95/p99 and errors; CPU seconds of gunicorn,
PostgreSQL and this client (``cpu_ms`` per operation: the server's and PostgreSQL's CPU shared by the operations'
counts in proportion to their measured service time); the fault timeline; acknowledged, stored and duplicates.
Exit status 1 when an invariant fails (stored != acknowledged, duplicates, a write never acknowledged, a fault that
could not be made, no refresher running at the end) and, with ``--target``, when p99 >= 300 ms or an error was seen.

``--find-k`` searches the largest k that holds (p99 < 300 ms, 0 errors, the invariants) on a short window, by
default the 3 minutes around 09:00's report time (08:59-09:02, the day's peak): k doubles from ``--compress`` until
a run fails, then bisects until the k that held and the k that failed are ``--k-resolution`` (0.05) apart, at most
``--k-steps`` runs. From k = 1 that is about 8 runs of 3 minutes or less of wall time each, plus each run's start.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.submit_count import cpu_by_group, create_database, processes, serves  # noqa: E402
from tests.gunicorn_server import GunicornServer, free_port  # noqa: E402
from tests.nginx_proxy import NGINX, Nginx  # noqa: E402
from webapp.accounts.models import Role, User  # noqa: E402
from webapp.clock import VN_TZ  # noqa: E402
from webapp.db import make_engine  # noqa: E402

NATIONAL_AREAS = 72_195
PASSWORD = "Ngay-bau-cu-15/3-dien-tap"  # noqa: S105 - the rehearsal's own accounts
SECRET_KEY = "election-day-rehearsal-secret-key-0123456789abcdef"  # noqa: S105
REPORT_TIMES = (clock_time(9), clock_time(11), clock_time(14), clock_time(17), clock_time(19))
GRACE = timedelta(minutes=15)
POLL = timedelta(seconds=20)
IDLE_S = 4.0  # under gunicorn.conf.py's keepalive (5 s)
WRITES = ("turnout", "turnout_by_phone", "count", "count_again")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the database and its accounts --------------------------------------------------------------------------


APP_ROOT = ROOT  # ``--app-root``: the tree whose app is served (another checkout's, for a "before" beside an "after")


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", *args], cwd=APP_ROOT, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_database(admin_url: str, areas: int, seed: int) -> tuple[str, Any]:
    url, drop = create_database(admin_url)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    started = time.perf_counter()
    flask(env, "db-upgrade")
    flask(env, "gen-national", "--areas", str(areas), "--seed", str(seed))
    log(f"database {url.rsplit('/', 1)[1]}: {areas:,} polling areas in {time.perf_counter() - started:.0f} s")
    return url, drop


def copy_database(source: str, admin_url: str) -> str:
    """``--db``: the dataset copied into the rehearsal's own PostgreSQL (pg_dump | pg_restore), so that the
    ``postgres`` fault restarts that server, never the one named by the URL, and the day's writes stay out of it."""
    url, _ = create_database(admin_url)
    started = time.perf_counter()
    dump = subprocess.Popen(["pg_dump", "-Fc", "--no-owner", source.replace("+psycopg", "")],
                            stdout=subprocess.PIPE)
    done = subprocess.run(["pg_restore", "--no-owner", "-d", url.replace("+psycopg", "")], stdin=dump.stdout,
                          capture_output=True, text=True, check=False)
    if dump.wait() or done.returncode:
        raise SystemExit(f"copying {source} failed:\n{done.stderr[-2000:]}")
    flask({**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}, "db-upgrade")  # a dataset made before
    log(f"{source.rsplit('/', 1)[1]} copied into the rehearsal's PostgreSQL in {time.perf_counter() - started:.0f} s")
    return url


@dataclass
class Station:
    area_id: int
    commune_id: int
    province_id: int
    leader_id: int
    on_list: int  # the smallest list of the contests the area votes in: a turnout figure never exceeds it


@dataclass
class World:
    polling_date: date
    stations: list[Station]
    officials: dict[int, list[int]]  # commune id -> user ids
    provinces: dict[int, int]  # province id -> user id
    hotline: list[int]
    national: int


def load_world(url: str, seed: int) -> World:
    """The stations and accounts of the dataset; adds the hotline and national accounts it lacks, and gives
    every account the rehearsal's password (one argon2 hash: hashing 72,000 would take an hour)."""
    from webapp.accounts.services import hash_secret
    from webapp.elections.models import Election, PollingArea, VoterCount

    engine = make_engine(url)
    with Session(engine) as session:
        election = session.scalars(sa.select(Election).where(Election.is_drill.is_(False))).first()
        assert election is not None, "no election: generate the dataset first"
        now = datetime.now(VN_TZ)
        for username, role in [("tongdai-dien-tap", Role.HOTLINE), ("quocgia-dien-tap", Role.ADMIN)]:
            if session.scalar(sa.select(User.id).where(User.username == username)) is None:
                session.add(User(username=username, role=role, full_name=username, created_at=now, is_active=True))
        session.flush()
        hashed = hash_secret(PASSWORD)
        session.execute(sa.update(User).where(User.password_hash.is_(None)).values(password_hash=hashed))
        lists = dict(session.execute(sa.select(VoterCount.polling_area_id, sa.func.min(VoterCount.total))
                                     .group_by(VoterCount.polling_area_id)).all())
        users = session.execute(sa.select(User.id, User.role, User.province_id, User.commune_id,
                                          User.polling_area_id)).all()
        # Early-voting areas (ships, islands, the armed forces) voted days before: not part of polling day's load.
        areas = session.execute(sa.select(PollingArea.id, PollingArea.commune_id, PollingArea.province_id)
                                .where(PollingArea.early_voting_date.is_(None))).all()
        session.commit()
        polling_date = election.polling_date
    engine.dispose()
    leaders = {u.polling_area_id: u.id for u in users if u.role == Role.LEADER and u.polling_area_id}
    officials: dict[int, list[int]] = defaultdict(list)
    for u in users:
        if u.role == Role.COMMUNE and u.commune_id:
            officials[u.commune_id].append(u.id)
    stations = [Station(a.id, a.commune_id, a.province_id, leaders[a.id], lists.get(a.id) or 0)
                for a in areas if a.id in leaders and lists.get(a.id)]
    random.Random(seed).shuffle(stations)
    return World(
        polling_date=polling_date, stations=stations, officials=dict(officials),
        provinces={u.province_id: u.id for u in users if u.role == Role.PROVINCE},
        hotline=[u.id for u in users if u.role == Role.HOTLINE], national=next(u.id for u in users
                                                                              if u.role == Role.ADMIN))


def mint_sessions(url: str, user_ids: set[int]) -> dict[int, tuple[str, str]]:
    """{user id: (session cookie, CSRF token)}: sessions opened earlier in the day, signed with the app's key. The
    ``user_sessions`` rows are written in bulk, as ``start_session`` writes each (a secret, its hash, the
    lifetime); the cookie of each is made by Flask-Login's ``login_user`` and Flask-WTF's token in one request
    context (a context per account and a flush per session took over 20 minutes for 75,000 accounts)."""
    import secrets as secrets_module

    from flask import g
    from flask import session as flask_session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from webapp import create_app, db
    from webapp.accounts.models import UserSession
    from webapp.accounts.services import secret_hash

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY})
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    out: dict[int, tuple[str, str]] = {}
    started = time.perf_counter()
    with app.app_context():
        ids = sorted(user_ids)  # in slices: PostgreSQL's protocol takes at most 65,535 parameters a statement
        users = [u for i in range(0, len(ids), 10_000)
                 for u in db.session.scalars(sa.select(User).where(User.id.in_(ids[i:i + 10_000])))]
        now = datetime.now(VN_TZ)
        for user in users:
            user.session_secret = secrets_module.token_urlsafe(32)
        rows = [{"user_id": u.id, "secret_hash": secret_hash(u.session_secret or ""), "created_at": now,
                 "expires_at": now + lifetime, "ip": "127.0.0.1", "user_agent": "election-day"} for u in users]
        for i in range(0, len(rows), 5_000):
            db.session.execute(sa.insert(UserSession), rows[i:i + 5_000])
        db.session.commit()
        with app.test_request_context("/", headers={"User-Agent": "election-day"},
                                      environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            for user in users:
                flask_session.clear()
                flask_session.permanent = True  # as the sign-in view makes it
                login_user(user)
                g.pop("csrf_token", None)  # Flask-WTF keeps the token on g for the request: one per account
                token = generate_csrf()
                out[user.id] = (serializer.dumps(dict(flask_session)), token)
    log(f"{len(out):,} sessions minted in {time.perf_counter() - started:.1f} s")
    return out


# --- the day's events -----------------------------------------------------------------------------------------


@dataclass(order=True)
class Event:
    at: float  # virtual seconds since midnight
    seq: int
    kind: str = field(compare=False)
    data: dict[str, Any] = field(compare=False, default_factory=dict)


def seconds(t: clock_time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second


def plan_day(world: World, start: float, end: float, seed: int, signin_share: float,
             scale: float, return_share: float) -> tuple[list[Event], list[int], list[tuple[int, str]]]:
    """Every event of the window; the leaders who sign in with their password (the others hold sessions); and the
    dashboards (user, page), open since the morning: opened before the window, their polls played in it."""
    rng = random.Random(seed)
    events: list[Event] = []
    seq = iter(range(10**9))

    def add(at: float, kind: str, **data: Any) -> None:
        if start <= at < end:
            events.append(Event(at, next(seq), kind, data))

    signing_in = [s.leader_id for s in world.stations if rng.random() < signin_share]
    for leader in signing_in:
        add(rng.uniform(6 * 3600, 7 * 3600), "signin", user=leader)
    fractions = {t: f for t, f in zip(REPORT_TIMES, (0.2, 0.45, 0.65, 0.82, 0.93), strict=True)}
    for st in world.stations:
        for at in REPORT_TIMES:
            base, roll = seconds(at), rng.random()
            voted = int(st.on_list * fractions[at])
            if roll < 0.75:
                add(base + rng.uniform(0, 600), "turnout", station=st, slot=at, voted=voted)
            elif roll < 0.90:
                add(base + rng.uniform(600, 900), "turnout", station=st, slot=at, voted=voted)
            elif roll < 0.97:
                add(base + rng.uniform(900, 2700), "turnout", station=st, slot=at, voted=voted)
            else:
                add(base + rng.uniform(1500, 3000), "turnout_by_phone", station=st, slot=at, voted=voted)
        returned = rng.random() < return_share
        add(rng.uniform(20 * 3600, 23.5 * 3600), "count", station=st, mistake=returned)
    # Dashboards: (user, url) open all day (run_once opens them before the window), each polling every 20 s.
    dashboards: list[tuple[int, str]] = []
    for commune, users in world.officials.items():
        dashboards += [(users[0], f"/progress/communes/{commune}")] * 2
    for province, user in world.provinces.items():
        dashboards += [(user, f"/progress/provinces/{province}")] * 10
    dashboards += [(world.hotline[0], "/progress/")] * max(1, round(300 * scale))
    dashboards += [(world.national, "/progress/")] * max(1, round(50 * scale))
    events.sort()
    return events, signing_in, dashboards


# --- the clients --------------------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; a user's cookie goes with each request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.used = time.monotonic()

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str]) -> tuple[
            int, dict[str, str], bytes]:
        if time.monotonic() - self.used > IDLE_S:
            # gunicorn closes a kept-alive connection idle for 5 s (gunicorn.conf.py's keepalive); a browser would
            # open another rather than fail, so a slow client (a low k) must not count that close as an error.
            self.conn.close()
        self.used = time.monotonic()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        self.used = time.monotonic()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data


class Recorder:
    """Latencies, errors and acknowledged writes, per operation; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter[str]] = defaultdict(Counter)
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.samples: list[str] = []  # the first answers >= 400, to see what went wrong
        self.acknowledged: dict[str, set[str]] = defaultdict(set)
        self.unacknowledged: list[str] = []
        self.lag: list[float] = []
        self.not_played = 0
        self.timeline: list[dict[str, Any]] = []
        # (monotonic time, operation, what the client saw): errors, writes sent again, writes stored after a retry;
        # each fault's entry of the timeline sums those that followed it.
        self.marks: list[tuple[float, str, str]] = []
        self.first_failure: dict[str, float] = {}

    def mark(self, op: str, what: str) -> None:
        with self.lock:
            self.marks.append((time.monotonic(), op, what))

    def time(self, op: str, seconds_taken: float) -> None:
        with self.lock:
            self.times[op].append(seconds_taken)

    def error(self, op: str, kind: str) -> None:
        with self.lock:
            self.errors[op][kind] += 1
            self.marks.append((time.monotonic(), op, kind))

    def failed(self, client_uuids: list[str]) -> None:
        with self.lock:
            now = time.monotonic()
            for u in client_uuids:
                self.first_failure.setdefault(u, now)

    def acknowledge(self, op: str, client_uuid: str, attempt: int) -> None:
        """An acknowledged write; one sent again is counted at its first failure, so the fault that made it
        fail is the one the timeline gives it to."""
        with self.lock:
            self.acknowledged[op].add(client_uuid)
            if attempt:
                at = self.first_failure.get(client_uuid, time.monotonic())
                self.marks.append((at, op, "sent again, then stored once"))

    def seen(self, since: float, until: float) -> dict[str, dict[str, int]]:
        """{operation: {what: count}} between two monotonic times."""
        out: dict[str, Counter[str]] = defaultdict(Counter)
        with self.lock:
            for at, op, what in self.marks:
                if since <= at < until:
                    out[op][what] += 1
        return {op: dict(c) for op, c in sorted(out.items())}


class Day:
    """Plays the events against the server with a pool of client threads, each with its own connection."""

    def __init__(self, port: int, world: World, sessions: dict[int, tuple[str, str]], compress: float,
                 start: float, rec: Recorder, threads: int, seed: int) -> None:
        self.port, self.world, self.sessions, self.k, self.start = port, world, sessions, compress, start
        self.rec, self.threads = rec, threads
        self.rng = random.Random(seed + 1)
        self.queue: list[Event] = []
        self.cond = threading.Condition()
        self.seq = iter(range(10**9, 10**10))
        self.t0 = 0.0
        self.stations: dict[int, dict[str, Any]] = {}
        self.done = False
        self.end = 0.0
        self.busy = 0  # events being played: their follow-ups may still fall in the window
        self.usernames: dict[int, str] = {}

    # virtual <-> real time
    def real(self, virtual: float) -> float:
        return self.t0 + (virtual - self.start) / self.k

    def virtual_now(self) -> float:
        return self.start + (time.monotonic() - self.t0) * self.k

    def push(self, event: Event) -> None:
        with self.cond:
            heapq.heappush(self.queue, event)
            self.cond.notify()

    def later(self, after: float, event_kind: str, **data: Any) -> None:
        self.push(Event(self.virtual_now() + after, next(self.seq), event_kind, data))

    def headers(self, user: int, **extra: str) -> dict[str, str]:
        cookie, csrf = self.sessions[user]
        return {"Cookie": f"session={cookie}", "X-CSRFToken": csrf, "User-Agent": "election-day", **extra}

    def run(self, events: list[Event], end: float, drain: float, epoch: float) -> None:
        """Play the window from ``epoch`` (the Unix time the app's clock reaches the window's start); then, for up to
        ``drain`` real seconds, only the writes still being retried."""
        self.queue = list(events)
        heapq.heapify(self.queue)
        self.t0 = time.monotonic() + (epoch - time.time())
        if self.t0 > time.monotonic():
            time.sleep(self.t0 - time.monotonic())
        self.end = end
        workers = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.threads)]
        for w in workers:
            w.start()
        # Every event due in the window is played, however late the client is (its lag is reported): the load asked
        # for is the load applied. Then writes still being retried get ``drain`` more real seconds.
        while time.monotonic() < self.real(end) or self.due_pending() or (
                time.monotonic() < self.real(end) + drain and self.writes_pending()):
            time.sleep(0.2)
        with self.cond:
            self.rec.unacknowledged += [f"{e.kind}:{e.data.get('client_uuid')}" for e in self.queue
                                        if e.kind in WRITES and e.data.get("attempt")]
            self.rec.not_played = sum(1 for e in self.queue if e.at < end)  # 0 unless stopped early
            self.done = True
            self.cond.notify_all()
        for w in workers:
            w.join(timeout=120)

    def due_pending(self) -> bool:
        with self.cond:
            return any(e.at < self.end for e in self.queue) or self.busy > 0

    def writes_pending(self) -> bool:
        with self.cond:
            return any(e.kind in WRITES and e.data.get("attempt") for e in self.queue)

    def next_event(self) -> Event | None:
        with self.cond:
            while True:
                if self.done:
                    return None
                if self.queue:
                    wait = self.real(self.queue[0].at) - time.monotonic()
                    if wait <= 0:
                        event = heapq.heappop(self.queue)
                        if event.at >= self.end and not (event.kind in WRITES and event.data.get("attempt")):
                            continue  # after the window only retries of writes already begun are played
                        self.busy += 1
                        return event
                    self.cond.wait(min(wait, 0.5))
                else:
                    self.cond.wait(0.5)

    def worker(self) -> None:
        conn = Connection(self.port)
        while (event := self.next_event()) is not None:
            self.rec.lag.append(max(0.0, time.monotonic() - self.real(event.at)))
            try:
                getattr(self, f"do_{event.kind}")(conn, **event.data)
            except Exception as exc:  # noqa: BLE001 - a client bug must be counted, not kill the thread
                self.rec.error(event.kind, f"client:{type(exc).__name__}:{exc}"[:120])
            finally:
                with self.cond:
                    self.busy -= 1

    def call(self, conn: Connection, op: str, method: str, path: str, *, user: int, body: bytes | None = None,
             ctype: str | None = None, extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        headers = self.headers(user, **(extra or {}))
        if ctype:
            headers["Content-Type"] = ctype
        started = time.perf_counter()
        try:
            status, head, data = conn.request(method, path, body=body, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            self.rec.error(op, f"connection:{type(exc).__name__}")
            return 0, {}, b""
        self.rec.time(op, time.perf_counter() - started)
        self.rec.statuses[op][status] += 1
        if status >= 400 and len(self.rec.samples) < 20:
            self.rec.samples.append(f"{op} {method} {path} -> {status}: {data[:300]!r}")
        if status >= 500 or status in (401, 403, 404, 409, 422):
            self.rec.error(op, f"http:{status}")
        return status, head, data

    def retry(self, op: str, attempt: int, **data: Any) -> None:
        """The outbox's way: the same write again after a backoff, until it is acknowledged."""
        if attempt >= 12:
            self.rec.unacknowledged.append(f"{op}:{data.get('client_uuid')}")
            return
        self.rec.mark(op, "sent again (same client_uuid)")
        self.rec.failed([data["client_uuid"]] if "client_uuid" in data else [b["client_uuid"] for _, b in
                                                                                data.get("pending", [])])
        # Backoff in real seconds (1, 2, 4 … 30), as the phone waits: k virtual seconds each.
        self.later(min(2 ** attempt, 30) * self.k, op, attempt=attempt + 1, **data)

    # --- the operations -----------------------------------------------------------------------------------

    def do_signin(self, conn: Connection, user: int) -> None:
        headers = {"User-Agent": "election-day"}
        status, head, page = conn.request("GET", "/login", headers=headers)
        token = re.search(rb'name="csrf-token" content="([^"]+)"', page)
        cookie = head.get("set-cookie", "").split(";", 1)[0]
        if not token:
            self.rec.error("signin", f"http:{status}")
            return
        username = self.username(user)
        form = urlencode({"username": username, "password": PASSWORD, "csrf_token": token.group(1).decode()})
        started = time.perf_counter()
        status, head, _ = conn.request("POST", "/login", body=form.encode(), headers={
            **headers, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        self.rec.time("signin", time.perf_counter() - started)
        if status != 303:
            self.rec.error("signin", f"http:{status}")

    def username(self, user: int) -> str:
        return self.usernames[user]

    def do_turnout(self, conn: Connection, station: Station, slot: clock_time, voted: int,
                   client_uuid: str | None = None, attempt: int = 0) -> None:
        client_uuid = client_uuid or str(uuid.uuid4())
        body = json.dumps({"client_uuid": client_uuid, "slot": f"{slot:%H:%M}", "voters_voted": voted}).encode()
        status, _, data = self.call(conn, "turnout", "POST", f"/api/v1/stations/{station.area_id}/turnout",
                                    user=station.leader_id, body=body, ctype="application/json")
        if status in (200, 201):
            self.rec.acknowledge("turnout", client_uuid, attempt)
            report = json.loads(data)
            self.later(self.rng.uniform(300, 1800), "confirm", station=station, report_kind="turnout",
                       report_id=report["report_id"])
        elif status == 0 or status >= 500:
            self.retry("turnout", attempt, station=station, slot=slot, voted=voted, client_uuid=client_uuid)

    def do_turnout_by_phone(self, conn: Connection, station: Station, slot: clock_time, voted: int,
                            client_uuid: str | None = None, attempt: int = 0) -> None:
        client_uuid = client_uuid or str(uuid.uuid4())
        _, csrf = self.sessions[self.world.hotline[0]]
        form = urlencode({"csrf_token": csrf, "client_uuid": client_uuid, "slot": f"{slot:%H:%M}",
                          "voted": str(voted), "step": "send", "read_back": "y"}).encode()
        status, _, _ = self.call(conn, "turnout_by_phone", "POST", f"/hotline/stations/{station.area_id}/turnout",
                                 user=self.world.hotline[0], body=form, ctype="application/x-www-form-urlencoded")
        if status == 303:
            self.rec.acknowledge("turnout_by_phone", client_uuid, attempt)
        elif status == 0 or status >= 500:
            self.retry("turnout_by_phone", attempt, station=station, slot=slot, voted=voted, client_uuid=client_uuid)

    def do_confirm(self, conn: Connection, station: Station, report_kind: str, report_id: int,
                   decision: str = "confirm", contest: str | None = None) -> None:
        kind = report_kind
        official = self.world.officials[station.commune_id][0]
        self.call(conn, f"review_open_{kind}", "GET", f"/review/{kind}/{report_id}", user=official)
        _, csrf = self.sessions[official]
        fields = {"csrf_token": csrf, "shown": "received"}
        if decision == "return":
            fields |= {"reasons": "numbers_mismatch", "text": "Số phiếu hợp lệ và không hợp lệ chưa khớp với biên bản giấy."}
        status, _, _ = self.call(conn, f"review_{decision}", "POST", f"/review/{kind}/{report_id}/{decision}",
                                 user=official, body=urlencode(fields).encode(),
                                 ctype="application/x-www-form-urlencoded")
        if decision == "return" and status == 303:  # the team corrects that contest's minutes and sends them again
            self.later(self.rng.uniform(600, 1200), "count", station=station, mistake=False, again=True,
                       only=contest)

    def station(self, conn: Connection, st: Station) -> dict[str, Any] | None:
        if st.area_id not in self.stations:
            status, _, data = self.call(conn, "station", "GET", f"/api/v1/stations/{st.area_id}", user=st.leader_id)
            if status != 200:
                return None
            self.stations[st.area_id] = json.loads(data)
        return self.stations[st.area_id]

    def do_count(self, conn: Connection, station: Station, mistake: bool, again: bool = False,
                 pending: list[tuple[str, dict[str, Any]]] | None = None, attempt: int = 0,
                 only: str | None = None) -> None:
        op = "count_again" if again else "count"
        if pending is None:
            info = self.station(conn, station)
            if info is None:
                return
            signers = [m["id"] for m in info["team"][:3]]
            pending = []
            for contest in info["contests"]:
                if only is not None and contest["kind"] != only:
                    continue
                on_list = contest["voters_on_list"]
                voted = int(on_list * 0.93)
                invalid = max(1, voted // 50)
                valid = voted - invalid
                pending.append((contest["kind"], {
                    "client_uuid": str(uuid.uuid4()), "voters_on_list": on_list, "voters_voted": voted,
                    "ballots_issued": voted, "ballots_received": voted, "valid": valid, "invalid": invalid,
                    "votes": {str(c["id"]): valid // 2 for c in contest["candidates"]},
                    "signer_ids": signers, "witnesses": ["Nguyễn Văn Chứng", "Lê Thị Kiến"],
                    # The window may not hold the 19:00 turnout this count follows: the team says why they differ.
                    "explanations": {"turnout_ne_voted": "Cử tri đến bỏ phiếu sau mốc báo cáo cuối cùng."}}))
        left = []
        for n, (kind, body) in enumerate(pending):
            status, _, data = self.call(conn, op, "POST", f"/api/v1/stations/{station.area_id}/count/{kind}",
                                        user=station.leader_id, body=json.dumps(body).encode(),
                                        ctype="application/json")
            if status in (200, 201):
                self.rec.acknowledge(op, body["client_uuid"], attempt)
                report = json.loads(data)
                self.photo(conn, station, report["report_id"])
                decision = "return" if mistake and n == 0 else "confirm"
                self.later(self.rng.uniform(300, 1800), "confirm", station=station, report_kind="count",
                           report_id=report["report_id"], decision=decision, contest=kind)
            elif status == 0 or status >= 500:
                left.append((kind, body))
        if left:
            self.retry("count", attempt, station=station, mistake=mistake, again=again, pending=left)

    def photo(self, conn: Connection, station: Station, report_id: int) -> None:
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="client_uuid"\r\n\r\n{uuid.uuid4()}\r\n'
                 .encode(),
                 f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + PHOTO + b"\r\n",
                 f"--{boundary}--\r\n".encode()]
        self.call(conn, "photo", "POST", f"/api/v1/reports/count/{report_id}/photo", user=station.leader_id,
                  body=b"".join(parts), ctype=f"multipart/form-data; boundary={boundary}")

    def warm_up(self, dashboards: list[tuple[int, str]], end: float) -> list[Event]:
        """Open every dashboard before the window's clock starts, as on the day they have been open since the
        morning (measured as ``dashboard_open``); the window's events: each one's polls every 20 s from a random
        phase."""
        todo, events, lock = list(dashboards), [], threading.Lock()
        rng = random.Random(self.rng.random())

        def opener() -> None:
            conn = Connection(self.port)
            while True:
                with lock:
                    if not todo:
                        return
                    user, url = todo.pop()
                status, _, page = self.call(conn, "dashboard_open", "GET", url, user=user)
                poll = re.search(rb'id="progress"[^>]*hx-get="([^"]+)"', page)
                if status != 200 or not poll:
                    self.rec.error("dashboard_open", "client:no poll in the page")
                    continue
                first = self.start + rng.uniform(0, POLL.total_seconds())
                polls = int((end - first) // POLL.total_seconds()) + 1
                with lock:
                    events.append(Event(first, next(self.seq), "dashboard_poll", {
                        "user": user, "url": poll.group(1).decode().replace("&amp;", "&"), "polls": polls}))

        threads = [threading.Thread(target=opener) for _ in range(min(self.threads, len(dashboards)) or 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return events

    def do_dashboard_poll(self, conn: Connection, user: int, url: str, polls: int) -> None:
        status, _, fragment = self.call(conn, "dashboard_poll", "GET", url, user=user, extra={"HX-Request": "true"})
        if status == 200:
            found = re.search(rb'id="progress"[^>]*hx-get="([^"]+)"', fragment)
            url = found.group(1).decode().replace("&amp;", "&") if found else url
        if polls > 1:
            self.later(POLL.total_seconds(), "dashboard_poll", user=user, url=url, polls=polls - 1)


def _photo() -> bytes:
    """A small JPEG of a signed page (made once with Pillow, which the app already uses to check photos)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 1600), "white")
    draw = ImageDraw.Draw(image)
    for y in range(100, 1500, 40):
        draw.line((80, y, 1120, y), fill=(40, 40, 40), width=2)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


PHOTO = _photo()


# --- the deployment: servers of the rehearsal's own, nodes, faults ---------------------------------------------


class OwnPostgres:
    """A PostgreSQL cluster of the rehearsal's own (Debian's ``initdb`` and ``pg_ctl`` as user postgres, in a
    temporary directory, on a free port, its socket in that directory), listening on ``hosts``: restarting it stops
    nobody else, so the ``postgres`` fault runs in CI and on a shared machine. Production's settings that matter to
    a restart are the defaults (fsync, synchronous_commit on); the memory ones of deploy/postgresql/baucu.conf are
    sized for a database machine, not for this one."""

    def __init__(self, hosts: list[str], subnet: str | None = None) -> None:
        self.bin = max(Path("/usr/lib/postgresql").iterdir()) / "bin"  # Debian's newest
        self.dir = Path(tempfile.mkdtemp(prefix="day-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data, self.port, self.host = self.dir / "data", free_port(), hosts[-1]
        self.pg_ctl_log = self.dir / "postgresql.log"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale",
                  "C.UTF-8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"listen_addresses = '{','.join(hosts)}'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.dir}'\nmax_connections = 200\n")
        if subnet:  # the nodes' namespaces reach it through their veth, as app machines reach the database's
            with (self.data / "pg_hba.conf").open("a") as hba:
                hba.write(f"host all all {subnet} trust\n")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / tool), *args], cwd=self.dir,
                              capture_output=True, text=True, check=False)
        if done.returncode:
            log_text = self.pg_ctl_log.read_text(errors="replace")[-2000:] if self.pg_ctl_log.exists() else ""
            raise RuntimeError(f"{tool} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{log_text}")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.pg_ctl_log), "-w", "-t", "60", "start")

    def restart(self) -> None:
        """Fast shutdown (every connection closed, as a crash or a minor-version upgrade does), then up again."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.pg_ctl_log), "-m", "fast", "-w", "-t", "60",
                  "restart")

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/postgres"

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class OwnRedis:
    """A Redis of the rehearsal's own on a free port, no persistence (as the machine's: a restart forgets the
    sign-in limits and the queued jobs, which is the fault rehearsed)."""

    def __init__(self, hosts: list[str]) -> None:
        self.hosts, self.port = hosts, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://{self.hosts[-1]}:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", *self.hosts, "--save", "", "--appendonly", "no",
             "--protected-mode", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((self.hosts[-1], self.port), timeout=1):
                return
            time.sleep(0.05)
        raise TimeoutError("redis-server did not listen")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


def netns_unavailable() -> str | None:
    """Why two nodes in network namespaces cannot run here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not shutil.which("ip"):
        return "iproute2's ip is not installed"
    if not Path(NGINX).exists():
        return "nginx is not installed"
    return None


class Namespaces:
    """One network namespace per node, each with a veth pair whose other end is on a bridge in the root namespace
    (a private /24: the bridge .1, node i .11+i), as app machines on a LAN: PostgreSQL, Redis and nginx stay in the
    root namespace and listen on the bridge's address. ``close()`` removes all of it (the veths go with their
    namespaces); it runs in a ``finally``, on SIGINT and SIGTERM too."""

    def __init__(self, nodes: int) -> None:
        tag = uuid.uuid4().hex[:6]
        self.prefix = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}"
        self.subnet, self.bridge_address = f"{self.prefix}.0/24", f"{self.prefix}.1"
        self.bridge, self.names = f"bdb{tag}", [f"bdn{tag}{i}" for i in range(nodes)]
        self.addresses = [f"{self.prefix}.{11 + i}" for i in range(nodes)]
        self.created: list[str] = []
        try:
            self._ip("link", "add", self.bridge, "type", "bridge")
            self.created.append("bridge")
            self._ip("addr", "add", f"{self.bridge_address}/24", "dev", self.bridge)
            self._ip("link", "set", self.bridge, "up")
            for i, (name, address) in enumerate(zip(self.names, self.addresses, strict=True)):
                host, inside = f"vdh{tag}{i}", f"vdn{tag}{i}"
                self._ip("netns", "add", name)
                self.created.append(name)
                self._ip("link", "add", host, "type", "veth", "peer", "name", inside)
                self._ip("link", "set", inside, "netns", name)
                self._ip("link", "set", host, "master", self.bridge, "up")
                self._ip("-n", name, "addr", "add", f"{address}/24", "dev", inside)
                self._ip("-n", name, "link", "set", inside, "up")
                self._ip("-n", name, "link", "set", "lo", "up")
                self._ip("-n", name, "route", "add", "default", "via", self.bridge_address)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _ip(*args: str) -> None:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")

    def close(self) -> None:
        for name in reversed(self.created):
            with contextlib.suppress(RuntimeError):
                self._ip("link", "del", self.bridge) if name == "bridge" else self._ip("netns", "del", name)
        self.created = []


class Deployment:
    """What production runs, started for one window: its own PostgreSQL and Redis (``services``), ``nodes``
    gunicorn masters with ``gunicorn.conf.py`` (one on 127.0.0.1, or each in its own network namespace behind
    nginx with deploy/nginx's files), and the progress refresher. ``port`` is where the clients connect."""

    def __init__(self, services: Services, url: str, env: dict[str, str], workers: int) -> None:
        self.services, self.nodes, self.nginx = services, [], None
        self.nginx_errors: dict[str, int] = {}
        self.refresher: subprocess.Popen[bytes] | None = None
        net = services.namespaces
        try:
            if net is None:
                self.nodes = [GunicornServer(url, workers=workers, env=env, migrate=False, start_timeout=180,
                                             root=APP_ROOT)]
            else:
                self.nodes = [GunicornServer(url, workers=workers, env=env, migrate=False, start_timeout=180,
                                             host=address, port=8000, prefix=["ip", "netns", "exec", name],
                                             root=APP_ROOT)
                              for name, address in zip(net.names, net.addresses, strict=True)]
            # Side by side (CI's time). A node that fails to start (or is stopped by SIGINT meanwhile) raises below.
            starting = [threading.Thread(target=_quietly, args=(node.start,)) for node in self.nodes]
            for t in starting:
                t.start()
            for t in starting:
                t.join()
            for node in self.nodes:
                node.master  # noqa: B018 - raises if that node did not start
                node.wait_ready()
            if net is not None:
                self.nginx = Nginx([f"{node.host}:{node.port}" for node in self.nodes])
            self.refresher_log = Path(tempfile.mkstemp(prefix="day-refresher-", suffix=".log")[1])
            self.refresher_exits: list[tuple[float, str]] = []
            self._start_refresher()
            self.supervising = threading.Event()
            threading.Thread(target=self._supervise, daemon=True).start()
        except BaseException:
            self.close()
            raise

    def _start_refresher(self) -> None:
        with self.refresher_log.open("ab") as out:
            self.refresher = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "progress-refresher", "--every", "2"],
                cwd=APP_ROOT, env=self.nodes[0].env, stdout=subprocess.DEVNULL, stderr=out)

    def _supervise(self) -> None:
        """What deploy/systemd/baucu-progress.service asks of systemd (Restart=always, RestartSec=2): a refresher
        that exits is started again 2 s later; each exit is counted with the last line it printed."""
        while not self.supervising.wait(0.5):
            if self.refresher is not None and self.refresher.poll() is not None:
                lines = self.refresher_log.read_text(errors="replace").strip().splitlines()
                raised = [line for line in lines if re.match(r"[\w.]+(Error|Exception|Interrupt)\b", line)]
                what = (f"exited with {self.refresher.returncode}: {(raised or lines or [''])[-1][:160]}; "
                        "started again 2 s later")
                self.refresher_exits.append((time.monotonic(), what))
                if self.supervising.wait(2):
                    return
                self._start_refresher()

    @property
    def port(self) -> int:
        return self.nginx.port if self.nginx else self.nodes[0].port

    def pids(self) -> list[int]:
        return [node.master.pid for node in self.nodes if node._process is not None]

    def fault(self, name: str) -> str:
        # The surviving node takes the worker's kill and the reload; the first node is the one killed.
        node = self.nodes[-1]
        if name == "kill-worker":
            pids = node.worker_pids()
            os.kill(pids[0], signal.SIGKILL)
            return f"SIGKILL to worker {pids[0]}"
        if name == "reload":
            node.master.send_signal(signal.SIGHUP)
            return "SIGHUP to the master (graceful reload)"
        if name == "kill-node":
            victim = self.nodes[0]
            os.killpg(victim.master.pid, signal.SIGKILL)
            return f"SIGKILL to node 1's master {victim.master.pid} and its workers ({victim.host})"
        if name == "postgres":
            self.services.postgres.restart()
            return "the rehearsal's PostgreSQL restarted (fast shutdown: every connection closed)"
        if name == "redis":
            self.services.redis.restart()
            return "the rehearsal's Redis restarted (its data forgotten)"
        raise ValueError(name)

    def close(self) -> None:
        if getattr(self, "supervising", None):
            self.supervising.set()
        if self.refresher:
            self.refresher.terminate()
            self.refresher.wait(10)
        if getattr(self, "refresher_log", None):
            self.refresher_log.unlink(missing_ok=True)
        if self.nginx:
            self.nginx_errors = nginx_errors(self.nginx.dir / "error.log")
            self.nginx.close()
        for node in self.nodes:
            node.close()


def _quietly(start: Any) -> None:
    with contextlib.suppress(Exception):
        start()


def nginx_errors(path: Path) -> dict[str, int]:
    """nginx's error log counted by kind ("no live upstreams while connecting to upstream", "upstream server
    temporarily disabled …" with the upstream's address): what the proxy saw of the nodes."""
    kinds: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        found = re.search(r"\[(\w+)\] \d+#\d+: (?:\*\d+ )?([^,]*)", line)
        upstream = re.search(r'upstream: "http://([^/"]+)', line)
        if found:
            what = re.sub(r" /\S+", "", found.group(2))  # "… buffered to a temporary file <path>": one kind
            kinds[f"{found.group(1)}: {what}" + (f" ({upstream.group(1)})" if upstream else "")] += 1
    return dict(kinds.most_common())


class Services:
    """The rehearsal's own PostgreSQL and Redis, and with ``nodes`` > 1 the nodes' network namespaces; closed
    whatever happens (``with``)."""

    def __init__(self, nodes: int) -> None:
        self.namespaces = Namespaces(nodes) if nodes > 1 else None
        self.postgres: OwnPostgres | None = None
        self.redis: OwnRedis | None = None
        try:
            hosts = ["127.0.0.1"] + ([self.namespaces.bridge_address] if self.namespaces else [])
            self.postgres = OwnPostgres(hosts, self.namespaces.subnet if self.namespaces else None)
            self.redis = OwnRedis(hosts)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.close()
        if self.namespaces:
            self.namespaces.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


FAULT_AT = {"kill-worker": 0.2, "kill-node": 0.3, "reload": 0.4, "postgres": 0.6, "redis": 0.8}


# --- one run --------------------------------------------------------------------------------------------------


def stored(url: str, acknowledged: dict[str, set[str]]) -> tuple[int, int, int]:
    """(acknowledged writes found stored, distinct client_uuids stored twice or more, acknowledged)."""
    engine = make_engine(url)
    found = duplicates = 0
    with engine.connect() as conn:
        for table, ops in (("turnout_reports", ("turnout", "turnout_by_phone")),
                           ("count_reports", ("count", "count_again"))):
            wanted = set().union(*(acknowledged[op] for op in ops))
            rows = conn.execute(sa.text(f"SELECT CAST(client_uuid AS VARCHAR), count(*) FROM {table} "  # noqa: S608
                                        "GROUP BY client_uuid")).all()
            counts = {str(u).replace("-", ""): n for u, n in rows}
            found += sum(1 for u in wanted if u.replace("-", "") in counts)
            duplicates += sum(1 for n in counts.values() if n > 1)
    engine.dispose()
    return found, duplicates, sum(len(v) for v in acknowledged.values())


class CpuMeter:
    """CPU seconds of the nodes (every gunicorn master and its workers), this database's PostgreSQL backends
    and this client over a window. /proc forgets a process's CPU when it ends, and the day's faults end many: a
    killed worker, every worker on a graceful reload, every backend on PostgreSQL's restart. So each process is
    sampled every half second and keeps what it had used at its last sample: at most half a second of an ended
    process is missed, where reading only at the start and the end missed everything before the reload."""

    def __init__(self, masters: list[int], database: str, refresher: Callable[[], int | None],
                 every: float = 0.5) -> None:
        self.masters, self.database, self.refresher, self.every = masters, database, refresher, every
        self.base: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.stopped = threading.Event()
        self.client0 = time.process_time()
        self.sample(first=True)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def sample(self, first: bool = False) -> None:
        procs = processes()
        server = set(self.masters) | {pid for pid, proc in procs.items() if proc[1] in self.masters}
        refresher = self.refresher()
        for pid, (name, _, user, system) in procs.items():
            group = ("server" if pid in server else "refresher" if pid == refresher else "postgres"
                     if name.startswith("postgres") and serves(pid, self.database) else None)
            if group is None:
                continue
            if (group, pid) not in self.last:
                self.base[(group, pid)] = user + system if first else 0.0  # born during the window: all of it
            self.last[(group, pid)] = user + system

    def _loop(self) -> None:
        while not self.stopped.wait(self.every):
            self.sample()

    def stop(self) -> dict[str, float]:
        self.stopped.set()
        self.thread.join()
        self.sample()
        out = {"server": 0.0, "postgres": 0.0, "refresher": 0.0, "client": time.process_time() - self.client0}
        for (group, pid), value in self.last.items():
            out[group] += max(0.0, value - self.base[(group, pid)])
        return out


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run_day(url: str, world: World, args: argparse.Namespace, compress: float, services: Services) -> dict[str, Any]:
    """Each window of ``--window`` (comma-separated) in turn, with a server started for each (its clock starts at
    the window); one result whose totals cover them all, and each window's own under ``windows``."""
    runs = [run_once(url, world, args, compress, window, services) for window in args.window.split(",")]
    if len(runs) == 1:
        return runs[0]
    operations: dict[str, dict[str, Any]] = {}
    for run in runs:
        for op, o in run["operations"].items():
            m = operations.setdefault(op, {"count": 0, "p99_ms": 0.0, "cpu_ms": 0.0, "errors": {}})
            m["cpu_ms"] = round((m["cpu_ms"] * m["count"] + o["cpu_ms"] * o["count"]) / (m["count"] + o["count"]), 2)
            m["count"] += o["count"]
            m["p99_ms"] = max(m["p99_ms"], o["p99_ms"])
            m["errors"] = dict(Counter(m["errors"]) + Counter(o["errors"]))
    total = {key: sum(r[key] for r in runs) for key in (
        "acknowledged", "stored", "duplicates", "errors", "unacknowledged", "requests")}
    return {"k": compress, "window": args.window, "areas": runs[0]["areas"], **total,
            "p99_ms": max(r["p99_ms"] for r in runs), "operations": operations, "windows": runs}


def run_once(url: str, world: World, args: argparse.Namespace, compress: float, window: str,
             services: Services) -> dict[str, Any]:
    start_t, end_t = (datetime.strptime(p, "%H:%M").time() for p in window.split("-"))
    start, end = seconds(start_t), seconds(end_t)
    scale = len(world.stations) / NATIONAL_AREAS
    events, _, dashboards = plan_day(world, start, end, args.seed, args.signin_share, scale, args.return_share)
    users = ({s.leader_id for s in world.stations} | {u for us in world.officials.values() for u in us}
             | set(world.provinces.values()) | set(world.hotline) | {world.national})
    log(f"window {window} at k = {compress:g}: {len(events):,} events and {len(dashboards):,} dashboards planned; "
        f"minting {len(users):,} sessions")
    sessions = mint_sessions(url, users)
    # The app's clock: the window's virtual time, running k times faster from ``epoch``. The epoch is ``--warm-up``
    # seconds ahead: while the nodes start and the dashboards are opened the app's clock reads a time before the
    # window (negative elapsed time), as the morning before the peak; a warm-up that overruns starts the window
    # late, and the clients' lag says so.
    virtual_start = datetime.combine(world.polling_date, start_t, tzinfo=VN_TZ)
    # The default leaves the nodes 20 s to start and each dashboard 40 ms of the two cores to open (measured:
    # 7,331 in 230 s before the fragments were kept): a window that starts late has every event overdue, played
    # as one burst.
    warm_up = args.warm_up if args.warm_up is not None else 20.0 + 0.04 * len(dashboards)
    epoch = time.time() + warm_up
    redis = services.redis.url if services.redis else ""
    env = {"APP_ENV": "production", "SECRET_KEY": SECRET_KEY, "RATELIMIT_STORAGE_URI": f"{redis}/2",
           "JOBS_QUEUE_URL": f"{redis}/3", "WEBAPP_PROGRESS_REFRESH_AFTER_RESPONSE": "false",
           "WEBAPP_REPORTING_CLOCK_OVERRIDE": virtual_start.isoformat(),
           "WEBAPP_REPORTING_CLOCK_RATE": str(compress), "WEBAPP_REPORTING_CLOCK_STARTED_AT": str(epoch),
           "GUNICORN_CMD_ARGS": "--access-logfile /dev/null", "TRUSTED_PROXIES": "1" if args.nodes > 1 else "0",
           "WEBAPP_RATELIMIT_KEY_PREFIX": f"day-{uuid.uuid4().hex[:8]}"}
    rec = Recorder()
    deployment = Deployment(services, url, env, args.workers)
    refresher_alive = True
    try:
        day = Day(deployment.port, world, sessions, compress, start, rec, args.client_threads, args.seed)
        day.usernames = usernames(url)
        warm = time.monotonic()
        events += day.warm_up(dashboards, end)
        warm_s = time.monotonic() - warm
        late = max(0.0, time.time() - epoch)
        if late:
            log(f"the warm-up overran --warm-up by {late:.1f} s: the window starts late (give --warm-up more)")
        faults = [f for f in args.faults.split(",") if f]
        database = url.rsplit("/", 1)[1].split("?")[0]
        cpu_meter = CpuMeter(deployment.pids(), database,
                             lambda: deployment.refresher.pid if deployment.refresher else None)

        def strike(name: str) -> None:
            at = time.monotonic()
            entry: dict[str, Any] = {"fault": name, "virtual": _hhmm(day.virtual_now()),
                                     "at_s": round(at - day.t0, 1)}
            try:
                entry["what"] = deployment.fault(name)
            except Exception as exc:  # noqa: BLE001 - a fault that could not be made is reported, not fatal
                entry["what"] = f"FAILED: {type(exc).__name__}: {exc}"
            entry["took_s"] = round(time.monotonic() - at, 1)
            entry["_at"] = at
            rec.timeline.append(entry)

        timers = []
        for name in faults:
            at = start + FAULT_AT[name] * (end - start)
            # On the app's clock (from ``epoch``), whenever the warm-up ended.
            timers.append(threading.Timer(max(0.0, epoch + (at - start) / compress - time.time()), strike,
                                          args=(name,)))
        for t in timers:
            t.daemon = True
            t.start()
        wall0 = time.monotonic()
        day.run(events, end, args.drain, epoch)
        wall = time.monotonic() - max(wall0, day.t0)
        for t in timers:
            t.cancel()
        cpu = cpu_meter.stop()
        refresher_alive = deployment.refresher is not None and deployment.refresher.poll() is None
        for at, what in deployment.refresher_exits:
            rec.marks.append((at, "progress_refresher", what))
    finally:
        deployment.close()
    # What each client saw after each fault: until the next fault, at most ``--fault-watch`` seconds.
    rec.timeline.sort(key=lambda f: f["_at"])  # a slow fault (PostgreSQL's restart) is appended when it ends
    starts = [f["_at"] for f in rec.timeline]
    for f in rec.timeline:
        at = f.pop("_at")
        later = [x for x in starts if x > at]
        f["clients_saw"] = rec.seen(at, min([at + args.fault_watch, *later]))
    found, duplicates, acknowledged = stored(url, rec.acknowledged)
    busy = {op: sum(t) for op, t in rec.times.items()}
    total_busy = sum(busy.values()) or 1.0
    operations = {}
    for op, samples in sorted(rec.times.items()):
        share = busy[op] / total_busy
        operations[op] = {
            "count": len(samples), "rate_per_s": round(len(samples) / wall, 2),
            "p50_ms": round(percentile(samples, 0.5), 1), "p95_ms": round(percentile(samples, 0.95), 1),
            "p99_ms": round(percentile(samples, 0.99), 1),
            "cpu_ms": round(1000 * (cpu["server"] + cpu["postgres"]) * share / len(samples), 2),
            "errors": dict(rec.errors.get(op, {})), "statuses": dict(rec.statuses.get(op, {})),
        }
    # The window's requests: the warm-up's burst of dashboard pages (opened over the morning on the day) is its own
    # operation, reported apart, not part of the window's p99.
    everything = [t for op, samples in rec.times.items() if op != "dashboard_open" for t in samples]
    errors = sum(sum(c.values()) for c in rec.errors.values())
    result = {
        "k": compress, "window": window, "areas": len(world.stations), "wall_s": round(wall, 1),
        "requests": len(everything), "p99_ms": round(percentile(everything, 0.99), 1),
        "p50_ms": round(percentile(everything, 0.5), 1), "errors": errors,
        "errors_by_kind": {op: dict(c) for op, c in rec.errors.items()},
        "acknowledged": acknowledged, "stored": found, "duplicates": duplicates,
        "unacknowledged": len(rec.unacknowledged), "operations": operations,
        "cpu_s": {k: round(v, 1) for k, v in cpu.items()},
        "client_lag_p99_ms": round(percentile(rec.lag, 0.99), 1), "events_not_played": rec.not_played, "faults": rec.timeline,
        "load_average": os.getloadavg(), "error_samples": rec.samples, "nodes": args.nodes,
        "warm_up_s": round(warm_s, 1), "late_start_s": round(late, 1), "refresher_alive": refresher_alive,
        "refresher_restarts": [what for _, what in deployment.refresher_exits],
        "nginx_errors": deployment.nginx_errors, "app": app_version(),
    }
    return result


def app_version() -> str:
    """The served tree and its commit, so that a "before" and an "after" say which is which."""
    head = subprocess.run(["git", "-C", str(APP_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False).stdout.strip()
    return f"{APP_ROOT} @ {head or '?'}"


# --- CPU budgets: each operation alone, against the bare one-INSERT endpoint, in the same run ------------------


def closed_loop(send: Any, items: list[Any], seconds_max: float, pid: int, threads: int = 8,
                database: str | None = None) -> dict[str, Any]:
    """Send ``items`` from ``threads`` keep-alive connections, each as soon as the last is answered, for at most
    ``seconds_max``; the server's and PostgreSQL's CPU per acknowledged request."""
    lock, todo, done = threading.Lock(), list(reversed(items)), Counter()
    deadline = time.monotonic() + seconds_max

    def loop() -> None:
        conn = Connection(port_of[pid])
        while time.monotonic() < deadline:
            with lock:
                if not todo:
                    return
                item = todo.pop()
            try:
                ok = send(conn, item)
            except (OSError, http.client.HTTPException):
                ok = False
            with lock:
                done[ok] += 1

    before = cpu_by_group(pid, database)
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    after = cpu_by_group(pid, database)
    n = max(1, done[True])
    return {"requests": done[True], "failed": done[False],
            "server_ms": round(1000 * (after["server"] - before["server"]) / n, 2),
            "postgres_ms": round(1000 * (after["postgres"] - before["postgres"]) / n, 2),
            "cpu_ms": round(1000 * (after["server"] + after["postgres"] - before["server"] - before["postgres"]) / n, 2)}


port_of: dict[int, int] = {}


def budgets(url: str, world: World, args: argparse.Namespace, redis: str) -> dict[str, Any]:
    """Turnout, its confirmation and a progress poll answered 204, each alone in closed loop, and the bare
    endpoint (benchmarks/bare_app.py) with the same gunicorn configuration: CPU per request and the ratios the
    issue budgets (turnout <= 3x bare, confirmation <= 3x, a poll <= 0.5x)."""
    from benchmarks.bare_app import TABLE
    from benchmarks.submit_count import Server

    database = url.rsplit("/", 1)[1].split("?")[0]  # PostgreSQL's CPU: only this database's backends
    stations = world.stations[: args.budget_requests]
    users = {s.leader_id for s in stations} | {u for us in world.officials.values() for u in us[:1]}
    sessions = mint_sessions(url, users)
    at = datetime.combine(world.polling_date, clock_time(11, 5), tzinfo=VN_TZ)
    server = GunicornServer(url, workers=args.workers, migrate=False, start_timeout=180, root=APP_ROOT, env={
        "APP_ENV": "production", "SECRET_KEY": SECRET_KEY, "RATELIMIT_STORAGE_URI": f"{redis}/2",
        "JOBS_QUEUE_URL": f"{redis}/3", "WEBAPP_PROGRESS_REFRESH_AFTER_RESPONSE": "false",
        "WEBAPP_REPORTING_CLOCK_OVERRIDE": at.isoformat(), "GUNICORN_CMD_ARGS": "--access-logfile /dev/null",
        "WEBAPP_RATELIMIT_KEY_PREFIX": f"day-{uuid.uuid4().hex[:8]}"})
    out: dict[str, Any] = {}
    reports: list[tuple[Station, int]] = []
    try:
        server.start()
        pid = server.master.pid
        port_of[pid] = server.port

        def head(user: int, **extra: str) -> dict[str, str]:
            cookie, csrf = sessions[user]
            return {"Cookie": f"session={cookie}", "X-CSRFToken": csrf, "User-Agent": "election-day", **extra}

        def turnout(conn: Connection, st: Station) -> bool:
            body = {"client_uuid": str(uuid.uuid4()), "slot": "11:00", "voters_voted": int(st.on_list * 0.45)}
            status, _, data = conn.request("POST", f"/api/v1/stations/{st.area_id}/turnout",
                                           body=json.dumps(body).encode(),
                                           headers=head(st.leader_id, **{"Content-Type": "application/json"}))
            if status == 201:
                reports.append((st, json.loads(data)["report_id"]))
            return status == 201

        def confirm(conn: Connection, item: tuple[Station, int]) -> bool:
            st, report_id = item
            official = world.officials[st.commune_id][0]
            form = urlencode({"csrf_token": sessions[official][1], "shown": "received"}).encode()
            status, _, _ = conn.request("POST", f"/review/turnout/{report_id}/confirm", body=form, headers=head(
                official, **{"Content-Type": "application/x-www-form-urlencoded"}))
            return status == 303

        polls: list[tuple[int, str]] = []
        conn = Connection(server.port)
        for commune, officials in list(world.officials.items())[:20]:
            _, _, page = conn.request("GET", f"/progress/communes/{commune}", headers=head(officials[0]))
            found = re.search(rb'id="progress"[^>]*hx-get="([^"]+)"', page)
            if found:
                polls.append((officials[0], found.group(1).decode().replace("&amp;", "&")))

        def poll(conn: Connection, item: tuple[int, str]) -> bool:
            status, _, _ = conn.request("GET", item[1], headers=head(item[0], **{"HX-Request": "true"}))
            return status == 204

        out["turnout"] = closed_loop(turnout, stations, args.budget_seconds, pid, database=database)
        out["confirm"] = closed_loop(confirm, list(reports), args.budget_seconds, pid, database=database)
        out["progress_poll"] = closed_loop(poll, polls * 10_000, args.budget_seconds, pid, database=database)
    finally:
        server.close()
    engine = make_engine(url)
    TABLE.create(engine, checkfirst=True)
    engine.dispose()
    with tempfile.TemporaryDirectory() as logs:
        bare = Server("bare", "benchmarks.bare_app:app", url, Path(logs))
        try:
            bare.wait_ready("/healthz", timeout=120)
            port_of[bare.process.pid] = bare.port

            def insert(conn: Connection, _: int) -> bool:
                body = {"client_uuid": str(uuid.uuid4()), "slot": "11:00", "voters_voted": 1234}
                status, _, _ = conn.request("POST", "/submit", body=json.dumps(body).encode(),
                                            headers={"Content-Type": "application/json"})
                return status == 201

            out["bare"] = closed_loop(insert, list(range(args.budget_requests)), args.budget_seconds, bare.process.pid,
                                     database=database)
        finally:
            bare.stop()
    floor = out["bare"]["cpu_ms"] or float("nan")
    for op, limit in (("turnout", 3.0), ("confirm", 3.0), ("progress_poll", 0.5)):
        out[op]["times_bare"] = round(out[op]["cpu_ms"] / floor, 2)
        out[op]["budget_times_bare"] = limit
        out[op]["within_budget"] = out[op]["times_bare"] <= limit
    return out


def _hhmm(virtual: float) -> str:
    return f"{int(virtual // 3600):02d}:{int(virtual % 3600 // 60):02d}:{int(virtual % 60):02d}"


def usernames(url: str) -> dict[int, str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = dict(conn.execute(sa.select(User.id, User.username)).all())
    engine.dispose()
    return out


def invariants(result: dict[str, Any]) -> list[str]:
    broken = []
    if result["stored"] != result["acknowledged"]:
        broken.append(f"stored {result['stored']} != acknowledged {result['acknowledged']}")
    if result["duplicates"]:
        broken.append(f"{result['duplicates']} duplicates")
    if result["unacknowledged"]:
        broken.append(f"{result['unacknowledged']} writes never acknowledged")
    if not result.get("refresher_alive", True):
        broken.append("the progress refresher died")
    broken += [f"fault {f['fault']} {f['what']}" for f in result.get("faults", []) if f["what"].startswith("FAILED")]
    return broken


def held(result: dict[str, Any]) -> bool:
    """p99 < 300 ms, no error, the invariants, and the load actually played on time: a window that started late
    or a client that fell behind its schedule (every event overdue, sent as a burst) measured another load."""
    on_time = result.get("late_start_s", 0) < 5 and result.get("client_lag_p99_ms", 0) < 1000
    return result["p99_ms"] < 300 and result["errors"] == 0 and on_time and not invariants(result)


def report(result: dict[str, Any]) -> None:
    print(f"\nk = {result['k']:g}, window {result['window']}, {result['areas']:,} polling areas, "
          f"{result['requests']:,} requests in {result['wall_s']} s: p50 {result['p50_ms']} ms, "
          f"p99 {result['p99_ms']} ms, {result['errors']} errors")
    print(f"{'operation':<22}{'count':>8}{'rate/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}{'cpu ms':>8}  errors")
    for op, o in result["operations"].items():
        print(f"{op:<22}{o['count']:>8}{o['rate_per_s']:>9}{o['p50_ms']:>8}{o['p95_ms']:>8}{o['p99_ms']:>8}"
              f"{o['cpu_ms']:>8}  {o['errors'] or ''}")
    print(f"CPU s: {result['cpu_s']}; client lag p99 {result['client_lag_p99_ms']} ms, "
          f"{result['events_not_played']} events not played; "
          f"load {tuple(round(x, 1) for x in result['load_average'])}")
    for op, o in result["operations"].items():
        print(f"  {op}: statuses {o['statuses']}")
    for sample in result["error_samples"][:8]:
        print(f"  {sample}")
    print(f"dashboards opened before the window: {result['operations'].get('dashboard_open', {}).get('count', 0)} "
          f"in {result['warm_up_s']} s; the progress refresher "
          f"{'running at the end' if result['refresher_alive'] else 'NOT RUNNING at the end'}, "
          f"{len(result['refresher_restarts'])} restarts {result['refresher_restarts']}")
    for kind, n in result["nginx_errors"].items():
        print(f"  nginx {n} × {kind}")
    for f in result["faults"]:
        print(f"fault {f['fault']} at {f['virtual']} (t+{f['at_s']} s, took {f['took_s']} s): {f['what']}")
        for op, seen in f["clients_saw"].items():
            print(f"    {op}: {seen}")
    print(f"acknowledged {result['acknowledged']}, stored {result['stored']}, duplicates {result['duplicates']}, "
          f"never acknowledged {result['unacknowledged']}")


def find_k(url: str, world: World, args: argparse.Namespace, services: Services) -> dict[str, Any]:
    """The largest k that holds (p99 < 300 ms, 0 errors, the invariants): k doubles from ``--compress`` until a
    run fails, then bisects between the last k that held and the first that did not, until they are 0.05 apart
    (``--k-resolution``). Each run plays only ``--window``, by default the 3 minutes around 09:00's report time
    (08:59-09:02: the first minutes after a report time are the day's peak), so a step costs 3 minutes of wall
    time at k = 1 and less above; about 8 steps from k = 1."""
    results: list[dict[str, Any]] = []
    low, high, k = 0.0, None, args.compress
    while len(results) < args.k_steps:
        result = run_day(url, world, args, k, services)
        for run in result.get("windows", [result]):
            report(run)
        results.append(result)
        if held(result):
            low = k
        else:
            high = k
        if high is not None and high - low <= args.k_resolution:
            break
        k = k * 2 if high is None else (low + high) / 2
        if k < args.k_resolution:  # nothing held down to the resolution: a window at such k would take hours
            break
        log(f"k = {results[-1]['k']:g} {'held' if held(result) else 'did not hold'}: next k = {k:g}")
    log(f"largest k that held: {low:g} (first that did not: {high})")
    return {"k": low, "k_failed": high, "runs": results, **{key: results[-1][key] for key in (
        "acknowledged", "stored", "duplicates", "errors", "p99_ms", "operations")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--areas", type=int, default=NATIONAL_AREAS, help="generate a dataset of N polling areas")
    source.add_argument("--db", help="a database that already holds a generated dataset (copied into the "
                        "rehearsal's own PostgreSQL, left as it is)")
    parser.add_argument("--compress", type=float, default=1.0, help="k: virtual seconds per real second")
    parser.add_argument("--window", help="the part of the day played (virtual HH:MM-HH:MM, comma-separated); "
                        "08:50-09:50, or 08:59-09:02 with --find-k")
    parser.add_argument("--faults", default="kill-worker,reload", help="comma-separated: kill-worker, reload, "
                        "postgres, redis (the rehearsal's own servers), kill-node (with --nodes 2)")
    parser.add_argument("--nodes", type=int, default=1, help="app nodes; 2 or more: each in a network namespace "
                        "behind nginx (root, iproute2, nginx)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client-threads", type=int, default=64)
    parser.add_argument("--signin-share", type=float, default=0.3)
    parser.add_argument("--return-share", type=float, default=0.05, help="count minutes returned for a mistake")
    parser.add_argument("--drain", type=float, default=60.0, help="real seconds to let retried writes land")
    parser.add_argument("--warm-up", type=float, help="real seconds from starting the nodes to the window's "
                        "start: the dashboards are opened in them (default 20 s + 40 ms a dashboard)")
    parser.add_argument("--fault-watch", type=float, default=15.0, help="real seconds after a fault whose errors, "
                        "retries and late acknowledgements the fault timeline counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--find-k", action="store_true", help="search the largest k that holds p99 < 300 ms, 0 errors")
    parser.add_argument("--k-resolution", type=float, default=0.05)
    parser.add_argument("--k-steps", type=int, default=12, help="at most this many runs for --find-k")
    parser.add_argument("--target", action="store_true", help="exit 1 also when p99 >= 300 ms or an error was seen")
    parser.add_argument("--budgets", action=argparse.BooleanOptionalAction, default=True,
                        help="measure turnout, confirmation and a poll alone against the bare endpoint")
    parser.add_argument("--budget-seconds", type=float, default=8.0)
    parser.add_argument("--budget-requests", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--app-root", type=Path, default=ROOT, help="serve the app of this checkout (its "
                        "migrations run on the copied dataset): a \"before\" played by this harness, beside an \"after\"")
    args = parser.parse_args(argv)
    global APP_ROOT  # noqa: PLW0603 - one run serves one tree, read by every start of a node, the refresher, flask
    APP_ROOT = args.app_root.resolve()
    args.window = args.window or ("08:59-09:02" if args.find_k else "08:50-09:50")
    if "kill-node" in args.faults and args.nodes < 2:
        parser.error("kill-node needs --nodes 2 or more")
    if args.nodes > 1 and (why := netns_unavailable()):
        parser.error(f"--nodes {args.nodes}: {why}")

    # SIGTERM as SIGINT: the finally blocks stop the nodes, the servers and remove the namespaces.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with Services(args.nodes) as services:
        assert services.postgres is not None and services.redis is not None
        if args.db:
            url = copy_database(args.db, services.postgres.admin_url)
        else:
            url, _ = build_database(services.postgres.admin_url, args.areas, args.seed)
        world = load_world(url, args.seed)
        if args.find_k:
            final = find_k(url, world, args, services)
        else:
            final = run_day(url, world, args, args.compress, services)
            for run in final.get("windows", [final]):
                report(run)
        if args.budgets:
            final["budgets"] = budgets(url, world, args, services.redis.url)
            print("\nCPU per request, each operation alone (server + PostgreSQL), against the bare endpoint:")
            for op, b in final["budgets"].items():
                ratio = f"{b['times_bare']}x bare (budget {b['budget_times_bare']}x)" if "times_bare" in b else ""
                print(f"  {op:<14}{b['requests']:>6} requests {b['cpu_ms']:>7} ms  {ratio}")
    broken = [b for r in final.get("runs", [final]) for w in r.get("windows", [r]) for b in invariants(w)]
    final["invariants_broken"] = broken
    if args.json:
        args.json.write_text(json.dumps(final, indent=2, default=str))
    for b in broken:
        print(f"INVARIANT BROKEN: {b}")
    return 1 if broken or (args.target and not held(final)) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # everything started was stopped and removed on the way out (finally blocks)
        sys.exit(130)
