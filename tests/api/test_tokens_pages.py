"""/api-tokens: the administrator (any account) and a provincial committee (its province's accounts) issue,
list and revoke tokens; the secret is shown once and only its hash is kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.conftest import csrf_token
from webapp.api import tokens
from webapp.api.models import ApiToken
from webapp.audit.models import AuditEntry


def _issue(client, username: str, name: str = "Màn hình kết quả", expires: str = "30"):
    token = csrf_token(client, "/api-tokens/")
    return client.post("/api-tokens/", data={"csrf_token": token, "username": username, "name": name,
                                             "expires": expires})


def test_the_secret_is_shown_once_and_only_its_hash_is_kept(as_user, api, db_session):
    client = as_user("quantri")
    response = _issue(client, "tinh")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("#new-token").text.strip()
    assert secret.startswith(tokens.PREFIX) and len(secret) == len(tokens.PREFIX) + 43
    stored = db_session.scalars(sa.select(ApiToken)).one()
    assert stored.token_hash == tokens.hash_secret(secret) and secret not in (stored.token_hash, stored.prefix)
    assert stored.user.username == "tinh" and stored.created_by.username == "quantri" and stored.expires_at
    listing = client.get("/api-tokens/").get_data(as_text=True)
    assert stored.prefix in listing and secret not in listing
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "api_tokens")).one()
    assert entry.after.get("token_hash") in (None, "***") and secret not in str(entry.after)
    assert api("GET", "/api/v1/me", secret).json["username"] == "tinh"


def test_a_province_issues_for_its_own_accounts_only(as_user, db_session):
    client = as_user("tinh")
    assert _issue(client, "to01", expires="never").status_code == 200
    refused = _issue(client, "hn_to01")
    assert refused.status_code == 422
    assert "hn_to01" not in [t.user.username for t in db_session.scalars(sa.select(ApiToken))]
    page = BeautifulSoup(refused.get_data(as_text=True), "html.parser")
    assert page.select_one("#api-token-form .has-error")


@pytest.mark.parametrize("username", ["xa", "to01", "tongdai", "tongdai_qg"])
def test_other_roles_may_not_manage_tokens(as_user, username):
    client = as_user(username)
    assert client.get("/api-tokens/").status_code == 403


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
