"""Summaries behind the progress views, so that reading never scans the reports.

Station rows (one per station × report time × contest, and one per station × contest for the count minutes)
are written by the station's own submission, in the same transaction (``webapp.progress.tracking``): no two
stations ever touch the same row. Commune and province rollups are recomputed from the station rows in the
background (``webapp.progress.refresh``) for the communes named in the ``progress_dirty`` queue, which writers
only append to. The corrections feed records every change that makes a total go down.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp import scope
from webapp.db import Base, enum_type
from webapp.reports.models import ReportKind, ReportStatus


class Level(enum.StrEnum):
    COMMUNE = "commune"
    PROVINCE = "province"


class Change(enum.StrEnum):
    FIGURES = "figures"  # a new version with other numbers
    RETURNED = "returned"  # the commune sent it back: its numbers leave the provisional total
    REOPENED = "reopened"  # a confirmed version stopped being confirmed: its numbers leave the confirmed total


class TurnoutStation(Base):
    """The version that counts of one station's turnout report, for one report time and one contest."""

    __tablename__ = "progress_turnout_stations"
    __table_args__ = (sa.Index("ix_progress_turnout_stations_commune", "election_id", "commune_id"),)

    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"), primary_key=True)
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"), primary_key=True)
    slot_at: Mapped[time] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"), primary_key=True)
    province_id: Mapped[int]
    commune_id: Mapped[int]
    day: Mapped[date]  # the station's polling day (its early-vote date when it has one)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("turnout_reports.id"))
    version: Mapped[int]
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus))
    voted: Mapped[int]
    submitted_at: Mapped[datetime]
    due_at: Mapped[datetime]  # the report time plus its grace minutes, when the report arrived
    late: Mapped[bool]  # the version that counts arrived after ``due_at``


class CountStation(Base):
    """The version that counts of one station's count minutes for one contest."""

    __tablename__ = "progress_count_stations"
    __table_args__ = (sa.Index("ix_progress_count_stations_commune", "election_id", "commune_id"),)

    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"), primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"), primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"))
    province_id: Mapped[int]
    commune_id: Mapped[int]
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("count_reports.id"))
    version: Mapped[int]
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus))
    voters_on_list: Mapped[int]
    voters_voted: Mapped[int]
    submitted_at: Mapped[datetime]


class TurnoutRollup(Base):
    """One commune's or province's turnout at one report time, for one contest and one polling day.

    ``reported`` excludes returned reports (they are counted in ``returned``); ``voted``/``voted_on_list`` are
    the provisional figures (received and confirmed reports), ``confirmed_*`` the confirmed ones alone."""

    __tablename__ = "progress_turnout_rollups"
    __table_args__ = (sa.Index("ix_progress_turnout_rollups_due", "election_id", "level", "due_at"),
                      sa.Index("ix_progress_turnout_rollups_province", "election_id", "level", "province_id"))

    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"), primary_key=True)
    level: Mapped[Level] = mapped_column(enum_type(Level, 10), primary_key=True)
    place_id: Mapped[int] = mapped_column(primary_key=True)  # the commune's or the province's id
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"), primary_key=True)
    slot_at: Mapped[time] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    province_id: Mapped[int]
    due_at: Mapped[datetime]
    expected: Mapped[int]  # stations voting in the contest on that day
    on_list: Mapped[int]  # voters on the lists of every expected station
    reported: Mapped[int]
    reported_late: Mapped[int]
    returned: Mapped[int]
    confirmed: Mapped[int]
    voted: Mapped[int]
    voted_on_list: Mapped[int]  # voters on the lists of the stations in ``reported``
    confirmed_voted: Mapped[int]
    confirmed_on_list: Mapped[int]


