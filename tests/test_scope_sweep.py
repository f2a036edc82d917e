"""The scope sweep: every route, with every role, against objects outside the user's place.

Routes are read from ``app.url_map`` when the tests are collected, so a route added later is swept without anyone
touching this file, unless its URL names an object of a kind the sweep does not know yet: then the test fails and
asks for an entry in ``ID_SOURCES`` (which says how to find such an object outside a user's scope).

For a user below the national level an out-of-scope object must answer exactly as an object that does not exist
(404, or 403 when the role may never use the route, or 405) and the page must not name it.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import sweep_objects as made
from tests.conftest import csrf_token
from webapp import create_app, scope
from webapp.accounts import services as accounts
from webapp.accounts.models import User
from webapp.api.models import ApiToken
from webapp.audit.models import AuditEntry
from webapp.clock import utcnow
from webapp.elections.models import Candidate, Contest, Election, ElectoralUnit, PollingArea, TeamMember
from webapp.geo.models import Commune, Province
from webapp.jobs.models import Job
from webapp.reports.models import CountReport, ReportPhoto, TurnoutReport
from webapp.voters.models import VoterListEntry


@dataclasses.dataclass(frozen=True)
class Source:
    """How to find objects a URL parameter names: the model, which rows belong to a province (by id), the
    strings that would give such an object away, and the attribute that goes into the URL. ``make`` creates
    one at a given polling area (inside the test's transaction) for kinds the test world holds none of.
    ``in_province=None`` marks a kind that is the same for everyone (a contest): never out of scope."""

    model: type
    in_province: Callable[[int], Any] | None
    leaks: Callable[[Any], tuple[str, ...]] = lambda obj: ()
    attr: str = "id"
    make: Callable[[Session, PollingArea], Any] | None = None


def _area_in(column: Any) -> Callable[[int], Any]:
    return lambda pid: column.in_(sa.select(PollingArea.id).where(PollingArea.province_id == pid))


def _unit_in(column: Any) -> Callable[[int], Any]:
    return lambda pid: column.in_(sa.select(ElectoralUnit.id).where(ElectoralUnit.province_id == pid))


_AREA = Source(PollingArea, lambda pid: PollingArea.province_id == pid, lambda a: (a.code,))

# URL parameter name (or (endpoint, name) for a one-off meaning) -> where its objects come from.
ID_SOURCES: dict[str | tuple[str, str], Source] = {
    "area_id": _AREA,
    "polling_area_id": _AREA,
    "station_id": _AREA,
    "area_code": dataclasses.replace(_AREA, attr="code"),
    "unit_id": Source(ElectoralUnit, lambda pid: ElectoralUnit.province_id == pid, lambda u: (u.code,)),
    "candidate_id": Source(Candidate, _unit_in(Candidate.unit_id), lambda c: (c.full_name,)),
    "member_id": Source(TeamMember, _area_in(TeamMember.polling_area_id), lambda m: (m.full_name, m.phone)),
    "commune_id": Source(Commune, lambda pid: Commune.province_id == pid, lambda c: (c.name,)),
    "province_id": Source(Province, lambda pid: Province.id == pid, lambda p: (p.name,)),
    "user_id": Source(User, lambda pid: User.province_id == pid, lambda u: (u.username, u.full_name)),
    "contest_id": Source(Contest, None),
    "report_id": Source(CountReport, _area_in(CountReport.polling_area_id), lambda r: (r.receipt, r.witness_1),
                        make=made.count_report),
    ("api.get_receipt", "code"): Source(CountReport, _area_in(CountReport.polling_area_id),
                                        lambda r: (r.witness_1,), attr="receipt", make=made.count_report),
    "numbers_uuid": Source(CountReport, _area_in(CountReport.polling_area_id), lambda r: (r.receipt, r.witness_1),
                           attr="client_uuid", make=made.count_report),
    "turnout_id": Source(TurnoutReport, _area_in(TurnoutReport.polling_area_id), lambda r: (r.receipt,),
                         make=made.turnout_report),
    "photo_id": Source(ReportPhoto, lambda pid: ReportPhoto.count_report_id.in_(
        sa.select(CountReport.id).where(_area_in(CountReport.polling_area_id)(pid))), make=made.photo),
    "token_id": Source(ApiToken, lambda pid: ApiToken.user_id.in_(sa.select(User.id).where(User.province_id == pid)),
                       lambda t: (t.name,), make=made.api_token),
    "job_id": Source(Job, lambda pid: Job.owner_id.in_(sa.select(User.id).where(User.province_id == pid)),
                     lambda j: (j.params["filename"],), make=made.job),
    "drill_id": Source(Election, lambda pid: Election.drill_province_id == pid, lambda e: (e.code,),
                       make=made.drill),
    # An election (the real one or a drill) is the same for everyone; the report's place is scoped by its own id.
    **{(f"drillreport.{view}", "code"): Source(Election, None, attr="code") for view in ("page", "pdf", "workbook")},
    "voter_id": Source(VoterListEntry, _area_in(VoterListEntry.polling_area_id), lambda v: (v.full_name,),
                       make=made.voter_entry),
    "entry_id": Source(AuditEntry, lambda pid: AuditEntry.province_id == pid, lambda e: (e.actor_username,),
                       make=made.audit_entry),
}

# URL parameters that name no object of the election (per endpoint, so the name cannot hide one): why, and a
# value the route accepts.
NOT_OBJECTS: dict[tuple[str, str], tuple[str, str]] = {
    ("static", "filename"): ("a file under static/", "css/app.css"),
    ("set_language", "code"): ("a language code", "vi"),
    ("imports.export", "dataset"): ("a dataset name (the export itself is filtered by scope)", "polling_areas"),
    ("imports.template", "dataset"): ("a dataset name", "polling_areas"),
    ("imports.template", "fmt"): ("a file format", "xlsx"),
    ("api.submit_count", "contest"): ("a contest kind", "na"),
    ("imports_api.start_export", "dataset"): ("a dataset name (the export itself is filtered by scope)",
                                              "polling_areas"),
    # The report's kind: count minutes here; tests/api/test_review.py sweeps the turnout reports the same way.
    **{(f"review_api.{decision}", "kind"): ("a report kind", "count") for decision in ("confirm", "return", "reopen")},
}

# Reachable without signing in, each for a reason; every other route must send a stranger to /login.
PUBLIC = {
    "/login": "signing in",
    "/activate": "first sign-in with an activation code",
    "/static/": "files of the app shell",
    "/sw.js": "the service worker",
    "/manifest.webmanifest": "installing the app",
    "/favicon.ico": "the icon browsers ask for whatever the page links",
    "/lang/": "choosing the language before signing in",
    "/healthz": "the load balancer's health check",
    "/api/openapi.json": "the API description",
    "/outbox": "reports kept on the phone must stay visible after the session ends (filled by outbox.js)",
    "/_/offline": "the service worker's offline page",
    "/_/sw-config.js": "the service worker's list of shell files",
    "/_/text.js": "the scripts' strings in both languages, for the outbox and the login page too",
    "/_/ping": "connectivity check, 204 with no content",
    "/_/csrf": "the outbox asks for a fresh token; answers 401 to a stranger",
}


def is_public(rule: str) -> bool:
    return any(rule == path or (path.endswith("/") and rule.startswith(path)) for path in PUBLIC)


RESTRICTED = ["to01", "xa", "tinh", "tongdai", "hn_to01", "hn_xa", "hn_tinh", "hn_tongdai"]
NATIONAL = ["quantri", "tongdai_qg"]
HOME_PROVINCE, OTHER_PROVINCE = "79", "01"
MISSING = {"int": 2_000_000_000, "str": "zz-no-such-thing"}
SAFE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclasses.dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    methods: tuple[str, ...]
    params: dict[str, str]  # name -> "int" | "str"

    def objects(self) -> list[str]:
        return [p for p in self.params if (self.endpoint, p) not in NOT_OBJECTS]

    def url(self, values: dict[str, Any]) -> str:
        def fill(match: re.Match[str]) -> str:
            return str(values[match.group(2)])

        return re.sub(r"<(?:([\w]+)(?:\([^)]*\))?:)?(\w+)>", fill, self.rule)

    def __str__(self) -> str:
        return self.endpoint


def _routes() -> list[Route]:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "collect-only"})
    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        params = {
            name: "int" if converter in ("int",) else "str"
            for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule)
        }
        methods = tuple(m for m in SAFE_METHODS if m in (rule.methods or ()))
        routes.append(Route(rule.rule, rule.endpoint, methods, params))
    app.extensions["db"].engine.dispose()
    return routes


ROUTES = _routes()
OBJECT_ROUTES = [r for r in ROUTES if r.objects()]
PRIVATE_ROUTES = [r for r in ROUTES if not is_public(r.rule)]


def source_for(route: Route, param: str) -> Source:
    found = ID_SOURCES.get((route.endpoint, param)) or ID_SOURCES.get(param)
    if found is None:
        pytest.fail(
            f"Route {route.rule} ({route.endpoint}) takes <{param}>, which the scope sweep does not know. Add "
            f"{param!r} to ID_SOURCES in tests/test_scope_sweep.py (the model it names, how its rows belong to a "
            f"province, and the strings that would give one away), and make sure tests/world.py holds such an "
            f"object in both provinces; or, if it names no object, add ({route.endpoint!r}, {param!r}) to "
            f"NOT_OBJECTS.",
            pytrace=False,
        )
    return found


def _pk(model: type) -> Any:
    return sa.inspect(model).primary_key[0]


def _province_id(session: Session, code: str) -> int:
    return session.scalars(sa.select(Province.id).where(Province.code == code)).one()


def far_object(session: Session, source: Source, user: User) -> Any:
    """An object of the other province of the test world (Hà Nội for HCMC users, HCMC for everyone else)."""
    home = _province_id(session, HOME_PROVINCE)
    other = _province_id(session, OTHER_PROVINCE if user.province_id in (home, None) else HOME_PROVINCE)
    if source.make:
        return source.make(session, far_object(session, _AREA, user))
    obj = session.scalars(sa.select(source.model).where(source.in_province(other)).order_by(_pk(source.model))).first()
    if obj is None:
        pytest.fail(f"tests/world.py has no {source.model.__name__} in province {other}: add one for the sweep.")
    return obj


def near_object(session: Session, source: Source, user: User) -> Any | None:
    """An object of the user's own province that lies outside their commune or polling area, if any."""
    if user.province_id is None or scope.Scope.of(user).level <= scope.Level.PROVINCE:
        return None
    if source.make:
        area = near_object(session, _AREA, user)
        return source.make(session, area) if area else None
    return session.scalars(
        sa.select(source.model)
        .where(source.in_province(user.province_id), sa.not_(scope.visible(source.model, user)))
        .order_by(_pk(source.model))
    ).first()


def inside_object(session: Session, source: Source, user: User) -> Any | None:
    """An object the user may see (for a kind the same for everyone, the first one)."""
    if source.in_province is None:
        return session.scalars(sa.select(source.model).order_by(_pk(source.model))).first()
    if source.make:
        area = inside_object(session, _AREA, user)
        return source.make(session, area) if area else None
    return session.scalars(scope.select(source.model, user).order_by(_pk(source.model))).first()


def value_for(session: Session, route: Route, param: str, user: User) -> Any:
    """A value for ``param`` that is fine for ``user``: within their scope where they have one."""
    if (route.endpoint, param) in NOT_OBJECTS:
        return NOT_OBJECTS[(route.endpoint, param)][1]
    source = source_for(route, param)
    obj = inside_object(session, source, user) or far_object(session, source, user)
    return getattr(obj, source.attr)


_SIGNED_IN: dict[str, tuple[str, str]] = {}  # username -> (session cookie, CSRF token), per worker


_LASTING: dict[str, str] = {}  # username -> the secret of a signed-in session, per worker


@pytest.fixture(scope="session", autouse=True)
def lasting_sessions(app: Any) -> None:
    """A signed-in session of every account, committed before any test's transaction: one made through /login
    inside a test would end with the test's rollback, and a later test could not see one committed meanwhile
    (SQLite's snapshot)."""
    if _LASTING:
        return
    with Session(app.extensions["db"].engine) as session:
        for user in session.scalars(sa.select(User)):
            _LASTING[user.username] = accounts.start_session(session, user=user, now=utcnow(),
                                                             lifetime=timedelta(hours=36))
        session.commit()


def sign_in(client: FlaskClient, username: str) -> str:
    """Sign in once per worker and reuse that session."""
    if username not in _SIGNED_IN:
        with client.session_transaction() as cookie:  # what /login puts in the cookie
            cookie.permanent = True
            cookie["_user_id"], cookie["_fresh"] = _LASTING[username], True
        token = csrf_token(client, "/")  # puts the CSRF secret into the session cookie
        cookie = client.get_cookie("session")
        assert cookie is not None
        _SIGNED_IN[username] = (cookie.value, token)
    else:
        client.set_cookie("session", _SIGNED_IN[username][0])
    return _SIGNED_IN[username][1]


def call(client: FlaskClient, method: str, url: str, token: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": token})


def leaked(body: str, strings: tuple[str, ...]) -> list[str]:
    return [s for s in strings if s and re.search(r"(?<![\w-])" + re.escape(s) + r"(?![\w-])", body)]


def cases(session: Session, route: Route, user: User) -> list[tuple[str, dict[str, Any], str, Any, Source]]:
    """(label, URL values, the out-of-scope parameter, its object, its source), one parameter out at a time."""
    found = []
    for param in route.objects():
        source = source_for(route, param)
        if source.in_province is None:
            continue
        for label, obj in (("other province", far_object(session, source, user)),
                           ("same province", near_object(session, source, user))):
            if obj is None:
                continue
            values = {other: value_for(session, route, other, user) for other in route.params if other != param}
            values[param] = getattr(obj, source.attr)
            found.append((label, values, param, obj, source))
    return found


@pytest.mark.parametrize("username", RESTRICTED + NATIONAL)
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_out_of_scope_objects_answer_as_missing(client, db_session, w, route, username):
    """Another place's object answers like one that does not exist, and the page does not name it."""
    user = w.user(username)
    token = sign_in(client, username)
    national = username in NATIONAL
    absent_status: dict[tuple[str, str], int] = {}
    for label, values, param, obj, source in cases(db_session, route, user):
        url = route.url(values)
        missing_url = route.url({**values, param: MISSING[route.params[param]]})
        for method in route.methods:
            response = call(client, method, url, token)
            where = f"{method} {url} as {username} ({param} of the {label})"
            assert response.status_code < 500, f"{where} crashed: {response.status_code}"
            if national:
                continue
            body = response.get_data(as_text=True)
            assert response.status_code in (403, 404, 405), f"{where} answered {response.status_code}: {body[:300]}"
            if (method, missing_url) not in absent_status:
                absent_status[method, missing_url] = call(client, method, missing_url, token).status_code
            absent = absent_status[method, missing_url]
            assert response.status_code == absent, (
                f"{where} answered {response.status_code} but {absent} for an id that does not exist: "
                "the difference tells that the object exists"
            )
            assert not leaked(body, source.leaks(obj)), f"{where} names the object: {leaked(body, source.leaks(obj))}"


def test_every_url_parameter_is_known():
    """A new route cannot escape the sweep: each of its parameters names a known object or is declared not to."""
    unknown = [
        f"{route.rule} <{param}>"
        for route in ROUTES
        for param in route.objects()
        if (route.endpoint, param) not in ID_SOURCES and param not in ID_SOURCES
    ]
    assert not unknown, (
        "URL parameters the scope sweep does not know (add them to ID_SOURCES or NOT_OBJECTS in "
        f"tests/test_scope_sweep.py): {unknown}"
    )


def _any_values(session: Session, route: Route) -> dict[str, Any]:
    """Real values (whoever may see them), so that a route that looked the object up first would show it."""
    values: dict[str, Any] = {}
    for param, kind in route.params.items():
        source = ID_SOURCES.get((route.endpoint, param)) or ID_SOURCES.get(param)
        if (route.endpoint, param) in NOT_OBJECTS:
            values[param] = NOT_OBJECTS[(route.endpoint, param)][1]
        elif source is None:
            values[param] = 1 if kind == "int" else "x"  # test_every_url_parameter_is_known fails instead
        else:
            area = session.scalars(sa.select(PollingArea).order_by(PollingArea.id)).first()
            obj = source.make(session, area) if source.make else session.scalars(
                sa.select(source.model).order_by(_pk(source.model))).first()
            values[param] = getattr(obj, source.attr)
    return values


@pytest.mark.parametrize("route", PRIVATE_ROUTES, ids=str)
def test_anonymous_users_are_sent_to_login(client, db_session, route):
    """Everything but the public pages needs a signed-in user, whatever the method."""
    url = route.url(_any_values(db_session, route))
    token = csrf_token(client, "/login")
    for method in route.methods:
        response = call(client, method, url, token)
        if route.rule.startswith("/api/") and response.status_code == 401:
            continue
        assert response.status_code in (302, 303), f"{method} {url} answered {response.status_code} to a stranger"
        location = response.headers["Location"]
        assert re.match(r"(https?://[^/]+)?/login(\?|$)", location), f"{method} {url} sent a stranger to {location}"


def test_the_sweep_covers_the_object_routes():
    """Guards the discovery itself: the election's own pages are among the swept routes."""
    swept = {route.endpoint for route in OBJECT_ROUTES}
    assert {"elections.station", "elections.unit"} <= swept
