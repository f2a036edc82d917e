"""Turnout reports and count minutes from a polling team. Rows are versions: a correction is a new row and
the previous one stays; ``is_latest`` marks the version that counts."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import scope
from webapp.accounts.models import User
from webapp.audit.models import Channel
from webapp.db import Base, enum_type
from webapp.elections.models import Candidate, Contest, Election, ElectoralUnit, PollingArea

Place = tuple[int | None, int | None, int | None]


class ReportKind(enum.StrEnum):
    """The two kinds of report a station sends, as the review and the progress rows name them."""

    TURNOUT = "turnout"
    COUNT = "count"


class ReportStatus(enum.StrEnum):
    # "Waiting to send" exists only on the phone (the offline queue).
    RECEIVED = "received"
    RETURNED = "returned"
    CONFIRMED = "confirmed"


def _place(area: PollingArea | None, area_id: int | None) -> Place:
    return (area.province_id, area.commune_id, area.id) if area else (None, None, area_id)


class TurnoutReport(Base):
    """How many voters had voted by one report time of the day (báo cáo tiến độ cử tri đi bầu)."""

    __tablename__ = "turnout_reports"
    __audit__ = True
    __table_args__ = (
        sa.UniqueConstraint("election_id", "polling_area_id", "slot_at", "version"),
        sa.Index("ix_turnout_reports_latest", "election_id", "polling_area_id", "slot_at", unique=True,
                 sqlite_where=sa.text("is_latest"), postgresql_where=sa.text("is_latest")),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"))
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"), index=True)
    # The report time itself, not a foreign key: report times may be edited after reports arrive.
    slot_at: Mapped[time]
    version: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("turnout_reports.id"))
    is_latest: Mapped[bool] = mapped_column(default=True)
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus), default=ReportStatus.RECEIVED)
    # False: one number given for every contest; True: a number per contest.
    per_contest: Mapped[bool] = mapped_column(default=False)
    no_change: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    client_uuid: Mapped[uuid.UUID] = mapped_column(unique=True)
    receipt: Mapped[str] = mapped_column(sa.String(6), unique=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 10))
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime]

    election: Mapped[Election] = relationship()
    polling_area: Mapped[PollingArea] = relationship()
    submitted_by: Mapped[User] = relationship()
    figures: Mapped[list[TurnoutFigure]] = relationship(
        back_populates="report", order_by="TurnoutFigure.contest_id", cascade="all"
    )

    def audit_place(self) -> Place:
        return _place(self.polling_area, self.polling_area_id)

    def __repr__(self) -> str:
        return f"<TurnoutReport {self.polling_area_id} {self.slot_at} v{self.version}>"


class TurnoutFigure(Base):
    """Voters who had voted, for one contest, in one turnout report (one row per contest, always)."""

    __tablename__ = "turnout_figures"
    __audit__ = True
    __table_args__ = (sa.CheckConstraint("voters_voted >= 0", name="voted_non_negative"),)

    report_id: Mapped[int] = mapped_column(sa.ForeignKey("turnout_reports.id"), primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"), primary_key=True)
    voters_voted: Mapped[int]

    report: Mapped[TurnoutReport] = relationship(back_populates="figures")
    contest: Mapped[Contest] = relationship()

    def audit_place(self) -> Place:
        return self.report.audit_place() if self.report else (None, None, None)


class CountReport(Base):
    """One version of a biên bản kết quả kiểm phiếu: one contest at one polling area."""

    __tablename__ = "count_reports"
    __audit__ = True
    __table_args__ = (
        sa.UniqueConstraint("polling_area_id", "contest_id", "version"),
        sa.Index("ix_count_reports_latest", "polling_area_id", "contest_id", unique=True,
                 sqlite_where=sa.text("is_latest"), postgresql_where=sa.text("is_latest")),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the UNIQUE (polling_area_id, contest_id, version) index leads with it, and every index
    # costs each version twice (its INSERT, and the UPDATE of is_latest, which the partial index makes non-HOT).
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"))
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"), index=True)
    # The unit the area voted in when the minutes were sent (the mapping could change later).
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("electoral_units.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("count_reports.id"))
    is_latest: Mapped[bool] = mapped_column(default=True)
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus), default=ReportStatus.RECEIVED)
    returned_reasons: Mapped[str] = mapped_column(sa.Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]

    voters_on_list: Mapped[int]
    voters_voted: Mapped[int]
    ballots_issued: Mapped[int]
    ballots_received: Mapped[int]
    valid: Mapped[int]
    invalid: Mapped[int]
    # {"1": n1, "2": n2, …}: valid ballots by the number of names kept, when the team recorded it.
    names_kept: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)
    complaints_received: Mapped[int] = mapped_column(default=0)
    complaints_resolved: Mapped[int] = mapped_column(default=0)
    complaints_forwarded: Mapped[int] = mapped_column(default=0)
    complaints_note: Mapped[str] = mapped_column(sa.Text, default="")
    # The inventory of ballots used (Mẫu 32/HĐBC; checks.INVENTORY_FIELDS): None when the team did not enter it.
    ballots_from_commune: Mapped[int | None]
    ballots_spoiled: Mapped[int | None]
    ballots_unused: Mapped[int | None]
    # [{"id": team member id, "name": …, "role": …}] as they were when the minutes were signed.
    signers: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    witness_1: Mapped[str] = mapped_column(sa.String(200))
    witness_2: Mapped[str] = mapped_column(sa.String(200))
    # {finding code: the leader's written explanation}; findings: what the checks said when it was sent.
    explanations: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)

    client_uuid: Mapped[uuid.UUID] = mapped_column(unique=True)
    receipt: Mapped[str] = mapped_column(sa.String(6), unique=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 10))
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime]

    polling_area: Mapped[PollingArea] = relationship()
    contest: Mapped[Contest] = relationship()
    unit: Mapped[ElectoralUnit] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    votes: Mapped[list[CountVote]] = relationship(back_populates="report", cascade="all")
    photos: Mapped[list[ReportPhoto]] = relationship(back_populates="report", order_by="ReportPhoto.id")

    def audit_place(self) -> Place:
        return _place(self.polling_area, self.polling_area_id)

    def audit_children(self) -> dict[str, Any]:
        return {"votes": votes_audited({v.candidate_id: v.votes for v in self.votes})}

    def __repr__(self) -> str:
        return f"<CountReport {self.polling_area_id}/{self.contest_id} v{self.version}>"


def votes_audited(votes: Mapping[int, int]) -> dict[str, int]:
    """The votes of a version ({candidate id: votes}) as its audit entry records them (ids as text, for JSON)."""
    return {str(c): n for c, n in votes.items()}


class CountVote(Base):
    """Votes for one candidate in one version of the count minutes.

    Written only with their version and never changed: they are audited inside the version's own entry
    (``CountReport.audit_children``), not one entry each."""

    __tablename__ = "count_votes"
    __table_args__ = (sa.CheckConstraint("votes >= 0", name="votes_non_negative"),)

    report_id: Mapped[int] = mapped_column(sa.ForeignKey("count_reports.id"), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("candidates.id"), primary_key=True, index=True)
    votes: Mapped[int]

    report: Mapped[CountReport] = relationship(back_populates="votes")
    candidate: Mapped[Candidate] = relationship()

    def audit_place(self) -> Place:
        return self.report.audit_place() if self.report else (None, None, None)


class ReportPhoto(Base):
    """A photo of the signed paper minutes, re-encoded as JPEG, kept with the version it documents."""

    __tablename__ = "report_photos"
    __audit__ = True
    __table_args__ = (sa.UniqueConstraint("count_report_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    count_report_id: Mapped[int] = mapped_column(sa.ForeignKey("count_reports.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(30))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    # Relative to the upload folder (instance/uploads).
    path: Mapped[str] = mapped_column(sa.String(300))
    client_uuid: Mapped[uuid.UUID] = mapped_column(unique=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 10))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]

    report: Mapped[CountReport] = relationship(back_populates="photos")
    uploaded_by: Mapped[User] = relationship()

    def audit_place(self) -> Place:
        return self.report.audit_place() if self.report else (None, None, None)

    def audit_children(self) -> dict[str, Any]:
        # The paper trail names the version the photo documents, not only its row id.
        return {"version": self.report.version if self.report else None}


def _area_rule(column: Any) -> Any:
    def rule(s: scope.Scope) -> Any:
        if s.level is scope.Level.NATION:
            return sa.true()
        if s.level is scope.Level.POLLING_AREA:
            return column == s.polling_area_id
        return column.in_(sa.select(PollingArea.id).where(scope.visible(PollingArea, s)))

    return rule


def _child_rule(column: Any, parent: type) -> Any:
    return lambda s: column.in_(sa.select(parent.id).where(scope.visible(parent, s)))


scope.register(TurnoutReport, _area_rule(TurnoutReport.polling_area_id))
scope.register(CountReport, _area_rule(CountReport.polling_area_id))
scope.register(TurnoutFigure, _child_rule(TurnoutFigure.report_id, TurnoutReport))
scope.register(CountVote, _child_rule(CountVote.report_id, CountReport))
scope.register(ReportPhoto, _child_rule(ReportPhoto.count_report_id, CountReport))
