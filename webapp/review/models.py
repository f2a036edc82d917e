"""What the commune decided about a report version, and when: the history behind the report's status."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import scope
from webapp.accounts.models import User
from webapp.db import Base, enum_type
from webapp.elections.models import PollingArea
from webapp.reports.models import ReportKind, ReportStatus


class Decision(enum.StrEnum):
    CONFIRM = "confirm"
    RETURN = "return"
    REOPEN = "reopen"


class ReviewAction(Base):
    """One decision of a commune (or higher) official about one version of a turnout report or count minutes."""

    __tablename__ = "review_actions"
    __audit__ = True
    __table_args__ = (
        sa.CheckConstraint("(turnout_report_id IS NULL) <> (count_report_id IS NULL)", name="one_report"),
        sa.Index("ix_review_actions_commune_at", "commune_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, 10))
    turnout_report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("turnout_reports.id"), index=True)
    count_report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("count_reports.id"), index=True)
    # Where the report sits, copied so that the scope filter is one comparison.
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("provinces.id"))
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("communes.id"))
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"), index=True)
    version: Mapped[int]
    decision: Mapped[Decision] = mapped_column(enum_type(Decision, 10))
    status_before: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus))
    status_after: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus))
    # Reason codes (webapp.review.reasons) of a return; the written text of a return or a reopening.
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime]

    actor: Mapped[User] = relationship()

    @property
    def report_id(self) -> int:
        return self.turnout_report_id if self.kind is ReportKind.TURNOUT else self.count_report_id  # type: ignore[return-value]

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, self.commune_id, self.polling_area_id)

    def __repr__(self) -> str:
        return f"<ReviewAction {self.decision} {self.kind} {self.report_id}>"


class InvolvementKind(enum.StrEnum):
    # Wrote a version of one of the station's reports, by any channel (the leader's form, the API, the outbox,
    # the hotline's entry by phone, or any later way): recorded by the database itself, with the version.
    WROTE = "wrote"
    # Reset the activation code of the station leader's account after the leader had activated it.
    RESET_CODE = "reset_code"


class StationInvolvement(Base):
    """An account that had a hand in a station's figures (tham gia lập số liệu), and so may not decide on its
    reports (four-eyes, webapp.review.authority). One row per election, account, station and kind, kept for the
    rest of that election: the first time it happened.

    "wrote" belongs to the election of the version written (a drill's writes bar nobody in the real election,
    nor the reverse; webapp.elections.working narrows every read). "reset_code" belongs to no election
    (``election_id`` NULL): the account is shared, and whoever reset its code could sign in as the leader in the
    real election and in every drill alike."""

    __tablename__ = "station_involvements"
    __audit__ = True
    __table_args__ = (
        sa.UniqueConstraint("election_id", "polling_area_id", "user_id", "kind"),
        sa.CheckConstraint("(kind = 'reset_code') = (election_id IS NULL)", name="election_of_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elections.id"), index=True)
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[InvolvementKind] = mapped_column(enum_type(InvolvementKind, 20))
    at: Mapped[datetime]

    polling_area: Mapped[PollingArea] = relationship()
    user: Mapped[User] = relationship()

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return self.polling_area.audit_place() if self.polling_area else (None, None, self.polling_area_id)

    def __repr__(self) -> str:
        return f"<StationInvolvement {self.kind} {self.user_id}@{self.polling_area_id}>"


scope.register(ReviewAction, scope.by_place(ReviewAction.province_id, ReviewAction.commune_id,
                                        ReviewAction.polling_area_id))
