"""The one place that decides what a user may see: every query of scoped data goes through here.

A user's scope is their place in the hierarchy (nation, province, commune or polling area). ``visible``
returns the WHERE clause that keeps a model's rows inside that place; ``get`` loads one object or raises
``OutOfScope``, which the web layer turns into a 404 so that another station's id reveals nothing.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts.models import Role, User
from webapp.audit.models import AuditEntry
from webapp.elections.models import (
    Candidate,
    ElectoralUnit,
    PollingArea,
    PollingAreaUnit,
    TeamMember,
    VoterCount,
)
from webapp.geo.models import Commune, Province

T = TypeVar("T")


class Level(enum.IntEnum):
    NATION = 0
    PROVINCE = 1
    COMMUNE = 2
    POLLING_AREA = 3


@dataclasses.dataclass(frozen=True)
class Scope:
    level: Level
    province_id: int | None = None
    commune_id: int | None = None
    polling_area_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Scope:
        if user.role is Role.LEADER:
            return cls(Level.POLLING_AREA, user.province_id, user.commune_id, user.polling_area_id)
        if user.role is Role.COMMUNE:
            return cls(Level.COMMUNE, user.province_id, user.commune_id)
        if user.role is Role.PROVINCE or (user.role in (Role.HOTLINE, Role.INTEGRATION)
                                          and user.province_id is not None):
            return cls(Level.PROVINCE, user.province_id)
        return cls(Level.NATION)

    def contains_place(self, province_id: int | None, commune_id: int | None, polling_area_id: int | None) -> bool:
        if self.level is Level.NATION:
            return True
        if self.level is Level.PROVINCE:
            return province_id == self.province_id
        if self.level is Level.COMMUNE:
            return commune_id == self.commune_id
        return polling_area_id == self.polling_area_id


class OutOfScope(LookupError):
    """The object does not exist or lies outside the user's place; both answer 404."""


_FALSE = sa.false()


def _units_of_areas(area_filter: Any) -> Any:
    return sa.select(PollingAreaUnit.unit_id).join(PollingArea).where(area_filter)


def _province(s: Scope) -> Any:
    return sa.true() if s.level is Level.NATION else Province.id == s.province_id


def _commune(s: Scope) -> Any:
    if s.level is Level.NATION:
        return sa.true()
    if s.level is Level.PROVINCE:
        return Commune.province_id == s.province_id
    return Commune.id == s.commune_id


def by_place(province: Any, commune: Any, polling_area: Any) -> Callable[[Scope], Any]:
    """The rule of rows that name their place's province, commune and polling area in three columns (every
    domain's: register it with ``register``)."""

    def clause(s: Scope) -> Any:
        if s.level is Level.NATION:
            return sa.true()
        if s.level is Level.PROVINCE:
            return province == s.province_id
        if s.level is Level.COMMUNE:
            return commune == s.commune_id
        return polling_area == s.polling_area_id

    return clause


_polling_area = by_place(PollingArea.province_id, PollingArea.commune_id, PollingArea.id)


def _unit(s: Scope) -> Any:
    if s.level is Level.NATION:
        return sa.true()
    if s.level is Level.PROVINCE:
        return ElectoralUnit.province_id == s.province_id
    if s.level is Level.COMMUNE:
        # The commune's own council units, and the higher units its polling areas vote in.
        return sa.or_(
            ElectoralUnit.commune_id == s.commune_id,
            ElectoralUnit.id.in_(_units_of_areas(PollingArea.commune_id == s.commune_id)),
        )
    return ElectoralUnit.id.in_(
        sa.select(PollingAreaUnit.unit_id).where(PollingAreaUnit.polling_area_id == s.polling_area_id)
    )


def _candidate(s: Scope) -> Any:
    if s.level is Level.NATION:
        return sa.true()
    return Candidate.unit_id.in_(sa.select(ElectoralUnit.id).where(_unit(s)))


def _by_area(column: Any) -> Callable[[Scope], Any]:
    def clause(s: Scope) -> Any:
        if s.level is Level.NATION:
            return sa.true()
        if s.level is Level.POLLING_AREA:
            return column == s.polling_area_id
        return column.in_(sa.select(PollingArea.id).where(_polling_area(s)))

    return clause


_RULES: dict[type, Callable[[Scope], Any]] = {
    Province: _province,
    Commune: _commune,
    PollingArea: _polling_area,
    ElectoralUnit: _unit,
    Candidate: _candidate,
    TeamMember: _by_area(TeamMember.polling_area_id),
    VoterCount: _by_area(VoterCount.polling_area_id),
    PollingAreaUnit: _by_area(PollingAreaUnit.polling_area_id),
    User: by_place(User.province_id, User.commune_id, User.polling_area_id),
    AuditEntry: by_place(AuditEntry.province_id, AuditEntry.commune_id, AuditEntry.polling_area_id),
}


#: The rule of rows that name only their polling area (later domains register it for their models).
by_area = _by_area


def register(model: type, rule: Callable[[Scope], Any]) -> None:
    """Later domains (reports, results…) add their models' rules here."""
    _RULES[model] = rule


def visible(model: type, user: User | Scope) -> Any:
    """The WHERE clause keeping ``model`` rows inside the user's place. Unknown models see nothing."""
    scope = user if isinstance(user, Scope) else Scope.of(user)
    rule = _RULES.get(model)
    return rule(scope) if rule else _FALSE


def select(model: type[T], user: User | Scope) -> sa.Select[tuple[T]]:
    return sa.select(model).where(visible(model, user))


_KEY_LIMIT = {False: 2**31, True: 2**63}  # INTEGER, BIGINT


def get(session: Session, model: type[T], ident: Any, user: User | Scope) -> T:
    pk = sa.inspect(model).primary_key
    if len(pk) != 1:
        raise TypeError(f"{model.__name__} has a composite key")
    try:
        ident = pk[0].type.python_type(ident)
    except (TypeError, ValueError) as exc:
        raise OutOfScope(model.__name__) from exc
    # A number the key's column cannot hold names no object (PostgreSQL would refuse the query: a 500).
    if isinstance(ident, int) and not -_KEY_LIMIT[isinstance(pk[0].type, sa.BigInteger)] <= ident \
            < _KEY_LIMIT[isinstance(pk[0].type, sa.BigInteger)]:
        raise OutOfScope(model.__name__)
    obj = session.scalars(select(model, user).where(pk[0] == ident)).first()
    if obj is None:
        raise OutOfScope(model.__name__)
    return obj


def commune_or_province(session: Session, user: User | Scope, *, province_id: int | None,
                        commune_id: int | None) -> tuple[Province, Commune | None, Any]:
    """The place a report covers: a commune (when ``commune_id``) or a province, each OutOfScope when not the
    user's; with the filter of its polling areas."""
    if commune_id is not None:
        commune = get(session, Commune, commune_id, user)
        return commune.province, commune, PollingArea.commune_id == commune.id
    if province_id is not None:
        province = get(session, Province, province_id, user)
        return province, None, PollingArea.province_id == province.id
    raise TypeError("a report needs province_id or commune_id")
