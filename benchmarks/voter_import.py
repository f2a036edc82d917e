"""Importing one commune's voter lists (Mẫu 31, CSV with a KVBP column) into a fresh database holding the demo,
side by side with the baseline of the same rows written with one bare Core INSERT (no parsing, no checks): what
the checks and the all-or-nothing import cost over just storing the rows.

    .venv/bin/python benchmarks/voter_import.py --rows 60000 [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import world_database
from webapp.accounts.models import User
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.db import make_engine
from webapp.elections.models import Gender, PollingArea
from webapp.elections.services import current_election
from webapp.seed import demo
from webapp.textnorm import fold
from webapp.voters import imports
from webapp.voters.models import VoterListEntry

NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)


def _csv(rows: int, areas: int) -> bytes:
    head = ["KVBP", "STT", "Họ và tên", "Ngày sinh", "Nam", "Nữ", "Số định danh cá nhân", "Dân tộc", "Nơi thường trú",
            "Nơi tạm trú", "Nơi ở hiện tại", "Bầu ĐBQH", "Bầu HĐND tỉnh", "Bầu HĐND xã", "Ghi chú"]
    lines = [",".join(head)]
    per_area = -(-rows // areas)
    for n in range(rows):
        area, stt = n // per_area + 1, n % per_area + 1
        lines.append(f"{area},{stt},Nguyễn Văn Cử Tri {n},01/02/{1940 + n % 60},{'x' if n % 2 else ''},"
                     f"{'' if n % 2 else 'x'},0790{n:08d},Kinh,{n} Lê Lợi Bến Thành,,{n} Lê Lợi Bến Thành,x,x,x,")
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url, drop = world_database(args.database_url, "voterbench", lambda s: demo.load_demo(s, NOW))
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            user = session.scalars(sa.select(User).where(User.username == "xa")).one()
            areas = session.scalars(sa.select(PollingArea).where(PollingArea.commune_id == user.commune_id)
                                    .order_by(PollingArea.number)).all()
            election = current_election(session)
            data = _csv(args.rows, len(areas))
            started = time.perf_counter()
            result = imports.import_voter_list(session, actor=Actor(user, Channel.WEB), election=election,
                                               filename="xa.csv", data=data, now=NOW, max_bytes=len(data) + 1,
                                               commune_id=user.commune_id, max_rows=args.rows + 10)
            session.commit()
            imported = time.perf_counter() - started
            started = time.perf_counter()
            again = imports.import_voter_list(session, actor=Actor(user, Channel.WEB), election=election,
                                              filename="xa.csv", data=data, now=NOW, max_bytes=len(data) + 1,
                                              commune_id=user.commune_id, max_rows=args.rows + 10)
            session.rollback()
            reimported = time.perf_counter() - started
            # Baseline: the same number of rows in a second election-less copy of the table's shape, bare INSERT.
            session.execute(sa.delete(VoterListEntry))
            per_area = -(-args.rows // len(areas))
            rows = [{"election_id": election.id, "polling_area_id": areas[n // per_area].id, "stt": n % per_area + 1,
                     "full_name": f"Nguyễn Văn Cử Tri {n}", "name_folded": fold(f"Nguyễn Văn Cử Tri {n}"),
                     "birth_date": date(1940 + n % 60, 2, 1), "gender": Gender.MALE, "id_number": f"0790{n:08d}",
                     "created_at": NOW} for n in range(args.rows)]
            started = time.perf_counter()
            for i in range(0, len(rows), 1000):
                session.execute(sa.insert(VoterListEntry), rows[i:i + 1000])
            session.commit()
            baseline = time.perf_counter() - started
        print(f"database: {engine.dialect.name}; rows: {result.rows} in {len(result.areas)} areas")
        print(f"import (read, check every row, write): {imported:.1f} s ({result.counts.created} created)")
        print(f"same file again (all unchanged):       {reimported:.1f} s ({again.counts.unchanged} unchanged)")
        print(f"baseline bare INSERT of the rows:      {baseline:.1f} s")
    finally:
        engine.dispose()
        drop()


if __name__ == "__main__":
    main()
