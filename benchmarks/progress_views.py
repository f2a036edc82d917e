"""Server time of the progress views (nation, province, commune) at 1,000, 10,000 and 72,195 stations, idle and
while turnout submissions run at full speed (issue 5 §4).

    .venv/bin/python benchmarks/progress_views.py                       # the three sizes
    .venv/bin/python benchmarks/progress_views.py --sizes 1000 --requests 50
    .venv/bin/python benchmarks/progress_views.py --writers 2 --load-seconds 30 --json /tmp/progress.json

For each size N, in its own PostgreSQL database ``baucu_progress_<N>`` (kept and reused; made with
``flask gen-national --areas N`` when missing):
1. a full day of turnout reports is bulk-loaded once (COPY): every station reports at each of the day's five
   report times (09:00 … 19:00), about 4 % of them after the deadline, the earlier times mostly confirmed, a few
   returned; one figure per contest the station votes in; then the summaries are rebuilt
   (``webapp.progress.refresh.rebuild``, what ``flask rebuild-progress`` does) and timed;
2. the three views are requested in-process with the Flask test client as a national administrator, the clock
   at 19:30 on polling day: the nation, the province with the most stations, the commune with the most
   stations — ``--requests`` times each after two warm-ups; server time = the time the app takes to answer
   (Flask, SQL, templates; no network). Also the 20-second poll of the nation fragment when nothing changed
   (204) and a conditional request (304);
3. the same while ``--writers`` separate processes send turnout corrections for the 19:00 report through the
   reports service as fast as they can (each a new version: checks, audit, summary rows; committed), and the
   refresh runs every 2 s as ``flask progress-refresher`` does (claim when older than 10 s, refresh the queued
   communes, commit) — in its own process (``--refresher process``, the production setting) or in the
   readers' process (``--refresher reader``, as the after-response refresh of a web worker does). Submissions
   per second and the refreshes' durations are printed.

Prints a table (median and p95 in ms) and exits 1 if a view's p95 exceeds ``--target`` ms (default 100).
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import os
import queue as queue_module
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts import services as accounts
from webapp.audit.services import Actor
from webapp.clock import VN_TZ, utcnow

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
CLOCK = "2026-03-15T19:30"
FRACTIONS = {9: (0.12, 0.25), 11: (0.38, 0.55), 14: (0.62, 0.78), 17: (0.82, 0.92), 19: (0.93, 0.99)}
FRAGMENT_CACHE = [256]  # rendered fragments kept per process; --no-cache sets 0 (every request renders)
RECEIPT_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database(n: int) -> str:
    name = f"baucu_progress_{n}"
    admin = sa.create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            log(f"creating {name} (flask gen-national --areas {n}) …")
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = PG + name
    if not exists:
        env = {**os.environ, "DATABASE_URL": url}
        flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db-upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*flask, "gen-national", "--areas", str(n)], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return url


def _receipt(i: int) -> str:
    value = (i * 7919 + 12345) % len(RECEIPT_ALPHABET) ** 6
    out = []
    for _ in range(6):
        value, digit = divmod(value, len(RECEIPT_ALPHABET))
        out.append(RECEIPT_ALPHABET[digit])
    return "".join(out)


def _copy(conn: sa.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load_day(engine: sa.Engine) -> bool:
    """Bulk-load every station's five turnout reports (once); True when it loaded them now."""
    with engine.begin() as conn:
        if conn.scalar(sa.text("SELECT count(*) FROM turnout_reports")):
            return False
        election_id, polling = conn.execute(sa.text(
            "SELECT id, polling_date FROM elections ORDER BY polling_date DESC, id DESC LIMIT 1")).one()
        times = [r[0] for r in conn.execute(sa.text(
            "SELECT at FROM report_times WHERE election_id = :e AND province_id IS NULL ORDER BY at"),
            {"e": election_id})]
        areas = conn.execute(sa.text(
            "SELECT pa.id, pa.early_voting_date, u.id FROM polling_areas pa "
            "JOIN users u ON u.polling_area_id = pa.id AND u.role = 'leader' ORDER BY pa.id")).all()
        lists: dict[int, dict[int, int]] = {}
        for area_id, contest_id, total in conn.execute(sa.text(
                "SELECT DISTINCT ON (polling_area_id, contest_id) polling_area_id, contest_id, total "
                "FROM voter_counts ORDER BY polling_area_id, contest_id, as_of DESC, id DESC")):
            lists.setdefault(area_id, {})[contest_id] = total
        start = (conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM turnout_reports")) or 0) + 1
        rng = random.Random(2026)
        reports, figures = [], []
        report_id = start
        for area_id, early, leader_id in areas:
            day = early or polling
            base = rng.random()
            for at in times:
                lo, hi = FRACTIONS.get(at.hour, (0.5, 0.6))
                fraction = lo + (hi - lo) * base
                late = rng.random() < 0.04
                sent = datetime.combine(day, at, tzinfo=VN_TZ) + timedelta(
                    minutes=rng.randint(16, 60) if late else rng.randint(-20, 14))
                roll = rng.random()
                status = ("returned" if roll < 0.005 else "confirmed" if at.hour < 17 and roll < 0.7 else "received")
                reports.append((report_id, election_id, area_id, at, 1, None, True, status, False, False, "",
                                str(uuid.UUID(int=rng.getrandbits(128))), _receipt(report_id), "web", leader_id,
                                sent))
                lowest = min(lists[area_id].values())
                for contest_id in lists[area_id]:
                    figures.append((report_id, contest_id, int(lowest * fraction)))
                report_id += 1
        _copy(conn, "turnout_reports", ["id", "election_id", "polling_area_id", "slot_at", "version", "supersedes_id",
                                        "is_latest", "status", "per_contest", "no_change", "reason", "client_uuid",
                                        "receipt", "channel", "submitted_by_id", "submitted_at"], reports)
        _copy(conn, "turnout_figures", ["report_id", "contest_id", "voters_voted"], figures)
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('turnout_reports', 'id'), :m)"),
                     {"m": report_id})
        log(f"loaded {len(reports):,} turnout reports and {len(figures):,} figures")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) turnout_reports, turnout_figures")
    return True


