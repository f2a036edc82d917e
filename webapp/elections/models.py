from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from webapp.db import Base
from webapp.elections import codes
from webapp.db import enum_type as _enum
from webapp.geo.models import Commune, Province
from webapp.textnorm import fold


class ContestKind(enum.StrEnum):
    NATIONAL_ASSEMBLY = "na"
    PROVINCIAL_COUNCIL = "provincial"
    COMMUNE_COUNCIL = "commune"

    @property
    def max_seats(self) -> int:
        return 3 if self is ContestKind.NATIONAL_ASSEMBLY else 5


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class PollingAreaKind(enum.StrEnum):
    REGULAR = "regular"
    HOSPITAL = "hospital"
    ARMED_FORCES = "armed_forces"
    DETENTION = "detention"


class TeamRole(enum.StrEnum):
    LEADER = "leader"
    DEPUTY = "deputy"
    SECRETARY = "secretary"
    MEMBER = "member"


class VoterCountSource(enum.StrEnum):
    POSTED = "posted"
    UPDATE = "update"
    OPENING = "opening"
    LIST_FROZEN = "list_frozen"  # the voter list's rows at the start of voting (webapp.voters.changes.freeze)


class Election(Base):
    """One polling day with its contests (cuộc bầu cử)."""

    __tablename__ = "elections"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    polling_date: Mapped[date]
    standard_open: Mapped[time] = mapped_column(default=time(7, 0))
    standard_close: Mapped[time] = mapped_column(default=time(19, 0))
    earliest_open: Mapped[time] = mapped_column(default=time(5, 0))
    latest_close: Mapped[time] = mapped_column(default=time(21, 0))
    is_drill: Mapped[bool] = mapped_column(default=False)
    # A drill (diễn tập) made from a real election (webapp.drills): the election it copies, its place (None: the
    # whole country), the minutes between its report times and who made it. Its schedule is the hours above and
    # its report times, on the wall clock of ``polling_date``.
    source_election_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elections.id"), index=True)
    drill_province_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provinces.id"))
    drill_slot_minutes: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    contests: Mapped[list[Contest]] = relationship(back_populates="election", order_by="Contest.id")
    report_times: Mapped[list[ReportTime]] = relationship(back_populates="election", order_by="ReportTime.at")

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.drill_province_id, None, None)


class ReportTime(Base):
    """A turnout report time of the day; rows with a province override the national default."""

    __tablename__ = "report_times"
    __audit__ = True
    __table_args__ = (sa.UniqueConstraint("election_id", "province_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"))
    province_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provinces.id"), index=True)
    at: Mapped[time]
    # Minutes after ``at`` by which the report is due before the station counts as late.
    grace_minutes: Mapped[int] = mapped_column(default=15)

    election: Mapped[Election] = relationship(back_populates="report_times")

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, None, None)


class Contest(Base):
    """One of the three elections held the same day (QH, HĐND tỉnh, HĐND xã)."""

    __tablename__ = "contests"
    __audit__ = True
    __table_args__ = (sa.UniqueConstraint("election_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"))
    kind: Mapped[ContestKind] = mapped_column(_enum(ContestKind))
    name: Mapped[str] = mapped_column(sa.String(300))

    election: Mapped[Election] = relationship(back_populates="contests")

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (None, None, None)


class ElectoralUnit(Base):
    """Đơn vị bầu cử: the constituency of one contest, with its Ban bầu cử."""

    __tablename__ = "electoral_units"
    __audit__ = True
    __table_args__ = (
        sa.UniqueConstraint("contest_id", "code"),
        sa.CheckConstraint("seats >= 1 AND seats <= 5", name="seats_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"), index=True)
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("provinces.id"), index=True)
    # Only commune-council units belong to one commune.
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communes.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(30))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(300))
    seats: Mapped[int]

    contest: Mapped[Contest] = relationship()
    province: Mapped[Province] = relationship()
    commune: Mapped[Commune | None] = relationship()
    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="unit", order_by="Candidate.ballot_order"
    )

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, self.commune_id, None)

    @validates("code")
    def _well_formed_code(self, _key: str, code: str) -> str:
        return codes.checked(code, 30)

    def __repr__(self) -> str:
        return f"<ElectoralUnit {self.code}>"


