"""A blueprint of the JSON API that lives in a domain package (``webapp.review.api``, ``webapp.imports.api``…):
the same caller checks (token scopes, CSRF for a cookie session, the audit's API channel) and the same JSON
errors as the ``api`` blueprint itself."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint
from flask_login import current_user
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from webapp import scope
from webapp.accounts.models import Role
from webapp.api import auth, views
from webapp.api.problems import ApiError, Problem
from webapp.extensions import csrf

F = TypeVar("F", bound=Callable[..., Any])


def api_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    csrf.exempt(bp)  # auth.authenticate checks CSRF itself for every request not authenticated by a token
    bp.before_request(auth.authenticate)
    bp.register_error_handler(ApiError, views._api_error)
    bp.register_error_handler(scope.OutOfScope, views._domain_error)
    bp.register_error_handler(HTTPException, views._http_error)
    bp.register_error_handler(OperationalError, views._database_error)
    bp.register_error_handler(Exception, views._unhandled)
    return bp


def roles_allowed(*roles: Role) -> Callable[[F], F]:
    """Signed in (else 401) and one of ``roles`` (else 403 ``forbidden``), as JSON."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        @auth.login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                raise ApiError(403, Problem("forbidden"))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
