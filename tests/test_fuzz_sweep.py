"""Hostile input on every route and every form, as every role: never a 5xx, and nothing half-written.

Routes come from the scope sweep's discovery of ``app.url_map`` (tests/test_scope_sweep.py), with its test world
and its way of filling URL parameters with objects the role may see. Forms are discovered the way a browser
finds them: each page is fetched as the role and every ``<form>`` on it is sent back with hostile values in
each of its fields, with a valid CSRF token, so a form added later is fuzzed without anyone touching this file.
Query parameters are the names the app's code reads (``request.args.get("…")``, ``query_int("…")``) plus the
fields of GET forms. The values are those that crashed the app once: ids past the database's INTEGER, Unicode
digits, 5,000 digits, NUL and other control characters, times like ``25:99``, impossible dates, long text,
missing, duplicated and wrongly typed fields (a file where text is expected)."""

from __future__ import annotations

import io
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import ARTIFACTS, csrf_token
from tests.test_scope_sweep import (  # lasting_sessions: the signed-in sessions sign_in reuses
    ROUTES,
    Route,
    is_public,
    lasting_sessions,  # noqa: F401
    sign_in,
    value_for,
)

ROLES = ("to01", "xa", "tinh", "tongdai", "quantri")  # leader, commune, province, hotline, administrator
ANONYMOUS = "anonymous"
HOSTILE_IDS = ("2147483648", "9223372036854775808", "9" * 40, "٣", "²", "0")
HOSTILE_NAMES = ("%00", "..%2F..%2Fx", "x" * 300, "%E2%80%AE")
HOSTILE = ("Nguyễn\x00Văn", "\x1b[2J\x7f\x08", "x" * 5000, "٣٤٥", "1" * 5000, "2147483648", "-1", "25:99",
           "2026-13-45")
HOSTILE_QUERY = ("\n", "2147483648", "9" * 5000, "٣", "x")
# Rows whose count must not change when a request is refused.
TABLES = ("users", "api_tokens", "audit_entries", "report_times", "polling_areas", "team_members", "call_logs",
          "turnout_reports", "count_reports", "count_votes", "report_photos", "review_actions")
QUERY_NAMES = tuple(sorted({
    name
    for path in (Path(__file__).resolve().parent.parent / "webapp").rglob("*.py")
    for name in re.findall(r"(?:args\.get|query_int)\(\s*\"(\w+)\"", path.read_text(encoding="utf-8"))
}))
# Routes whose answer is a file made per request (PDF): fetched once with hostile values, not once per value.
EXPENSIVE = re.compile(r"\.pdf$|/batch")

_FUZZED_FORMS: set[tuple[str, str, tuple[str, ...]]] = set()  # (role, action, fields), once per worker
_STATS: dict[str, Any] = {"requests": 0, "seconds": 0.0}


