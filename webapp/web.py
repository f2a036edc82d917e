"""Request plumbing shared by every blueprint: login loading, audit context, roles, headers, filters."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, flash, g, redirect, request, send_from_directory
from flask_babel import format_datetime, format_decimal
from flask_login import current_user, login_required, login_url

from webapp import db
from webapp.accounts import services as accounts
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import election_now, to_local, utcnow
from webapp.extensions import login_manager
from webapp.i18n import _l
from webapp.reports import secrecy
from webapp.urls import safe_next

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Logged in, and one of ``roles``; anyone else gets 403 (their own data stays reachable elsewhere)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def client_ip() -> str:
    return (request.remote_addr or "")[:45]


def current_actor(channel: Channel | None = None) -> audit.Actor:
    """The signed-in user as the writer of this request's reports, with the channel and address bound for the
    request's audit entries; ``channel`` overrides the request's (PHONE: the hotline's entry by phone)."""
    bound = audit.context_of(db.session)
    return audit.Actor(current_user._get_current_object(), channel or bound.channel, bound.ip, bound.session_id)


def _load_user(secret: str) -> User | None:
    # Every request of a signed-in browser: the account and its session in one statement, so that a session
    # revoked or an account deactivated on any worker or node is refused at once.
    return accounts.session_user(db.session, secret, utcnow()) if secret else None


def _bind_audit() -> None:
    user = current_user if current_user and current_user.is_authenticated else None
    channel = Channel.API if request.path.startswith("/api/") else Channel.WEB
    audit.bind(
        db.session,
        audit.AuditContext(
            actor_id=user.id if user else None,
            actor_username=user.username if user else "",
            channel=channel,
            ip=client_ip(),
            session_id=user.session_id if user else None,
        ),
    )


def _viewer_area() -> int | None:
    user = g.get("_login_user")  # only once loaded: before that, nobody's own minutes are open
    return getattr(user, "polling_area_id", None) if user is not None and user.is_authenticated else None


def _bind_seal() -> None:
    """Every request reads under the early-vote seal (webapp.reports.secrecy)."""
    secrecy.bind(db.session, clock=election_now, viewer_area=_viewer_area)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
}


def secure_headers(response: Response, *, signed_in: bool) -> Response:
    """Every answer's security headers (also the quick poll's, ``webapp.progress.polling``)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if signed_in:
        # Personal pages are never kept by shared caches; the service worker decides what to keep.
        response.headers.setdefault("Cache-Control", "private, no-cache")
    return response


def _security_headers(response: Response) -> Response:
    return secure_headers(response, signed_in=bool(current_user and getattr(current_user, "is_authenticated", False)))


def local_dt(value: datetime | None, fmt: str = "HH:mm dd/MM/yyyy") -> str:
    return format_datetime(to_local(value), fmt) if value else ""


def number(value: int | None) -> str:
    return "" if value is None else format_decimal(value)


ROLE_LABELS = {
    Role.LEADER: _l("Polling team leader"),
    Role.COMMUNE: _l("Commune official"),
    Role.PROVINCE: _l("Provincial election committee"),
    Role.HOTLINE: _l("Hotline"),
    Role.ADMIN: _l("National administrator"),
    Role.INTEGRATION: _l("Integration (API)"),
}


TEAM_ROLE_LABELS = {
    "leader": _l("Team leader"),
    "deputy": _l("Deputy leader"),
    "secretary": _l("Secretary"),
    "member": _l("Member"),
}


def _unauthorized() -> Response:
    # The API answers a stranger 401 in its own error shape (as its document says); pages send them to sign in.
    if request.path.startswith("/api/"):
        abort(401)
    flash(str(login_manager.login_message), login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    app.before_request(_bind_audit)
    app.before_request(_bind_seal)
    app.after_request(_security_headers)
    app.jinja_env.filters["local_dt"] = local_dt
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["team_role"] = lambda value: TEAM_ROLE_LABELS.get(value, value)
    app.jinja_env.globals["ROLE_LABELS"] = ROLE_LABELS
    app.jinja_env.globals["Role"] = Role

    @app.get("/sw.js")
    def service_worker() -> Response:
        response = send_from_directory(current_app.static_folder or "static", "sw.js", max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Service-Worker-Allowed"] = "/"
        return response

    @app.get("/manifest.webmanifest")
    def manifest() -> Response:
        response = send_from_directory(current_app.static_folder or "static", "manifest.webmanifest")
        response.mimetype = "application/manifest+json"
        return response

    @app.get("/lang/<code>")
    def set_language(code: str) -> Response:
        """Switch the interface language (a cookie, and the account's preference when logged in)."""
        if code not in current_app.config["LANGUAGES"]:
            abort(404)
        response = redirect(safe_next(request.args.get("next")), 303)
        response.set_cookie("lang", code, max_age=365 * 86400, samesite="Lax", httponly=True)
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}
