"""Passwords: argon2 parameters, one verification on every sign-in path, the strength policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import csrf_token
from tests.world import NOW, PASSWORD
from webapp.accounts import services
from webapp.accounts.models import Role, User

OWASP = "$argon2id$v=19$m=19456,t=2,p=1$"


def _leader(db_session, w, username: str, **fields) -> User:  # type: ignore[no-untyped-def]
    area = w.area("26743-02")
    user = User(username=username, role=Role.LEADER, province_id=area.province_id, commune_id=area.commune_id,
                polling_area_id=area.id, created_at=NOW, **fields)
    db_session.add(user)
    db_session.flush()
    return user


@pytest.fixture
def accounts(db_session, w) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One account in each state a sign-in can meet; the value is the secret that would be right."""
    code = "ACDE3467"
    _leader(db_session, w, "cho-kich-hoat", activation_code_hash=services.hash_secret(code),
            activation_expires_at=NOW + timedelta(days=3))
    _leader(db_session, w, "het-han", activation_code_hash=services.hash_secret(code),
            activation_expires_at=NOW - timedelta(days=1))
    _leader(db_session, w, "chua-co-ma")  # imported: neither password nor code yet
    _leader(db_session, w, "da-khoa", password_hash=services.hash_secret(PASSWORD), is_active=False)
    return {"to01": PASSWORD, "khong-ton-tai": PASSWORD, "cho-kich-hoat": code, "het-han": code,
            "chua-co-ma": code, "da-khoa": PASSWORD}


@pytest.mark.parametrize("right", [False, True], ids=["wrong", "right"])
@pytest.mark.parametrize("username",
                         ["to01", "khong-ton-tai", "cho-kich-hoat", "het-han", "chua-co-ma", "da-khoa"])
def test_every_sign_in_path_verifies_exactly_one_hash(db_session, accounts, verifications, username, right):
    """Unknown, inactive, awaiting activation (valid, expired or no code) and active accounts all cost one
    argon2 verification, so the time of the answer does not tell them apart."""
    secret = accounts[username] if right else "sai-mat-khau"
    result = services.authenticate(db_session, username=username, secret=secret, now=NOW)
    assert len(verifications) == 1
    assert (result is not None) == (right and username in ("to01", "cho-kich-hoat"))


@pytest.mark.no_database
def test_new_hashes_use_the_owasp_parameters():
    assert services.hash_secret("hoa-sen-do-2026").startswith(OWASP)


def test_a_hash_with_other_parameters_is_replaced_at_sign_in(db_session, w):
    user = w.user("to01")
    user.password_hash = PasswordHasher().hash(PASSWORD)  # argon2-cffi's default: 64 MiB, t=3, p=4
    db_session.flush()
    assert services.authenticate(db_session, username="to01", secret=PASSWORD, now=NOW) is not None
    assert user.password_hash.startswith(OWASP)
    assert services.verify_secret(user.password_hash, PASSWORD)


@pytest.mark.no_database
@pytest.mark.parametrize("password", [
    "11111111", "12345678", "aaaaaaaaaa", "abcdefgh", "qwertyuiop", "password1", "matkhau123", "anhyeuem123",
    "baucu2026", "vietnam123", "to01-26743", "26743to01", "Nguyen Van A",
])
def test_trivial_passwords_are_refused(password):
    with pytest.raises(services.WeakPassword):
        services.check_password(password, user_inputs=["to01-26743", "to01", "26743", "Nguyễn Văn A"])


@pytest.mark.no_database
@pytest.mark.parametrize("password", ["hoa-sen-do-2026", "Đà Nẵng mùa thu", "conmeovang-ngu-trua",
                                      "kvbp-02-moi", "Tôi đi bầu cử sớm"])
def test_passwords_that_are_hard_to_guess_are_accepted(password):
    services.check_password(password, user_inputs=["to01-26743", "to01", "26743"])


@pytest.mark.no_database
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.characters(codec="utf-8", exclude_categories=("Cs",)), st.integers(min_value=8, max_value=60))
def test_a_repeated_character_is_never_a_password(char, length):
    with pytest.raises(services.WeakPassword):
        services.check_password(char * length, user_inputs=[])


def test_activation_refuses_a_trivial_password_in_vietnamese(client, db_session, w):
    issued = services.issue_leader_codes(db_session, actor=w.user("xa"), commune=w.commune("26743"), now=NOW,
                                         ttl=timedelta(days=3000))
    first = issued[0]
    db_session.flush()
    response = client.post("/login", data={"username": first.user.username, "password": first.code,
                                           "csrf_token": csrf_token(client)})
    assert response.headers["Location"].endswith("/activate")
    token = csrf_token(client, "/activate")
    response = client.post("/activate", data={"password": "11111111", "confirm": "11111111",
                                              "csrf_token": token})
    assert response.status_code == 422
    assert "Mật khẩu này quá dễ đoán" in response.get_data(as_text=True)
    db_session.expire_all()
    assert w.user(first.user.username).password_hash is None
    response = client.post("/activate", data={"password": "hoa-sen-do-2026", "confirm": "hoa-sen-do-2026",
                                              "csrf_token": token})
    assert response.status_code == 303
