"""The election-day rehearsal (benchmarks/election_day.py) at CI size (300 polling areas): a test of the harness and of the invariants
(every acknowledged write stored once, through a worker killed and a graceful reload), not of speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import election_day

ROOT = Path(__file__).resolve().parent.parent

# The harness always runs on PostgreSQL (a national deployment's database): once, in the PostgreSQL pass.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="runs in the PostgreSQL pass (the harness needs PostgreSQL)")]


def test_a_compressed_day_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    url, drop = election_day.build_database(300, seed=7)
    try:
        out = tmp_path / "day.json"
        done = subprocess.run(
            # k = 20 keeps the peak of 300 stations within what the CI machine spares beside the other tests.
            [sys.executable, "benchmarks/election_day.py", "--db", url, "--compress", "20",
             "--window", "08:58-09:35,20:00-20:50", "--faults", "kill-worker,reload", "--return-share", "0.6",
             "--budget-seconds", "3", "--budget-requests", "200", "--json", str(out)],
            cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
        print(done.stdout)  # the harness's report, shown when an assertion below fails
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        day = json.loads(out.read_text())
    finally:
        drop()
    assert day["invariants_broken"] == []
    assert day["acknowledged"] == day["stored"] > 300 and day["duplicates"] == 0 and day["unacknowledged"] == 0
    operations = day["operations"]
    # The parts of the day the window holds were all played: turnout, the hotline's entries by phone, reviews,
    # polling dashboards, and in the evening count minutes with their photos, returns and corrections.
    for op in ("turnout", "turnout_by_phone", "review_confirm", "dashboard_open", "dashboard_poll", "count",
               "photo", "review_return", "count_again"):
        assert operations.get(op, {}).get("count", 0) > 0, (op, sorted(operations))
    # No request was refused for a reason of the harness's own making (scope, CSRF, a form it filled wrongly).
    for op, o in operations.items():
        refused = {kind: n for kind, n in o["errors"].items() if kind.startswith(("http:4", "client:"))}
        assert not refused, (op, refused)
    faults = [f["fault"] for w in day["windows"] for f in w["faults"]]
    assert faults.count("kill-worker") == 2 and faults.count("reload") == 2
    for key in ("k", "acknowledged", "stored", "duplicates", "errors", "p99_ms", "operations"):
        assert key in day
    assert all({"count", "p99_ms", "cpu_ms"} <= set(o) for o in operations.values())
    # Each budgeted operation was measured alone against the bare endpoint in the same run.
    budgets = day["budgets"]
    for op in ("turnout", "confirm", "progress_poll", "bare"):
        assert budgets[op]["requests"] > 0 and budgets[op]["failed"] == 0 and budgets[op]["cpu_ms"] > 0, budgets
