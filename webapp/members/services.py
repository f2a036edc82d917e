"""Who signs the minutes: the Ban of a unit (Trưởng ban, Phó Trưởng ban, Thư ký) and the election committee of a
province or commune (Chủ tịch, Phó Chủ tịch). Plain functions; the caller commits."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts.models import Role, User
from webapp.elections.models import ContestKind, ElectoralUnit
from webapp.members.models import CommitteeMember, MemberRole
from webapp.textnorm import nfc

MAX_VICE_CHAIRS = 10


@dataclasses.dataclass(frozen=True)
class Body:
    """The Ban of ``unit_id``, or the committee of ``commune_id`` or ``province_id``."""

    province_id: int
    commune_id: int | None = None
    unit_id: int | None = None

    @classmethod
    def ban(cls, unit: ElectoralUnit) -> Body:
        return cls(unit.province_id, unit.commune_id, unit.id)

    @property
    def is_ban(self) -> bool:
        return self.unit_id is not None

    def where(self) -> sa.ColumnElement[bool]:
        return sa.and_(CommitteeMember.province_id == self.province_id,
                       CommitteeMember.commune_id.is_(None) if self.commune_id is None
                       else CommitteeMember.commune_id == self.commune_id,
                       CommitteeMember.unit_id.is_(None) if self.unit_id is None
                       else CommitteeMember.unit_id == self.unit_id)


@dataclasses.dataclass(frozen=True)
class Signers:
    chair: str = ""
    vice_chairs: tuple[str, ...] = ()
    secretary: str = ""


def runs_unit(user: User, unit: ElectoralUnit) -> bool:
    """The election committee that runs the unit: the province's for National Assembly and provincial units, the
    commune's for commune-council units (or an administrator)."""
    if user.role is Role.ADMIN:
        return True
    if unit.contest.kind is ContestKind.COMMUNE_COUNCIL:
        return user.role is Role.COMMUNE and user.commune_id == unit.commune_id
    return user.role is Role.PROVINCE and user.province_id == unit.province_id


def may_edit_committee(user: User, body: Body) -> bool:
    if user.role is Role.ADMIN:
        return True
    if body.commune_id is not None:
        return user.role is Role.COMMUNE and user.commune_id == body.commune_id
    return user.role is Role.PROVINCE and user.province_id == body.province_id


def signers(session: Session, body: Body) -> Signers:
    rows = session.scalars(sa.select(CommitteeMember).where(body.where())
                           .order_by(CommitteeMember.position, CommitteeMember.id)).all()
    by_role: dict[MemberRole, list[str]] = {}
    for row in rows:
        by_role.setdefault(row.role, []).append(row.full_name)
    return Signers(chair=(by_role.get(MemberRole.CHAIR) or [""])[0],
                   vice_chairs=tuple(by_role.get(MemberRole.VICE_CHAIR, ())),
                   secretary=(by_role.get(MemberRole.SECRETARY) or [""])[0])


def set_signers(session: Session, body: Body, wanted: Signers) -> None:
    """Replace the body's signers (each row written and deleted through the ORM: audited)."""
    for row in session.scalars(sa.select(CommitteeMember).where(body.where())):
        session.delete(row)
    entries = [(MemberRole.CHAIR, wanted.chair)] + [(MemberRole.VICE_CHAIR, n) for n in wanted.vice_chairs]
    if body.is_ban:
        entries.append((MemberRole.SECRETARY, wanted.secretary))
    for position, (role, name) in enumerate(entries):
        name = nfc(" ".join(name.split()))
        if name:
            session.add(CommitteeMember(province_id=body.province_id, commune_id=body.commune_id,
                                        unit_id=body.unit_id, role=role, full_name=name, position=position))
    session.flush()
