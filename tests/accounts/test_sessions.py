"""Sessions end on the server (issue 10 §3): a copied cookie stops working at logout, and every way of ending all
of an account's sessions ends them at once (logout everywhere, a code reset, deactivation). The server-side state
is one row per session in ``user_sessions``; the restart tests (tests/test_restart.py) check it across workers."""

from __future__ import annotations

import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.conftest import csrf_token, login
from tests.reports.helpers import AREA, vn
from webapp.accounts.models import UserSession
from webapp.audit.models import AuditEntry


def signed_in_twice(app, username: str):
    """Two devices of the same account."""
    first, second = app.test_client(), app.test_client()
    login(first, username)
    login(second, username)
    return first, second


def copy_of(app, client):
    """Another client carrying a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def assert_signed_out(client) -> None:
    page = client.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert client.get("/api/v1/me", headers={"Accept": "application/json"}).status_code == 401


def assert_signed_in(client) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me", headers={"Accept": "application/json"}).status_code == 200


def turnout_form(client, area_id: int) -> dict[str, str]:
    form = BeautifulSoup(client.get(f"/reports/{area_id}/turnout").get_data(as_text=True),
                         "html.parser").select_one("form[data-offline]")
    return {i["name"]: i.get("value", "") for i in form.select("input[name]")
            if i.get("type") not in ("checkbox", "radio") or i.has_attr("checked")}


def test_a_copied_cookie_stops_working_at_logout(app, client, connection, w, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 5).isoformat())
    login(client, "to01")
    thief = copy_of(app, client)
    area_id = w.area(AREA).id
    values = turnout_form(thief, area_id)
    token = client.get("/_/csrf").json["csrf"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert_signed_out(thief)
    # The outbox's way of sending a turnout report is refused too, and nothing is stored.
    sent = thief.post(f"/reports/{area_id}/turnout", data={**values, "voted": "123"},
                      headers={"X-CSRFToken": token, "X-Outbox": "background"})
    assert sent.status_code == 401 and sent.headers["X-Outbox-Error"] == "login"
    assert connection.scalar(sa.text("SELECT count(*) FROM turnout_reports")) == 0


def test_logout_ends_only_this_device(app, connection):
    first, second = signed_in_twice(app, "to01")
    assert first.post("/logout", data={"csrf_token": csrf_token(first, "/")}).status_code == 303
    assert_signed_out(first)
    assert_signed_in(second)


def test_log_out_everywhere_ends_every_session(app, connection):
    first, second = signed_in_twice(app, "to01")
    thief = copy_of(app, second)
    assert first.post("/logout-everywhere", data={"csrf_token": csrf_token(first, "/")}).status_code == 303
    for device in (first, second, thief):
        assert_signed_out(device)
    login(app.test_client(), "to01")  # the password still works


def test_a_code_reset_by_an_official_ends_the_leaders_sessions(app, as_user, w):
    first, second = signed_in_twice(app, "to01")
    official = as_user("xa")
    response = official.post(f"/accounts/leaders/{w.area(AREA).id}/reset",
                             data={"csrf_token": csrf_token(official, "/accounts/leaders")})
    assert response.status_code in (200, 303)
    for device in (first, second):
        assert_signed_out(device)


def test_a_password_reset_ends_the_officials_sessions(app, as_user, w):
    first, second = signed_in_twice(app, "xa")
    manager = as_user("tinh")
    response = manager.post(f"/accounts/{w.user('xa').id}/activation",
                            data={"csrf_token": csrf_token(manager, "/accounts/")})
    assert response.status_code in (200, 303)
    for device in (first, second):
        assert_signed_out(device)


def test_deactivation_ends_every_session(app, as_user, w):
    first, second = signed_in_twice(app, "to01")
    manager = as_user("xa")
    response = manager.post(f"/accounts/{w.user('to01').id}/deactivate",
                            data={"csrf_token": csrf_token(manager, "/accounts/")})
    assert response.status_code == 303
    for device in (first, second):
        assert_signed_out(device)


def test_the_session_is_named_in_the_audit_log(app, client, connection, w, monkeypatch):
    """Request code reaches the session as ``current_user.session_id``; the audit entries keep it."""
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 5).isoformat())
    login(client, "to01")
    area_id = w.area(AREA).id
    assert client.post(f"/reports/{area_id}/turnout",
                       data={**turnout_form(client, area_id), "voted": "123"}).status_code == 303
    session_id = connection.scalar(sa.select(sa.func.max(UserSession.id)).where(UserSession.user_id == w.user("to01").id))
    entries = connection.execute(sa.select(AuditEntry.action, AuditEntry.entity_type, AuditEntry.session_id)
                                 .where(AuditEntry.actor_id == w.user("to01").id)).all()
    assert ("login", "users", session_id) in entries
    assert ("create", "turnout_reports", session_id) in entries
    # The database keeps no cookie: only a digest of the secret.
    cookie_secret = client.get_cookie("session").value
    stored = connection.execute(sa.select(UserSession.secret_hash)).scalars().all()
    assert all(len(h) == 64 and h not in cookie_secret for h in stored)
