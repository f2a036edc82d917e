"""The cost of a sign-in: argon2 parameters before and after, and the time of the answer per account state.

    .venv/bin/python benchmarks/login_cost.py [--samples 40]

1. CPU and wall time of one argon2id verification with argon2-cffi's default parameters (RFC 9106
   low-memory: 64 MiB, t=3, p=4; what the app used before) and with the OWASP ones it uses now (19 MiB, t=2,
   p=1).
2. ``accounts.services.authenticate`` on a fresh SQLite database with the demo data, for an unknown
   account, an inactive one, one awaiting activation (code valid, expired, none yet) and an active one, all with a wrong
   secret: medians of interleaved samples, so that a loaded machine weighs on every state alike.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from webapp import migrate
from webapp.accounts import services
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import utcnow
from webapp.db import make_engine
from webapp.seed import demo


def hashing(samples: int) -> None:
    before = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
    after = services._hasher
    hashes = {name: hasher.hash("hoa-sen-do-2026") for name, hasher in (("before", before), ("after", after))}
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    wall: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(samples):
        for name, hasher in (("before", before), ("after", after)):
            c0, w0 = time.process_time(), time.perf_counter()
            hasher.verify(hashes[name], "hoa-sen-do-2026")
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    print("argon2id verification   parameters                 CPU median   wall median")
    for name, hasher in (("before", before), ("after", after)):
        params = f"m={hasher.memory_cost // 1024} MiB, t={hasher.time_cost}, p={hasher.parallelism}"
        print(f"  {name:<21} {params:<26} {statistics.median(cpu[name]) * 1000:7.1f} ms  "
              f"{statistics.median(wall[name]) * 1000:8.1f} ms")


def answer_times(samples: int) -> None:
    directory = tempfile.mkdtemp(prefix="login-cost-")
    url = f"sqlite:///{directory}/db.sqlite3"
    migrate.upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "benchmark", Channel.CLI))
        demo.load_demo(session, now)
        leader = session.query(User).filter_by(username="to01").one()
        for username, fields in (
            ("cho-kich-hoat", {"activation_code_hash": services.hash_secret("ACDE3467"),
                               "activation_expires_at": now + timedelta(days=3)}),
            ("het-han", {"activation_code_hash": services.hash_secret("ACDE3467"),
                         "activation_expires_at": now - timedelta(days=1)}),
            ("chua-co-ma", {}),
            ("da-khoa", {"password_hash": services.hash_secret(demo.DEMO_PASSWORD), "is_active": False}),
        ):
            session.add(User(username=username, role=Role.COMMUNE, province_id=leader.province_id,
                             commune_id=leader.commune_id, created_at=now, **fields))
        session.commit()
        states = {"unknown": "khong-ton-tai", "inactive": "da-khoa", "awaiting activation": "cho-kich-hoat",
                  "activation code expired": "het-han", "no code yet": "chua-co-ma", "active": "to01"}
        times: dict[str, list[float]] = {state: [] for state in states}
        for _ in range(samples):
            for state, username in states.items():
                t0 = time.perf_counter()
                services.authenticate(session, username=username, secret="sai-mat-khau", now=now)
                times[state].append(time.perf_counter() - t0)
                session.rollback()
    engine.dispose()
    print("authenticate(), wrong secret     median    p90")
    for state, values in times.items():
        values.sort()
        median, p90 = statistics.median(values), values[int(len(values) * 0.9)]
        print(f"  {state:<28} {median * 1000:6.1f} ms {p90 * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    hashing(args.samples)
    answer_times(args.samples)


if __name__ == "__main__":
    main()
