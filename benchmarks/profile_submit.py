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
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from sqlalchemy import event

from benchmarks import bare_app
from benchmarks.submit_count import PG_ADMIN, Bare, Leader, count_rows, create_database, prepare
from webapp import create_app


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


class PhoneSender:
    """The hotline typing a leader's minutes by phone: the same form, read back and ticked, to the hotline's page
    (``--via phone``; the leader's session only supplies the station's contests)."""

    def __init__(self, leader: Leader, hotline: Any, csrf: str) -> None:
        self.leader, self.hotline, self.csrf = leader, hotline, csrf

    def submit(self) -> int:
        kind, body = self.leader.minutes()
        return self.leader._submit_form(kind, body, self.hotline, self.csrf,
                                        "/hotline/stations/{area}/count/{contest}", (("read_back", "y"),))


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
        before = counter.count
        t0 = time.process_time()
        status = sender.submit()
        cpu.append(time.process_time() - t0)
        statements.append(counter.count - before)
        statuses[status] += 1
    assert statuses[ack] == n, f"not every request was acknowledged: {dict(statuses)}"
    return {"cpu_ms_mean": statistics.fmean(cpu) * 1000, "cpu_ms_median": statistics.median(cpu) * 1000,
            "statements": statistics.fmean(statements), "statements_max": max(statements)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", PG_ADMIN), help="admin URL of PostgreSQL")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite database instead")
    parser.add_argument("-n", type=int, default=300, help="measured requests per endpoint (after 40 warm-up)")
    parser.add_argument("--via", choices=("api", "form", "floor", "phone"), default="api",
                        help="the API, the leader's form, the floor, or the hotline's entry by phone (as tongdai)")
    parser.add_argument("--kind", choices=("count", "turnout"), default="count",
                        help="count minutes (default) or turnout reports (API, at 15:00 on polling day)")
    parser.add_argument("--without-progress", action="store_true",
                        help="also measure the app with the progress summaries unsubscribed from the versions "
                             "written (webapp.reports.versions.version_written)")
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
        config = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48)}
        if args.kind == "turnout":
            config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T15:00"
        app = create_app(config)
        engine = app.extensions["db"].engine
        counter = Statements(engine)
        logged = [Leader(InProcess(app), username, area_id, args.via) for username, area_id in leaders]
        if args.via == "phone":
            hotline = Leader(InProcess(app), "tongdai", leaders[0][1])  # logs in; its own area is any in scope
            logged = [PhoneSender(leader, hotline.client, hotline.csrf) for leader in logged]
        if args.kind == "turnout":
            logged = [TurnoutSender(leader) for leader in logged]
        bare_app.engine = sa.create_engine(url, pool_size=10, max_overflow=10)
        bare_counter = Statements(bare_app.engine)
        bares = [Bare(0, getattr(leader, "leader", leader)) for leader in logged]
        for bare in bares:
            bare.client = InProcess(bare_app.app)

        ack = {"form": 303, "phone": 303, "floor": 400}.get(args.via, 201)
        measure(bares, 40, bare_counter, 201)
        measure(logged, 40, counter, ack)
        results = {"bare": measure(bares, args.n, bare_counter, 201)}
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
        labels = {"bare": "bare Flask, one INSERT", "app": f"{args.kind} ({args.via})",
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
