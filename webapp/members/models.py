from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, enum_type


class MemberRole(enum.StrEnum):
    CHAIR = "chair"  # Chủ tịch (committee), Trưởng ban (Ban)
    VICE_CHAIR = "vice_chair"  # Phó Chủ tịch, Phó Trưởng ban
    SECRETARY = "secretary"  # Thư ký (Ban)


class CommitteeMember(Base):
    """A signer of a committee's or a Ban's minutes. The body: the Ban of ``unit_id`` when set; otherwise the
    election committee of ``commune_id`` (commune) or of ``province_id`` (province)."""

    __tablename__ = "committee_members"
    __audit__ = True
    __table_args__ = (sa.Index("ix_committee_members_body", "province_id", "commune_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("provinces.id"))
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communes.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("electoral_units.id"))
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole, 12))
    full_name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, self.commune_id, None)
