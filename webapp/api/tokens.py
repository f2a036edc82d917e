"""Personal API tokens: issue (the secret is shown once), list, revoke, and find the token a request carries.

A token belongs to the person who asks for it and acts as their own account, with the same role and scope:
nobody receives a token that acts as another person (a token made for someone else could write reports under
their name). The one exception is a dedicated integration account (``Role.INTEGRATION``, a machine that reads
through the API): the national administrator or a provincial committee issues its tokens, each with explicit
scopes (what it may read) and an expiry. They also see, and may revoke, the tokens of the accounts in their
scope. Tokens issued for another person's account before this rule are refused when used.
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
# Who sees and may revoke the tokens of the accounts in their scope (besides everyone's own), and issues those of
# integration accounts.
OVERSEERS = (Role.ADMIN, Role.PROVINCE)
# What an integration account's token may read: its scopes and the API paths (GET only) each opens.
SCOPES: dict[str, tuple[str, ...]] = {
    "progress:read": ("/api/v1/progress/",),
    "results:read": ("/api/v1/results/",),
    "changes:read": ("/api/v1/changes",),
}
ALWAYS_OPEN = ("/api/v1/me",)
MAX_INTEGRATION_TTL = timedelta(days=365)
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


def issue_integration_token(session: Session, *, actor: User, username: str, name: str, scopes: list[str],
                            ttl: timedelta | None, now: datetime) -> IssuedToken:
    """Create a token for the integration account ``username`` (in the actor's scope), reading only what
    ``scopes`` name, until ``ttl`` from now (at most a year: required). ``NotAllowed`` unless the actor is the
    national administrator or a provincial committee; ``InvalidToken`` for what the request gets wrong."""
    if actor.role not in OVERSEERS or not may_issue(actor):
        raise NotAllowed
    account = session.scalars(scope.select(User, actor).where(
        User.username == (username or "").strip().lower(), User.role == Role.INTEGRATION)).first()
    if account is None:
        raise InvalidToken("username", "unknown_integration")
    if not account.is_active:
        raise InvalidToken("username", "inactive_user")
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 100:
        raise InvalidToken("name", "name_length")
    chosen = sorted(set(scopes))
    if not chosen or any(s not in SCOPES for s in chosen):
        raise InvalidToken("scopes", "scopes_required")
    if ttl is None or not timedelta(0) < ttl <= MAX_INTEGRATION_TTL:
        raise InvalidToken("expires", "expiry_required")
    secret = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken(user=account, name=name, token_hash=hash_secret(secret), prefix=secret[:DISPLAY_CHARS],
                     created_by=actor, created_at=now, expires_at=now + ttl, scopes=chosen)
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def allows(token: ApiToken, method: str, path: str) -> bool:
    """Whether the token's scopes open this request (a personal token, without scopes, opens what its account
    may do)."""
    if token.scopes is None:
        return True
    if method not in ("GET", "HEAD"):
        return False
    return path in ALWAYS_OPEN or any(path.startswith(prefix) for s in token.scopes for prefix in SCOPES.get(s, ()))


def _acts_for_its_owner(token: ApiToken) -> bool:
    if token.user.role is Role.INTEGRATION:
        return bool(token.scopes) and token.expires_at is not None
    return token.created_by_id == token.user_id and token.scopes is None


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
    """The usable token with this secret whose account is active and made it for itself (or an integration
    account's, with its scopes and expiry), or None."""
    if not secret.startswith(PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    token = session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)).options(selectinload(ApiToken.user))
    ).first()
    if token is None or not token.is_usable(now) or not _acts_for_its_owner(token):
        return None
    user = token.user
    if not user.is_active or (user.needs_activation and user.role is not Role.INTEGRATION):
        return None
    return token


def mark_used(session: Session, token: ApiToken, now: datetime) -> bool:
    """Note the token's last use, at most once a minute, with a plain UPDATE: the audit log does not record
    it (nobody changed anything). True when something was written."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return False
    session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return True
