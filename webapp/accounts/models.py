from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from webapp.db import Base, enum_type
from webapp.elections.models import PollingArea
from webapp.geo.models import Commune, Province
from webapp.textnorm import fold


class Role(enum.StrEnum):
    LEADER = "leader"  # Tổ trưởng tổ bầu cử: one polling area
    COMMUNE = "commune"  # cán bộ xã/phường: one commune
    PROVINCE = "province"  # Ủy ban bầu cử tỉnh: one province
    HOTLINE = "hotline"  # tổng đài: one province or the whole country; finds stations, calls the late ones, enters reports by phone
    ADMIN = "admin"  # quản trị quốc gia
    # tài khoản tích hợp: a machine (a results screen, a newsroom feed) reading through the API with tokens of
    # explicit scopes and an expiry issued by an official; one province or the whole country; never signs in
    INTEGRATION = "integration"


class User(Base):
    """An account. Its place in the hierarchy (province / commune / polling area) is its scope."""

    __tablename__ = "users"
    __audit__ = True
    __audit_redact__ = ("password_hash", "activation_code_hash")
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'leader' AND polling_area_id IS NOT NULL AND commune_id IS NOT NULL"
            " AND province_id IS NOT NULL)"
            " OR (role = 'commune' AND polling_area_id IS NULL AND commune_id IS NOT NULL"
            " AND province_id IS NOT NULL)"
            " OR (role = 'province' AND polling_area_id IS NULL AND commune_id IS NULL"
            " AND province_id IS NOT NULL)"
            " OR (role = 'hotline' AND polling_area_id IS NULL AND commune_id IS NULL)"
            " OR (role = 'admin' AND polling_area_id IS NULL AND commune_id IS NULL AND province_id IS NULL)"
            " OR (role = 'integration' AND polling_area_id IS NULL AND commune_id IS NULL)",
            name="scope_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    # The name folded (webapp.textnorm.fold) for the accounts search: diacritics, dashes and apostrophes optional.
    # Kept by ``_fold_name`` on every ORM write; bulk writers (the national generator) fill it themselves.
    name_folded: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="", index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role))
    province_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provinces.id"), index=True)
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communes.id"), index=True)
    polling_area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("polling_areas.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    activation_code_hash: Mapped[str | None] = mapped_column(sa.String(200))
    activation_expires_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]

    province: Mapped[Province | None] = relationship()
    commune: Mapped[Commune | None] = relationship()
    polling_area: Mapped[PollingArea | None] = relationship()

    # The signed-in session this instance was loaded for (set by the user loader, and on signing in), not a
    # column: its secret is what the cookie carries (Flask-Login's id); its id is what request code, such as the
    # audit entries, names. None for an API token's request.
    session_secret = None  # type: str | None
    session_id = None  # type: int | None

    @validates("full_name")
    def _fold_name(self, _key: str, value: str | None) -> str | None:
        self.name_folded = fold(value or "")
        return value

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_secret

    @property
    def needs_activation(self) -> bool:
        return self.password_hash is None

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, self.commune_id, self.polling_area_id)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class UserSession(Base):
    """A signed-in browser (phiên đăng nhập), ended on the server: logging out revokes it; logging out everywhere,
    a password or code reset and deactivation revoke all of the account's (``services.log_out_everywhere``).

    The cookie carries a random secret; only its SHA-256 is kept, so neither the database nor the audit log (which
    names a session by its id) hands out a cookie that works."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
    revoked_at: Mapped[datetime | None]


class ActivationCode(Base):
    """One one-time activation code handed out for an account (mã kích hoạt): who issued it and when, whether it
    replaced a password the owner had already set (a reset after activation, which signs the owner out
    everywhere), and when and from which address it was used. The code itself stays on the account, as a hash.

    The review pages read it to show how the account that sent a report came to be in the hands of its user."""

    __tablename__ = "activation_codes"
    __audit__ = True
    __table_args__ = (sa.Index("ix_activation_codes_area_issued", "polling_area_id", "issued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The leader's polling area when the code was issued (None for officials' accounts).
    polling_area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("polling_areas.id"))
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    issued_at: Mapped[datetime]
    after_activation: Mapped[bool] = mapped_column(default=False)
    used_at: Mapped[datetime | None]
    used_ip: Mapped[str] = mapped_column(sa.String(45), default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return self.user.audit_place() if self.user else (None, None, self.polling_area_id)

    def __repr__(self) -> str:
        return f"<ActivationCode of {self.user_id} at {self.issued_at}>"
