"""Voter lists (danh sách cử tri, Mẫu 31/HĐBC), their changes (biến động) and the freeze at the start of voting.

The contract shared with the reports and prints (/work/wt/VOTERS-SCHEMA.md): one row per voter on one polling
area's list for one election. STT is the voter-card number: never renumbered; additions go at the end and a
removal is an annotation (``removed_at``) that takes the row out of the totals, which are always derived from the
rows (``webapp.voters.figures.totals``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import scope
from webapp.db import Base
from webapp.db import enum_type as _enum
from webapp.elections.models import Gender, PollingArea

# A 64-bit key on PostgreSQL (79 million rows and growing); SQLite only numbers an INTEGER PRIMARY KEY by itself.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class VoterNote(enum.StrEnum):
    """The structured part of "Ghi chú" (Câu 96 of the NEC's 2026 book)."""

    TEMPORARY_RESIDENT = "temporary_resident"
    DETAINED_TEMPORARY = "detained_temporary"  # người đang bị tạm giữ
    DETAINED_CUSTODY = "detained_custody"  # người đang bị tạm giam
    MEASURE = "measure"  # đang chấp hành biện pháp đưa vào cơ sở giáo dục / cai nghiện bắt buộc
    MOBILE_BOX = "mobile_box"  # ốm đau, già yếu, khuyết tật: hòm phiếu phụ
    QUARANTINE = "quarantine"  # bỏ phiếu ở nơi khác do cách ly y tế
    VOTES_ELSEWHERE = "votes_elsewhere"  # Bỏ phiếu ở nơi khác (Mẫu 11/HĐBC)
    VOTES_AT_RESIDENCE = "votes_at_residence"  # Bỏ phiếu ở nơi cư trú (Mẫu 12/HĐBC, a soldier)
    OTHER = "other"


class VoterChangeCause(enum.StrEnum):
    MOVED_AWAY = "moved_away"
    MOVED_IN = "moved_in"
    TEMPORARY_RESIDENCE = "temporary_residence"
    CERTIFICATE_GIVEN = "certificate_given"
    CERTIFICATE_RECEIVED = "certificate_received"
    DETAINED = "detained"
    RELEASED = "released"
    RIGHTS_LOST = "rights_lost"
    RIGHTS_RESTORED = "rights_restored"
    DEATH = "death"
    UNREACHABLE = "unreachable"
    CORRECTION = "correction"
    OTHER = "other"


def _area_place(area: PollingArea | None, area_id: int) -> tuple[int | None, int | None, int | None]:
    return (area.province_id, area.commune_id, area.id) if area else (None, None, area_id)


class VoterListEntry(Base):
    """One voter on one polling area's list for one election (a row of Mẫu 31/HĐBC)."""

    __tablename__ = "voter_list_entries"
    __audit__ = True
    __table_args__ = (
        sa.UniqueConstraint("election_id", "polling_area_id", "stt"),
        sa.Index("ix_voter_list_entries_area_name", "polling_area_id", "name_folded"),
        # Listed once in the whole country: a removed row (an annotation) no longer counts.
        sa.Index("uq_voter_list_entries_listed_once", "election_id", "id_number", unique=True,
                 sqlite_where=sa.text("removed_at IS NULL"), postgresql_where=sa.text("removed_at IS NULL")),
        # A certificate's destination row names its home row: the FK check of a delete and the print's lookup.
        sa.Index("ix_voter_list_entries_origin_entry_id", "origin_entry_id",
                 sqlite_where=sa.text("origin_entry_id IS NOT NULL"),
                 postgresql_where=sa.text("origin_entry_id IS NOT NULL")),
        sa.CheckConstraint("stt >= 1", name="stt_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"))
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"))
    stt: Mapped[int]
    card_number: Mapped[str | None] = mapped_column(sa.String(20))
    full_name: Mapped[str] = mapped_column(sa.String(200))
    name_folded: Mapped[str] = mapped_column(sa.String(200))
    birth_date: Mapped[date]
    gender: Mapped[Gender] = mapped_column(_enum(Gender, 10))
    id_number: Mapped[str] = mapped_column(sa.String(12))
    ethnicity: Mapped[str] = mapped_column(sa.String(50), default="")
    permanent_address: Mapped[str] = mapped_column(sa.String(300), default="")
    temporary_address: Mapped[str] = mapped_column(sa.String(300), default="")
    current_address: Mapped[str] = mapped_column(sa.String(300), default="")
    temporary_since: Mapped[date | None]
    votes_na: Mapped[bool] = mapped_column(default=True)
    votes_province: Mapped[bool] = mapped_column(default=True)
    votes_commune: Mapped[bool] = mapped_column(default=True)
    household_key: Mapped[str | None] = mapped_column(sa.String(60))
    household_order: Mapped[int] = mapped_column(default=0)
    note_code: Mapped[VoterNote | None] = mapped_column(_enum(VoterNote, 30))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    removed_at: Mapped[datetime | None]
    removal_cause: Mapped[VoterChangeCause | None] = mapped_column(_enum(VoterChangeCause, 30))
    added_after_posting: Mapped[bool] = mapped_column(default=False)
    card_handed_out_at: Mapped[datetime | None]
    card_handed_out_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]
    import_batch: Mapped[str | None] = mapped_column(sa.String(64))
    # Added columns (the owner's): a row added at the destination by a certificate names the home row it came from.
    origin_entry_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("voter_list_entries.id"))

    polling_area: Mapped[PollingArea] = relationship()

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return _area_place(self.polling_area, self.polling_area_id)

    def __repr__(self) -> str:
        return f"<VoterListEntry {self.polling_area_id}#{self.stt}>"


