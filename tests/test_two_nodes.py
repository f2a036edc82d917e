"""Two app nodes behind nginx, configured with deploy/nginx as production is (issue 14 §3): one node is killed while
a leader's phone sends minutes, and nothing is lost, stored twice or seen stale through the other.

Each node is its own gunicorn master (its own processes and per-process caches); both use one database and one
Redis, as two machines would. nginx runs the repository's ``deploy/nginx`` files (linked, not copied) with only the
upstream addresses and the listening port of the test.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.submit_count import Leader
from tests.conftest import create_database
from tests.gunicorn_server import GunicornServer
from tests.nginx_proxy import NGINX, Nginx
from tests.reports.helpers import vn
from tests.test_restart import Browser, seed_demo

pytestmark = [pytest.mark.slow]
if not Path(NGINX).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("nginx is required in CI (scripts/test.sh installs nginx-light)")
    pytestmark.append(pytest.mark.skip(reason="nginx is not installed (CI installs it)"))


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    url, drop = create_database(os.environ.get("TEST_DATABASE_URL"), "nodes")
    try:
        GunicornServer(url).close()  # migrates
        seed_demo(url)
        yield url
    finally:
        drop()


@pytest.fixture
def nodes(database: str) -> Iterator[tuple[GunicornServer, GunicornServer, Nginx]]:
    env = {"WEBAPP_REPORTING_CLOCK_OVERRIDE": vn(20, 30).isoformat(), "TRUSTED_PROXIES": "1",
           "RATELIMIT_STORAGE_URI": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/5",
           "WEBAPP_RATELIMIT_KEY_PREFIX": f"nodes-{uuid.uuid4().hex[:8]}"}
    a = GunicornServer(database, workers=1, migrate=False, env=env).start()
    b = GunicornServer(database, workers=1, migrate=False, env=env).start()
    proxy = Nginx([a.port, b.port])
    try:
        yield a, b, proxy
    finally:
        proxy.close()
        a.close()
        b.close()


def test_one_node_killed_while_a_phone_sends_loses_nothing(nodes: tuple[GunicornServer, GunicornServer, Nginx],
                                                          database: str) -> None:
    a, b, proxy = nodes
    leader = Leader(proxy.port, "to01", area_id=_area(proxy))
    acknowledged: list[str] = []
    seen: list[int] = []
    stop = threading.Event()

    def phone() -> None:
        """The outbox: each minutes sent until acknowledged, with the same client_uuid each time."""
        while not stop.is_set():
            kind, body = leader.minutes()
            for _ in range(20):
                try:
                    status, _ = leader.client.request(
                        "POST", f"/api/v1/stations/{leader.area_id}/count/{kind}", json.dumps(body).encode(),
                        {"Content-Type": "application/json", "X-CSRFToken": leader.csrf})
                except OSError:
                    status = 0
                seen.append(status)
                if status in (200, 201):
                    acknowledged.append(body["client_uuid"])
                    break
                time.sleep(0.2)

    sender = threading.Thread(target=phone)
    sender.start()
    time.sleep(3)
    before = len(acknowledged)
    # The node dies at once, workers and all, as a machine that loses power.
    os.killpg(a.master.pid, signal.SIGKILL)
    time.sleep(4)
    stop.set()
    sender.join(60)
    leader.client.conn.close()
    assert before > 0 and len(acknowledged) > before, (before, len(acknowledged), seen[-20:])
    # nginx passed every request of the dead node to the other one: the phone never saw an error.
    assert set(seen) <= {200, 201}, sorted(set(seen))
    stored = _stored(b, acknowledged)
    assert stored == {u: 1 for u in acknowledged}


def test_the_nodes_agree_and_static_files_outlive_them(nodes: tuple[GunicornServer, GunicornServer, Nginx]) -> None:
    a, b, proxy = nodes
    leader = Leader(proxy.port, "to01", area_id=_area(proxy))
    kind, body = leader.minutes()
    status, raw = leader.client.request("POST", f"/api/v1/stations/{leader.area_id}/count/{kind}",
                                        json.dumps(body).encode(),
                                        {"Content-Type": "application/json", "X-CSRFToken": leader.csrf})
    assert status == 201
    receipt = json.loads(raw)["receipt"]
    leader.client.conn.close()
    # Both nodes answer the receipt the same, whichever stored it: no per-process state stands between them.
    answers = []
    for node in (a, b):
        browser = Browser(node.url, cookies=dict(leader.client.cookies))
        answer = browser.get(f"/api/v1/receipts/{receipt}", Accept="application/json")
        assert answer.status == 200, answer.body[:300]
        answers.append(json.loads(answer.body))
    assert answers[0] == answers[1]
    # Static files come from the proxy's disk, versioned ones kept a year, and outlive every node.
    page = Browser(proxy.url).get("/login").body
    css = page.split('href="/static/css/app.css?v=', 1)[1].split('"', 1)[0]
    a.stop()
    b.stop()
    answer = Browser(proxy.url).get(f"/static/css/app.css?v={css}")
    assert answer.status == 200 and "immutable" in (answer.header("Cache-Control") or "")
    assert Browser(proxy.url).get("/static/css/app.css").header("Cache-Control") == "no-cache"


def _area(proxy: Nginx) -> int:
    browser = Browser(proxy.url)
    browser.login()
    import re

    match = re.search(r'href="/reports/(\d+)/turnout"', browser.get("/").body)
    assert match
    return int(match.group(1))


def _stored(node: GunicornServer, uuids: list[str]) -> dict[str, int]:
    import sqlalchemy as sa

    from webapp.db import make_engine

    engine = make_engine(node.env["DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT CAST(client_uuid AS VARCHAR) FROM count_reports")).scalars().all()
    engine.dispose()
    wanted = {u.replace("-", ""): u for u in uuids}
    counts: dict[str, int] = {}
    for row in rows:
        key = str(row).replace("-", "")
        if key in wanted:
            counts[wanted[key]] = counts.get(wanted[key], 0) + 1
    return counts
