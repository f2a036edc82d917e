"""CPU and SQL statements per count-minutes submission, in process (stable on a busy machine).

    .venv/bin/python benchmarks/profile_submit.py                       # PostgreSQL, 300 requests each
    .venv/bin/python benchmarks/profile_submit.py --via form --show-sql # the leader's HTML form; one request's SQL
    .venv/bin/python benchmarks/profile_submit.py --profile /tmp/submit.html   # pyinstrument of the app loop
    .venv/bin/python benchmarks/profile_submit.py --sqlite

The same requests as ``benchmarks/submit_count.py`` (a fresh database with the demo and a leader per polling
area, every leader logged in through ``/login``, session cookie + ``X-CSRFToken``, new consistent minutes with a
new client_uuid each time) but sent through Flask's test client in this one process, one at a time: no
gunicorn, no sockets, no other client threads. ``time.process_time`` around each request gives the CPU the
app spends (plus the test client's own small share, the same for both endpoints); a ``before_cursor_execute``
listener counts the statements sent (BEGIN and COMMIT are not statements on psycopg and are not counted).
The bare one-INSERT endpoint (``benchmarks/bare_app.py``) is measured the same way for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from sqlalchemy import event

from benchmarks import bare_app
from benchmarks.submit_count import PG_ADMIN, Bare, Leader, count_rows, create_database, prepare
from webapp import create_app
from webapp.seed import demo


class InProcess:
    """Client's ``request`` over Flask's test client (cookies kept by the test client)."""

    class _Conn:
        def close(self) -> None:
            pass

    def __init__(self, app: Any) -> None:
        self.test_client = app.test_client()
        self.conn = self._Conn()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        response = self.test_client.open(path, method=method, data=body, headers=headers or {})
        return response.status_code, response.get_data()


class TurnoutSender:
    """A logged-in leader sending turnout reports (the current report time; every one a new version)."""

    def __init__(self, leader: Leader) -> None:
        self.leader, self.client = leader, leader.client
        self.voted = min(c["voters_on_list"] for c in leader.contests) // 2

    def submit(self) -> int:
        body = {"client_uuid": str(uuid.uuid4()), "voters_voted": self.voted}
        status, _ = self.client.request("POST", f"/api/v1/stations/{self.leader.area_id}/turnout",
                                        json.dumps(body).encode(),
                                        {"Content-Type": "application/json", "X-CSRFToken": self.leader.csrf})
        return status


class ColdTurnout(TurnoutSender):
    """A turnout report whose area this process does not keep (``--cold``): what a worker does the first time it
    sees a station, e.g. every station at national size once the kept configurations are full."""

    def before(self) -> None:
        from webapp.reports import station

        station.forget_all()


class PhoneSender:
    """The hotline typing a leader's minutes by phone: the same form, read back and ticked, to the hotline's page
    (``--via phone``; the leader's session only supplies the station's contests)."""

    def __init__(self, leader: Leader, hotline: Any, csrf: str) -> None:
        self.leader, self.hotline, self.csrf = leader, hotline, csrf

    def submit(self) -> int:
        kind, body = self.leader.minutes()
        return self.leader._submit_form(kind, body, self.hotline, self.csrf,
                                        "/hotline/stations/{area}/count/{contest}", (("read_back", "y"),))


class Reviewer:
    """The commune's official (the demo's ``xa``) confirming turnout reports of the commune's stations, each the
    version that counts when confirmed (sent by ``before``, outside the measured time)."""

    def __init__(self, client: Any, senders: list[TurnoutSender]) -> None:
        self.client, self.senders, self.turn, self.report = client, senders, 0, 0
        self.csrf = _login(client, "xa")

    def before(self) -> None:
        # The browser follows each decision's 303 and that page shows (and drops) the flashed message: without it
        # this client's session would grow by a message per request and its cookie cost more each time.
        with self.client.test_client.session_transaction() as flask_session:
            flask_session.pop("_flashes", None)
        sender = self.senders[self.turn % len(self.senders)]
        self.turn += 1
        if confirmed := getattr(sender, "confirmed", None):
            form = urlencode({"csrf_token": self.csrf, "reason": "Sửa lại số liệu"}).encode()
            status, _ = self.client.request("POST", f"/review/turnout/{confirmed}/reopen", form,
                                            {"Content-Type": "application/x-www-form-urlencoded"})
            assert status == 303, status
        sender.voted += 1
        body = {"client_uuid": str(uuid.uuid4()), "voters_voted": sender.voted}
        status, raw = sender.client.request("POST", f"/api/v1/stations/{sender.leader.area_id}/turnout",
                                            json.dumps(body).encode(),
                                            {"Content-Type": "application/json", "X-CSRFToken": sender.leader.csrf})
        assert status == 201, raw
        self.report = sender.confirmed = json.loads(raw)["report_id"]

    def submit(self) -> int:
        form = urlencode({"csrf_token": self.csrf, "shown": "received"}).encode()
        status, _ = self.client.request("POST", f"/review/turnout/{self.report}/confirm", form,
                                        {"Content-Type": "application/x-www-form-urlencoded"})
        return status


class Poller:
    """The commune's official's progress page polling itself (htmx, ``?v=`` its version): 204 while unchanged."""

    def __init__(self, client: Any, commune_id: int) -> None:
        self.client = client
        _login(client, "xa")
        status, page = client.request("GET", f"/progress/communes/{commune_id}")
        found = re.search(rb'id="progress"[^>]*hx-get="([^"]+)"', page)
        assert status == 200 and found, f"no polling progress page ({status})"
        self.url = found.group(1).decode().replace("&amp;", "&")

    def submit(self) -> int:
        status, _ = self.client.request("GET", self.url, None, {"HX-Request": "true"})
        return status


def _login(client: Any, username: str) -> str:
    status, page = client.request("GET", "/login")
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page)
    form = urlencode({"username": username, "password": demo.DEMO_PASSWORD, "csrf_token": token.group(1).decode()})
    status, _ = client.request("POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, f"login of {username} answered {status}"
    status, me = client.request("GET", "/api/v1/me")
    return json.loads(me)["csrf_token"]


class Statements:
    """Counts the statements sent on ``engine`` (and keeps their text while ``keep`` is set)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self.keep = False
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, executemany: bool) -> None:
        self.count += 1
        if self.keep:
            self.seen.append(("[many] " if executemany else "") + " ".join(statement.split())[:160])


