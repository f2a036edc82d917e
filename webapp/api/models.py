"""API tokens: personal ones (an account's own) and those of integration accounts (explicit scopes, an expiry)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import scope
from webapp.accounts.models import User
from webapp.db import Base


class ApiToken(Base):
    """A bearer token acting as ``user``. Only the SHA-256 of the secret is kept: the secret is 32 random bytes,
    so a fast hash is enough (nothing to brute-force) and lets the token be found by an indexed lookup."""

    __tablename__ = "api_tokens"
    __audit__ = True
    __audit_redact__ = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters of the secret, shown in lists so that a holder can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # What an integration account's token may read (webapp.api.tokens.SCOPES); None: a personal token, which may
    # do whatever its own account may.
    scopes: Mapped[list[str] | None] = mapped_column(sa.JSON)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return self.user.audit_place() if self.user else (None, None, None)

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of {self.user_id}>"


# A token is seen by whoever sees the account it acts as.
scope.register(ApiToken, lambda s: ApiToken.user_id.in_(sa.select(User.id).where(scope.visible(User, s))))