class VoterChange(Base):
    """A change (biến động) of a list: its cause, the paper it rests on, who recorded it, when and by which channel,
    and the row's fields before and after."""

    __tablename__ = "voter_changes"
    __audit__ = True
    __table_args__ = (
        sa.Index("ix_voter_changes_area_effective", "polling_area_id", "effective_at"),
        sa.Index("ix_voter_changes_election_effective", "election_id", "effective_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"))
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"))
    entry_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("voter_list_entries.id"), index=True)
    cause: Mapped[VoterChangeCause] = mapped_column(_enum(VoterChangeCause, 30))
    document: Mapped[str] = mapped_column(sa.String(300), default="")
    effective_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(sa.String(10))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    certificate_number: Mapped[str | None] = mapped_column(sa.String(50))

    polling_area: Mapped[PollingArea] = relationship()
    entry: Mapped[VoterListEntry] = relationship()

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return _area_place(self.polling_area, self.polling_area_id)


class VoterListFreeze(Base):
    """An area's list frozen at the start of voting: its totals were written as VoterCount LIST_FROZEN rows."""

    __tablename__ = "voter_list_freezes"
    __audit__ = True
    __table_args__ = (sa.UniqueConstraint("election_id", "polling_area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"))
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"), index=True)
    frozen_at: Mapped[datetime]
    frozen_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    polling_area: Mapped[PollingArea] = relationship()

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return _area_place(self.polling_area, self.polling_area_id)


class VoterSnapshot(Base):
    """The figures of every area's list at one moment, taken by the jobs worker (``webapp.voters.snapshots``): a
    scheduled moment of the voter-change report once it has passed, or the current figures (``scheduled`` false,
    refreshed every few minutes). Derived data: not audited, kept when the lists are purged."""

    __tablename__ = "voter_snapshots"
    __table_args__ = (sa.UniqueConstraint("election_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    taken_at: Mapped[datetime]
    scheduled: Mapped[bool]


class VoterSnapshotArea(Base):
    """One area's figures in a snapshot: the voters on the list per contest and sex, first-time, 80 or older, and
    the figures of the preparation progress (the list's rows and cards handed out)."""

    __tablename__ = "voter_snapshot_areas"

    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("voter_snapshots.id", ondelete="CASCADE"),
                                             primary_key=True)
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"), primary_key=True)
    na_male: Mapped[int]
    na_female: Mapped[int]
    province_male: Mapped[int]
    province_female: Mapped[int]
    commune_male: Mapped[int]
    commune_female: Mapped[int]
    first_time: Mapped[int]
    elderly: Mapped[int]
    # For the preparation progress: the rows on the list, the first listed, the cards handed out and the last.
    listed: Mapped[int]
    listed_since: Mapped[datetime | None]
    cards: Mapped[int]
    cards_at: Mapped[datetime | None]


scope.register(VoterListEntry, scope.by_area(VoterListEntry.polling_area_id))
scope.register(VoterChange, scope.by_area(VoterChange.polling_area_id))
scope.register(VoterListFreeze, scope.by_area(VoterListFreeze.polling_area_id))
scope.register(VoterSnapshotArea, scope.by_area(VoterSnapshotArea.polling_area_id))
