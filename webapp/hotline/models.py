"""A call the hotline made to (or took from) a polling team, and how it went."""

from __future__ import annotations

import enum
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import scope
from webapp.accounts.models import User
from webapp.db import Base, enum_type
from webapp.elections.models import PollingArea


class CallOutcome(enum.StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    REPORTED_BY_PHONE = "reported_by_phone"
    DEVICE_PROBLEM = "device_problem"


class CallLog(Base):
    """One call about one polling area: who called, when, the number, the outcome and a note."""

    __tablename__ = "call_logs"
    __audit__ = True
    __table_args__ = (sa.Index("ix_call_logs_area_at", "polling_area_id", "at"),
                      sa.Index("ix_call_logs_province_at", "province_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # The election the call was made in: the real one or a drill (webapp.elections.working fills it in).
    election_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elections.id"), index=True)
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"))
    # Copied from the polling area so that the scope filter is one comparison.
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("provinces.id"))
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("communes.id"), index=True)
    # The report time the call was about, when it was about one (the call list's current time).
    slot_at: Mapped[time | None]
    outcome: Mapped[CallOutcome] = mapped_column(enum_type(CallOutcome))
    number: Mapped[str] = mapped_column(sa.String(20), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    caller_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime]

    polling_area: Mapped[PollingArea] = relationship()
    caller: Mapped[User] = relationship()

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, self.commune_id, self.polling_area_id)

    def __repr__(self) -> str:
        return f"<CallLog {self.polling_area_id} {self.outcome}>"


scope.register(CallLog, scope.by_place(CallLog.province_id, CallLog.commune_id, CallLog.polling_area_id))
