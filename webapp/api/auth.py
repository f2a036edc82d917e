"""Who calls the API: the browser's session (with its CSRF header on writes) or a personal token (Bearer).

The ``api`` blueprint is exempt from Flask-WTF's automatic check; ``authenticate`` below puts the check back for
every request that is not authenticated by a token, so that only token requests go without it (a token is
never sent by a browser on its own, so a forged cross-site request cannot carry one)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from webapp import db
from webapp.accounts.models import User
from webapp.api import tokens
from webapp.api.models import ApiToken
from webapp.api.problems import ApiError, Problem, error_response
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import utcnow
from webapp.extensions import csrf, login_manager
from webapp.web import client_ip

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


def bearer_secret() -> str | None:
    """The token of an ``Authorization: Bearer …`` header ("" when the header is there but malformed)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _token_for_request() -> ApiToken | None:
    if "api_token" not in g:
        secret = bearer_secret()
        g.api_token = tokens.authenticate(db.session, secret, utcnow()) if secret else None
    return g.api_token


def _load_user_from_request(_request: Any) -> User | None:
    """Flask-Login's request loader: a valid Bearer token on an API path logs its account in for this request
    only (nothing goes into the session)."""
    if not request.path.startswith("/api/"):
        return None
    token = _token_for_request()
    return token.user if token else None


def current_token() -> ApiToken | None:
    return g.get("api_token")


def authenticated_by_token() -> bool:
    return g.get("api_token") is not None and bearer_secret() is not None


def authenticate() -> None:
    """Before every API request: settle the caller, bind the audit actor, check CSRF for cookie sessions."""
    if bearer_secret() is not None:
        token = _token_for_request()
        if token is None:
            raise ApiError(401, Problem("invalid_token"), {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if not tokens.allows(token, request.method, request.path):
            raise ApiError(403, Problem("insufficient_scope"))
        if current_user.get_id() != token.user.get_id():
            # A session cookie came along too; the token, sent on purpose, decides who is calling.
            login_manager._update_request_context_with_user(token.user)
        if tokens.mark_used(db.session, token, utcnow()):
            db.session.commit()
    elif request.method not in SAFE_METHODS and current_user.is_authenticated:
        if None in request.form:  # a multipart part without a name: Flask-WTF's token lookup can't read it
            raise ApiError(400, Problem("bad_request"))
        try:
            csrf.protect()
        except CSRFError:
            raise ApiError(400, Problem("csrf"), {"X-Outbox-Error": "csrf"}) from None
    user = current_user if current_user.is_authenticated else None
    audit.bind(db.session, audit.AuditContext(
        actor_id=user.id if user else None, actor_username=user.username if user else "", channel=Channel.API,
        ip=client_ip(), session_id=None if authenticated_by_token() or user is None else user.session_id))


def require_scope() -> Response | None:
    """Before the API's reads outside the ``api`` blueprint (progress, results): a token's scopes must open the
    request (``authenticate`` checks it for the ``api`` blueprint itself)."""
    if bearer_secret() is None:
        return None
    # An Authorization header that names no live token is refused, as on the ``api`` blueprint: a caller that
    # meant to use a token must not be answered as the cookie's account instead.
    token = _token_for_request()
    if token is None:
        return error_response(ApiError(401, Problem("invalid_token"),
                                       {"WWW-Authenticate": 'Bearer error="invalid_token"'}))
    if not tokens.allows(token, request.method, request.path):
        return error_response(ApiError(403, Problem("insufficient_scope")))
    return None


def login_required(view: F) -> F:
    """401 (as JSON, with a Bearer challenge) instead of the pages' redirect to /login."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            raise ApiError(401, Problem("unauthenticated"), _CHALLENGE)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    login_manager.request_loader(_load_user_from_request)
