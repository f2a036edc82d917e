"""The hotline's call list, search and the review queue at national scale.

    .venv/bin/python benchmarks/review_hotline.py --db sqlite              # /tmp/rv_national.sqlite3
    .venv/bin/python benchmarks/review_hotline.py --db postgres            # database baucu_rv_national
    .venv/bin/python benchmarks/review_hotline.py --db postgres --reuse    # measure again, do not regenerate

Generates the synthetic national dataset (``flask gen-national``, 72,195 polling areas) into a database of its
own, then, for the province with the most polling areas, adds turnout reports with Core inserts (70% of its
stations sent 09:00, 40% sent 11:00) and measures at 11:20 on polling day: the call list (late for 11:00) for
that province's hotline and for the national hotline, with the number of SQL statements; the hotline search
by name, phone and receipt; and the province's review queue (first page).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp.accounts.models import Role, User
from webapp.audit.models import Channel
from webapp.clock import VN_TZ
from webapp.db import make_engine
from webapp.elections import services as elections
from webapp.elections.models import PollingArea, TeamMember
from webapp.hotline import calllist
from webapp.hotline import services as hotline
from webapp.reports import receipts
from webapp.reports.models import ReportStatus, TurnoutReport
from webapp.review import queries

SQLITE_PATH = "/tmp/rv_national.sqlite3"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "baucu_rv_national"
FLASK = str(ROOT / ".venv" / "bin" / "flask")


def database_url(kind: str) -> str:
    return f"sqlite:///{SQLITE_PATH}" if kind == "sqlite" else PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_NAME


def regenerate(kind: str, url: str) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
    else:
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{PG_NAME}"')
        admin.dispose()
    for args in (("db-upgrade",), ("gen-national",)):
        subprocess.run([FLASK, "--app", "wsgi", *args], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                       check=True, stdout=subprocess.DEVNULL)


def add_reports(session: Session) -> tuple[int, User, User, User]:
    """The biggest province, its hotline and provincial accounts, a national account, and turnout reports for the
    province's stations."""
    province_id = session.scalar(sa.select(PollingArea.province_id).group_by(PollingArea.province_id)
                                 .order_by(sa.func.count().desc()).limit(1))
    made = {}
    for name, role, place in (("bench_hotline", Role.HOTLINE, province_id), ("bench_province", Role.PROVINCE,
                                                                             province_id),
                              ("bench_hotline_qg", Role.ADMIN, None)):
        user = session.scalars(sa.select(User).where(User.username == name)).first()
        if user is None:
            user = User(username=name, role=role, province_id=place, password_hash="x",
                        created_at=datetime.now(VN_TZ))
            session.add(user)
        made[name] = user
    session.flush()
    election = elections.current_election(session)
    if session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 0:
        rng = random.Random(7)
        areas = session.scalars(sa.select(PollingArea.id).where(PollingArea.province_id == province_id)).all()
        rows = []
        codes: set[str] = set()
        for area_id in areas:
            for slot, share in ((9, 0.7), (11, 0.4)):
                if rng.random() < share:
                    while (code := receipts.generate()) in codes:
                        pass
                    codes.add(code)
                    at = datetime.combine(election.polling_date, datetime.min.time(), tzinfo=VN_TZ) + timedelta(
                        hours=slot, minutes=rng.randint(0, 14))
                    rows.append({"election_id": election.id, "polling_area_id": area_id,
                                 "slot_at": at.time().replace(minute=0), "version": 1, "is_latest": True,
                                 "status": ReportStatus.RECEIVED, "per_contest": False, "no_change": False,
                                 "reason": "", "client_uuid": uuid.uuid4(), "receipt": code, "channel": Channel.WEB,
                                 "submitted_by_id": made["bench_hotline"].id, "submitted_at": at})
        session.execute(sa.insert(TurnoutReport), rows)
    session.commit()
    return province_id, made["bench_hotline"], made["bench_province"], made["bench_hotline_qg"]


def timed(call, runs: int = 5) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url = database_url(args.db)
    if not args.reuse:
        regenerate(args.db, url)
    engine = make_engine(url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with Session(engine) as session:
        province_id, tongdai, tinh, national = add_reports(session)
        stations = session.scalar(sa.select(sa.func.count()).select_from(PollingArea)
                                  .where(PollingArea.province_id == province_id))
        election = elections.current_election(session)
        now = datetime.combine(election.polling_date, datetime.min.time(), tzinfo=VN_TZ) + timedelta(hours=11,
                                                                                                     minutes=20)
        print(f"{args.db}: province {province_id} with {stations:,} polling areas; "
              f"{session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)):,} turnout reports")
        for label, user in (("province hotline", tongdai), ("national administrator", national)):
            session.expire_all()
            statements.clear()
            found = calllist.call_list(session, user, now)
            count = len(statements)
            ms, found = timed(lambda u=user: calllist.call_list(session, u, now))
            print(f"  call list, {label}: {found.total:,} late, page of {len(found.rows)}: "
                  f"median {ms:.0f} ms, {count} statements")
        member = session.scalars(sa.select(TeamMember).join(PollingArea)
                                 .where(PollingArea.province_id == province_id)).first()
        receipt = session.scalar(sa.select(TurnoutReport.receipt).limit(1))
        for label, query in (("name, no diacritics", "khu vuc bo phieu so 7"), ("whole phone", member.phone),
                             ("last 6 digits of a phone", member.phone[-6:]), ("receipt", receipt)):
            ms, found = timed(lambda q=query: hotline.search_stations(session, tongdai, q))
            print(f"  search by {label}: {len(found.areas)} areas, median {ms:.0f} ms")
        statements.clear()
        ms, page = timed(lambda: queries.review_queue(session, tinh, queries.QueueFilters()))
        print(f"  review queue, province, first page: {page.total:,} waiting, median {ms:.0f} ms, "
              f"{len(statements) // 5} statements")
    engine.dispose()


if __name__ == "__main__":
    main()
