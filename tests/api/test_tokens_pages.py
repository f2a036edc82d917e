"""/api-tokens: every account issues tokens for itself only (never one acting as another person); the
administrator and a provincial committee also see and revoke those of the accounts in scope; the secret is shown
once and only its hash is kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.api.conftest import count_body, count_url
from tests.conftest import csrf_token
from tests.world import NOW
from webapp.api import tokens
from webapp.api.models import ApiToken
from webapp.audit.models import AuditEntry
from webapp.reports.models import CountReport


def _issue(client, username: str | None = None, name: str = "Màn hình kết quả", expires: str = "30"):
    token = csrf_token(client, "/api-tokens/")
    data = {"csrf_token": token, "name": name, "expires": expires}
    if username is not None:
        data["username"] = username  # what the old form asked for: it names nobody now
    return client.post("/api-tokens/", data=data)


def _secret(response) -> str:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("#new-token").text.strip()


def test_the_secret_is_shown_once_and_only_its_hash_is_kept(as_user, api, db_session):
    client = as_user("quantri")
    response = _issue(client)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = _secret(response)
    assert secret.startswith(tokens.PREFIX) and len(secret) == len(tokens.PREFIX) + 43
    stored = db_session.scalars(sa.select(ApiToken)).one()
    assert stored.token_hash == tokens.hash_secret(secret) and secret not in (stored.token_hash, stored.prefix)
    assert stored.user.username == "quantri" and stored.created_by.username == "quantri" and stored.expires_at
    listing = client.get("/api-tokens/").get_data(as_text=True)
    assert stored.prefix in listing and secret not in listing
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "api_tokens")).one()
    assert entry.after.get("token_hash") in (None, "***") and secret not in str(entry.after)
    assert api("GET", "/api/v1/me", secret).json["username"] == "quantri"


def test_a_province_gets_no_token_acting_as_a_leader(as_user, api, db_session, w, election_night):
    """Issue 10 §2 (a): the provincial committee asked for a token for the leader's account, sent count minutes
    with it under the leader's name and confirmed them. Now the token is the committee's own: the API knows it as
    the committee, which may not send a station's minutes."""
    client = as_user("tinh")
    response = _issue(client, "to01")
    assert response.status_code == 200
    secret = _secret(response)
    assert [t.user.username for t in db_session.scalars(sa.select(ApiToken))] == ["tinh"]
    assert api("GET", "/api/v1/me", secret).json["username"] == "tinh"
    sent = api("POST", count_url(w), secret, json=count_body(db_session, w))
    assert sent.status_code == 403
    assert db_session.scalars(sa.select(CountReport)).all() == []


def test_a_token_made_earlier_for_another_person_is_refused(api, db_session, w):
    """Tokens issued for someone else before the rule (by an administrator, for a leader) stop working."""
    secret = tokens.PREFIX + "x" * 43
    db_session.add(ApiToken(user=w.user("to01"), name="old", token_hash=tokens.hash_secret(secret),
                            prefix=secret[:12], created_by=w.user("quantri"), created_at=NOW))
    db_session.flush()
    assert api("GET", "/api/v1/me", secret).status_code == 401


@pytest.mark.parametrize("username", ["xa", "to01", "tongdai", "tongdai_qg"])
def test_every_account_manages_its_own_tokens_only(as_user, db_session, w, username, token_for):
    token_for("tinh")
    someone_elses = db_session.scalars(sa.select(ApiToken)).one()
    client = as_user(username)
    secret = _secret(_issue(client))
    mine = db_session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == tokens.hash_secret(secret))).one()
    assert mine.user.username == username
    listing = client.get("/api-tokens/").get_data(as_text=True)
    assert mine.prefix in listing and someone_elses.prefix not in listing
    refused = client.post(f"/api-tokens/{someone_elses.id}/revoke",
                          data={"csrf_token": csrf_token(client, "/api-tokens/")})
    assert refused.status_code == 404
    db_session.refresh(someone_elses)
    assert someone_elses.revoked_at is None


def test_accounts_not_active_get_no_token(db_session, w):
    leader = w.user("to01")
    leader.is_active = False
    with pytest.raises(tokens.NotAllowed):
        tokens.issue_token(db_session, actor=leader, name="x", ttl=None, now=NOW)
    leader.is_active, leader.password_hash = True, None  # waiting for its owner to activate it
    with pytest.raises(tokens.NotAllowed):
        tokens.issue_token(db_session, actor=leader, name="x", ttl=None, now=NOW)


def test_revoking_stops_the_token_at_once(as_user, api, db_session, w, token_for):
    secret = token_for("to01")
    token = db_session.scalars(sa.select(ApiToken)).one()
    client = as_user("tinh")
    response = client.post(f"/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/api-tokens/")})
    assert response.status_code == 303
    db_session.refresh(token)
    assert token.revoked_at is not None and token.revoked_by.username == "tinh"
    assert api("GET", "/api/v1/me", secret).status_code == 401


def test_another_provinces_token_cannot_be_revoked(as_user, db_session, token_for):
    token_for("hn_to01")
    token = db_session.scalars(sa.select(ApiToken)).one()
    client = as_user("tinh")
    response = client.post(f"/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/api-tokens/")})
    assert response.status_code == 404
    assert client.get("/api-tokens/").get_data(as_text=True).count(token.prefix) == 0


def test_the_page_works_as_a_fragment(as_user):
    client = as_user("quantri")
    response = client.get("/api-tokens/", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'id="api-tokens"' in body
    assert "HX-Request" in response.headers["Vary"]
