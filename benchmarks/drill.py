"""How long a drill of the synthetic national dataset takes to create, simulate, reset and delete (PostgreSQL).

    .venv/bin/python benchmarks/drill.py --areas 10000          # generates baucu_drill_bench, then measures
    .venv/bin/python benchmarks/drill.py --areas 72195          # the full national size
    .venv/bin/python benchmarks/drill.py --reuse                # measure again on the kept database
    .venv/bin/python benchmarks/drill.py --areas 72195 --database baucu_drill_national --generate-only

Side by side in one run, on the same database: the baseline (the bare copy of the rows a drill copies, ``CREATE
TABLE (LIKE … INCLUDING ALL)`` filled by ``INSERT … SELECT *`` with units, candidates, area links and voter
counts: what any copy of those rows costs, without the foreign keys and the id mapping), then
``create_drill`` for the whole country, the simulated stations of one province for the whole day (reports per
second), ``reset_drill`` (with those reports), and ``delete_drill``; and a drill of the biggest province.
Wall time and this process's CPU time are printed for each (the copy itself runs in PostgreSQL: its CPU is the
server's, shown as wall minus client CPU on an otherwise idle machine only).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp import models  # noqa: E402,F401 - every mapper
from webapp.audit import services as audit  # noqa: E402
from webapp.audit.models import Channel  # noqa: E402
from webapp.clock import VN_TZ, utcnow  # noqa: E402
from webapp.db import make_engine  # noqa: E402
from webapp.drills import services as drills  # noqa: E402
from webapp.drills import simulate  # noqa: E402
from webapp.elections import services as elections  # noqa: E402
from webapp.elections import working  # noqa: E402
from webapp.elections.models import PollingArea  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FLASK = str(ROOT / ".venv" / "bin" / "flask")


def url_of(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def generate(areas: int, name: str) -> None:
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    env = {**os.environ, "DATABASE_URL": url_of(name)}
    for args in (["db-upgrade"], ["gen-national", "--areas", str(areas)]):
        subprocess.run([FLASK, "--app", "wsgi", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


class Timer:
    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        self.seconds = wall
        print(f"{self.label:<58} wall {wall:8.2f} s   client CPU {cpu:7.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--areas", type=int, default=10000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--database", default="baucu_drill_bench",
                        help="PostgreSQL database on 127.0.0.1 (dropped and regenerated unless --reuse).")
    parser.add_argument("--generate-only", action="store_true", help="Generate the dataset, measure nothing.")
    parser.add_argument("--simulate-areas", type=int, default=500,
                        help="Simulated stations run for the whole day (the biggest province's first N).")
    args = parser.parse_args()
    if not args.reuse:
        started = time.perf_counter()
        generate(args.areas, args.database)
        print(f"gen-national --areas {args.areas}: {time.perf_counter() - started:.1f} s", flush=True)
    if args.generate_only:
        return
    engine = make_engine(url_of(args.database))
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "bench", Channel.CLI))
        real = elections.real_election(session)
        conn = session.connection()
        sizes = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in
                 ("polling_areas", "electoral_units", "candidates", "polling_area_units", "voter_counts")}
        print("dataset:", ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
        tables = ("electoral_units", "candidates", "polling_area_units", "voter_counts")
        for table in tables:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS bench_copy_{table}"))
            conn.execute(sa.text(f"CREATE TABLE bench_copy_{table} (LIKE {table} INCLUDING ALL)"))
        session.commit()
        with Timer("baseline: INSERT … SELECT * of the same rows (same indexes)"):
            for table in tables:
                session.connection().execute(sa.text(f"INSERT INTO bench_copy_{table} SELECT * FROM {table}"))
            session.commit()
        for table in tables:
            session.connection().execute(sa.text(f"DROP TABLE bench_copy_{table}"))
        session.commit()
        start = utcnow().astimezone(VN_TZ).replace(second=0, microsecond=0) - timedelta(minutes=100)
        with Timer("create_drill, whole country (commit included)"):
            drill = drills.create_drill(session, actor=None, source=real, province_id=None, starts_at=start,
                                        slot_minutes=10, reports=6, count_minutes=90)
            session.commit()
        biggest = session.execute(sa.select(PollingArea.province_id, sa.func.count()).group_by(
            PollingArea.province_id).order_by(sa.func.count().desc()).limit(1)).one()
        only = set(session.scalars(sa.select(PollingArea.id).where(PollingArea.province_id == biggest[0])
                                   .order_by(PollingArea.id).limit(args.simulate_areas)))
        with Timer(f"simulate: {len(only):,} stations, the whole day") as t:
            result = simulate.run_pass(session, drill, now=utcnow(), seed=1, only=only)
            session.commit()
        print(f"   {result.summary()}")
        print(f"   {(result.turnout + result.counts) / t.seconds:,.0f} reports per second")
        working.bind(session, None)
        with Timer("reset_drill, whole country (with those reports)"):
            drills.reset_drill(session, actor=None, drill=drill)
            session.commit()
        with Timer("delete_drill, whole country"):
            drills.delete_drill(session, actor=None, drill=drill)
            session.commit()
        with Timer(f"create_drill, biggest province ({biggest[1]:,} areas)"):
            province_drill = drills.create_drill(session, actor=None, source=real, province_id=biggest[0],
                                                 starts_at=start, slot_minutes=10)
            session.commit()
        with Timer("delete_drill, that province"):
            drills.delete_drill(session, actor=None, drill=province_drill)
            session.commit()
    engine.dispose()


if __name__ == "__main__":
    main()
