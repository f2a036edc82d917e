from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, enum_type


class Channel(enum.StrEnum):
    WEB = "web"
    API = "api"
    IMPORT = "import"
    PHONE = "phone"
    CLI = "cli"
    SYSTEM = "system"
    DRILL_BOT = "drill-bot"  # a simulated station of a drill (webapp.drills.simulate)


class AuditEntry(Base):
    """One write. Rows are only ever inserted."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_entity", "entity_type", "entity_id"),
        sa.Index("ix_audit_entries_province_at", "province_id", "at"),
        sa.Index("ix_audit_entries_commune_at", "commune_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    # No foreign key: the log outlives anything it mentions.
    actor_id: Mapped[int | None]
    actor_username: Mapped[str] = mapped_column(sa.String(60), default="")
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 10))
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    # The actor's signed-in session (user_sessions.id; none for API tokens and commands). Not a foreign key: the
    # log outlives the sessions.
    session_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(40))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[str] = mapped_column(sa.String(40), default="")
    province_id: Mapped[int | None]
    commune_id: Mapped[int | None]
    polling_area_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
