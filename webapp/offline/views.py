"""The outbox page, the service worker's configuration and the endpoints the outbox replay talks to.

Requests replayed from the outbox carry ``X-Outbox``. For them the server answers in a way that a script can
read: a redirect after success becomes ``200`` with ``X-Outbox-Ack`` and ``X-Outbox-Location`` (a fetch with
``redirect: "manual"`` could not see where a 303 points, nor tell it from a redirect to the login page), an
anonymous request gets ``401`` instead of a redirect to the login page, and a CSRF failure is marked
``X-Outbox-Error: csrf``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, session, url_for
from flask_babel import force_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from webapp.htmx import render
from webapp.offline import assets
from webapp.offline.js_text import JS_TEXT

bp = Blueprint("offline", __name__)
bp.record_once(lambda state: assets.init_app(state.app))
bp.record_once(lambda state: state.app.jinja_env.globals.update(js_text_url=lambda: js_text_url()))

SHELL_FILES = ("css/app.css", "js/app.js", "js/outbox.js", "js/checks.js", "js/readback.js", "js/draft.js", "js/photo.js",
               "icons/icon-192.png")
NO_STORE = "no-store"


def _htmx_file() -> str:
    vendor = Path(current_app.static_folder or "static") / "vendor"
    return "vendor/" + max(p.name for p in vendor.glob("htmx-*.min.js"))


def _strings(table: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _strings(value) if isinstance(value, Mapping) else str(value) for key, value in table.items()}


def _js_text() -> tuple[bytes, str]:
    """``self.APP_TEXT = {"vi": {script: {key: text}}, "en": …}`` from the catalog, and its version (built once per
    process: the catalog does not change while the app runs)."""
    cached = current_app.extensions.get("js_text")
    if cached is None:
        tables = {}
        for lang in current_app.config["LANGUAGES"]:
            with force_locale(lang):
                tables[lang] = _strings(JS_TEXT)
        body = ("self.APP_TEXT = " + json.dumps(tables, ensure_ascii=False, separators=(",", ":")) + ";\n").encode()
        cached = current_app.extensions["js_text"] = (body, assets.hashlib.sha256(body).hexdigest()[:10])
    return cached


def js_text_url() -> str:
    return url_for("offline.js_text", v=_js_text()[1])


def shell_urls() -> list[str]:
    """The versioned static URLs every page needs; the service worker keeps them."""
    files = (*SHELL_FILES[:1], _htmx_file(), *SHELL_FILES[1:])
    return [url_for("static", filename=name) for name in files] + [url_for("manifest"), js_text_url()]


def sw_config() -> dict[str, object]:
    shell = shell_urls()
    sw_version = assets.asset_version("sw.js") or ""
    version = assets.hashlib.sha256(("|".join(shell) + sw_version).encode()).hexdigest()[:10]
    return {
        "version": version,
        "shell": shell,
        "outbox": url_for("static", filename="js/outbox.js"),
        "text": js_text_url(),
        "offline": url_for("offline.fallback"),
    }


@bp.get("/outbox")
def outbox() -> Response:
    """What waits on this phone to be sent; filled from IndexedDB by outbox.js (works logged out too)."""
    return render("offline/outbox.html", "offline/_outbox.html")


@bp.get("/_/text.js")
def js_text() -> Response:
    """The strings of static/js in both languages (webapp/offline/js_text.py); kept by the service worker with the
    shell, so the pages and the outbox have them offline too."""
    body, version = _js_text()
    response = Response(body, mimetype="text/javascript")
    if request.args.get("v") == version:
        response.headers["Cache-Control"] = f"public, max-age={assets.YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.set_etag(version)
    return response.make_conditional(request)


@bp.get("/_/offline")
def fallback() -> Response:
    """The page the service worker shows offline for a page it has not kept."""
    return render("offline/offline.html", "offline/_outbox.html")


@bp.get("/_/sw-config.js")
def service_worker_config() -> Response:
    """The shell's versioned URLs for /sw.js (imported by it, so a new shell updates the worker)."""
    config = sw_config()
    body = "self.SW_CONFIG = " + json.dumps(config, separators=(",", ":")) + ";\n"
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(str(config["version"]))
    return response.make_conditional(request)


@bp.route("/_/ping", methods=["GET", "HEAD"])
def ping() -> Response:
    """Connectivity check: 204, never cached."""
    response = Response(status=204)
    response.headers["Cache-Control"] = NO_STORE
    return response


@bp.get("/_/csrf")
def csrf() -> Response:
    """The session's current CSRF token and user id, or 401 when nobody is signed in."""
    if not current_user.is_authenticated:
        response = jsonify({"error": "login"})
        response.status_code = 401
    else:
        response = jsonify({"csrf": generate_csrf(), "user": current_user.id})
    response.headers["Cache-Control"] = NO_STORE
    return response


def _is_outbox_request() -> bool:
    return bool(request.headers.get("X-Outbox")) and request.method == "POST"


@bp.before_app_request
def _outbox_needs_login() -> Response | None:
    if _is_outbox_request() and request.endpoint not in (None, "static") and not current_user.is_authenticated:
        response = jsonify({"error": "login"})
        response.status_code = 401
        response.headers["X-Outbox-Error"] = "login"
        return response
    return None


@bp.after_app_request
def _outbox_answer(response: Response) -> Response:
    if _is_outbox_request():
        response.headers["Cache-Control"] = NO_STORE
        if 300 <= response.status_code < 400 and response.location:
            location = response.location
            response.status_code = 200
            response.set_data(b"")
            del response.headers["Location"]
            response.headers["X-Outbox-Location"] = location
        if 200 <= response.status_code < 300:
            response.headers["X-Outbox-Ack"] = "1"
            if request.headers.get("X-Outbox") == "background":
                # Twenty reports sent in the background must not greet the leader with twenty flashes.
                session.pop("_flashes", None)
        elif response.status_code == 400 and not g.get("csrf_valid"):
            response.headers["X-Outbox-Error"] = "csrf"
    elif (
        request.method == "GET" and response.status_code == 200 and response.mimetype == "text/html"
        and current_user and current_user.is_authenticated
    ):
        # The service worker keeps only pages that say they were rendered for a signed-in user.
        response.headers["X-Offline-Page"] = "1"
    return response
