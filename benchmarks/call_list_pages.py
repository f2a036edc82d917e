"""The hotline's call list at national scale: the first page against a deep page, keyset (this tree) side by side
with the OFFSET-style list it replaced (``webapp/hotline/calllist.py`` at ``--baseline``, loaded from git), in
one run on one database.

    .venv/bin/flask --app wsgi db-upgrade && .venv/bin/flask --app wsgi gen-national     # DATABASE_URL as below
    .venv/bin/python benchmarks/call_list_pages.py --url sqlite:////tmp/s4_calllist.sqlite3

Turnout reports are added as in benchmarks/review_hotline.py (the biggest province: 70% sent 09:00, 40% 11:00),
then at 11:20 on polling day the national account's list (every other province silent all day) is read: page 1
and the deepest page, each timed as the median of ``--runs`` calls, wall and CPU time of this process (SQLite
runs inside it; with PostgreSQL the server's CPU is not counted). The deep page's rows are checked equal in
both implementations.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from review_hotline import add_reports  # noqa: E402

from webapp.clock import VN_TZ  # noqa: E402
from webapp.db import make_engine  # noqa: E402
from webapp.elections import services as elections  # noqa: E402
from webapp.hotline import calllist  # noqa: E402


def baseline_module(ref: str):  # type: ignore[no-untyped-def]
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:webapp/hotline/calllist.py"], check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp(prefix="calllist-baseline-")) / "calllist_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("calllist_baseline", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["calllist_baseline"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def timed(call, runs: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="sqlite:////tmp/s4_calllist.sqlite3")
    parser.add_argument("--baseline", default="3e7c3cf", help="git ref of the OFFSET-style call list")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    old = baseline_module(args.baseline)
    engine = make_engine(args.url)
    with Session(engine) as session:
        _province, _hotline, _tinh, national = add_reports(session)
        election = elections.current_election(session)
        now = datetime.combine(election.polling_date, datetime.min.time(), tzinfo=VN_TZ) + timedelta(hours=11,
                                                                                                     minutes=20)
        first = old.call_list(session, national, now)
        deepest = first.pages
        before_deepest = old.call_list(session, national, now, deepest - 1).rows[-1]
        cursor = str(calllist.Cursor(before_deepest.overdue_since, before_deepest.code))
        print(f"{engine.dialect.name}: {first.total:,} late stations, {deepest:,} pages of {calllist.PAGE_SIZE}; "
              f"median of {args.runs}, wall / CPU of this process")
        cases = (
            ("offset (baseline), page 1", lambda: old.call_list(session, national, now, 1)),
            (f"offset (baseline), page {deepest:,}", lambda: old.call_list(session, national, now, deepest)),
            ("keyset, page 1", lambda: calllist.call_list(session, national, now)),
            (f"keyset, page {deepest:,} (after its cursor)", lambda: calllist.call_list(session, national, now,
                                                                                      after=cursor)),
        )
        results = {}
        for label, call in cases:
            session.expire_all()
            wall, cpu, found = timed(call, args.runs)
            results[label] = found
            print(f"  {label:42} {wall:7.0f} ms wall {cpu:7.0f} ms CPU  ({len(found.rows)} rows)")
        old_deep, new_deep = (results[label].rows for label, _ in (cases[1], cases[3]))
        same = [r.code for r in old_deep] == [r.code for r in new_deep]
        print(f"  deepest page identical in both: {same}")
    engine.dispose()


if __name__ == "__main__":
    main()
