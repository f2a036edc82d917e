"""One run of the readiness check on a leader's phone (lần kiểm tra sẵn sàng), with each check's outcome."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import scope
from webapp.accounts.models import User
from webapp.db import Base
from webapp.elections.models import Election, PollingArea

#: The checks, in the order the page shows them; each is a boolean column of ``ReadinessCheck``.
CHECKS = ("pages_cached", "outbox_works", "storage_persistent", "clock_ok", "version_current", "account_active")


class ReadinessCheck(Base):
    """What one phone showed when its leader ran "Kiểm tra sẵn sàng": a row per run, never changed. The station
    is ready when its latest run passed every check."""

    __tablename__ = "readiness_checks"
    __audit__ = True
    __table_args__ = (sa.Index("ix_readiness_checks_area_at", "polling_area_id", "checked_at"),
                      sa.Index("ix_readiness_checks_commune_at", "commune_id", "checked_at"),
                      sa.Index("ix_readiness_checks_province_at", "province_id", "checked_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # The election the session worked in: a drill's checks are rows of the drill.
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"), index=True)
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"))
    # Copied from the polling area so that the scope filter is one comparison.
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("provinces.id"))
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("communes.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    client_uuid: Mapped[uuid.UUID] = mapped_column(unique=True)
    checked_at: Mapped[datetime]
    # The phone's own clock when it sent the results, and how far it was from the server's (phone minus server).
    client_time: Mapped[datetime | None]
    clock_skew_seconds: Mapped[int | None]
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    app_version: Mapped[str] = mapped_column(sa.String(20), default="")
    server_version: Mapped[str] = mapped_column(sa.String(20), default="")

    pages_cached: Mapped[bool]
    outbox_works: Mapped[bool]
    storage_persistent: Mapped[bool]
    clock_ok: Mapped[bool]
    version_current: Mapped[bool]
    account_active: Mapped[bool]
    passed: Mapped[bool]
    # What the phone said beyond yes or no: the pages it could not keep, the storage estimate, an error.
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    polling_area: Mapped[PollingArea] = relationship()
    user: Mapped[User] = relationship()
    election: Mapped[Election] = relationship()

    @property
    def outcomes(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in CHECKS}

    @property
    def failed(self) -> list[str]:
        return [name for name in CHECKS if not getattr(self, name)]

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, self.commune_id, self.polling_area_id)

    def __repr__(self) -> str:
        return f"<ReadinessCheck {self.polling_area_id} {'passed' if self.passed else 'failed'}>"


scope.register(ReadinessCheck, scope.by_place(ReadinessCheck.province_id, ReadinessCheck.commune_id,
                                          ReadinessCheck.polling_area_id))