def make_app(url: str) -> Any:
    from webapp import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "REPORTING_CLOCK_OVERRIDE": CLOCK,
                       "PROGRESS_REFRESH_SECONDS": 10, "PROGRESS_REFRESH_AFTER_RESPONSE": False,
                       "PROGRESS_FRAGMENT_CACHE": FRAGMENT_CACHE[0]})


def rebuild(app: Any) -> float:
    from webapp import db
    from webapp.progress import refresh

    started = time.perf_counter()
    with app.app_context():
        session = db.get_db().sessionmaker()
        refresh.rebuild(session, now=datetime.fromisoformat(CLOCK).replace(tzinfo=VN_TZ))
        session.commit()
        session.close()
    engine = sa.create_engine(app.config["DATABASE_URL"])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) progress_turnout_stations, progress_turnout_rollups, "
                             "progress_count_rollups, progress_count_stations")
    engine.dispose()
    return time.perf_counter() - started


def targets(engine: sa.Engine) -> tuple[int, int, int, int, int]:
    """(admin user id, a signed-in session's secret, the province with most stations, the commune with most, their sizes)."""
    from webapp.accounts.models import Role, User

    with engine.begin() as conn:
        admin = conn.execute(sa.select(User.id).where(User.username == "bench_admin")).first()
        if admin is None:
            conn.execute(sa.insert(User).values(username="bench_admin", role=Role.ADMIN, password_hash="!",
                                                created_at=datetime.now(VN_TZ)))
            admin = conn.execute(sa.select(User.id).where(User.username == "bench_admin")).first()
        province, p_n = conn.execute(sa.text("SELECT province_id, count(*) FROM polling_areas GROUP BY 1 "
                                             "ORDER BY 2 DESC LIMIT 1")).one()
        commune, c_n = conn.execute(sa.text("SELECT commune_id, count(*) FROM polling_areas GROUP BY 1 "
                                            "ORDER BY 2 DESC LIMIT 1")).one()
    with Session(engine) as session:
        user = session.get(User, admin[0])
        secret = accounts.start_session(session, user=user, now=utcnow(), lifetime=timedelta(hours=36))
        session.commit()
    return admin[0], secret, province, commune, (p_n, c_n)  # type: ignore[return-value]


