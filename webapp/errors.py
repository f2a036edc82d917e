"""Every error handler: a page, a fragment for htmx, or JSON for the API."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from webapp.extensions import login_manager
from webapp.htmx import is_fragment_request
from webapp.i18n import _
from webapp.scope import OutOfScope


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You do not have permission to do this."),
        404: _("Not found, or not within your area."),
        405: _("This action is not allowed here."),
        413: _("The file is too large."),
        422: _("Some entries are not valid. Please check and try again."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on the server. Your entries were not saved; please try again."),
        503: _("The server cannot reach its database right now. Your entries were not saved; please try again "
               "in a minute."),
    }


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


_API_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "payload_too_large", 429: "too_many_requests", 500: "internal",
              503: "unavailable"}

# What the database answers when it cannot be reached (connection refused or lost, file gone, locked).
DATABASE_UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError)


def without_database() -> None:
    """An error page never queries: a user not loaded yet (the database may be what failed) is anonymous for the
    rest of this request, so neither the layout, the locale selector nor the response headers load one."""
    if "_login_user" not in g:
        login_manager._update_request_context_with_user()


def render_error(code: int, message: str | None = None, *, error_code: str | None = None) -> Response:
    without_database()
    if request.path.startswith("/api/"):
        # The API's one error shape, also for what never reaches its blueprint (unknown path, wrong method).
        from webapp.api.problems import Problem, response

        problem = Problem(error_code or _API_CODES.get(code, "internal" if code >= 500 else "bad_request"))
        return response(code, [problem.as_json()])
    message = message or _messages().get(code, _messages()[500])
    if _wants_json():
        response = jsonify({"error": {"code": error_code or str(code), "message": message}})
        response.status_code = code
        return response
    template = "errors/_fragment.html" if is_fragment_request() else "errors/error.html"
    try:
        response = Response(render_template(template, code=code, message=message), code)
    except Exception:  # the layout itself failed: answer without touching the database
        response = Response(render_template("errors/500_standalone.html", message=message), code)
    response.vary.add("HX-Request")
    if code == 503:
        response.headers["Retry-After"] = "30"
    return response


def database_busy(exc: Exception) -> Response:
    """SQLite: another writer kept the lock past the busy timeout (db.unit_of_work tried again already).
    Nothing was stored; the client sends again (the outbox does so by itself)."""
    from webapp.db import continue_as_reader

    current_app.logger.warning("database busy: %s", exc)
    continue_as_reader()
    response = render_error(503, _("The server is busy. Your entries were not saved; please send them again in "
                                   "a moment."), error_code="busy")
    response.headers["Retry-After"] = "5"
    return response


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> Response:
        return render_error(400, _("Your session has expired. Please log in again and resend."),
                            error_code="csrf")

    @app.errorhandler(OutOfScope)
    def out_of_scope(_exc: OutOfScope) -> Response:
        return render_error(404)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return render_error(exc.code or 500)

    @app.errorhandler(OperationalError)
    def database_error(exc: OperationalError) -> Response:
        from webapp.db import is_locked

        return database_busy(exc) if is_locked(exc) else unhandled(exc)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception) -> Response:
        app.logger.exception("unhandled error", exc_info=exc)
        code = 503 if isinstance(exc, DATABASE_UNAVAILABLE) else 500
        try:
            return render_error(code)
        except Exception:
            return Response(render_template("errors/500_standalone.html", message=None), code)
