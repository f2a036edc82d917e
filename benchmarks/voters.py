"""Voters at scale (issue 15 §5), on PostgreSQL: generating one province's lists with ``gen-national --voters``,
the database size per million voters, and an area's list page and a name search at that size, each side by side
with the same query on a baseline table holding one commune's rows only (same indexes).

    .venv/bin/python benchmarks/voters.py --areas 8000 --province 79        # new database baucu_voters
    .venv/bin/python benchmarks/voters.py --reuse                            # measure again, do not regenerate

The dataset (``gen-national --areas N``) is made first and not timed; then ``gen-national --voters --province P``
runs under ``/usr/bin/time -v`` (niced: the machine is shared). Figures go to stdout; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
COUNTRY_VOTERS = 78_928_647
HCMC_VOTERS = 9_500_000


def flask(url: str, *args: str, timed: bool = False) -> str:
    env = {**os.environ, "DATABASE_URL": url}
    command = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *args]
    if timed:
        command = ["/usr/bin/time", "-v", "nice", "-n", "10", *command]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return done.stdout + done.stderr


def recreate(name: str) -> None:
    engine = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()


def timed(conn: sa.Connection, sql: str, params: dict, runs: int = 30) -> tuple[float, int]:
    """Median milliseconds of ``runs`` executions (after one warm-up) and the rows of the last one."""
    rows = conn.execute(sa.text(sql), params).fetchall()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = conn.execute(sa.text(sql), params).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), len(rows)


PAGE = ("SELECT id, stt, full_name, birth_date, gender, id_number, current_address, votes_na, votes_province, "
        "votes_commune, note, removed_at FROM {table} WHERE election_id = :e AND polling_area_id = :a "
        "ORDER BY stt LIMIT 50 OFFSET :offset")
AREA_SEARCH = ("SELECT id, stt, full_name FROM {table} WHERE polling_area_id = :a AND name_folded LIKE :q "
               "ORDER BY name_folded, stt LIMIT 50")
COMMUNE_SEARCH = ("SELECT v.id, v.stt, v.full_name FROM {table} v JOIN polling_areas p ON p.id = v.polling_area_id "
                  "WHERE p.commune_id = :c AND v.name_folded LIKE :q ORDER BY v.name_folded, v.stt LIMIT 50")


def measure(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        voters = conn.scalar(sa.text("SELECT count(*) FROM voter_list_entries"))
        table = conn.scalar(sa.text("SELECT pg_total_relation_size('voter_list_entries')"))
        heap = conn.scalar(sa.text("SELECT pg_relation_size('voter_list_entries')"))
        database = conn.scalar(sa.text("SELECT pg_database_size(current_database())"))
        print(f"voters: {voters:,}; voter_list_entries {table / 2**20:,.1f} MiB (heap {heap / 2**20:,.1f} MiB, "
              f"indexes {(table - heap) / 2**20:,.1f} MiB); database {database / 2**20:,.1f} MiB")
        if not voters:
            return
        per_million = table / voters * 1e6
        print(f"per million voters: {per_million / 2**20:,.1f} MiB; Ho Chi Minh City (9.5 M): "
              f"{per_million * HCMC_VOTERS / 1e6 / 2**30:,.2f} GiB; country (78.9 M): "
              f"{per_million * COUNTRY_VOTERS / 1e6 / 2**30:,.2f} GiB")
        # The biggest area and its commune; a surname + middle name prefix as people type it, without diacritics.
        area, election, commune, rows = conn.execute(sa.text(
            "SELECT v.polling_area_id, v.election_id, p.commune_id, count(*) FROM voter_list_entries v "
            "JOIN polling_areas p ON p.id = v.polling_area_id GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 1")).one()
        commune_rows = conn.scalar(sa.text("SELECT count(*) FROM voter_list_entries v JOIN polling_areas p ON "
                                           "p.id = v.polling_area_id WHERE p.commune_id = :c"), {"c": commune})
        conn.execute(sa.text("CREATE TEMP TABLE baseline AS SELECT v.* FROM voter_list_entries v JOIN polling_areas p "
                             "ON p.id = v.polling_area_id WHERE p.commune_id = :c"), {"c": commune})
        conn.execute(sa.text("CREATE UNIQUE INDEX ON baseline (election_id, polling_area_id, stt)"))
        conn.execute(sa.text("CREATE INDEX ON baseline (polling_area_id, name_folded)"))
        conn.execute(sa.text("ANALYZE baseline"))
        print(f"biggest area: {rows:,} voters; its commune: {commune_rows:,} voters (the baseline table)")
        params = {"e": election, "a": area, "c": commune, "offset": rows // 2, "q": "nguyen thi%"}
        print(f"{'query':<44} {'at scale':>10} {'baseline':>10} {'rows':>5}")
        for label, sql in (("area list page (50 rows, middle page)", PAGE), ("name search in the area", AREA_SEARCH),
                           ("name search in the commune", COMMUNE_SEARCH)):
            big, n = timed(conn, sql.format(table="voter_list_entries"), params)
            small, _n = timed(conn, sql.format(table="baseline"), params)
            print(f"{label:<44} {big:>8.2f} ms {small:>7.2f} ms {n:>5}")
        anywhere = {**params, "q": "%van hai%"}
        big, n = timed(conn, COMMUNE_SEARCH.format(table="voter_list_entries"), anywhere)
        small, _n = timed(conn, COMMUNE_SEARCH.format(table="baseline"), anywhere)
        print(f"{'name search in the commune, any part':<44} {big:>8.2f} ms {small:>7.2f} ms {n:>5}")
    engine.dispose()


def reports_at_scale(url: str, province: str) -> None:
    """The voter-change report and the preparation progress of the whole province, through the services the pages
    call, as its province account: the report read from the rows, then (after the jobs worker's snapshots are
    taken, timed) the same report read from the stored snapshots, side by side in one run."""
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    from webapp import create_app, db
    from webapp.accounts.models import User
    from webapp.clock import utcnow
    from webapp.elections import services as elections
    from webapp.voters import reports, snapshots
    from webapp.voters.models import VoterSnapshot

    app = create_app()
    with app.app_context():
        session = db.get_db().sessionmaker()
        user = session.scalars(sa.select(User).where(User.username == f"tinh{province}")).one()
        election, now = elections.current_election(session), utcnow()
        session.execute(sa.delete(VoterSnapshot).where(VoterSnapshot.election_id == election.id))
        session.commit()
        earlier = now - timedelta(days=30)

        def report(times: list) -> float:  # type: ignore[type-arg]
            started = time.perf_counter()
            reports.change_report(session, user, election, "province", user.province_id, times, now)
            return (time.perf_counter() - started) * 1000

        def progress() -> float:
            started = time.perf_counter()
            reports.progress_report(session, user, election, "province", user.province_id, now)
            return (time.perf_counter() - started) * 1000

        one, two, progress_rows = report([now]), report([earlier, now]), progress()
        started = time.perf_counter()
        snapshots.take(session, election, earlier, now=now, scheduled=True)
        snapshots.take(session, election, now, now=now, scheduled=False)
        session.commit()
        took = time.perf_counter() - started
        print(f"snapshots of every area at 2 moments taken (the jobs worker's work): {took:.1f} s")
        print(f"{'province report':<44} {'rows':>10} {'stored':>10}")
        print(f"{'change report, 1 snapshot':<44} {one:>7.0f} ms {report([now]):>7.0f} ms")
        print(f"{'change report, 2 snapshots':<44} {two:>7.0f} ms {report([earlier, now]):>7.0f} ms")
        print(f"{'preparation progress':<44} {progress_rows:>7.0f} ms {progress():>7.0f} ms")
        session.execute(sa.delete(VoterSnapshot).where(VoterSnapshot.election_id == election.id))
        session.commit()
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="baucu_voters")
    parser.add_argument("--areas", type=int, default=8000, help="polling areas of the dataset (72,195 = the country)")
    parser.add_argument("--province", default="31", help="the province whose voters are generated (the largest "
                        "of an 8,000-area dataset; 79 exists at full size)")
    parser.add_argument("--reuse", action="store_true", help="measure the existing database, do not regenerate")
    args = parser.parse_args()
    url = f"{SERVER}/{args.database}"
    if not args.reuse:
        recreate(args.database)
        flask(url, "db-upgrade")
        started = time.perf_counter()
        flask(url, "gen-national", "--areas", str(args.areas))
        print(f"dataset of {args.areas:,} areas: {time.perf_counter() - started:.1f} s (not part of the figure)")
        out = flask(url, "gen-national", "--voters", "--province", args.province, timed=True)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", out).group(1)
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out).group(1))
        made = re.search(r"([\d,]+) voters on the lists of ([\d,]+) polling areas committed", out)
        voters = int(made.group(1).replace(",", ""))
        parts = [float(p) for p in wall.split(":")]
        seconds = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)
        print(f"gen-national --voters --province {args.province}: {voters:,} voters in {made.group(2)} areas, "
              f"{seconds:.1f} s wall ({voters / seconds:,.0f} voters/s), peak RSS {rss / 1024:.0f} MiB; "
              f"9.5 M voters at this rate: {HCMC_VOTERS / (voters / seconds) / 60:.1f} min")
    measure(url)
    reports_at_scale(url, args.province)


if __name__ == "__main__":
    sys.exit(main())
