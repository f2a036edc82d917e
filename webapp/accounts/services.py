"""Accounts: passwords, activation codes, sign-in and the leaders' accounts of a commune."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from webapp.accounts.models import ActivationCode, Role, User, UserSession
from webapp.api.tokens import revoke_all_of
from webapp.audit import services as audit
from webapp.clock import utcnow
from webapp.elections.models import PollingArea
from webapp.geo.models import Commune
from webapp.textnorm import fold
from webapp.review.authority import record_involvement
from webapp.review.models import InvolvementKind

# OWASP Password Storage Cheat Sheet, argon2id: 19 MiB, 2 iterations, 1 lane. argon2-cffi's default (64 MiB,
# 3 iterations, 4 lanes) cost about 8 times the CPU per sign-in on this 2-core machine (benchmarks/README.md).
# Hashes made with other parameters are replaced at the next successful sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes are read off paper and typed on phones.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
MIN_PASSWORD_LENGTH = 8
# zxcvbn's score from 0 (guessed at once) to 4: 2 means it takes about a million guesses, out of reach of an
# online attacker held to the sign-in throttle's pace.
MIN_PASSWORD_SCORE = 2
# Words zxcvbn's English dictionaries lack but Vietnamese passwords are made of.
_LOCAL_WORDS = ["matkhau", "anhyeuem", "emyeuanh", "yeuem", "yeuanh", "baucu", "bầu cử", "vietnam",
                "việt nam", "hanoi", "saigon", "xinchao", "khuvuc", "bophieu", "quochoi", "toquoc", "hocsinh",
                "zalo"]


class AccountError(Exception):
    """Base of the account rules' refusals; the message id is translated by the view."""


class WeakPassword(AccountError):
    pass


class DuplicateUsername(AccountError):
    pass


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored: str | None, secret: str) -> bool:
    """Always one argon2 verification, even with nothing stored: the answer's timing tells nothing."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, secret) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(sa.select(User).where(User.username == username.strip().lower())).first()


@dataclasses.dataclass(frozen=True)
class SignIn:
    user: User
    needs_password: bool


def authenticate(session: Session, *, username: str, secret: str, now: datetime) -> SignIn | None:
    """The password, or for an account never used, its one-time activation code."""
    # Exactly one verification on every path (unknown, inactive, awaiting activation, expired code, active),
    # so that the time of the answer does not tell which it was.
    user = find_user(session, username)
    if user is None or not user.is_active:
        verify_secret(None, secret)
        return None
    if user.needs_activation:
        expired = user.activation_expires_at is None or user.activation_expires_at < now
        matches = verify_secret(None if expired else user.activation_code_hash, normalise_code(secret))
        return SignIn(user, needs_password=True) if matches else None
    if not verify_secret(user.password_hash, secret):
        return None
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_secret(secret)
    user.last_login_at = now
    return SignIn(user, needs_password=False)


def check_password(password: str, *, user_inputs: list[str]) -> None:
    """Refuse a password that is short or easy to guess (zxcvbn: repeats, sequences, keyboard rows, common
    words and passwords, dates, the account's own name); ``user_inputs`` are the account's words."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword("too_short")
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        # Nobody types them on a phone, and zxcvbn's patterns do not see across a newline.
        raise WeakPassword("control_character")
    # Typed without diacritics too: "Nguyễn" is often written "nguyen".
    words = [form for w in user_inputs if w for form in (w, fold(w), fold(w).replace(" ", ""))]
    words += _LOCAL_WORDS
    # zxcvbn's cost grows with the length; what it sees of a long password is already strong.
    if zxcvbn(password[:100], user_inputs=words)["score"] < MIN_PASSWORD_SCORE:
        raise WeakPassword("too_easy")


def set_password(session: Session, *, user: User, password: str, now: datetime) -> None:
    """Every password is set here (activation; any later change or reset too), after ``check_password``."""
    name = user.full_name or ""
    check_password(password, user_inputs=[user.username, *user.username.split("-"), name, *name.split()])
    user.password_hash = hash_secret(password)
    user.activation_code_hash = None
    user.activation_expires_at = None
    user.last_login_at = now
    session.flush()


def record_code(session: Session, *, user: User, actor: User | None, after_activation: bool,
                now: datetime) -> ActivationCode:
    """Note a one-time code just handed out for ``user`` (the code itself is kept on the account, hashed)."""
    row = ActivationCode(user_id=user.id, polling_area_id=user.polling_area_id,
                         issued_by_id=actor.id if actor is not None else None, issued_at=now,
                         after_activation=after_activation, used_ip="")
    session.add(row)
    session.flush()
    return row


def record_activation(session: Session, *, user: User, ip: str, now: datetime) -> None:
    """The account's code was just used to choose a password: note when and from which address (the review
    pages show it beside every report the account sends)."""
    row = session.scalars(sa.select(ActivationCode).where(ActivationCode.user_id == user.id,
                                                          ActivationCode.used_at.is_(None))
                          .order_by(ActivationCode.issued_at.desc(), ActivationCode.id.desc()).limit(1)).first()
    if row is None:  # a code handed out before codes were recorded
        row = ActivationCode(user_id=user.id, polling_area_id=user.polling_area_id, issued_at=now,
                             after_activation=False)
        session.add(row)
    row.used_at = now
    row.used_ip = (ip or "")[:45]
    session.flush()


# --- signed-in sessions (user_sessions) ---------------------------------------------------------------------


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(session: Session, *, user: User, now: datetime, lifetime: timedelta, ip: str = "",
                  user_agent: str = "") -> str:
    """A new signed-in session of ``user``; its secret (for the cookie) is also set on ``user``."""
    secret = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, secret_hash=secret_hash(secret), created_at=now, expires_at=now + lifetime,
                      ip=ip[:45], user_agent=user_agent[:200])
    session.add(row)
    session.flush()
    user.session_secret, user.session_id = secret, row.id
    return secret


