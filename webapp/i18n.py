"""Locale selection: the user's choice, then the ``lang`` cookie, then the browser, then Vietnamese."""

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, request
from flask_babel import get_locale, gettext, lazy_gettext, ngettext
from flask_login import current_user
from werkzeug.wrappers import Request

_ = gettext
_l = lazy_gettext
__all__ = ["_", "_l", "ngettext", "select_locale", "choose_locale", "init_app"]


def select_locale() -> str:
    return choose_locale(getattr(current_user, "locale", None) if current_user else None, request,
                         current_app.config)


def choose_locale(user_locale: str | None, req: Request, config: Mapping[str, Any]) -> str:
    """The one rule (also the quick poll's, ``webapp.progress.polling``, which answers before Flask-Login)."""
    languages = config["LANGUAGES"]
    if user_locale in languages:
        return user_locale  # type: ignore[return-value]
    cookie = req.cookies.get("lang")
    if cookie in languages:
        return cookie
    return req.accept_languages.best_match(languages) or config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals["get_locale"] = get_locale
