"""Where a page sends the browser afterwards (``next``) is always this site: webapp.urls."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import csrf_token
from tests.world import PASSWORD
from webapp.urls import local_path

BASE = "https://baucu.example/reports/1"
PIECES = ["/", "\\", "\t", "\n", "\r", " ", "\x00", "\x0b", "\x7f", ":", "evil.example", "http", "%09", "@",
          ".", "?", "#", "\u3000"]
HOSTILE = [
    "/\t/evil.example/phish", "/\n/evil.example", "/\r\n/evil.example", "//evil.example", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "https://evil.example/", "javascript:alert(1)",
    "http:/evil.example", " //evil.example", "\t//evil.example", "/\x00/evil.example",
    "/\u2028/evil.example", "/\u00a0/evil.example", "evil.example", "", "/a\r\nLocation: //evil.example",
]


def browser_reading(location: str) -> str:
    """What a browser makes of a Location header (WHATWG URL: tabs and newlines dropped, leading and trailing
    C0 controls and spaces trimmed, a backslash read as a slash in http(s) addresses)."""
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r").strip("".join(map(chr, range(33))))
    return urljoin(BASE, cleaned.replace("\\", "/"))


@pytest.mark.no_database
@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target):
    assert local_path(target) is None


@pytest.mark.no_database
@pytest.mark.parametrize("target", ["/", "/reports/1/count?contest=2", "/review/?q=B%E1%BA%BFn#top", "/lang"])
def test_local_paths_are_kept(target):
    assert local_path(target) == target


@pytest.mark.no_database
@given(st.one_of(
    st.text(),
    st.builds("".join, st.lists(st.sampled_from(PIECES), max_size=8)),
))
def test_whatever_is_given_the_result_is_a_path_on_this_site(target):
    result = local_path(target)
    if result is not None:
        assert result.startswith("/") and not result.startswith("//")
        assert urlsplit(browser_reading(result)).netloc == "baucu.example"
        assert urlsplit(result).scheme == "" and urlsplit(result).netloc == ""


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_never_leaves_the_site(client, target):
    response = client.get("/lang/vi?next=" + quote(target, safe=""))
    assert response.status_code == 303
    assert urlsplit(browser_reading(response.headers["Location"])).netloc == "baucu.example"


def test_the_reported_open_redirect_is_closed(client):
    response = client.get("/lang/vi?next=/%09/evil.example/phish")
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_signing_in_never_leaves_the_site(client, target):
    response = client.post("/login?next=" + quote(target, safe=""),
                           data={"username": "xa", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert urlsplit(browser_reading(response.headers["Location"])).netloc == "baucu.example"


def test_signing_in_goes_on_to_a_local_next(client):
    response = client.post("/login?next=/review/", data={"username": "xa", "password": PASSWORD,
                                                         "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/review/"