def client_for(app: Any, secret: str) -> Any:
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = secret
        s["_fresh"] = True
    return client


def timed(client: Any, url: str, n: int, headers: dict[str, str] | None = None, expect: int = 200) -> list[float]:
    for _ in range(2):
        assert client.get(url, headers=headers or {}).status_code == expect, url
    out = []
    for _ in range(n):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers or {})
        response.get_data()
        out.append((time.perf_counter() - started) * 1000)
        CPU.append((time.process_time() - cpu) * 1000)
        assert response.status_code == expect, (url, response.status_code)
    return out


CPU: list[float] = []  # CPU time of the reader process per request (not waiting for the cores or the database)


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(app: Any, ids: tuple, n: int) -> dict[str, tuple[float, float]]:
    admin, secret, province, commune, _sizes = ids
    client = client_for(app, secret)
    urls = {"nation": "/progress/", "province": f"/progress/provinces/{province}",
            "commune": f"/progress/communes/{commune}"}
    out = {}
    for name, url in urls.items():
        CPU.clear()
        out[name] = stats(timed(client, url, n))
        out[f"{name} (CPU)"] = stats(list(CPU))
    first = client.get("/progress/")
    etag = first.headers["ETag"]
    import re

    poll = re.search(r'hx-get="([^"]+)"', first.get_data(as_text=True)).group(1).replace("&amp;", "&")
    try:
        out["nation poll (204)"] = stats(timed(client, poll, n, {"HX-Request": "true"}, 204))
        out["nation If-None-Match (304)"] = stats(timed(client, "/progress/", n, {"If-None-Match": etag}, 304))
    except AssertionError:
        pass  # the snapshot changed meanwhile (under load): not measurable then
    return out


def writer(url: str, work: list[tuple[int, int]], seconds: float, queue: Any) -> None:
    """Send turnout corrections for 19:00 through the reports service, as fast as possible."""
    from webapp import db
    from webapp.accounts.models import User
    from webapp.audit import services as audit
    from webapp.audit.models import Channel
    from webapp.reports import services as reports
    from webapp.reports.services import TurnoutInput

    app = make_app(url)
    now = datetime.fromisoformat("2026-03-15T19:20").replace(tzinfo=VN_TZ)
    sent = failed = 0
    latencies = []
    with app.app_context():
        session = db.get_db().sessionmaker()
        audit.bind(session, audit.AuditContext(None, "bench", Channel.API))
        rng = random.Random(os.getpid())
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            area_id, leader_id = rng.choice(work)
            started = time.perf_counter()
            try:
                leader = session.get(User, leader_id)
                reports.submit_turnout(session, actor=Actor(leader, Channel.API), area_id=area_id,
                                       data=TurnoutInput(voted=_final(session, area_id), slot=dtime(19)),
                                       client_uuid=uuid.uuid4(), now=now)
                session.commit()
                sent += 1
                latencies.append((time.perf_counter() - started) * 1000)
            except Exception:  # noqa: BLE001 - counted and reported; the load goes on
                session.rollback()
                failed += 1
        session.close()
    queue.put((sent, failed, latencies))


def _final(session: Any, area_id: int) -> int:
    """The lowest list of the station: never more than a list, never lower than an earlier report."""
    return int(session.execute(sa.text(
        "SELECT min(total) FROM voter_counts WHERE polling_area_id = :a"), {"a": area_id}).scalar())


def refresher(url: str, seconds: float, queue: Any) -> None:
    """What the refresh does during the load (``flask progress-refresher``, or the first reader after its
    response): every 2 s, claim it if the snapshot is older than PROGRESS_REFRESH_SECONDS, refresh, commit."""
    from webapp import db
    from webapp.elections import services as elections
    from webapp.progress import refresh

    app = make_app(url)
    ttl, lease = timedelta(seconds=10), timedelta(seconds=120)
    durations = []
    deadline = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < deadline:
            time.sleep(2)
            session = db.get_db().sessionmaker()
            try:
                now = datetime.now(VN_TZ)
                election = elections.current_election(session)
                if refresh.claim(session, election.id, now, ttl=ttl, lease=lease):
                    session.commit()
                    started = time.perf_counter()
                    result = refresh.refresh(session, now=now)
                    session.commit()
                    durations.append(((time.perf_counter() - started) * 1000, result.communes))
                else:
                    session.rollback()
            finally:
                session.close()
    queue.put(durations)