def measure(senders: list[Any], n: int, counter: Statements, ack: int) -> dict[str, Any]:
    cpu, statements, statuses = [], [], Counter()
    for i in range(n):
        sender = senders[i % len(senders)]
        if hasattr(sender, "before"):
            sender.before()
        before = counter.count
        t0 = time.process_time()
        status = sender.submit()
        cpu.append(time.process_time() - t0)
        statements.append(counter.count - before)
        statuses[status] += 1
    assert statuses[ack] == n, f"not every request was acknowledged: {dict(statuses)}"
    return {"cpu_ms_mean": statistics.fmean(cpu) * 1000, "cpu_ms_median": statistics.median(cpu) * 1000,
            "statements": statistics.fmean(statements), "statements_max": max(statements)}


def commune_of(url: str, username: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT commune_id FROM users WHERE username = :u"), {"u": username}).scalar_one()
    engine.dispose()
    return int(found)


def commune_areas(url: str, username: str) -> set[int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = set(conn.execute(sa.text("SELECT id FROM polling_areas WHERE commune_id = :c"),
                                 {"c": commune_of(url, username)}).scalars())
    engine.dispose()
    return found


def vote_early(url: str, n: int, keep: set[int]) -> set[int]:
    """The last ``n`` areas outside ``keep`` voted a week before polling day (each unit keeps a polling-day
    area: the demo's units hold several areas)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        ids = [i for i in conn.scalars(sa.text("SELECT id FROM polling_areas ORDER BY id DESC")) if i not in keep][:n]
        polling = conn.scalar(sa.text("SELECT max(polling_date) FROM elections"))
        polling = dt.date.fromisoformat(polling) if isinstance(polling, str) else polling
        conn.execute(sa.text("UPDATE polling_areas SET early_voting_date = :d WHERE id = :i"),
                     [{"d": polling - dt.timedelta(days=7), "i": i} for i in ids])
    engine.dispose()
    return set(ids)


def seal_uncached(run: Any) -> Any:
    """``run()`` with the seal as it was before it kept its set per process and its criteria per set, and
    narrowed every statement, whatever it read."""
    from webapp.reports import secrecy

    kept, built, reads = secrecy.kept_sealed, secrecy.criteria, secrecy.reads_sealed
    secrecy.kept_sealed, secrecy.criteria = secrecy.sealed_pairs, secrecy._criteria
    secrecy.reads_sealed = lambda _statement: True
    try:
        return run()
    finally:
        secrecy.kept_sealed, secrecy.criteria, secrecy.reads_sealed = kept, built, reads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", PG_ADMIN), help="admin URL of PostgreSQL")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite database instead")
    parser.add_argument("-n", type=int, default=300, help="measured requests per endpoint (after 40 warm-up)")
    parser.add_argument("--via", choices=("api", "form", "floor", "phone"), default="api",
                        help="the API, the leader's form, the floor, or the hotline's entry by phone (as tongdai)")
    parser.add_argument("--kind", choices=("count", "turnout", "confirm", "poll"), default="count",
                        help="count minutes (default), turnout reports (API, at 15:00 on polling day), the "
                        "commune's confirmation of turnout reports, or a progress poll answered 204")
    parser.add_argument("--cold", action="store_true",
                        help="turnout: every request finds its area's configuration not kept by the process")
    parser.add_argument("--without-progress", action="store_true",
                        help="also measure the app with the progress summaries unsubscribed from the versions "
                             "written (webapp.reports.versions.version_written)")
    parser.add_argument("--early", type=int, default=1, metavar="N",
                        help="areas that voted early (the last N areas outside the demo commune; the early-vote "
                             "seal then holds at 15:00 on polling day, as in 2026 with 218); 0 for none")
    parser.add_argument("--seal-baseline", action="store_true",
                        help="also measure, first, the seal finding its set and building its criteria anew on "
                             "every request and statement (before the per-process cache)")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one app request")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of the app loop (.html or .txt)")
    parser.add_argument("--cprofile", type=int, metavar="N",
                        help="print the N functions with the most CPU (cProfile timed by process_time)")
    args = parser.parse_args()

    if args.sqlite:
        url, drop = f"sqlite:///{tempfile.mkdtemp(prefix='baucu-prof-')}/prof.sqlite3", (lambda: None)
    else:
        url, drop = create_database(args.pg)
    try:
        leaders = prepare(url)
        if args.early and args.kind != "count":
            early = vote_early(url, args.early, commune_areas(url, "xa"))
            leaders = [(username, area_id) for username, area_id in leaders if area_id not in early]
        config = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48)}
        if args.kind != "count":
            config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T15:00"
            config["PROGRESS_REFRESH_AFTER_RESPONSE"] = False  # the refresher's own process, as in production
        app = create_app(config)
        engine = app.extensions["db"].engine
        counter = Statements(engine)
        logged = [Leader(InProcess(app), username, area_id, args.via) for username, area_id in leaders]
        if args.via == "phone":
            hotline = Leader(InProcess(app), "tongdai", leaders[0][1])  # logs in; its own area is any in scope
            logged = [PhoneSender(leader, hotline.client, hotline.csrf) for leader in logged]
        if args.kind != "count":
            logged = [(ColdTurnout if args.cold else TurnoutSender)(leader) for leader in logged]
        bare_app.engine = sa.create_engine(url, pool_size=10, max_overflow=10)
        bare_counter = Statements(bare_app.engine)
        bares = [Bare(0, getattr(leader, "leader", leader)) for leader in logged]
        for bare in bares:
            bare.client = InProcess(bare_app.app)
        if args.kind in ("confirm", "poll"):
            # Turnout reports to confirm, from the stations of the demo's commune (the official's own).
            ours = [s for s in logged if s.leader.area_id in commune_areas(url, "xa")]
            client = InProcess(app)
            if args.kind == "confirm":
                logged = [Reviewer(client, ours)]
            else:
                ours[0].submit()
                logged = [Poller(client, commune_of(url, "xa"))]

        ack = {"confirm": 303, "poll": 204}.get(args.kind) or {"form": 303, "phone": 303, "floor": 400}.get(args.via, 201)
        measure(bares, 40, bare_counter, 201)
        measure(logged, 40, counter, ack)
        results = {"bare": measure(bares, args.n, bare_counter, 201)}
        if args.seal_baseline:
            results["app, seal uncached (before)"] = seal_uncached(lambda: measure(logged, args.n, counter, ack))
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        if args.cprofile:
            import cProfile
            import pstats

            cprof = cProfile.Profile(time.process_time)
            cprof.enable()
        results["app"] = measure(logged, args.n, counter, ack)
        if args.cprofile:
            cprof.disable()
            pstats.Stats(cprof).sort_stats(os.environ.get("CPROFILE_SORT", "cumulative")).print_stats(args.cprofile)
        if args.profile:
            profiler.stop()
            text = profiler.output_html() if args.profile.suffix == ".html" else profiler.output_text(
                unicode=True, show_all=False)
            args.profile.write_text(text)
            print(f"profile written to {args.profile}")
        if args.without_progress:
            from webapp.progress import tracking
            from webapp.reports import versions

            versions.version_written.disconnect(tracking._version_written)
            results["app without progress hook"] = measure(logged, args.n, counter, ack)
        if args.show_sql:
            if hasattr(logged[0], "before"):
                logged[0].before()
            counter.keep = True
            logged[0].submit()
            counter.keep = False
            print(f"\nstatements of one request ({len(counter.seen)}):")
            for i, text in enumerate(counter.seen, 1):
                print(f"{i:3}. {text}")
        stored = count_rows(url, "count_reports")
        print(f"\n{'SQLite' if args.sqlite else 'PostgreSQL'}, {args.kind} via {args.via}, {args.n} requests each "
              f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}); count_reports stored: {stored}")
        print("| endpoint | CPU ms/request (mean) | median | SQL statements/request | max |")
        print("|---|---|---|---|---|")
        labels = {"bare": "bare Flask, one INSERT",
                  "app": f"{args.kind} ({args.via})" if args.kind in ("count", "turnout") else args.kind,
"app, seal uncached (before)": f"{args.kind}, seal found and built per request/statement",
                  "app without progress hook": f"{args.kind} ({args.via}), progress unsubscribed"}
        for name, r in results.items():
            label = labels[name]
            print(f"| {label} | {r['cpu_ms_mean']:.2f} | {r['cpu_ms_median']:.2f} | {r['statements']:.1f} | "
                  f"{r['statements_max']} |")
        app.extensions["db"].engine.dispose()
        bare_app.engine.dispose()
    finally:
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
