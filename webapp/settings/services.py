"""The turnout report times of a province (or the national default), replaced as one set."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts.models import Role, User
from webapp.elections.models import Election, ReportTime

MAX_GRACE_MINUTES = 240
MAX_TIMES = 24


class SettingsError(Exception):
    """Base of the refusals; the view translates ``reason``."""


class NotAllowed(SettingsError):
    pass


class InvalidReportTimes(SettingsError):
    """``reason`` is one of: none, outside_hours, duplicate, grace, too_many; ``index`` the row at fault."""

    def __init__(self, reason: str, index: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.index = index


@dataclasses.dataclass(frozen=True)
class TimeSlot:
    at: time
    grace_minutes: int = 15


def may_edit(actor: User, province_id: int | None) -> bool:
    """The administrator edits the national default and every province; a provincial committee its own."""
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.PROVINCE and province_id is not None and province_id == actor.province_id


def own_report_times(session: Session, election: Election, province_id: int | None) -> list[ReportTime]:
    """Exactly the rows of this province (or of the national default), without falling back."""
    return list(
        session.scalars(
            sa.select(ReportTime)
            .where(
                ReportTime.election_id == election.id,
                ReportTime.province_id.is_(None)
                if province_id is None
                else ReportTime.province_id == province_id,
            )
            .order_by(ReportTime.at)
        )
    )


def provinces_with_own_times(session: Session, election: Election) -> set[int]:
    return set(
        session.scalars(
            sa.select(ReportTime.province_id)
            .where(ReportTime.election_id == election.id, ReportTime.province_id.is_not(None))
            .distinct()
        )
    )


def check_slots(election: Election, slots: Sequence[tuple[int, TimeSlot]]) -> list[TimeSlot]:
    """The slots sorted by time, or InvalidReportTimes naming the first row at fault (by its row index)."""
    if not slots:
        raise InvalidReportTimes("none")
    if len(slots) > MAX_TIMES:
        raise InvalidReportTimes("too_many")
    seen: dict[time, int] = {}
    for index, slot in slots:
        if not election.earliest_open <= slot.at <= election.latest_close:
            raise InvalidReportTimes("outside_hours", index)
        if not 0 <= slot.grace_minutes <= MAX_GRACE_MINUTES:
            raise InvalidReportTimes("grace", index)
        if slot.at in seen:
            raise InvalidReportTimes("duplicate", index)
        seen[slot.at] = index
    return sorted((slot for _i, slot in slots), key=lambda s: s.at)


def replace_report_times(
    session: Session,
    *,
    actor: User,
    election: Election,
    province_id: int | None,
    slots: Sequence[tuple[int, TimeSlot]],
) -> list[ReportTime]:
    """Make ``slots`` the province's whole set of report times (``None``: the national default).

    Times kept keep their row (only the grace may change), the others are deleted and the new ones added, so
    the audit log shows exactly what changed. Everything happens in the caller's transaction.
    """
    if not may_edit(actor, province_id):
        raise NotAllowed("not_allowed")
    wanted = {slot.at: slot for slot in check_slots(election, slots)}
    existing = {row.at: row for row in own_report_times(session, election, province_id)}
    for at, row in existing.items():
        if at not in wanted:
            session.delete(row)
    # Deletions go out first: the unique (election, province, time) must not see a re-added time twice.
    session.flush()
    for at, slot in wanted.items():
        row = existing.get(at)
        if row is None:
            session.add(
                ReportTime(
                    election_id=election.id, province_id=province_id, at=at, grace_minutes=slot.grace_minutes
                )
            )
        elif row.grace_minutes != slot.grace_minutes:
            row.grace_minutes = slot.grace_minutes
    session.flush()
    return own_report_times(session, election, province_id)


def use_national_default(session: Session, *, actor: User, election: Election, province_id: int) -> int:
    """Drop the province's own times so that the national default applies; returns how many were dropped."""
    if not may_edit(actor, province_id):
        raise NotAllowed("not_allowed")
    rows = own_report_times(session, election, province_id)
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
