"""A real gunicorn for tests: the project's ``gunicorn.conf.py`` and ``wsgi:app``, on a free 127.0.0.1 port.

    with GunicornServer(database_url, workers=2) as server:   # migrated with ``flask db-upgrade``, then started
        requests.get(server.url + "/healthz")
        server.restart()   # stop the master and start a new one: truly fresh processes, same port
        server.reload()    # HUP: the master replaces its workers gracefully

``env`` adds or overrides environment variables of every command and of the server (``WEBAPP_…`` settings,
``GUNICORN_THREADS``, …); ``options`` adds gunicorn command-line options (e.g. ``["--max-requests", "20"]``),
which win over the configuration file. ``host``, ``port`` and ``prefix`` place it elsewhere than a free
127.0.0.1 port: the rehearsal's nodes run each in a network namespace of its own (``prefix=["ip", "netns", "exec",
name]``, which execs, so the master is still this object's process), on that namespace's address. ``start_timeout`` bounds every wait for /healthz (a worker imports the app
in 2 s on a quiet machine, but in over 30 s when a dozen test runs share 2 cores). ``SECRET_KEY`` defaults to a fixed test key, so that a restarted server
accepts the cookies of the one before. The server's output is kept in ``server.log`` (a file) for assertions and
is printed when it fails to start. Every process is stopped (and the log removed) by ``close()``, on leaving the ``with`` block and at
interpreter exit; ``stop()`` only stops.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TEST_SECRET_KEY = "gunicorn-test-secret-key-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class GunicornServer:
    """One gunicorn master and its workers; see the module's docstring."""

    def __init__(self, database_url: str, *, workers: int = 2, env: Mapping[str, str] | None = None,
                 options: Sequence[str] = (), migrate: bool = True, start_timeout: float = 120.0,
                 host: str = "127.0.0.1", port: int | None = None, prefix: Sequence[str] = (),
                 root: Path = ROOT) -> None:
        self.root = root  # the tree whose app runs: another checkout's, for a benchmark's "before"
        self.host, self.port = host, port or free_port()
        self.url = f"http://{host}:{self.port}"
        self.options = list(options)
        self.prefix = list(prefix)
        self.start_timeout = start_timeout
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY,
                    "APP_ENV": "testing", "BIND": f"{host}:{self.port}", "WEB_CONCURRENCY": str(workers),
                    "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self._process: subprocess.Popen[bytes] | None = None
        atexit.register(self.close)
        if migrate:
            self.flask("db-upgrade")

    # --- commands ----------------------------------------------------------------------------------------

    def flask(self, *args: str) -> str:
        """``flask --app wsgi <args>`` with the server's environment; its output (raises if it fails)."""
        done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    # --- life cycle --------------------------------------------------------------------------------------

    def start(self) -> GunicornServer:
        if self._process is not None:
            raise RuntimeError("already started")
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                # No control socket: its default path is one per machine, shared by every gunicorn running.
                [*self.prefix, str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket", *self.options, "wsgi:app"],
                cwd=self.root, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the master (workers finish their requests), SIGKILL to the group if it hangs."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

    def close(self) -> None:
        """Stop, and remove the log file."""
        self.stop()
        self.log.unlink(missing_ok=True)

    def restart(self) -> None:
        """A new master with new workers, on the same port: nothing of the old processes survives."""
        self.stop()
        self.start()

    def reload(self) -> None:
        """Graceful reload (HUP): new workers are started with the new code, the old ones finish and exit."""
        old = set(self.worker_pids())
        self.master.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            pids = set(self.worker_pids())
            if pids and not pids & old:
                self.wait_ready()
                return
            time.sleep(0.1)
        raise TimeoutError(f"workers not replaced after HUP\n{self.output()}")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.master.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.master.returncode}\n{self.output()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"gunicorn did not answer /healthz in {self.start_timeout} s\n{self.output()}")

    # --- looking at it ------------------------------------------------------------------------------------

    @property
    def master(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("not started")
        return self._process

    def worker_pids(self) -> list[int]:
        """The master's live child processes (its workers)."""
        children = Path(f"/proc/{self.master.pid}/task/{self.master.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, _type: type[BaseException] | None, _exc: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.close()
