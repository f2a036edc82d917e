"""What a test database costs: made as the fixtures made it before (the migration chain, then the test world
built) and as ``tests.conftest.world_database`` makes it now (a copy of a template migrated and built once per
process), interleaved in one run.

    .venv/bin/python benchmarks/test_databases.py [--db sqlite|postgres] [--samples 6]

The first copy pays for the templates (one migration, one build); the medians are taken over the others, and the
total over all of them. CPU is this process's (PostgreSQL's own work is not in it); wall is what a test waits.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import Session  # noqa: E402

from tests import world  # noqa: E402
from tests.conftest import create_database, world_database  # noqa: E402
from webapp import migrate  # noqa: E402
from webapp.audit import services as audit  # noqa: E402
from webapp.audit.models import Channel  # noqa: E402
from webapp.db import make_engine  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def migrated_and_built(base_url: str | None) -> tuple[str, object]:
    """The way before: every fixture ran the whole migration chain and built the world."""
    url, drop = create_database(base_url, "bench_old")
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        world.build(session)
        session.commit()
    engine.dispose()
    return url, drop


def copied(base_url: str | None) -> tuple[str, object]:
    return world_database(base_url, "bench_new")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--samples", type=int, default=6)
    args = parser.parse_args()
    base = POSTGRES if args.db == "postgres" else None
    times: dict[str, list[tuple[float, float]]] = {"migrated and built": [], "copied": []}
    drops = []
    for _ in range(args.samples):
        for name, make in (("migrated and built", migrated_and_built), ("copied", copied)):
            wall, cpu = time.perf_counter(), time.process_time()
            _url, drop = make(base)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
            drops.append(drop)
    for drop in drops:
        drop()
    print(f"{args.db}, {args.samples} databases each way")
    for name, samples in times.items():
        rest = samples[1:]
        print(f"  {name:20} median {statistics.median(w for w, _ in rest) * 1000:6.0f} ms wall "
              f"{statistics.median(c for _, c in rest) * 1000:6.0f} ms CPU; total {sum(w for w, _ in samples):5.1f} s "
              f"wall {sum(c for _, c in samples):5.1f} s CPU (first {samples[0][0]:.1f} s wall)")


if __name__ == "__main__":
    main()
