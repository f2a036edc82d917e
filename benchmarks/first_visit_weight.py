"""How many bytes a polling-team leader's phone downloads on the first visit (login page, signing in, the home
page, with everything they pull in, compressed), and how many on a later visit.

Usage: .venv/bin/python benchmarks/first_visit_weight.py [--json FILE]

Serves the demo from a fresh SQLite database on 127.0.0.1 behind a WSGI wrapper that counts the bytes of every
response as sent (status line, headers and body), and drives Debian's Chromium through Playwright like a person
(360×740). Budget (issue 4): the first visit at most 60 KB; a later visit downloads no part of the shell again.
Every request the page or its service worker makes is listed with its size, and summed by phase."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from webapp import create_app, migrate
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.db import make_engine
from webapp.seed import demo

BUDGET = 60 * 1024
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class Hit:
    phase: str
    method: str
    path: str
    status: int
    encoding: str
    body: int
    headers: int

    @property
    def total(self) -> int:
        return self.body + self.headers


@dataclass
class Meter:
    """WSGI middleware: the bytes of each response as the server writes them."""

    app: Callable[..., Iterable[bytes]]
    phase: str = "setup"
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def counting_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status.split()[0])
            seen["headers"] = len(f"HTTP/1.1 {status}\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in headers) + 2
            seen["encoding"] = dict(headers).get("Content-Encoding", "")
            return start_response(status, headers, exc_info)

        body = 0
        result = self.app(environ, counting_start)
        try:
            for chunk in result:
                body += len(chunk)
                yield chunk
        finally:
            if hasattr(result, "close"):
                result.close()
            path = environ.get("PATH_INFO", "") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
            # The service worker's own copy of the leader's pages for offline use is counted apart.
            phase = "offline copy of the leader's pages" if environ.get("HTTP_X_OFFLINE_WARM") else self.phase
            with self.lock:
                self.hits.append(Hit(phase, environ["REQUEST_METHOD"], path, seen.get("status", 0),
                                     seen.get("encoding", ""), body, seen.get("headers", 0)))


class Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


def serve() -> tuple[Meter, Callable[[], None], str]:
    folder = Path(tempfile.mkdtemp(prefix="baucu-weight-"))
    url = f"sqlite:///{folder}/weight.sqlite3"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "benchmark", Channel.CLI))
        demo.load_demo(session, datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
        session.commit()
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "weight-benchmark-secret-key-0123456789abcdef",
                      "REPORTING_CLOCK_OVERRIDE": "2026-03-15T11:35"})
    meter = Meter(app.wsgi_app)
    app.wsgi_app = meter  # type: ignore[method-assign]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        app.extensions["db"].engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)

    return meter, stop, f"http://127.0.0.1:{server.server_port}"


WARMED = """async () => {
  const links = [...document.querySelectorAll('#main a[href]')].map(a => new URL(a.href))
    .filter(u => u.origin === location.origin).map(u => u.pathname + u.search);
  for (const name of await caches.keys()) {
    if (!name.startsWith('pages-')) continue;
    const cache = await caches.open(name);
    const have = await Promise.all(links.map(p => cache.match(p)));
    if (have.every(Boolean)) return links.length;
  }
  return 0;
}"""


def settle(page: Any, seconds: float = 1.5) -> None:
    page.wait_for_load_state("networkidle")
    time.sleep(seconds)


def measure(chromium: str) -> dict[str, Any]:
    meter, stop, base = serve()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=base, viewport={"width": 360, "height": 740},
                                          device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN")
            page = context.new_page()
            meter.phase = "login page"
            page.goto("/login")
            page.evaluate("navigator.serviceWorker.ready")
            settle(page)
            meter.phase = "sign in + home page"
            page.fill("#username", "to01")
            page.fill("#password", demo.DEMO_PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_function("() => location.pathname === '/'")
            settle(page, 0.5)
            meter.phase = "offline copy of the leader's pages"
            deadline = time.monotonic() + 20
            while not page.evaluate(WARMED) and time.monotonic() < deadline:
                time.sleep(0.2)
            settle(page)
            page.close()
            meter.phase = "later visit (home page)"
            page = context.new_page()
            page.goto("/")
            settle(page)
            context.close()
            browser.close()
    finally:
        stop()
    return summarise(meter.hits)


def summarise(hits: list[Hit]) -> dict[str, Any]:
    phases: dict[str, dict[str, Any]] = {}
    for hit in hits:
        if hit.phase == "setup":
            continue
        phase = phases.setdefault(hit.phase, {"bytes": 0, "body_bytes": 0, "static_bytes": 0, "requests": []})
        phase["bytes"] += hit.total
        phase["body_bytes"] += hit.body
        if hit.path.startswith("/static/") and hit.status == 200:
            phase["static_bytes"] += hit.total
        phase["requests"].append({"method": hit.method, "path": hit.path, "status": hit.status,
                                  "encoding": hit.encoding, "bytes": hit.total})
    first = sum(phases.get(p, {}).get("bytes", 0) for p in ("login page", "sign in + home page"))
    first_bodies = sum(phases.get(p, {}).get("body_bytes", 0) for p in ("login page", "sign in + home page"))
    return {"phases": phases, "first_visit_bytes": first, "first_visit_body_bytes": first_bodies,
            "first_visit_with_offline_copy_bytes": first + phases.get("offline copy of the leader's pages", {}).get("bytes", 0),
            "later_visit_static_bytes": phases.get("later visit (home page)", {}).get("static_bytes", 0),
            "budget_bytes": BUDGET}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the measurements here too")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    result = measure(args.chromium)
    for name, phase in result["phases"].items():
        print(f"\n== {name}: {phase['bytes']:,} bytes ({phase['body_bytes']:,} of them bodies)")
        for r in phase["requests"]:
            print(f"  {r['bytes']:>7,}  {r['status']}  {r['encoding'] or '-':5}  {r['method']:4} {r['path'][:90]}")
    print(f"\nFirst visit (login page, sign in, home page, compressed, headers included): "
          f"{result['first_visit_bytes']:,} bytes = {result['first_visit_bytes'] / 1024:.1f} KB "
          f"(budget {BUDGET // 1024} KB); bodies alone {result['first_visit_body_bytes']:,} bytes")
    print(f"  plus the offline copy of the leader's pages: {result['first_visit_with_offline_copy_bytes']:,} bytes")
    print(f"Later visit: {result['later_visit_static_bytes']:,} bytes of static files downloaded")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    ok = result["first_visit_bytes"] <= BUDGET and result["later_visit_static_bytes"] == 0
    print("OK" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
