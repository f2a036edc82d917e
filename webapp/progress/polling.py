"""A progress page's version token, and the quick poll: a poll whose version is current answered 204 before Flask.

7,300 dashboards poll every 20 s on election day (365 requests a second, issue 14), and nearly every poll finds
nothing new. Through Flask such a poll cost the session and CSRF machinery, Flask-Login's account as an ORM object,
the commune's scope check and the version's statement. ``QuickPoll`` wraps the app's WSGI callable and answers a
fragment's poll (``?v=``) itself when it can, in one statement on one connection: the signed session cookie gives
the session's secret; the statement checks that the session is live exactly as every signed-in request does
(``accounts.services.live_session``: revoked, expired, deactivated are refused at once, on every node) and reads the
account's place with the version's state. Anything else — no session, a drill chosen, a reader's role missing, a
stale snapshot the poll should refresh, a version that changed — goes to Flask as before, which answers it in full.

The token is an HMAC under the app's secret key, so a version can only be matched by whoever was served the page:
the quick poll needs no scope check of its own (a place's token is never given to anyone outside it, and a change of
place ends the account's sessions). Nothing is kept per process: every poll reads the database's state.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from itsdangerous import BadData
from sqlalchemy.orm import Session
from werkzeug.wrappers import Request, Response

from webapp import db
from webapp.accounts.models import Role, User, UserSession
from webapp.accounts.services import live_session, secret_hash
from webapp.clock import VN_TZ, reporting_now, utcnow
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import Election, ReportTime
from webapp.htmx import is_fragment
from webapp.i18n import choose_locale
from webapp.progress.models import PlaceVersion, RefreshState
from webapp.progress.services import passed_deadline_select
from webapp.scope import Scope
from webapp.web import secure_headers

# The pages whose fragment polls itself (views.conditional): the nation, a province, a commune.
POLLED = re.compile(r"/progress/(?:(?P<level>province|commune)s/(?P<id>\d{1,18}))?\Z")
NATION = ("nation", 0)  # the nation's place in ``PlaceVersion``
READERS = (Role.COMMUNE, Role.PROVINCE, Role.ADMIN, Role.HOTLINE)  # who may read the progress pages
DRILL_KEY = "election_id"  # webapp.drills.views.SESSION_KEY: a drill's pages are answered by Flask, bound to it


@dataclasses.dataclass(frozen=True)
class PollState:
    """What decides whether a progress page changed, read in one statement: the election, its snapshot's version
    and time, the version at which the page's place last changed and when, the latest deadline passed and the
    latest report time reached."""

    election_id: int
    version: int | None  # None: never refreshed
    refreshed_at: datetime | None
    passed: datetime | None
    reached: time | None
    place_version: int | None = None  # None: the place never summarised
    changed_at: datetime | None = None

    @property
    def modified(self) -> datetime | None:
        """Last-Modified of the place's page: its figures' last change or the latest deadline passed."""
        stamps = [t for t in (self.changed_at or self.refreshed_at, self.passed) if t is not None]
        return max(stamps) if stamps else None


def _state_select(election: Any, now: Any, local_time: Any, level: Any, place_id: Any) -> sa.Select[Any]:
    e, rt = Election.__table__, ReportTime.__table__
    state, pv = RefreshState.__table__, PlaceVersion.__table__
    place = sa.and_(pv.c.election_id == e.c.id, pv.c.level == level, pv.c.place_id == place_id)
    return (sa.select(e.c.id, e.c.polling_date, state.c.version, state.c.refreshed_at,
                      pv.c.version.label("place_version"), pv.c.changed_at,
                      passed_deadline_select(e.c.id, now).scalar_subquery().label("passed"),
                      sa.select(sa.func.max(rt.c.at)).where(rt.c.election_id == e.c.id, rt.c.at <= local_time)
                      .scalar_subquery().label("reached_today"),
                      sa.select(sa.func.max(rt.c.at)).where(rt.c.election_id == e.c.id).scalar_subquery()
                      .label("last"))
            .select_from(e.outerjoin(state, state.c.election_id == e.c.id).outerjoin(pv, place))
            .where(e.c.id == election))


@functools.cache
def _quick_select() -> sa.Select[Any]:
    """The quick poll's one statement, built once per process (SQL, never rows): the real election's poll state,
    and the place of the account whose session is live."""
    users = sa.join(UserSession.__table__, User.__table__, UserSession.user_id == User.id)
    return (_state_select(working.real_election_id().correlate(None), sa.bindparam("now"),
                          sa.bindparam("local_time"), sa.bindparam("level"), sa.bindparam("place_id"))
            .add_columns(User.role, User.province_id, User.commune_id, User.polling_area_id, User.locale)
            .join(users, sa.true()).where(*live_session(sa.bindparam("hashed"), sa.bindparam("utcnow"))))


def _state_of(row: Any, now: datetime) -> PollState:
    day = now.astimezone(VN_TZ).date()
    reached = None if day < row.polling_date else (row.last if day > row.polling_date else row.reached_today)
    return PollState(row.id, row.version, row.refreshed_at, row.passed, reached, row.place_version, row.changed_at)


def place_of(path: str) -> tuple[str, int] | None:
    """The place whose version decides a progress page (its own: the nation, a province, a commune), from its
    path; None for any other path."""
    match = POLLED.match(path)
    if match is None:
        return None
    return (match["level"], int(match["id"])) if match["level"] else NATION


def poll_state(session: Session, now: datetime, place: tuple[str, int] = NATION) -> PollState:
    """The ``PollState`` of the election the session works in (``NoElection`` if none), for the page of ``place``.
    Read on the session's connection, not through the ORM: every table is filtered by the election here."""
    bound = working.bound_to(session)
    election = sa.literal(bound) if bound is not None else working.real_election_id().correlate(None)
    row = session.connection().execute(_state_select(election, now, now.astimezone(VN_TZ).time(),
                                                     sa.literal(place[0]), sa.literal(place[1]))).first()
    if row is None:
        raise elections.NoElection
    return _state_of(row, now)


