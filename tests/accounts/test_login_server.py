"""Sign-in under attack against a real server: gunicorn with two workers sharing the throttle in Redis,
clients on their own loopback source addresses (127.0.0.2, 127.0.0.3 …) over TCP."""

from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis

from tests import world
from tests.conftest import world_database
from webapp.config import LOGIN_THROTTLE_ACCOUNT

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.slow


class Device:
    """One browser: its own source address, cookie jar and (behind a proxy) forwarded address."""

    def __init__(self, port: int, source: str, forwarded_for: str | None = None) -> None:
        self.port, self.source, self.forwarded_for = port, source, forwarded_for
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str,
                form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, source_address=(self.source, 0), timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, dict(response.headers), text
        finally:
            conn.close()

    def refresh_token(self, path: str = "/login") -> None:
        status, _headers, html = self.request("GET", path)
        assert status == 200, status
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
        assert match
        self.token = match.group(1)

    def sign_in(self, username: str, password: str) -> tuple[int, dict[str, str]]:
        if not self.token:
            self.refresh_token()
        status, headers, _html = self.request("POST", "/login", {"username": username, "password": password,
                                                                 "csrf_token": self.token})
        if status == 303:
            self.token = ""  # a new session, a new CSRF token
        return status, headers

    def end_session(self) -> None:
        """The session is gone (signed out, or expired); what the device keeps is its device cookie."""
        self.cookies.pop("session")
        self.token = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_database() -> Iterator[str]:
    url, drop = world_database(os.environ.get("TEST_DATABASE_URL"), "login")
    yield url
    drop()


@contextmanager
def gunicorn(database_url: str, tmp: Path, trusted_proxies: int, storage: str = REDIS_URL) -> Iterator[int]:
    port, prefix = _free_port(), f"test-{uuid.uuid4().hex[:8]}/"
    env = {**os.environ, "DATABASE_URL": database_url, "RATELIMIT_STORAGE_URI": storage,
           "WEBAPP_RATELIMIT_KEY_PREFIX": prefix, "TRUSTED_PROXIES": str(trusted_proxies),
           "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "SECRET_KEY": "test-secret-" + "x" * 32}
    log = (tmp / f"gunicorn-{port}.log").open("wb")
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Device(port, "127.0.0.1").request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()[-3000:]
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


def test_a_thousand_wrong_passwords_do_not_keep_the_leader_out(server_database, tmp_path):
    with gunicorn(server_database, tmp_path, trusted_proxies=0) as port:
        known = Device(port, "127.0.0.3")
        assert known.sign_in("to01", world.PASSWORD)[0] == 303
        assert "login_device" in known.cookies
        known.end_session()

        attacker = Device(port, "127.0.0.2")
        answers: dict[int, list[float]] = {}
        started = time.monotonic()
        for i in range(1000):
            # A forged X-Forwarded-For changes nothing while no proxy is trusted.
            attacker.forwarded_for = f"10.{i % 250}.0.1"
            t0 = time.perf_counter()
            status, _headers = attacker.sign_in("to01", f"doan-mo-{i}")
            answers.setdefault(status, []).append(time.perf_counter() - t0)
        attack_seconds = time.monotonic() - started
        assert set(answers) == {422, 429}
        # Only the attempts let through are verified (argon2); every other one is refused at once.
        assert len(answers[422]) < 40 and len(answers[429]) > 960

        t0 = time.monotonic()
        assert known.sign_in("to01", world.PASSWORD)[0] == 303  # at once, from the known device
        known_seconds = time.monotonic() - t0

        new = Device(port, "127.0.0.4")
        t0, tries = time.monotonic(), 0
        while True:
            tries += 1
            status, headers = new.sign_in("to01", world.PASSWORD)
            if status != 429:
                break
            assert tries < 5
            time.sleep(int(headers["Retry-After"]))
        new_seconds = time.monotonic() - t0
        assert status == 303
        assert new_seconds < LOGIN_THROTTLE_ACCOUNT[1] + 3  # within the account's longest wait
        print(f"\n1000 wrong attempts in {attack_seconds:.1f} s: {len(answers[422])} verified (422, median "
              f"{statistics.median(answers[422]) * 1000:.0f} ms), {len(answers[429])} refused (429, median "
              f"{statistics.median(answers[429]) * 1000:.1f} ms); known device signed in after "
              f"{known_seconds * 1000:.0f} ms, a new device and address after {new_seconds:.1f} s "
              f"({tries} tries)")


def test_behind_a_proxy_one_address_failing_on_many_accounts_blocks_nobody_else(server_database, tmp_path):
    with gunicorn(server_database, tmp_path, trusted_proxies=1) as port:
        # Every request comes from the proxy (127.0.0.5), which appends the client's address; the attacker
        # also forges a header of its own naming a neighbour's address, which the proxy passes on.
        attacker = Device(port, "127.0.0.5", forwarded_for="203.0.113.7, 198.51.100.66")
        statuses = [attacker.sign_in(f"to{n % 12 + 1:02d}-26743" if n % 2 else f"xa{n}", "matkhau123")[0]
                    for n in range(300)]
        assert statuses.count(429) > 200  # the attacker's address is slowed down…
        # … and nobody else behind the proxy is: each signs in at once, on a device never seen before.
        for username, address in (("xa", "203.0.113.7"), ("tinh", "203.0.113.8"), ("to01", "203.0.113.9")):
            device = Device(port, "127.0.0.5", forwarded_for=address)
            assert device.sign_in(username, world.PASSWORD)[0] == 303


def test_with_its_storage_down_the_throttle_steps_aside(server_database, tmp_path):
    closed = f"redis://127.0.0.1:{_free_port()}/0"
    with gunicorn(server_database, tmp_path, trusted_proxies=0, storage=closed) as port:
        device = Device(port, "127.0.0.6")
        assert device.sign_in("xa", "sai-mat-khau")[0] == 422
        assert device.sign_in("xa", world.PASSWORD)[0] == 303
