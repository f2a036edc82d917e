from __future__ import annotations

import argon2._password_hasher
import pytest


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The hash of every argon2 verification that ``PasswordHasher.verify`` really makes, in order."""
    calls: list[bytes] = []
    real = argon2._password_hasher.verify_secret

    def counted(hash: bytes, secret: bytes, type: argon2.Type) -> bool:  # noqa: A002
        calls.append(hash)
        return real(hash, secret, type)

    monkeypatch.setattr(argon2._password_hasher, "verify_secret", counted)
    return calls
