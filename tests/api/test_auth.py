"""Who may call the API: a session with its CSRF header, or a Bearer token; revoked, expired and unknown tokens
are refused; the audit log names the token's account and the API channel."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.api.conftest import count_body, count_url
from tests.conftest import csrf_token
from tests.world import NOW
from webapp.api import tokens
from webapp.api.models import ApiToken
from webapp.audit.models import AuditEntry, Channel


def test_a_session_needs_the_csrf_header_on_writes(api, as_user, client, db_session, w, election_night):
    as_user("to01")
    missing = api("POST", count_url(w), json=count_body(db_session, w))
    assert missing.status_code == 400
    assert missing.json["errors"][0]["code"] == "csrf" and missing.headers["X-Outbox-Error"] == "csrf"
    wrong = api("POST", count_url(w), json=count_body(db_session, w), headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400 and wrong.json["errors"][0]["code"] == "csrf"
    token = csrf_token(client, "/")
    sent = api("POST", count_url(w), json=count_body(db_session, w), headers={"X-CSRFToken": token})
    assert sent.status_code == 201, sent.json


def test_me_gives_a_session_its_csrf_token(api, as_user, db_session, w, election_night):
    as_user("to01")
    me = api("GET", "/api/v1/me").json
    assert me["auth"] == "session" and me["csrf_token"]
    sent = api("POST", count_url(w), json=count_body(db_session, w), headers={"X-CSRFToken": me["csrf_token"]})
    assert sent.status_code == 201


def test_a_token_needs_no_csrf_and_sets_no_cookie(api, db_session, w, token_for, election_night):
    response = api("POST", count_url(w), token_for("to01"), json=count_body(db_session, w))
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers


def test_anonymous_calls_get_401_json(api, db_session, w):
    for method, url in (("GET", "/api/v1/me"), ("POST", count_url(w)), ("GET", f"/api/v1/stations/{w.area('26743-01').id}")):
        response = api(method, url, json={})
        assert response.status_code == 401, (method, url)
        assert response.json["errors"][0]["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_expired_and_unknown_tokens_get_401(api, db_session, w, token_for, election_night):
    revoked = token_for("to01")
    token = db_session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == tokens.hash_secret(revoked))).one()
    assert api("GET", "/api/v1/me", revoked).status_code == 200
    tokens.revoke_token(db_session, actor=w.user("quantri"), token_id=token.id, now=NOW)
    expired = token_for("to01", ttl=timedelta(days=1))  # issued at NOW (1 March): long expired on election night
    for secret in (revoked, expired, tokens.PREFIX + "x" * 43, "garbage"):
        response = api("POST", count_url(w), secret, json=count_body(db_session, w))
        assert response.status_code == 401, secret
        assert response.json["errors"][0]["code"] == "invalid_token"
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_malformed_or_unknown_authorization_is_refused_on_every_api_blueprint(api, as_user, client, w):
    """A caller that sent an Authorization header meant a token: it is never answered as the cookie's account
    instead (the progress and results APIs did, schemathesis found it)."""
    as_user("tinh")
    province = w.area("26743-01").commune.province_id
    for url in ("/api/v1/me", f"/api/v1/progress/provinces/{province}", f"/api/v1/results/provinces/{province}",
                "/api/v1/progress/corrections"):
        assert client.get(url).status_code == 200, url
        for header in ("Basic dGluaDpiYXVjdTIwMjY=", "Bearer", "Bearer " + tokens.PREFIX + "x" * 43, "garbage"):
            response = client.get(url, headers={"Authorization": header})
            assert response.status_code == 401, (url, header, response.status_code)
            assert response.json["errors"][0]["code"] == "invalid_token"


def test_a_deactivated_accounts_token_stops_working(api, db_session, w, token_for):
    secret = token_for("to01")
    w.user("to01").is_active = False
    db_session.flush()
    assert api("GET", "/api/v1/me", secret).status_code == 401


def test_the_token_decides_when_a_session_cookie_comes_along(api, as_user, db_session, w, token_for,
                                                            election_night):
    as_user("xa")
    response = api("POST", count_url(w), token_for("to01"), json=count_body(db_session, w))
    assert response.status_code == 201
    assert api("GET", "/api/v1/me", token_for("to01")).json["username"] == "to01"


def test_the_audit_log_names_the_tokens_account_and_the_api(api, db_session, w, token_for, election_night):
    api("POST", count_url(w), token_for("to01"), json=count_body(db_session, w))
    entries = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type.in_(("count_reports",
                                                                                         "count_votes")))).all()
    assert entries and {(e.channel, e.actor_username) for e in entries} == {(Channel.API, "to01")}


def test_use_is_noted_at_most_once_a_minute(api, db_session, w, token_for):
    secret = token_for("to01")
    token = db_session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == tokens.hash_secret(secret))).one()
    assert token.last_used_at is None
    api("GET", "/api/v1/me", secret)
    db_session.refresh(token)
    first = token.last_used_at
    assert first is not None
    api("GET", "/api/v1/me", secret)
    db_session.refresh(token)
    assert token.last_used_at == first
    assert not db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "api_tokens",
                                                              AuditEntry.action == "update")).all()


def test_tokens_do_not_open_the_pages(client, db_session, token_for):
    response = client.get("/", headers={"Authorization": f"Bearer {token_for('quantri')}"})
    assert response.status_code in (302, 303)


def test_log_out_everywhere_revokes_the_accounts_tokens(api, as_user, client, db_session, w, token_for):
    """A lost phone: "log out everywhere" must also end the account's access through its API tokens."""
    secret, other = token_for("to01"), token_for("xa")
    assert api("GET", "/api/v1/me", secret).status_code == 200
    as_user("to01")
    assert client.post("/logout-everywhere", data={"csrf_token": csrf_token(client, "/")}).status_code == 303
    assert api("GET", "/api/v1/me", secret).status_code == 401
    assert api("GET", "/api/v1/me", other).status_code == 200  # another account's token is untouched
    token = db_session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == tokens.hash_secret(secret))).one()
    assert token.revoked_at is not None and token.revoked_by_id == w.user("to01").id