class Candidate(Base):
    """Người ứng cử. The date of birth decides a tie for the last seat (Điều 78)."""

    __tablename__ = "candidates"
    __audit__ = True
    __table_args__ = (sa.UniqueConstraint("unit_id", "ballot_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("electoral_units.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    name_folded: Mapped[str] = mapped_column(sa.String(200))
    birth_date: Mapped[date]
    gender: Mapped[Gender] = mapped_column(_enum(Gender, 10))
    ballot_order: Mapped[int]

    unit: Mapped[ElectoralUnit] = relationship(back_populates="candidates")

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        unit = self.unit
        return (unit.province_id, unit.commune_id, None) if unit else (None, None, None)


class PollingArea(Base):
    """Khu vực bỏ phiếu, with its Tổ bầu cử. One polling area serves every contest held there."""

    __tablename__ = "polling_areas"
    __audit__ = True
    __table_args__ = (sa.UniqueConstraint("commune_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("communes.id"), index=True)
    # Copied from the commune so that every scope filter is one indexed comparison.
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("provinces.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(300))
    name_folded: Mapped[str] = mapped_column(sa.String(300))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    kind: Mapped[PollingAreaKind] = mapped_column(_enum(PollingAreaKind), default=PollingAreaKind.REGULAR)
    early_voting_date: Mapped[date | None]

    commune: Mapped[Commune] = relationship()
    province: Mapped[Province] = relationship()
    unit_links: Mapped[list[PollingAreaUnit]] = relationship(back_populates="polling_area")
    team: Mapped[list[TeamMember]] = relationship(
        back_populates="polling_area", order_by="TeamMember.position"
    )

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, self.commune_id, self.id)

    @validates("code")
    def _well_formed_code(self, _key: str, code: str) -> str:
        return codes.checked(code, 20)

    def __repr__(self) -> str:
        return f"<PollingArea {self.code}>"


class PollingAreaUnit(Base):
    """Which electoral unit a polling area votes in, for one contest."""

    __tablename__ = "polling_area_units"
    __audit__ = True

    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"), primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("electoral_units.id"), index=True)

    polling_area: Mapped[PollingArea] = relationship(back_populates="unit_links")
    contest: Mapped[Contest] = relationship()
    unit: Mapped[ElectoralUnit] = relationship()

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        pa = self.polling_area
        return (pa.province_id, pa.commune_id, pa.id) if pa else (None, None, self.polling_area_id)


class VoterCount(Base):
    """Voters on a polling area's list for one contest, as of a moment. Never updated: a change is a new row."""

    __tablename__ = "voter_counts"
    __audit__ = True
    __table_args__ = (
        sa.Index("ix_voter_counts_area_contest_as_of", "polling_area_id", "contest_id", "as_of"),
        sa.CheckConstraint("total >= 0", name="total_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"))
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"))
    total: Mapped[int]
    male: Mapped[int | None]
    female: Mapped[int | None]
    as_of: Mapped[datetime]
    source: Mapped[VoterCountSource] = mapped_column(_enum(VoterCountSource), default=VoterCountSource.POSTED)
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    polling_area: Mapped[PollingArea] = relationship()
    contest: Mapped[Contest] = relationship()

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        pa = self.polling_area
        return (pa.province_id, pa.commune_id, pa.id) if pa else (None, None, self.polling_area_id)


class TeamMember(Base):
    """A member of the Tổ bầu cử of a polling area."""

    __tablename__ = "team_members"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    # The name folded (webapp.textnorm.fold) for the hotline's search by a member's name. Kept by ``_fold_name``
    # on every ORM write; bulk writers (the teams import, the national generator) fill it themselves.
    name_folded: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    role: Mapped[TeamRole] = mapped_column(_enum(TeamRole))
    phone: Mapped[str] = mapped_column(sa.String(20), default="", index=True)
    position: Mapped[int] = mapped_column(default=0)

    polling_area: Mapped[PollingArea] = relationship(back_populates="team")

    @validates("full_name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.name_folded = fold(value or "")
        return value

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        pa = self.polling_area
        return (pa.province_id, pa.commune_id, pa.id) if pa else (None, None, self.polling_area_id)


#: The tables whose rows make up a station's configuration (webapp.reports.station): a write to any of them changes
#: ``ConfigurationVersion.token`` (database triggers, so Core bulk loads and imports are seen too).
CONFIGURATION_TABLES = ("elections", "contests", "electoral_units", "candidates", "polling_areas",
                        "polling_area_units", "team_members")


class ConfigurationVersion(Base):
    """A single row whose ``token`` the database changes with every write to the election's configuration
    (``CONFIGURATION_TABLES``). Per-process caches of that configuration compare it on every read, so an import
    or an edit is seen by the next submission. The token is random rather than a counter: a rolled-back
    transaction must not leave a number that a later change could draw again."""

    __tablename__ = "configuration_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))
