"""Failed sign-ins slow the attacker down; the owner is never locked out (accounts.throttle)."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient

from tests.conftest import csrf_token
from tests.world import PASSWORD
from webapp.accounts import throttle

ATTACKER = "198.51.100.66"
OWNER = "203.0.113.10"


def attempt(  # type: ignore[no-untyped-def]
    client: FlaskClient, username: str, password: str, address: str, token: str = "",
):
    token = token or csrf_token(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_a_known_device_signs_in_while_the_account_and_its_address_are_hammered(app, client):
    owner = client
    assert attempt(owner, "to01", PASSWORD, OWNER).status_code == 303
    assert owner.get_cookie(throttle.DEVICE_COOKIE, path="/login") is not None
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/")})

    attacker = app.test_client()
    answers = [attempt(attacker, "to01", f"doan-sai-{i}", OWNER).status_code for i in range(40)]
    assert answers.count(429) > 30  # the attacker is slowed down, even from the owner's own address
    # The owner's device is judged by its own failures only: it signs in at once.
    assert attempt(owner, "to01", PASSWORD, OWNER).status_code == 303


def test_failures_slow_down_progressively_and_never_lock(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_ACCOUNT", (3, 2))
    token = csrf_token(client)  # one per session: each attempt is a single request, well inside a 1 s wait
    answers = [attempt(client, "xa", f"sai-{i}", ATTACKER, token).status_code for i in range(4)]
    assert answers == [422, 422, 422, 422]
    # The right password too: guessing cannot go on.
    refused = attempt(client, "xa", PASSWORD, ATTACKER, token)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "Vui lòng đợi 1 giây" in refused.get_data(as_text=True)
    assert 'value="xa"' in refused.get_data(as_text=True)
    time.sleep(1.1)
    assert attempt(client, "xa", "sai-nua", ATTACKER, token).status_code == 422
    assert attempt(client, "xa", PASSWORD, ATTACKER, token).headers["Retry-After"] == "2"  # the window grows
    time.sleep(2.1)
    assert attempt(client, "xa", "sai-nua", ATTACKER, token).status_code == 422
    assert attempt(client, "xa", PASSWORD, ATTACKER, token).headers["Retry-After"] == "2"  # up to its cap
    time.sleep(2.1)
    # Never a lock: once the short wait is over, the right password signs in.
    assert attempt(client, "xa", PASSWORD, ATTACKER, token).status_code == 303


def test_a_refused_attempt_costs_no_password_hash(client, verifications):
    for i in range(6):
        attempt(client, "to01", f"sai-{i}", ATTACKER)
    verified = len(verifications)
    answers = [attempt(client, "to01", f"sai-them-{i}", ATTACKER).status_code for i in range(20)]
    assert answers[0] == 429 and set(answers) <= {422, 429}
    # One verification per attempt that was let through (a slow machine may outlast a wait), none per refusal.
    assert len(verifications) - verified == answers.count(422)


def test_one_address_guessing_many_accounts_is_slowed_down(client, verifications):
    answers = [attempt(client, f"to{n:02d}-26743", "matkhau", ATTACKER).status_code for n in range(2, 60)]
    assert answers[:20] == [422] * 20
    assert answers.count(429) > 30
    # Another address is not concerned: it signs in at once, on a device never seen before.
    assert attempt(client, "xa", PASSWORD, OWNER).status_code == 303


@pytest.mark.parametrize("cookie", ["other-account", "forged", "garbage"])
def test_only_a_genuine_device_cookie_of_the_same_account_is_trusted(app, client, cookie):
    other = app.test_client()
    assert attempt(other, "xa", PASSWORD, OWNER).status_code == 303  # a device known to xa, not to to01
    value = other.get_cookie(throttle.DEVICE_COOKIE, path="/login").value
    if cookie == "forged":
        value = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    elif cookie == "garbage":
        value = "to01"
    for i in range(7):
        attempt(client, "to01", f"sai-{i}", ATTACKER)
    client.set_cookie(throttle.DEVICE_COOKIE, value, path="/login")
    assert attempt(client, "to01", PASSWORD, ATTACKER).status_code == 429


def test_a_known_device_has_its_own_allowance(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_DEVICE", (2, 60))
    assert attempt(client, "to01", PASSWORD, OWNER).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    # Someone else at the phone types wrong passwords: this device waits, no other does.
    assert [attempt(client, "to01", f"sai-{i}", OWNER).status_code for i in range(4)] == [422, 422, 422, 429]
    assert attempt(app.test_client(), "to01", PASSWORD, OWNER).status_code == 303