class Fuzzer:
    """Sends one role's requests, re-presenting its session before each (a fuzzed logout form must not end
    the rest of the sweep), and checks each answer."""

    def __init__(self, client: FlaskClient, session: Session, role: str) -> None:
        self.client, self.session, self.role = client, session, role
        if role == ANONYMOUS:
            self.token = csrf_token(client, "/login")
            self.cookie = client.get_cookie("session").value  # type: ignore[union-attr]
        else:
            self.token = sign_in(client, role)
            self.cookie = client.get_cookie("session").value  # type: ignore[union-attr]

    def counts(self) -> tuple[int, ...]:
        row = self.session.execute(sa.text("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in TABLES)))
        return tuple(row.one())

    def send(self, method: str, url: str, data: Any = None, what: str = "") -> Any:
        self.client.set_cookie("session", self.cookie)
        before = self.counts() if method != "GET" else None
        started = time.process_time()
        if method == "GET":
            response = self.client.get(url)
        else:
            response = self.client.open(url, method=method, data=data)
        response.get_data()  # read the whole answer, then close it (files are sent as streams)
        response.close()
        _STATS["requests"] += 1
        _STATS["seconds"] += time.process_time() - started
        where = f"{method} {url[:200]} as {self.role}{' (' + what + ')' if what else ''}"
        assert response.status_code < 500, f"{where} answered {response.status_code}"
        if before is not None and response.status_code >= 400:
            assert self.counts() == before, f"{where} was refused ({response.status_code}) but wrote rows"
        return response


def _url(session: Session, route: Route, role: str, **override: str) -> str:
    user_role = "quantri" if role == ANONYMOUS else role
    from tests.world import World

    user = World(session).user(user_role)
    values = {param: value_for(session, route, param, user) for param in route.params}
    values.update(override)
    return route.url(values)


def _forms(html: str, page_url: str) -> Iterator[tuple[str, str, list[tuple[str, str, str]]]]:
    """(method, action, [(name, kind, value)]) of each form of a page."""
    soup = BeautifulSoup(html, "html.parser")
    for form in soup.find_all("form"):
        action = urllib.parse.urljoin(page_url, form.get("action") or page_url)
        if urllib.parse.urlsplit(action).netloc not in ("", "localhost"):
            continue
        fields = []
        for element in form.find_all(["input", "select", "textarea"]):
            name = element.get("name")
            if not name:
                continue
            kind = element.get("type", "text") if element.name == "input" else element.name
            value = element.get("value", "") if element.name == "input" else element.get_text()
            if element.name == "select":
                option = element.find("option", selected=True) or element.find("option")
                value = option.get("value", option.get_text()) if option else ""
            fields.append((name, kind, value))
        yield (form.get("method") or "get").upper(), action, fields


def _form_variants(fields: list[tuple[str, str, str]], token: str) -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    names = [(n, k, v) for n, k, v in fields if n != "csrf_token"]
    kept = [("csrf_token", token)]
    for value in HOSTILE:
        yield f"every field = {value[:12]!r}", kept + [(n, value) for n, k, v in names if k != "file"]
        # The hidden fields as the page filled them, so that the typed ones are read past the form's own checks.
        yield f"typed fields = {value[:12]!r}", kept + [(n, v if k == "hidden" else value) for n, k, v in names
                                                        if k != "file"]
    yield "only the CSRF token", kept
    yield "every field twice", kept + [(n, x) for n, k, v in names if k != "file" for x in (v, "\x00" + v)]
    yield "a file in every field", kept + [(n, (io.BytesIO(b"\x00\xff" * 64), "x\x00.txt")) for n, k, v in names]


def _send_form(fuzzer: Fuzzer, method: str, action: str, fields: list[tuple[str, str, str]]) -> None:
    for what, data in _form_variants(fields, fuzzer.token):
        if method == "GET":
            plain = [(k, v) for k, v in data if isinstance(v, str) and k != "csrf_token"]
            fuzzer.send("GET", action.split("?")[0] + "?" + urllib.parse.urlencode(plain), what=what)
        else:
            from werkzeug.datastructures import MultiDict

            response = fuzzer.send(method, action, MultiDict(data), what=what)
            if response.mimetype == "application/pdf":  # a sheet is made per request (slips): once is enough
                return


def _sweep(fuzzer: Fuzzer, route: Route, url: str, session: Session) -> None:
    expensive = bool(EXPENSIVE.search(route.rule))
    if "GET" in route.methods:
        for value in HOSTILE_QUERY[1:2] if expensive else HOSTILE_QUERY:
            fuzzer.send("GET", url + "?" + urllib.parse.urlencode([(n, value) for n in QUERY_NAMES]),
                        what=f"query = {value[:12]!r}")
        if expensive:  # a PDF costs a few hundred milliseconds: one hostile query is enough
            return
        fuzzer.send("GET", url + "?" + urllib.parse.urlencode([(n, v) for n in QUERY_NAMES for v in ("1", "x")]),
                    what="every query parameter twice")
        page = fuzzer.send("GET", url)
        if page.status_code == 200 and page.mimetype == "text/html":
            found = sorted(_forms(page.get_data(as_text=True), url), key=lambda f: "logout" in f[1])
            for method, action, fields in found:
                key = (fuzzer.role, re.sub(r"\d+", "N", urllib.parse.urlsplit(action).path),
                       tuple(sorted({n for n, _k, _v in fields})))
                if key in _FUZZED_FORMS:
                    continue
                _FUZZED_FORMS.add(key)
                _send_form(fuzzer, method, action, fields)
    for method in route.methods:
        if method == "GET":
            continue
        for value in HOSTILE[:3]:
            data = {"csrf_token": fuzzer.token, **{n: value for n in (*QUERY_NAMES, "client_uuid", "step")}}
            fuzzer.send(method, url, data, what=f"every field = {value[:12]!r}")


def _path_fuzz(fuzzer: Fuzzer, route: Route, session: Session) -> None:
    for param, kind in route.params.items():
        for value in HOSTILE_IDS if kind == "int" else HOSTILE_NAMES:
            url = _url(session, route, fuzzer.role, **{param: value if kind == "int" else value})
            for method in route.methods:
                data = None if method == "GET" else {"csrf_token": fuzzer.token}
                fuzzer.send(method, url, data, what=f"<{param}> = {value[:12]!r}")


SIGNED_IN_ROUTES = [r for r in ROUTES if not r.rule.startswith("/static/")]
PUBLIC_ROUTES = [r for r in ROUTES if is_public(r.rule) and not r.rule.startswith("/static/")]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", SIGNED_IN_ROUTES, ids=str)
def test_hostile_input_never_crashes(client, db_session, route, role):
    """Every route and the forms of its page, as each role: 4xx or success, never 5xx, nothing half-written."""
    fuzzer = Fuzzer(client, db_session, role)
    if role == "quantri":  # the URL converters answer before any view: one role is enough
        _path_fuzz(fuzzer, route, db_session)
    _sweep(fuzzer, route, _url(db_session, route, role), db_session)


@pytest.mark.parametrize("route", PUBLIC_ROUTES, ids=str)
def test_hostile_input_never_crashes_anonymous(client, db_session, route):
    """The same before signing in: the login and activation forms and the public pages."""
    fuzzer = Fuzzer(client, db_session, ANONYMOUS)
    _path_fuzz(fuzzer, route, db_session)
    _sweep(fuzzer, route, _url(db_session, route, ANONYMOUS), db_session)


def test_the_fuzz_reaches_the_forms():
    """Guards the discovery: the query names read from the code include the ones that once crashed."""
    assert {"commune_id", "next", "page", "contest"} <= set(QUERY_NAMES)


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if _STATS["requests"]:
        line = f"fuzz sweep: {_STATS['requests']} requests, {_STATS['seconds']:.1f} s CPU in the app"
        ARTIFACTS.mkdir(exist_ok=True)
        with (ARTIFACTS / "fuzz-requests.txt").open("a", encoding="utf-8") as out:  # one line per worker and run
            out.write(line + "\n")