def live_session(hashed: Any, now: Any) -> tuple[sa.ColumnElement[bool], ...]:
    """The conditions on ``user_sessions`` joined to ``users`` that a signed-in request must meet (the session not
    revoked nor expired, the account active and activated): here once, for ``session_user`` and the quick poll
    (``hashed`` and ``now``: values, or bound parameters of a statement built once)."""
    return (UserSession.secret_hash == hashed, UserSession.revoked_at.is_(None),
            UserSession.expires_at > now, User.is_active, User.password_hash.is_not(None))


def session_user(session: Session, secret: str, now: datetime) -> User | None:
    """The account of a live session (not revoked, not expired, the account active and activated), or None: one
    statement, on every request of a signed-in browser."""
    row = session.execute(_session_user_statement(), {"hashed": secret_hash(secret), "now": now}).first()
    if row is None:
        return None
    user, session_id = row
    user.session_secret, user.session_id = secret, session_id
    return user


@functools.cache
def _session_user_statement() -> sa.Select[tuple[User, int]]:
    # Built once, as the quick poll's: every request of a signed-in browser sends it.
    return (sa.select(User, UserSession.id).join(UserSession, UserSession.user_id == User.id)
            .where(*live_session(sa.bindparam("hashed"), sa.bindparam("now"))))


def end_session(session: Session, *, session_id: int, now: datetime) -> None:
    """Log out: this session ends, on every worker and node, at once."""
    session.execute(sa.update(UserSession).where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
                    .values(revoked_at=now))


def log_out_everywhere(session: Session, *, user: User, now: datetime | None = None) -> None:
    """Every signed-in session of this account, on every device, ends at once (the one way to do it: "log out
    everywhere", a password or code reset, a deactivation, a change of place). API tokens are revoked apart
    (``api.tokens.revoke_all_of``)."""
    session.execute(sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
                    .values(revoked_at=now or utcnow()))


@dataclasses.dataclass(frozen=True)
class IssuedCode:
    polling_area: PollingArea
    user: User
    code: str


def leader_username(area: PollingArea, commune: Commune) -> str:
    return f"to{area.number:02d}-{commune.code}"


def issue_leader_codes(
    session: Session,
    *,
    actor: User,
    commune: Commune,
    now: datetime,
    ttl: timedelta,
    area_ids: set[int] | None = None,
) -> list[IssuedCode]:
    """Create the leader account of each polling area of ``commune`` that has none, and give every
    not-yet-activated leader a fresh one-time code (older codes stop working).

    Accounts already activated are left alone unless their area is named in ``area_ids`` (a reset:
    the password is cleared and a new code issued).
    """
    areas = session.scalars(
        sa.select(PollingArea).where(PollingArea.commune_id == commune.id).order_by(PollingArea.number)
    ).all()
    leaders = {
        u.polling_area_id: u
        for u in session.scalars(
            sa.select(User).where(User.role == Role.LEADER, User.commune_id == commune.id)
        )
    }
    issued: list[IssuedCode] = []
    resets: list[str] = []
    for area in areas:
        if area_ids is not None and area.id not in area_ids:
            continue
        user = leaders.get(area.id)
        if user is None:
            username = leader_username(area, commune)
            if find_user(session, username) is not None:
                raise DuplicateUsername(username)
            leader = next((m for m in area.team if m.role.value == "leader"), None)
            user = User(
                username=username,
                full_name=leader.full_name if leader else "",
                phone=leader.phone if leader else "",
                role=Role.LEADER,
                province_id=commune.province_id,
                commune_id=commune.id,
                polling_area_id=area.id,
                created_at=now,
            )
            session.add(user)
        elif not user.needs_activation and (area_ids is None or area.id not in area_ids):
            continue
        code = new_code()
        was_active = user.id is not None and not user.needs_activation
        user.password_hash = None
        user.activation_code_hash = hash_secret(code)
        user.activation_expires_at = now + ttl
        if user.id is not None:
            log_out_everywhere(session, user=user, now=now)
        session.flush()
        record_code(session, user=user, actor=actor, after_activation=was_active, now=now)
        if was_active:
            # Whoever holds this code can sign in as the leader: four-eyes (webapp.review.authority).
            record_involvement(session, user=actor, polling_area_id=area.id, kind=InvolvementKind.RESET_CODE,
                               now=now)
            revoke_all_of(session, user=user, by=actor, now=now)
            resets.append(area.code)
        issued.append(IssuedCode(area, user, code))
    session.flush()
    audit.record_event(
        session,
        action="issue_codes",
        entity_type="communes",
        entity_id=str(commune.id),
        place=(commune.province_id, commune.id, None),
        after={"areas": [i.polling_area.code for i in issued], "by": actor.username,
               "reset_after_activation": resets},
    )
    return issued


_DUMMY_HASH = hash_secret("not-a-real-password")
