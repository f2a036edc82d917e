"""Managing accounts within one's scope: who may create or change whom, the leaders' accounts of a commune,
searching, deactivating, ending sessions and issuing new activation codes.

Every object handed in has already been loaded through ``webapp.scope``; these rules decide what the actor
may do with it.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts import services
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.elections.models import PollingArea, TeamMember, TeamRole
from webapp.geo.models import Commune, Province
from webapp.textnorm import fold, nfc

# Whose accounts each role looks after (always within its own scope).
MANAGES: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.PROVINCE: frozenset({Role.COMMUNE, Role.HOTLINE, Role.LEADER, Role.INTEGRATION}),
    Role.COMMUNE: frozenset({Role.LEADER}),
}
# Which accounts each role may create on the accounts page (leaders come from the leaders' page).
CREATES: dict[Role, tuple[Role, ...]] = {
    Role.ADMIN: (Role.PROVINCE, Role.COMMUNE, Role.HOTLINE, Role.ADMIN, Role.INTEGRATION),
    Role.PROVINCE: (Role.COMMUNE, Role.HOTLINE, Role.INTEGRATION),
}
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
# toNN-CCCCC belongs to the leader of polling area NN of commune CCCCC (services.leader_username).
LEADER_USERNAME_RE = re.compile(r"^to\d{2,}-\d{5}$")
PHONE_RE = re.compile(r"^\+?\d{8,15}$")


class NotAllowed(services.AccountError):
    """The actor's role may not do this to this account."""


class AccountInactive(services.AccountError):
    """A deactivated account gets no new code: reactivate it first."""


