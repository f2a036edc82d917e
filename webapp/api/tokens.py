"""Personal API tokens: issue (the secret is shown once), list, revoke, and find the token a request carries.

A token belongs to the person who asks for it and acts as their own account, with the same role and scope:
nobody receives a token that acts as another person (a token made for someone else could write reports under
their name). The national administrator and provincial committees also see, and may revoke, the tokens of the
accounts in their scope. Tokens issued for another account before this rule are refused when used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import Role, User
from webapp.api.models import ApiToken

PREFIX = "bc26_"
# 32 random bytes: as strong as the session key; far beyond any brute force, so a fast hash is safe.
SECRET_BYTES = 32
DISPLAY_CHARS = 12
MAX_TOKEN_LENGTH = 100
# Who sees and may revoke the tokens of the accounts in their scope (besides everyone's own).
OVERSEERS = (Role.ADMIN, Role.PROVINCE)
# Writing "last used" on every request would add a write to every read; once a minute is enough to audit.
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(Exception):
    """Base of the refusals of the token services."""


class NotAllowed(TokenError):
    """The account may not have a token: it is deactivated, or not yet activated by its owner."""


class InvalidToken(TokenError):
    """``field`` and ``reason`` say what is wrong with the request for a token."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # exists only here: the database keeps its hash


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def may_issue(actor: User) -> bool:
    """Every account in use may have tokens of its own (an account not yet activated, or deactivated, may not)."""
    return actor.is_active and not actor.needs_activation


def issue_token(session: Session, *, actor: User, name: str, ttl: timedelta | None, now: datetime) -> IssuedToken:
    """Create a token acting as the actor's own account (``NotAllowed`` for an account that is not active).

    ``ttl`` None means it never expires. The returned secret is not stored and cannot be shown again."""
    if not may_issue(actor):
        raise NotAllowed
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 100:
        raise InvalidToken("name", "name_length")
    secret = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken(user=actor, name=name, token_hash=hash_secret(secret), prefix=secret[:DISPLAY_CHARS],
                     created_by=actor, created_at=now, expires_at=now + ttl if ttl else None)
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def _visible(actor: User) -> sa.Select[tuple[ApiToken]]:
    if actor.role in OVERSEERS:
        return scope.select(ApiToken, actor)
    return sa.select(ApiToken).where(ApiToken.user_id == actor.id)


def list_tokens(session: Session, *, actor: User, include_revoked: bool = False) -> list[ApiToken]:
    """The actor's own tokens (an administrator or a provincial committee: those of the accounts it sees),
    newest first."""
    stmt = _visible(actor).options(selectinload(ApiToken.user), selectinload(ApiToken.created_by))
    if not include_revoked:
        stmt = stmt.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(stmt.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, *, actor: User, token_id: int, now: datetime) -> ApiToken:
    """Revoke a token the actor sees (else ``scope.OutOfScope``); revoking twice changes nothing."""
    token = session.scalars(_visible(actor).where(ApiToken.id == token_id)).first()
    if token is None:
        raise scope.OutOfScope(ApiToken.__name__)
    if token.revoked_at is None:
        token.revoked_at = now
        token.revoked_by = actor
        session.flush()
    return token


def revoke_all_of(session: Session, *, user: User, by: User, now: datetime) -> int:
    """Revoke every usable token of the account ("log out everywhere", by the account itself or by a manager:
    whoever holds the phone or a copied token must not keep the account's access through the API). How many
    were revoked."""
    active = session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id,
                                                       ApiToken.revoked_at.is_(None))).all()
    for token in active:
        token.revoked_at = now
        token.revoked_by = by
    session.flush()
    return len(active)


def authenticate(session: Session, secret: str, now: datetime) -> ApiToken | None:
    """The usable token with this secret whose account is active and made it for itself, or None."""
    if not secret.startswith(PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    token = session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)).options(selectinload(ApiToken.user))
    ).first()
    if token is None or not token.is_usable(now) or token.created_by_id != token.user_id:
        return None
    user = token.user
    if not user.is_active or user.needs_activation:
        return None
    return token


def mark_used(session: Session, token: ApiToken, now: datetime) -> bool:
    """Note the token's last use, at most once a minute, with a plain UPDATE: the audit log does not record
    it (nobody changed anything). True when something was written."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return False
    session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return True
