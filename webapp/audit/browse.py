"""Reading the audit log within one's scope: filters, keyset pages on the id (the table holds millions of
rows, so never OFFSET and never a count of everything) and an entry's before/after as a diff."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.audit.models import AuditEntry, Channel
from webapp.clock import VN_TZ
from webapp.db import Base
from webapp.elections.models import PollingArea
from webapp.geo.models import Commune, Province
from webapp.i18n import _l

PAGE_SIZE = 50

ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "login": _l("Signed in"),
    "logout_everywhere": _l("Signed out everywhere"),
    "issue_codes": _l("Activation codes issued"),
    "issue_code": _l("Activation code issued"),
}
ENTITY_LABELS = {
    "users": _l("Account"),
    "provinces": _l("Province"),
    "communes": _l("Commune"),
    "elections": _l("Election"),
    "contests": _l("Contest"),
    "electoral_units": _l("Electoral unit"),
    "candidates": _l("Candidate"),
    "polling_areas": _l("Polling area"),
    "polling_area_units": _l("Polling area's unit"),
    "voter_counts": _l("Voter count"),
    "team_members": _l("Polling team member"),
    "report_times": _l("Report time"),
}


@dataclasses.dataclass(frozen=True)
class AuditFilter:
    entity_type: str = ""
    action: str = ""
    actor: str = ""
    channel: Channel | None = None
    date_from: date | None = None  # local (Asia/Ho_Chi_Minh) days, both ends included
    date_to: date | None = None
    area_code: str = ""


@dataclasses.dataclass
class AuditPage:
    entries: list[AuditEntry]
    older: int | None  # pass as ``before`` for the next (older) page
    newer: int | None  # pass as ``after`` for the previous (newer) page
    places: dict[int, str]  # entry id -> where it happened, for display
    unknown_area: bool = False


def entity_types() -> list[str]:
    """The audited tables (the choices of the entity filter)."""
    return sorted(
        {m.class_.__tablename__ for m in Base.registry.mappers if getattr(m.class_, "__audit__", False)}
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), VN_TZ).astimezone(UTC)


def _conditions(session: Session, user: User, f: AuditFilter) -> list[Any] | None:
    """The WHERE clauses of the filter within scope; None when the polling area asked for is not in scope."""
    where: list[Any] = [scope.visible(AuditEntry, user)]
    if f.entity_type:
        where.append(AuditEntry.entity_type == f.entity_type)
    if f.action:
        where.append(AuditEntry.action == f.action)
    if f.actor:
        where.append(AuditEntry.actor_username == f.actor.strip().lower())
    if f.channel is not None:
        where.append(AuditEntry.channel == f.channel)
    if f.date_from:
        where.append(AuditEntry.at >= _local_midnight(f.date_from))
    if f.date_to:
        where.append(AuditEntry.at < _local_midnight(date.fromordinal(f.date_to.toordinal() + 1)))
    if f.area_code:
        area_id = session.scalar(
            sa.select(PollingArea.id).where(
                scope.visible(PollingArea, user), PollingArea.code == f.area_code.strip()
            )
        )
        if area_id is None:
            return None
        where.append(AuditEntry.polling_area_id == area_id)
    return where


def _exists(session: Session, where: list[Any]) -> bool:
    return session.scalar(sa.select(AuditEntry.id).where(*where).limit(1)) is not None


def browse(
    session: Session,
    *,
    user: User,
    filters: AuditFilter,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    """One page of entries, newest first: older than ``before``, or (going back) newer than ``after``."""
    where = _conditions(session, user, filters)
    if where is None:
        return AuditPage([], None, None, {}, unknown_area=True)
    stmt = sa.select(AuditEntry).where(*where)
    if after is not None:
        rows = list(
            session.scalars(stmt.where(AuditEntry.id > after).order_by(AuditEntry.id.asc()).limit(limit + 1))
        )
        has_newer = len(rows) > limit
        entries = list(reversed(rows[:limit]))
        has_older = bool(entries) and _exists(session, [*where, AuditEntry.id < entries[-1].id])
    else:
        if before is not None:
            stmt = stmt.where(AuditEntry.id < before)
        rows = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit + 1)))
        has_older = len(rows) > limit
        entries = rows[:limit]
        has_newer = (
            before is not None and bool(entries) and _exists(session, [*where, AuditEntry.id > entries[0].id])
        )
    return AuditPage(
        entries,
        older=entries[-1].id if has_older else None,
        newer=entries[0].id if has_newer else None,
        places=places_of(session, entries),
    )


def _names(session: Session, column: Any, label: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(sa.select(column, label).where(column.in_(ids))).all())


def places_of(session: Session, entries: list[AuditEntry]) -> dict[int, str]:
    """Where each entry happened: the polling area's code, else the commune, else the province."""
    areas = _names(
        session, PollingArea.id, PollingArea.code, {e.polling_area_id for e in entries if e.polling_area_id}
    )
    communes = _names(session, Commune.id, Commune.name, {e.commune_id for e in entries if e.commune_id})
    provinces = _names(session, Province.id, Province.name, {e.province_id for e in entries if e.province_id})
    out = {}
    for e in entries:
        out[e.id] = (
            areas.get(e.polling_area_id or 0)
            or communes.get(e.commune_id or 0)
            or provinces.get(e.province_id or 0)
            or ""
        )
    return out


@dataclasses.dataclass(frozen=True)
class DiffRow:
    field: str
    before: str
    after: str
    changed: bool


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def diff(entry: AuditEntry) -> list[DiffRow]:
    """The entry's fields side by side, in the order they were recorded; changed ones flagged."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(after) + [k for k in before if k not in after]
    return [
        DiffRow(
            k,
            _show(before.get(k)),
            _show(after.get(k)),
            entry.before is not None and entry.after is not None and before.get(k) != after.get(k),
        )
        for k in keys
    ]