class InvalidAccount(services.AccountError):
    """The entries break a rule; ``field`` names the entry at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def may_manage(actor: User, target: User) -> bool:
    """Whether ``actor`` may change ``target`` (loaded in the actor's scope). Never oneself."""
    return target.id != actor.id and target.role in MANAGES.get(actor.role, frozenset())


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed("not_allowed")


def _record_user_event(session: Session, action: str, user: User, *, by: str) -> None:
    """An audited event on an account, with who did it (a username, or "cli")."""
    audit.record_event(session, action=action, entity_type="users", entity_id=str(user.id),
                       place=user.audit_place(), after={"by": by})


# --- searching ---------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(text: str) -> str:
    """A LIKE pattern matching ``text`` literally anywhere (to be used with ``escape="\\"``)."""
    return f"%{_escape(text)}%"


@dataclasses.dataclass
class AccountPage:
    accounts: list[User]
    next_after: str | None  # the username to continue after, or None on the last page


def search_accounts(
    session: Session,
    *,
    user: User,
    query: str = "",
    role: Role | None = None,
    after: str = "",
    limit: int = 50,
) -> AccountPage:
    """Accounts in the user's scope by username, name or phone, ordered by username, one page at a time."""
    stmt = (
        scope.select(User, user)
        .order_by(User.username)
        .limit(limit + 1)
        .options(selectinload(User.commune), selectinload(User.province), selectinload(User.polling_area))
    )
    text = nfc(query)
    if text:
        digits = re.sub(r"\D", "", text)
        clauses = [
            User.username.like(contains(text.lower()), escape="\\"),
            User.name_folded.like(contains(fold(text)), escape="\\"),
        ]
        if len(digits) >= 3:
            clauses.append(User.phone.like(contains(digits), escape="\\"))
        stmt = stmt.where(sa.or_(*clauses))
    if role is not None:
        stmt = stmt.where(User.role == role)
    if after:
        stmt = stmt.where(User.username > after)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return AccountPage(rows, rows[-1].username if more and rows else None)


# --- creating ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NewAccount:
    username: str
    full_name: str
    phone: str
    role: Role
    province_id: int | None = None
    commune_code: str = ""


def clean_phone(value: str) -> str:
    return re.sub(r"[\s.\-()]", "", value or "")


def create_account(session: Session, *, actor: User, data: NewAccount, now: datetime) -> User:
    """A new account without password or code; the activation slip is printed from its page."""
    _require(data.role in CREATES.get(actor.role, ()))
    username = data.username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidAccount("username", "bad_username")
    if LEADER_USERNAME_RE.match(username):
        raise InvalidAccount("username", "leader_username")
    if services.find_user(session, username) is not None:
        raise InvalidAccount("username", "taken")
    phone = clean_phone(data.phone)
    if phone and not PHONE_RE.match(phone):
        raise InvalidAccount("phone", "bad_phone")
    province_id: int | None = None
    commune_id: int | None = None
    if data.role is Role.COMMUNE:
        commune = session.scalars(
            scope.select(Commune, actor).where(Commune.code == data.commune_code.strip())
        ).first()
        if commune is None:
            raise InvalidAccount("commune_code", "unknown_commune")
        province_id, commune_id = commune.province_id, commune.id
    elif data.role in (Role.PROVINCE, Role.HOTLINE, Role.INTEGRATION):
        province_id = actor.province_id if actor.role is Role.PROVINCE else data.province_id
        if province_id is not None:
            try:
                scope.get(session, Province, province_id, actor)
            except scope.OutOfScope:
                raise InvalidAccount("province_id", "unknown_province") from None
        elif data.role is Role.PROVINCE:
            raise InvalidAccount("province_id", "province_required")
    user = User(
        username=username,
        full_name=nfc(data.full_name),
        phone=phone,
        role=data.role,
        province_id=province_id,
        commune_id=commune_id,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


@dataclasses.dataclass(frozen=True)
class FirstAdmin:
    user: User
    code: str | None  # the one-time password, when none was given


def create_admin(
    session: Session, *, username: str, password: str | None, full_name: str, now: datetime, ttl: timedelta
) -> FirstAdmin:
    """A national administrator made from the command line (the first account of a deployment). Without a
    password it gets a one-time code, the way every official's account starts: signing in with it asks for a
    new password. The caller checked that the username is free."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username) or LEADER_USERNAME_RE.match(username):
        raise InvalidAccount("username", "bad_username")
    user = User(username=username, full_name=nfc(full_name), role=Role.ADMIN, created_at=now)
    session.add(user)
    if password is not None:
        services.set_password(session, user=user, password=password, now=now)
        user.last_login_at = None
        session.flush()
        return FirstAdmin(user, None)
    # Longer than a leader's code: this account can do everything, and nobody reads it off a slip.
    code = services.new_code(12)
    user.activation_code_hash = services.hash_secret(code)
    user.activation_expires_at = now + ttl
    session.flush()
    _record_user_event(session, "issue_code", user, by="cli")
    return FirstAdmin(user, code)


# --- changing ----------------------------------------------------------------------------------------------


def set_active(session: Session, *, actor: User, user: User, active: bool) -> None:
    """Deactivate (every session ends at once) or reactivate an account."""
    _require(may_manage(actor, user))
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        services.log_out_everywhere(session, user=user)
    session.flush()


def log_out_account(session: Session, *, actor: User, user: User) -> None:
    """End every session of another account (a lost or stolen phone)."""
    _require(may_manage(actor, user))
    services.log_out_everywhere(session, user=user)
    _record_user_event(session, "logout_everywhere", user, by=actor.username)


def issue_activation_code(session: Session, *, actor: User, user: User, now: datetime, ttl: timedelta) -> str:
    """A new one-time code for an official's account; password and sessions end (leaders: reset_leader; an
    integration account never signs in, it has tokens)."""
    _require(may_manage(actor, user) and user.role not in (Role.LEADER, Role.INTEGRATION))
    if not user.is_active:
        raise AccountInactive(user.username)
    code = services.new_code()
    was_active = not user.needs_activation
    user.password_hash = None
    user.activation_code_hash = services.hash_secret(code)
    user.activation_expires_at = now + ttl
    services.log_out_everywhere(session, user=user, now=now)
    services.record_code(session, user=user, actor=actor, after_activation=was_active, now=now)
    _record_user_event(session, "issue_code", user, by=actor.username)
    return code


def issue_commune_codes(
    session: Session, *, actor: User, commune: Commune, now: datetime, ttl: timedelta
) -> list[services.IssuedCode]:
    """Create the missing leader accounts of the commune and give every account not yet activated a new code.

    Deactivated accounts get a code too (the service treats them alike) but no slip: it would not work.
    """
    _require(Role.LEADER in MANAGES.get(actor.role, frozenset()))
    issued = services.issue_leader_codes(session, actor=actor, commune=commune, now=now, ttl=ttl)
    return [i for i in issued if i.user.is_active]


def reset_leader(
    session: Session, *, actor: User, area: PollingArea, now: datetime, ttl: timedelta
) -> services.IssuedCode:
    """A new code for one polling area's leader (creating the account if missing); the old password ends."""
    _require(Role.LEADER in MANAGES.get(actor.role, frozenset()))
    current = session.scalars(
        sa.select(User).where(User.role == Role.LEADER, User.polling_area_id == area.id)
    ).first()
    if current is not None and not current.is_active:
        raise AccountInactive(current.username)
    issued = services.issue_leader_codes(
        session, actor=actor, commune=area.commune, now=now, ttl=ttl, area_ids={area.id}
    )
    return issued[0]


# --- the leaders of a commune ------------------------------------------------------------------------------


class LeaderState(enum.StrEnum):
    NONE = "none"
    WAITING = "waiting"
    EXPIRED = "expired"
    ACTIVE = "active"
    INACTIVE = "inactive"


@dataclasses.dataclass
class LeaderRow:
    area: PollingArea
    team_leader: str
    account: User | None
    state: LeaderState


def leader_rows(session: Session, *, user: User, commune: Commune, now: datetime) -> list[LeaderRow]:
    """Each polling area of the commune with its leader's account and where that account stands."""
    areas = session.scalars(
        scope.select(PollingArea, user)
        .where(PollingArea.commune_id == commune.id)
        .order_by(PollingArea.number)
    ).all()
    names = dict(
        session.execute(
            sa.select(TeamMember.polling_area_id, TeamMember.full_name)
            .join(PollingArea, PollingArea.id == TeamMember.polling_area_id)
            .where(PollingArea.commune_id == commune.id, TeamMember.role == TeamRole.LEADER)
        ).all()
    )
    accounts = {
        u.polling_area_id: u
        for u in session.scalars(
            scope.select(User, user).where(User.role == Role.LEADER, User.commune_id == commune.id)
        )
    }
    return [
        LeaderRow(a, names.get(a.id, ""), accounts.get(a.id), _state(accounts.get(a.id), now)) for a in areas
    ]


def _state(account: User | None, now: datetime) -> LeaderState:
    if account is None:
        return LeaderState.NONE
    if not account.is_active:
        return LeaderState.INACTIVE
    if not account.needs_activation:
        return LeaderState.ACTIVE
    if account.activation_code_hash and account.activation_expires_at and account.activation_expires_at > now:
        return LeaderState.WAITING
    return LeaderState.EXPIRED


@dataclasses.dataclass
class CommuneRow:
    commune: Commune
    areas: int
    active: int
    waiting: int


def communes_for_leaders(
    session: Session, *, user: User, query: str = "", limit: int = 100
) -> list[CommuneRow]:
    """Communes in scope (by code or name, accents optional) with how far their leaders' accounts are."""
    stmt = scope.select(Commune, user).order_by(Commune.code).limit(limit)
    folded = fold(query)
    if folded:
        stmt = stmt.where(
            sa.or_(
                Commune.name_folded.like(contains(folded), escape="\\"),
                Commune.code.like(_escape(folded) + "%", escape="\\"),
            )
        )
    communes = list(session.scalars(stmt))
    ids = [c.id for c in communes]
    if not ids:
        return []
    areas = dict(
        session.execute(
            sa.select(PollingArea.commune_id, sa.func.count())
            .where(PollingArea.commune_id.in_(ids))
            .group_by(PollingArea.commune_id)
        ).all()
    )
    counts: dict[tuple[int, bool], int] = {
        (cid, pending): n
        for cid, pending, n in session.execute(
            sa.select(User.commune_id, User.password_hash.is_(None), sa.func.count())
            .where(User.role == Role.LEADER, User.commune_id.in_(ids))
            .group_by(User.commune_id, User.password_hash.is_(None))
        )
    }
    return [
        CommuneRow(c, areas.get(c.id, 0), counts.get((c.id, False), 0), counts.get((c.id, True), 0))
        for c in communes
    ]