def run_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    url = database(n)
    engine = sa.create_engine(url)
    loaded = load_day(engine)
    app = make_app(url)
    result: dict[str, Any] = {"stations": n}
    if loaded or args.rebuild:
        result["rebuild_s"] = rebuild(app)
        log(f"{n:,} stations: summaries rebuilt in {result['rebuild_s']:.1f} s")
    ids = targets(engine)
    result["province_stations"], result["commune_stations"] = ids[4]
    result["idle"] = measure(app, ids, args.requests)
    log(f"{n:,} stations idle: {result['idle']}")
    with engine.connect() as conn:
        work = [tuple(r) for r in conn.execute(sa.text(
            "SELECT pa.id, u.id FROM polling_areas pa JOIN users u ON u.polling_area_id = pa.id "
            "AND u.role = 'leader' WHERE pa.early_voting_date IS NULL"))]
    engine.dispose()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(url, work, args.load_seconds, queue)) for _ in range(args.writers)]
    refresh_queue = ctx.Queue() if args.refresher == "process" else queue_module.Queue()
    if args.refresher == "process":  # a `flask progress-refresher` beside the web server
        background: Any = ctx.Process(target=refresher, args=(url, args.load_seconds, refresh_queue))
    else:  # the reader's own process refreshes (after-response refresh in a web worker)
        background = threading.Thread(target=refresher, args=(url, args.load_seconds, refresh_queue), daemon=True)
    for p in procs:
        p.start()
    background.start()
    time.sleep(args.warmup)
    started = time.monotonic()
    result["loaded"] = measure(app, ids, args.requests)
    measured_for = time.monotonic() - started
    outcomes = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    durations = refresh_queue.get()
    background.join()
    sent = sum(o[0] for o in outcomes)
    lat = [x for o in outcomes for x in o[2]]
    result["writes"] = {"sent": sent, "failed": sum(o[1] for o in outcomes),
                        "per_s": sent / args.load_seconds, "p50_ms": stats(lat)[0] if lat else None,
                        "p95_ms": stats(lat)[1] if lat else None, "views_measured_s": measured_for}
    result["refreshes"] = [{"ms": round(ms, 1), "communes": c} for ms, c in durations]
    log(f"{n:,} stations under load: {result['loaded']}; writes {result['writes']}; "
        f"refreshes {result['refreshes']}")
    return result


def table(results: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    out.write("| stations | view | idle median / p95 ms | with submissions median / p95 ms "
              "| CPU median ms, idle / with submissions |\n|---|---|---|---|---|\n")
    for r in results:
        for view in r["idle"]:
            if view.endswith("(CPU)"):
                continue
            idle, loaded = r["idle"][view], r["loaded"].get(view)
            cpu = r["idle"].get(f"{view} (CPU)"), r["loaded"].get(f"{view} (CPU)")
            out.write(f"| {r['stations']:,} | {view} | {idle[0]:.1f} / {idle[1]:.1f} | "
                      + (f"{loaded[0]:.1f} / {loaded[1]:.1f} |" if loaded else "— |")
                      + (f" {cpu[0][0]:.1f} / {cpu[1][0]:.1f} |" if cpu[0] and cpu[1] else " |") + "\n")
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 72195])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--load-seconds", type=float, default=40)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--target", type=float, default=100)
    parser.add_argument("--refresher", choices=("process", "reader"), default="process",
                        help="refresh in a separate process (flask progress-refresher) or in the reader's process")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the summaries even when already loaded")
    parser.add_argument("--no-cache", action="store_true", help="render every request (no fragment cache)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    if args.no_cache:
        FRAGMENT_CACHE[0] = 0
    with open("/proc/loadavg") as fh:
        log(f"load average before: {fh.read().split()[:3]}")
    results = [run_size(n, args) for n in args.sizes]
    with open("/proc/loadavg") as fh:
        log(f"load average after: {fh.read().split()[:3]}")
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    worst = max(r[phase][view][1] for r in results for phase in ("idle", "loaded") for view in ("nation", "province",
                                                                                                 "commune"))
    return 0 if worst <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
