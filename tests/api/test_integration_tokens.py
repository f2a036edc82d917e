"""Integration accounts: a machine reading through the API with a token an official issued for it, with explicit
scopes and an expiry; it never signs in, gets no activation code, and reads nothing its scopes do not open."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.api.conftest import count_body, count_url
from tests.conftest import csrf_token
from tests.world import NOW
from webapp.accounts.models import Role, User
from webapp.api import tokens
from webapp.api.models import ApiToken
from webapp.clock import utcnow


def _create(client, username: str, province: str = "") -> int:
    token = csrf_token(client, "/accounts/new")
    response = client.post("/accounts/new", data={"csrf_token": token, "username": username, "role": "integration",
                                                  "full_name": "Màn hình kết quả", "phone": "",
                                                  "province_id": province, "commune_code": ""})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _issue(client, username: str, scopes: list[str], expires: str = "30"):
    token = csrf_token(client, "/api-tokens/")
    return client.post("/api-tokens/integration", data={"csrf_token": token, "username": username,
                                                        "name": "Màn hình kết quả", "scopes": scopes,
                                                        "expires": expires})


def _secret(response) -> str:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("#new-token").text.strip()


def test_a_province_makes_an_integration_account_and_a_scoped_expiring_token(as_user, api, db_session, w):
    client = as_user("tinh")
    ident = _create(client, "manhinh-hcm")
    account = db_session.get(User, ident)
    assert (account.role, account.province_id) == (Role.INTEGRATION, w.user("tinh").province_id)
    page = BeautifulSoup(client.get(f"/accounts/{ident}").get_data(as_text=True), "html.parser")
    assert page.select_one("form[action$='/activation']") is None  # no activation code, ever
    assert client.post(f"/accounts/{ident}/activation",
                       data={"csrf_token": csrf_token(client, "/accounts/")}).status_code == 403
    response = _issue(client, "manhinh-hcm", ["progress:read"])
    assert response.status_code == 200
    secret = _secret(response)
    stored = db_session.scalars(sa.select(ApiToken)).one()
    assert (stored.user_id, stored.created_by.username, stored.scopes) == (ident, "tinh", ["progress:read"])
    assert stored.expires_at is not None
    province = w.user("tinh").province_id
    assert api("GET", "/api/v1/me", secret).json["username"] == "manhinh-hcm"
    assert api("GET", f"/api/v1/progress/provinces/{province}", secret).status_code == 200
    refused = api("GET", f"/api/v1/results/provinces/{province}", secret)
    assert refused.status_code == 403 and refused.json["errors"][0]["code"] == "insufficient_scope"
    assert api("GET", f"/api/v1/stations/{w.area('26743-01').id}", secret).status_code == 403
    assert api("GET", f"/api/v1/progress/provinces/{w.province('01').id}", secret).status_code == 404


def test_an_integration_token_writes_nothing(as_user, api, db_session, w, election_night):
    client = as_user("quantri")
    _create(client, "nguon-du-lieu")
    secret = _secret(_issue(client, "nguon-du-lieu", ["progress:read", "results:read"]))
    sent = api("POST", count_url(w), secret, json=count_body(db_session, w))
    assert sent.status_code == 403, sent.get_data(as_text=True)[:500]


@pytest.mark.parametrize(("scopes", "expires", "field"), [([], "30", "scopes"), (["progress:read"], "never", "expires"),
                                                          (["everything"], "30", "scopes")])
def test_scopes_and_an_expiry_are_required(as_user, db_session, scopes, expires, field):
    client = as_user("tinh")
    _create(client, "manhinh-hcm")
    response = _issue(client, "manhinh-hcm", scopes, expires)
    assert response.status_code == 422
    assert db_session.scalars(sa.select(ApiToken)).all() == []
    form = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("#integration-token-form")
    assert form.select_one(".has-error, .error") is not None


def test_only_integration_accounts_get_tokens_from_someone_else(as_user, db_session):
    client = as_user("tinh")
    response = _issue(client, "to01", ["progress:read"])  # a person's account: never
    assert response.status_code == 422 and db_session.scalars(sa.select(ApiToken)).all() == []


@pytest.mark.parametrize("username", ["xa", "to01", "tongdai"])
def test_other_roles_issue_no_integration_token(as_user, username):
    client = as_user(username)
    assert _issue(client, "whatever", ["progress:read"]).status_code == 403


def test_an_expired_or_deactivated_integration_token_stops(api, db_session, w):
    account = User(username="manhinh-cu", role=Role.INTEGRATION, province_id=w.user("tinh").province_id,
                   created_at=NOW)
    db_session.add(account)
    db_session.flush()
    issued = tokens.issue_integration_token(db_session, actor=w.user("tinh"), username="manhinh-cu", name="x",
                                            scopes=["progress:read"], ttl=timedelta(days=1), now=NOW)
    assert api("GET", "/api/v1/me", issued.secret).status_code == 401  # NOW + 1 day is long past
    fresh = tokens.issue_integration_token(db_session, actor=w.user("tinh"), username="manhinh-cu", name="y",
                                           scopes=["progress:read"], ttl=timedelta(days=365), now=utcnow())
    assert api("GET", "/api/v1/me", fresh.secret).status_code == 200
    account.is_active = False
    db_session.flush()
    assert api("GET", "/api/v1/me", fresh.secret).status_code == 401


def test_an_integration_account_cannot_sign_in(client, db_session, w):
    db_session.add(User(username="manhinh-hcm", role=Role.INTEGRATION, created_at=NOW))
    db_session.flush()
    for secret in ("", "ACDE-FGHJ", "baucu2026"):
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"username": "manhinh-hcm", "password": secret, "csrf_token": token})
        assert response.status_code == 422
