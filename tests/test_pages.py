"""Whole page or fragment from the same URL, ``Vary: HX-Request`` on every HTML page, and the language switch."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from tests.conftest import login
from tests.test_scope_sweep import (  # lasting_sessions: the signed-in sessions sign_in reuses
    ID_SOURCES,
    NOT_OBJECTS,
    ROUTES,
    inside_object,
    is_public,
    lasting_sessions,  # noqa: F401
    sign_in,
)

FRAGMENT = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}
HISTORY = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


@pytest.mark.parametrize(("username", "path", "root"), [
    ("to01", "/", "leader-home"),
    ("xa", "/", "official-home"),
    ("xa", "/stations?q=ben", "station-list"),
])
def test_htmx_gets_the_fragment_and_everyone_else_the_page(as_user, username, path, root):
    client = as_user(username)
    for headers, whole in (({}, True), (BOOSTED, True), (HISTORY, True), (FRAGMENT, False)):
        response = client.get(path, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "HX-Request" in response.vary, f"{path} with {headers} lacks Vary: HX-Request"
        assert ("<html" in html) is whole, f"{path} with {headers}: expected {'page' if whole else 'fragment'}"
        soup = BeautifulSoup(html, "html.parser")
        assert soup.select_one(f"#{root}") is not None, f"{path} with {headers} lacks #{root}"
        if not whole:
            assert soup.find(True)["id"] == root, "a fragment's first element is its root"


def test_errors_vary_too_and_come_as_fragments_to_htmx(as_user):
    client = as_user("xa")
    page = client.get("/units/2000000000")
    fragment = client.get("/units/2000000000", headers=FRAGMENT)
    assert page.status_code == fragment.status_code == 404
    assert "HX-Request" in page.vary and "HX-Request" in fragment.vary
    assert "<html" in page.get_data(as_text=True)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="error"' in html


def page_urls(db_session, user):
    """The URL of every private GET route that may answer a page, on objects the user may see (files, the
    fragments under /_/ and routes with no such object left out)."""
    for route in ROUTES:
        # Routes under /_/ only ever answer a fragment (house style), so they need not vary.
        if "GET" not in route.methods or is_public(route.rule) or route.rule.startswith("/_/"):
            continue
        if route.endpoint in ("static", "set_language") or re.search(r"\.([a-z]+|<\w+>)$", route.rule):
            continue  # files (.pdf, .xlsx, .<fmt>) are not pages
        values = {}
        for param in route.params:
            if (route.endpoint, param) in NOT_OBJECTS:
                values[param] = NOT_OBJECTS[(route.endpoint, param)][1]
                continue
            source = ID_SOURCES.get((route.endpoint, param)) or ID_SOURCES.get(param)  # unknown: the sweep fails
            obj = source and inside_object(db_session, source, user)
            if obj is None:
                break
            values[param] = getattr(obj, source.attr)
        else:
            yield route.url(values)


@pytest.mark.parametrize("username", ["to01", "xa", "tinh", "quantri"])
def test_every_html_page_varies_on_hx_request(client, db_session, w, username):
    """A page in the layout, or any answer that differs for htmx, says so with Vary (caches and the service
    worker keep one copy per variant). Print documents outside the layout that never vary are left alone."""
    sign_in(client, username)
    user = w.user(username)
    checked = []
    for url in page_urls(db_session, user):
        page, fragment = client.get(url), client.get(url, headers=FRAGMENT)
        if page.mimetype != "text/html" or page.status_code != 200:
            continue
        html = page.get_data(as_text=True)
        varies = ("<html" in html) != ("<html" in fragment.get_data(as_text=True))
        if varies or '<main id="main">' in html:
            for response, headers in ((page, {}), (fragment, FRAGMENT)):
                assert "HX-Request" in response.vary, f"GET {url} as {username} with {headers} lacks Vary"
            checked.append(url)
    assert checked, "no HTML page was checked"


def test_language_switch_for_a_stranger(client):
    response = client.get("/lang/en?next=/login")
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in" in html
    client.get("/lang/vi?next=/login")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in html and "Đăng nhập" in html


def test_language_switch_is_kept_with_the_account(client, w):
    login(client, "xa")
    assert client.get("/lang/en?next=/").status_code == 303
    assert w.user("xa").locale == "en"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Polling areas" in html and "Sign out" in html
    client.get("/lang/vi?next=/")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html and "Khu vực bỏ phiếu" in html and "Đăng xuất" in html


def test_language_switch_refuses_unknown_languages_and_foreign_targets(client):
    assert client.get("/lang/fr").status_code == 404
    response = client.get("/lang/en?next=//evil.example/")
    assert response.status_code == 303 and "evil.example" not in response.headers["Location"]


def test_csrf_token_is_on_every_page_for_htmx(as_user):
    """htmx posts carry the token from <body hx-headers>; the meta tag serves the scripts."""
    client = as_user("to01")
    html = client.get("/").get_data(as_text=True)
    body = BeautifulSoup(html, "html.parser").body
    meta = BeautifulSoup(html, "html.parser").find("meta", attrs={"name": "csrf-token"})["content"]
    # The same token on the same page (two pages may differ: each token is signed with the second it was made).
    assert json.loads(body["hx-headers"]) == {"X-CSRFToken": meta} and meta
