from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base, enum_type


class CommuneKind(enum.StrEnum):
    COMMUNE = "xa"
    WARD = "phuong"
    SPECIAL_ZONE = "dac_khu"


class Province(Base):
    """Tỉnh / thành phố trực thuộc trung ương (34 since 1 July 2025)."""

    __tablename__ = "provinces"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(2), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    name_folded: Mapped[str] = mapped_column(sa.String(120))
    is_city: Mapped[bool] = mapped_column(default=False)

    communes: Mapped[list[Commune]] = relationship(back_populates="province", order_by="Commune.code")

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.id, None, None)

    def __repr__(self) -> str:
        return f"<Province {self.code} {self.name}>"


class Commune(Base):
    """Xã / phường / đặc khu: the lower of the two tiers of local government."""

    __tablename__ = "communes"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(5), unique=True)
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("provinces.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    name_folded: Mapped[str] = mapped_column(sa.String(120), index=True)
    kind: Mapped[CommuneKind] = mapped_column(enum_type(CommuneKind, 10))
    # A special zone without local government elects no commune People's Council (domain.md §2).
    has_commune_council: Mapped[bool] = mapped_column(default=True)

    province: Mapped[Province] = relationship(back_populates="communes")

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, self.id, None)

    def __repr__(self) -> str:
        return f"<Commune {self.code} {self.name}>"
