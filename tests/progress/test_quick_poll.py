"""The quick poll (webapp.progress.polling.QuickPoll): a current poll answered 204 before Flask, in one statement,
and everything it must not answer left to Flask (ended sessions, other places, forged tokens, stale snapshots)."""

from __future__ import annotations

from datetime import time

import pytest

from tests.conftest import login
from tests.progress.helpers import areas_of, refresh_now, send, vn
from tests.progress.test_views import clock, day, soup  # noqa: F401 - fixtures
from tests.reports.test_statement_count import statements
from webapp.accounts.services import log_out_everywhere
from webapp.progress import polling

HX = {"HX-Request": "true"}


@pytest.fixture
def refresher(app, monkeypatch):
    """The snapshot is refreshed by its own process, as in production: polls never refresh it."""
    monkeypatch.setitem(app.config, "PROGRESS_REFRESH_AFTER_RESPONSE", False)


def poll_url(client, w):
    return soup(client.get(f"/progress/communes/{w.area('26743-01').commune_id}")).select_one("#progress")["hx-get"]


def test_a_current_poll_is_answered_in_one_statement_with_the_pages_headers(app, as_user, w, day, refresher):
    client = as_user("xa")
    url = poll_url(client, w)
    with statements(app) as seen:
        response = client.get(url, headers=HX)
    assert response.status_code == 204
    assert len([s for s in seen if "SAVEPOINT" not in s]) == 1, seen.listing()
    assert response.headers["ETag"].endswith('-f"') and response.headers["Last-Modified"]
    assert {"HX-Request", "Cookie"} <= set(response.vary)
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["X-Frame-Options"] == "DENY"
    # Without HX-Request it is the page, not a poll: Flask answers.
    assert client.get(url).status_code == 200


def test_an_ended_session_gets_no_204(app, as_user, w, db_session, day, refresher):
    client = as_user("xa")
    url = poll_url(client, w)
    assert client.get(url, headers=HX).status_code == 204
    log_out_everywhere(db_session, user=w.user("xa"))
    db_session.commit()
    response = client.get(url, headers=HX)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_token_served_to_another_place_or_forged_is_refused_as_flask_refuses(app, as_user, w, day, refresher):
    url = poll_url(as_user("xa"), w)
    client = app.test_client()
    login(client, "hn_xa")
    assert client.get(url, headers=HX).status_code == 404  # another commune's page: 404, as without ?v=
    path = url.split("?")[0]
    with app.test_request_context(path), app.app_context():
        from webapp import db
        from webapp.clock import reporting_now
        from webapp.scope import Scope

        state = polling.poll_state(db.session, reporting_now())
        # The token hn_xa's own place would have, made without the app's key: no 204 either.
        forged = polling.version_token("", state, Scope.of(w.user("hn_xa")), "vi", path, [])
    assert client.get(f"{path}?v={forged}", headers=HX).status_code == 404


def test_a_new_version_is_sent_in_full(app, as_user, w, db_session, day, refresher):
    client = as_user("xa")
    url = poll_url(client, w)
    send(db_session, areas_of(w, "26743")[4], 321, now=vn(11, 58), slot=time(11, 30))
    refresh_now(db_session, vn(11, 59))
    db_session.commit()
    response = client.get(url, headers=HX)
    assert response.status_code == 200 and url.split("v=")[1] not in response.headers["ETag"]


def test_a_stale_snapshot_is_left_to_flask_which_refreshes_it_after_the_answer(app, as_user, w, day, monkeypatch):
    monkeypatch.setitem(app.config, "PROGRESS_REFRESH_AFTER_RESPONSE", True)
    client = as_user("xa")
    url = poll_url(client, w)
    with statements(app) as seen:
        assert client.get(url, headers=HX).status_code == 204
    assert len(seen) > 1, seen.listing()  # Flask's path: the account, the scope check, the state, the staleness


def test_any_version_a_client_sends_is_answered_never_500(app, as_user, w, day, refresher):
    client = as_user("xa")
    path = poll_url(client, w).split("?")[0]
    for version in ("ä" * 24, "x", "%00", "1" * 500):
        assert client.get(path, query_string={"v": version}, headers=HX).status_code == 200