def version_token(key: str | bytes, poll: PollState, where: Scope, locale: str, path: str,
                  args: Iterable[tuple[str, str]]) -> str:
    """The version of what a page shows. The version at which the page's own place last changed (``PlaceVersion``),
    not the snapshot's: a refresh that changed other places changes no page of this one. The reader's place (not
    the reader): users who see the same place see the same figures and the same links. Keyed by the app's secret,
    so that nobody can make the token of a page not served to them."""
    summarised = poll.version is not None
    parts = [poll.election_id if summarised else 0, (poll.place_version or 0) if summarised else 0,
             poll.passed or "", poll.reached,
             where.level, where.province_id, where.commune_id, locale, path,
             sorted((k, v) for k, v in args if k != "v")]
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, repr(parts).encode(), hashlib.sha256).hexdigest()[:24]


def stale(poll: PollState, config: Any) -> bool:
    """Whether the poll's request should refresh the snapshot after its answer (``views.refresh_after``): then
    Flask answers it. Never when a ``flask progress-refresher`` process refreshes (production)."""
    if not config.get("PROGRESS_REFRESH_AFTER_RESPONSE", True):
        return False
    ttl = timedelta(seconds=float(config.get("PROGRESS_REFRESH_SECONDS", 10)))
    return poll.version is None or poll.refreshed_at is None or poll.refreshed_at <= utcnow() - ttl


class QuickPoll:
    """The app's WSGI callable, answering a current poll 204 itself (the module's docstring says when)."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Any]) -> None:
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer = None
        if environ.get("REQUEST_METHOD") == "GET" and (place := place_of(environ.get("PATH_INFO", ""))):
            answer = self.answer(Request(environ), place)
        return (answer or self.wsgi_app)(environ, start_response)

    def answer(self, request: Request, place: tuple[str, int]) -> Response | None:
        wanted = request.args.get("v")
        cookie = request.cookies.get(self.app.config["SESSION_COOKIE_NAME"])
        if not wanted or not cookie or not is_fragment(request.headers):
            return None
        serializer = self.app.session_interface.get_signing_serializer(self.app)  # type: ignore[attr-defined]
        try:
            data = serializer.loads(cookie, max_age=int(self.app.permanent_session_lifetime.total_seconds()))
        except BadData:
            return None
        secret = data.get("_user_id")
        if not isinstance(secret, str) or DRILL_KEY in data:
            return None
        with self.app.app_context():
            now = reporting_now()
            params = {"now": now, "local_time": now.astimezone(VN_TZ).time(), "hashed": secret_hash(secret),
                      "utcnow": utcnow(), "level": place[0], "place_id": place[1]}
            database = db.get_db(self.app)
            try:
                with database.sessionmaker() as session:
                    options = {db.SQLITE_BEGIN: "DEFERRED"} if database.is_sqlite else {}
                    row = session.connection(execution_options=options).execute(_quick_select(), params).first()
            except sa.exc.DBAPIError:
                return None  # the database unavailable: Flask answers as it does for every page (errors.py)
            if row is None or row.role not in READERS:
                return None
            poll = _state_of(row, now)
            if stale(poll, self.app.config):
                return None
            locale = choose_locale(row.locale, request, self.app.config)
            token = version_token(self.app.secret_key or "", poll, Scope.of(row), locale, request.path,
                                  request.args.items(multi=True))
        if not hmac.compare_digest(wanted.encode(), token.encode()):  # any text a client sends, never a 500
            return None
        return headers_of(Response(status=204), token, poll)


def headers_of(response: Response, token: str, poll: PollState, *, fragment: bool = True) -> Response:
    """The version's headers of a progress answer (a 204 here or in Flask, a 304, a page)."""
    response.set_etag(f"{token}-f" if fragment else token, weak=True)
    if poll.modified is not None:
        response.last_modified = poll.modified
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    return secure_headers(response, signed_in=True)


def install(app: Flask) -> None:
    app.wsgi_app = QuickPoll(app, app.wsgi_app)  # type: ignore[method-assign]
