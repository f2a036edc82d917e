"""The server side of working offline: the outbox page, the worker's configuration, the CSRF and ping endpoints,
how a replayed (X-Outbox) request is answered, versioned static files and gzip."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from tests.conftest import csrf_token
from webapp import ROOT


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_outbox_page_is_a_shell_with_a_noscript_message(client):
    response = client.get("/outbox")
    assert response.status_code == 200
    assert "HX-Request" in response.vary
    page = soup(response)
    assert page.select_one("#outbox[data-outbox-page] #outbox-list") is not None
    assert "JavaScript" in page.select_one("#outbox noscript").text
    assert page.select_one("#outbox-send-now") and page.select_one("#outbox-export")


def test_outbox_fragment_for_htmx(client):
    response = client.get("/outbox", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert soup(response).select_one("#outbox") is not None


def test_offline_fallback_page_shows_the_outbox(client):
    page = soup(client.get("/_/offline"))
    assert page.select_one("#outbox-list") is not None
    assert page.select_one("h1").text == "Không có mạng"


def test_badge_carries_the_user_and_warms_only_for_leaders(client, as_user, w):
    badge = soup(client.get("/login")).select_one("#outbox-badge")
    assert badge.has_attr("hidden") and not badge.has_attr("data-user")
    as_user("to01")
    badge = soup(client.get("/")).select_one("#outbox-badge")
    assert badge["data-user"] == str(w.user("to01").id) and badge.has_attr("data-warm")
    assert badge["href"] == "/outbox"


def test_badge_of_an_official_does_not_warm(client, as_user):
    as_user("xa")
    badge = soup(client.get("/")).select_one("#outbox-badge")
    assert badge.has_attr("data-user") and not badge.has_attr("data-warm")


def test_sw_config_lists_the_versioned_shell(client):
    response = client.get("/_/sw-config.js")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert body.startswith("self.SW_CONFIG = ")
    for path in ("/static/css/app.css?v=", "/static/vendor/htmx-", "/static/js/app.js?v=", "/static/js/outbox.js?v=",
                 "/manifest.webmanifest", '"offline":"/_/offline"', '"text":"/_/text.js?v='):
        assert path in body
    assert re.search(r'"version":"[0-9a-f]{10}"', body)


def _app_text(body: str) -> dict:
    assert body.startswith("self.APP_TEXT = ") and body.endswith(";\n")
    return json.loads(body[len("self.APP_TEXT = "):-2])


def test_js_strings_come_from_the_catalog_in_both_languages(client):
    """static/js has no string table of its own: /_/text.js is rendered from webapp/offline/js_text.py through the
    catalog, versioned in the shell (kept offline by the service worker), and has every key the scripts use."""
    config = client.get("/_/sw-config.js").get_data(as_text=True)
    url = re.search(r'"text":"(/_/text\.js\?v=[0-9a-f]{10})"', config).group(1)
    assert url in json.loads(config[len("self.SW_CONFIG = "):-2])["shell"]
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "immutable" in response.headers["Cache-Control"]
    assert "immutable" not in client.get("/_/text.js?v=0000000000").headers["Cache-Control"]
    text = _app_text(response.get_data(as_text=True))
    assert set(text) == {"vi", "en"}
    # A message the catalog translated long ago: the Vietnamese is the catalog's, not a copy in the script.
    assert (text["vi"]["app"]["home"], text["en"]["app"]["home"]) == ("Trang chủ", "Home")
    assert text["en"]["draft"]["discard"] == "Discard the draft"
    for script, uses in (("app", (r"\bL\.(\w+)", r'\bsay\("(\w+)"')), ("readback", (r"\bL\.(\w+)",)),
                         ("draft", (r"\bL\.(\w+)",)), ("outbox", (r'\bt\("(\w+)"',))):
        source = (ROOT / "static" / "js" / f"{script}.js").read_text(encoding="utf-8")
        assert "vi: {" not in source and "APP_TEXT" in source, f"{script}.js keeps a table of its own"
        keys = {key for pattern in uses for key in re.findall(pattern, source)}
        assert keys and keys <= set(text["en"][script]), f"{script}.js uses {keys - set(text['en'][script])}"
        assert set(text["vi"][script]) == set(text["en"][script])
    page = client.get("/login").get_data(as_text=True)
    assert page.index(url) < page.index("/static/js/outbox.js"), "the strings load before the scripts"


def test_sw_is_served_from_the_root_without_caching(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert 'importScripts("/_/sw-config.js")' in body and "importScripts(self.SW_CONFIG.text, self.SW_CONFIG.outbox)" in body
    response.close()


def test_csrf_endpoint_needs_a_session(client, as_user, w):
    anonymous = client.get("/_/csrf")
    assert anonymous.status_code == 401 and anonymous.headers["Cache-Control"] == "no-store"
    as_user("to01")
    response = client.get("/_/csrf")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.json["user"] == w.user("to01").id
    # The token works as a header with no csrf_token in the body (how the outbox replays).
    logout = client.post("/logout", headers={"X-CSRFToken": response.json["csrf"]})
    assert logout.status_code == 303


def test_ping(client):
    response = client.get("/_/ping")
    assert response.status_code == 204 and response.headers["Cache-Control"] == "no-store"


def test_replayed_redirect_becomes_an_acknowledgement(client, as_user):
    as_user("to01")
    token = client.get("/_/csrf").json["csrf"]
    response = client.post("/logout", headers={"X-CSRFToken": token, "X-Outbox": "foreground"})
    assert response.status_code == 200 and response.headers["X-Outbox-Ack"] == "1"
    assert response.headers["X-Outbox-Location"] == "/login"
    assert "Location" not in response.headers and response.headers["Cache-Control"] == "no-store"


def test_replay_without_a_session_is_401_not_a_login_page(client):
    token = csrf_token(client, "/login")
    response = client.post("/logout-everywhere", data={"csrf_token": token}, headers={"X-Outbox": "background"})
    assert response.status_code == 401 and response.headers["X-Outbox-Error"] == "login"
    # Without X-Outbox the browser still gets its redirect to the login page.
    plain = client.post("/logout-everywhere", data={"csrf_token": token})
    assert plain.status_code == 302


def test_replay_with_a_stale_token_is_marked_csrf(client, as_user):
    as_user("to01")
    response = client.post("/logout", headers={"X-CSRFToken": "stale", "X-Outbox": "background"})
    assert response.status_code == 400 and response.headers["X-Outbox-Error"] == "csrf"


def test_refusal_is_passed_through_unchanged(client):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": "to01", "password": "wrong"})
    assert response.status_code == 422 and "X-Outbox-Ack" not in response.headers


def test_pages_for_signed_in_users_are_marked_keepable(client, as_user):
    assert "X-Offline-Page" not in client.get("/login").headers
    as_user("to01")
    assert client.get("/").headers["X-Offline-Page"] == "1"
    assert "X-Offline-Page" not in client.get("/_/csrf").headers


def test_static_urls_are_versioned_and_cached_for_a_year(client):
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]{10}))"', html)
    assert css, "the stylesheet URL carries its version"
    response = client.get(css.group(1))
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response.close()
    stale = client.get("/static/css/app.css?v=0000000000")
    assert "immutable" not in stale.headers.get("Cache-Control", "")
    stale.close()


def test_text_is_gzipped_and_revalidates(client):
    html = client.get("/login").get_data(as_text=True)
    url = re.search(r'src="(/static/vendor/htmx-[^"]+)"', html).group(1)
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.vary
    original = (ROOT / "static" / "vendor" / Path(url.split("?")[0]).name).read_bytes()
    assert gzip.decompress(response.data) == original
    assert int(response.headers["Content-Length"]) == len(response.data) < len(original) / 2
    etag = response.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    again.close()


def test_pages_are_gzipped_only_when_asked(client):
    zipped = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert b"<html" in gzip.decompress(zipped.data)
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers and b"<html" in plain.data


def test_small_and_binary_responses_are_not_gzipped(client):
    png = client.get("/static/icons/icon-192.png", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in png.headers
    png.close()
    ping = client.get("/_/csrf", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in ping.headers