class CountRollup(Base):
    """One commune's or province's count minutes for one contest: how many arrived, in which state, and the
    turnout they give (voters who voted / voters on the list, as written in the minutes)."""

    __tablename__ = "progress_count_rollups"
    __table_args__ = (sa.Index("ix_progress_count_rollups_province", "election_id", "level", "province_id"),)

    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"), primary_key=True)
    level: Mapped[Level] = mapped_column(enum_type(Level, 10), primary_key=True)
    place_id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"), primary_key=True)
    province_id: Mapped[int]
    expected: Mapped[int]
    received: Mapped[int]  # waiting for the commune's review
    returned: Mapped[int]
    confirmed: Mapped[int]
    voted: Mapped[int]  # provisional: received and confirmed minutes
    voted_on_list: Mapped[int]
    confirmed_voted: Mapped[int]
    confirmed_on_list: Mapped[int]


class Correction(Base):
    """A change that lowers or withdraws a station's numbers: a new version with other figures, a return,
    a confirmed report reopened. ``before``/``after`` hold the numbers ({contest id: voted} for turnout;
    the minutes' figures and {"votes": {candidate id: n}} for a count)."""

    __tablename__ = "progress_corrections"
    __table_args__ = (sa.Index("ix_progress_corrections_place", "election_id", "province_id", "commune_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"))
    province_id: Mapped[int]
    commune_id: Mapped[int]
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"), index=True)
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, 10))
    change: Mapped[Change] = mapped_column(enum_type(Change, 10))
    slot_at: Mapped[time | None]
    contest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contests.id"))
    turnout_report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("turnout_reports.id"))
    count_report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("count_reports.id"))
    version_before: Mapped[int]
    version_after: Mapped[int]
    status_before: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus))
    status_after: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus))
    before: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    lowered: Mapped[bool]  # some number went down (or left a total)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_username: Mapped[str] = mapped_column(sa.String(80), default="")
    at: Mapped[datetime]


class Dirty(Base):
    """A place whose rollups must be recomputed: a commune, a whole province (``commune_id`` NULL, e.g. its
    report times changed) or everything (both NULL). Writers only append; the refresher deletes what it took."""

    __tablename__ = "progress_dirty"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int | None]
    commune_id: Mapped[int | None]
    times: Mapped[bool] = mapped_column(default=False)  # report times changed: deadlines to recompute


class RefreshState(Base):
    """When the rollups of an election were last refreshed, and who is refreshing them now (single flight
    across processes: the first reader that finds them stale claims the refresh, the others read the last
    snapshot). ``version`` grows with every refresh that changed something: the views' ETag."""

    __tablename__ = "progress_state"

    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    refreshed_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    # The last refresh summed the count minutes under the early-vote seal (webapp.reports.secrecy): when the seal
    # lifts (or first holds), the next refresh rebuilds everything.
    sealed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class PlaceVersion(Base):
    """The snapshot version (``RefreshState.version``) at which a place's progress last changed, and when: a page's
    version token uses its own place's, so that a commune's dashboard stays 204 while other communes change
    (issue 14 §2). Written by the refresh in the same transaction as the rollups: a commune whenever the refresh
    recomputes it (something in it was written), a province whenever one of its communes is, the nation
    (``place_id`` 0) with every new snapshot version; every place at a full rebuild."""

    __tablename__ = "progress_place_versions"

    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10), primary_key=True)  # nation | province | commune
    place_id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    changed_at: Mapped[datetime]


def _rollup_rule(model: Any) -> Any:
    def rule(s: scope.Scope) -> Any:
        if s.level is scope.Level.NATION:
            return sa.true()
        if s.level is scope.Level.PROVINCE:
            return model.province_id == s.province_id
        if s.level is scope.Level.COMMUNE:
            return sa.and_(model.level == Level.COMMUNE, model.place_id == s.commune_id)
        return sa.false()

    return rule


scope.register(TurnoutStation, scope.by_place(TurnoutStation.province_id, TurnoutStation.commune_id,
                                           TurnoutStation.polling_area_id))
scope.register(CountStation, scope.by_place(CountStation.province_id, CountStation.commune_id,
                                         CountStation.polling_area_id))
scope.register(Correction, scope.by_place(Correction.province_id, Correction.commune_id, Correction.polling_area_id))
scope.register(TurnoutRollup, _rollup_rule(TurnoutRollup))
scope.register(CountRollup, _rollup_rule(CountRollup))
