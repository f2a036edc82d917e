"""Versioned static URLs (``?v=<hash>``, cached for a year) and gzip for text responses.

Flask and Werkzeug do neither; a reverse proxy may also compress, and then it sees ``Content-Encoding`` and
leaves the body alone. Only the standard library is used (no brotli: it would be one more dependency for a few
per cent on top of gzip)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

YEAR = 365 * 24 * 3600
COMPRESSIBLE = {
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
    "application/json", "application/manifest+json", "image/svg+xml",
}
MIN_SIZE = 512
_versions: dict[Path, tuple[float, int, str]] = {}
_gzipped: dict[tuple[str, str], bytes] = {}


def asset_version(filename: str) -> str | None:
    """The first 10 hex digits of the file's sha256, or None when the file does not exist."""
    folder = Path(current_app.static_folder or "static")
    path = (folder / filename).resolve()
    if folder.resolve() not in path.parents:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    known = _versions.get(path)
    if known and known[:2] == (stat.st_mtime, stat.st_size):
        return known[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    _versions[path] = (stat.st_mtime, stat.st_size, digest)
    return digest


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "v" not in values and values.get("filename"):
        version = asset_version(values["filename"])
        if version:
            values["v"] = version


def _cache_static(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code != 200:
        return response
    filename = (request.view_args or {}).get("filename", "")
    if request.args.get("v") and request.args.get("v") == asset_version(filename):
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


def _gzip(response: Response) -> Response:
    if (
        response.status_code < 200 or response.status_code in (204, 206, 304)
        or "Content-Encoding" in response.headers or "Content-Range" in response.headers
        or response.mimetype not in COMPRESSIBLE or request.accept_encodings["gzip"] <= 0
    ):
        return response
    if response.is_streamed and not response.direct_passthrough:
        return response  # a generator (e.g. a large export): never buffer it here
    static = request.endpoint == "static" or response.direct_passthrough
    original = response.response
    etag, _weak = response.get_etag()
    key = (request.path, etag or "")
    body = _gzipped.get(key) if static and etag else None
    if body is None:
        response.direct_passthrough = False
        data = response.get_data()
        if len(data) < MIN_SIZE:
            return response
        body = gzip.compress(data, compresslevel=6, mtime=0)
        if static and etag:
            if len(_gzipped) > 256:
                _gzipped.clear()
            _gzipped[key] = body
    else:
        response.direct_passthrough = False
    response.set_data(body)
    if hasattr(original, "close"):
        original.close()  # a file wrapper for a static file
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    if etag:
        # A compressed body is another representation: a weak tag, as nginx does; Werkzeug compares
        # If-None-Match weakly, so revalidation still answers 304.
        response.set_etag(etag, weak=True)
    return response


# Files that are the same for everybody: they never carry the session cookie. Otherwise every one of them
# answers "Vary: Cookie" with a fresh Set-Cookie (the permanent session is refreshed on each request), so the
# browser's cache never matches them again, and a shared cache must not keep a response that sets a cookie.
SESSIONLESS = {"static", "service_worker", "manifest", "offline.service_worker_config", "offline.ping"}


class SessionlessStatic(SecureCookieSessionInterface):
    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.endpoint in SESSIONLESS:
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = SessionlessStatic()
    app.url_defaults(_add_version)
    # after_request functions run last-registered first: gzip must see the final body, so it goes first.
    app.after_request(_gzip)
    app.after_request(_cache_static)
