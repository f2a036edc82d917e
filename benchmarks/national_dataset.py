"""Generate the synthetic national dataset into a fresh database and measure it.

    .venv/bin/python benchmarks/national_dataset.py --db sqlite            # /tmp/national.sqlite3
    .venv/bin/python benchmarks/national_dataset.py --db postgres          # database baucu_national
    .venv/bin/python benchmarks/national_dataset.py --db sqlite --areas 10000

Prints the generator's wall time and peak RSS (``/usr/bin/time -v``), the database size and its biggest
tables, and the time of the scope queries behind the home page, the polling-area search and the station
page at that size. The database is recreated on every run and kept afterwards (``--reuse`` measures it
again without regenerating).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp.accounts.models import Role, User
from webapp.db import make_engine
from webapp.elections import services as elections
from webapp.elections.models import PollingArea
from webapp.home import services as home

SQLITE_PATH = "/tmp/national.sqlite3"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "baucu_national"
FLASK = str(ROOT / ".venv" / "bin" / "flask")


def database_url(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{SQLITE_PATH}"
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_NAME


def recreate(kind: str) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
        return
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{PG_NAME}"')
    admin.dispose()


def flask(url: str, *args: str, timed: bool = False) -> str:
    command = [FLASK, "--app", "wsgi", *args]
    if timed:
        command = ["/usr/bin/time", "-v", *command]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wal, peak_wal = Path(SQLITE_PATH + "-wal"), 0
    while process.poll() is None:  # the SQLite WAL holds the whole load until the commit's checkpoint
        peak_wal = max(peak_wal, wal.stat().st_size if wal.exists() else 0)
        time.sleep(0.2)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{output}")
    return output + f"\npeak WAL: {peak_wal}\n"


def generate(kind: str, url: str, areas: int) -> list[tuple[str, str]]:
    recreate(kind)
    flask(url, "db-upgrade")
    output = flask(url, "gen-national", "--areas", str(areas), timed=True)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", output)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", output)
    cpu = [float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", output)]
    committed = re.search(r"\[\s*([\d.]+) s\] Committed", output)
    done = re.search(r"\[\s*([\d.]+) s\] Done", output)
    rows = [
        ("gen-national wall time (incl. interpreter start-up)", wall.group(1) if wall else "?"),
        ("  generating + committing", f"{committed.group(1)} s" if committed else "?"),
        ("  ANALYZE (SQLite) / VACUUM (ANALYZE) (PostgreSQL)",
         f"{float(done.group(1)) - float(committed.group(1)):.1f} s" if done and committed else "?"),
        ("  CPU time of the generator process (user + sys)", f"{sum(cpu):.1f} s"),
        ("gen-national peak RSS", f"{int(rss.group(1)) / 1024:.0f} MiB" if rss else "?"),
        ("machine load at the end (1-minute average, 2 cores)", f"{os.getloadavg()[0]:.1f}"),
    ]
    peak_wal = re.search(r"peak WAL: (\d+)", output)
    if kind == "sqlite" and peak_wal:
        rows.append(("  peak WAL file during the load", _mib(int(peak_wal.group(1)))))
    return rows


def sizes(kind: str, engine: sa.Engine) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with engine.connect() as conn:
        if kind == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            files = [Path(SQLITE_PATH + s) for s in ("", "-wal", "-shm")]
            total = sum(f.stat().st_size for f in files if f.exists())
            rows.append(("database size (file + WAL + SHM, after checkpoint)", _mib(total)))
            tables = conn.exec_driver_sql(
                "SELECT m.tbl_name, SUM(s.pgsize) FROM dbstat s JOIN sqlite_master m ON m.name = s.name "
                "GROUP BY m.tbl_name ORDER BY 2 DESC LIMIT 6"
            ).all()
        else:
            total = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
            rows.append(("pg_database_size", _mib(total)))
            tables = conn.exec_driver_sql(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' "
                "AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 6"
            ).all()
        for name, size in tables:
            count = conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            rows.append((f"  {name} (with indexes), {count:,} rows", _mib(size)))
    return rows


def _mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def timed(session: Session, call: Callable[[], Any], runs: int = 7) -> str:
    call()  # warm the caches, as a busy server would have them
    samples = []
    for _ in range(runs):
        session.expunge_all()
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return f"{statistics.median(samples):7.1f} ms (max {max(samples):.1f})"


def query_times(engine: sa.Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        # The largest province and commune by polling areas: the worst case for their officials.
        province_id = session.execute(
            sa.select(PollingArea.province_id).group_by(PollingArea.province_id)
            .order_by(sa.func.count().desc()).limit(1)).scalar_one()
        commune_id = session.execute(
            sa.select(PollingArea.commune_id).group_by(PollingArea.commune_id)
            .order_by(sa.func.count().desc()).limit(1)).scalar_one()
        admin = User(username="bench", role=Role.ADMIN)
        province = session.scalars(sa.select(User).where(User.role == Role.PROVINCE,
                                                         User.province_id == province_id)).one()
        commune = session.scalars(sa.select(User).where(User.role == Role.COMMUNE,
                                                        User.commune_id == commune_id)).one()
        leader = session.scalars(
            sa.select(User).where(User.role == Role.LEADER, User.commune_id == commune_id)
            .order_by(User.id.desc()).limit(1)).one()
        last_code = session.scalar(sa.select(PollingArea.code).order_by(PollingArea.id.desc()).limit(1))
        area_id = leader.polling_area_id
        users = {"admin": admin, f"province {province.username}": province,
                 f"commune {commune.username}": commune, f"leader {leader.username}": leader}
        session.expunge_all()
        rows = [(f"area_summary, {label}", timed(session, lambda u=user: home.area_summary(session, u)))
                for label, user in users.items()]
        searches = [("admin", admin, ""), ("admin", admin, "so 17"), ("admin", admin, last_code),
                    ("admin", admin, "khong co"), ("province", province, "so 9"), ("commune", commune, "")]
        for label, user, query in searches:
            rows.append((f"search_areas, {label}, {query!r}",
                         timed(session, lambda u=user, q=query: elections.search_areas(session, u, q))))
        for label, user in (("leader", leader), ("admin", admin)):
            rows.append((f"station_overview, {label}",
                         timed(session, lambda u=user: elections.station_overview(session, u, area_id))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--areas", type=int, default=72_195)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the existing database, do not regenerate")
    args = parser.parse_args()
    url = database_url(args.db)
    rows: list[tuple[str, str]] = [("database", f"{args.db} ({url})"), ("polling areas", f"{args.areas:,}")]
    if not args.reuse:
        rows += generate(args.db, url, args.areas)
    engine = make_engine(url)
    rows += sizes(args.db, engine)
    rows += query_times(engine)
    engine.dispose()
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
