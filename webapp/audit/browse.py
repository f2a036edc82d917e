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
    "reopen": _l("Reopened"),
    "export": _l("Exported"),
    "import": _l("Imported"),
    "import_job": _l("Import started"),
    "export_job": _l("Export started"),
    "generate_national": _l("National dataset generated"),
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
    "turnout_reports": _l("Turnout report"),
    "turnout_figures": _l("Turnout figures"),
    "count_reports": _l("Count minutes"),
    "report_photos": _l("Photo of the minutes"),
    "review_actions": _l("Review decision"),
    "call_logs": _l("Hotline call"),
    "api_tokens": _l("API token"),
    "activation_codes": _l("Activation code"),
    "station_involvements": _l("Work on a station"),
    "jobs": _l("Background job"),
}
# The columns shown in an entry's before/after, by name; the count minutes' own fields come from the checks'
# labels (webapp.reports.check_messages), the rest fall back to the column name.
FIELD_LABELS = {
    "kind": _l("Kind"),
    "decision": _l("Decision"),
    "status": _l("State"),
    "status_before": _l("State before"),
    "status_after": _l("State after"),
    "reasons": _l("Reasons"),
    "returned_reasons": _l("Reasons"),
    "text": _l("Note"),
    "note": _l("Note"),
    "reason": _l("Reason"),
    "version": _l("Version"),
    "is_latest": _l("Counts (latest version)"),
    "channel": _l("Channel"),
    "receipt": _l("Receipt"),
    "slot_at": _l("Report time"),
    "submitted_at": _l("Sent at"),
    "submitted_by_id": _l("Sent by (account)"),
    "reviewed_at": _l("Reviewed at"),
    "reviewed_by_id": _l("Reviewed by (account)"),
    "actor_id": _l("By (account)"),
    "at": _l("At"),
    "outcome": _l("Outcome"),
    "number": _l("Number called"),
    "caller_id": _l("Caller (account)"),
    "polling_area_id": _l("Polling area (id)"),
    "commune_id": _l("Commune (id)"),
    "province_id": _l("Province (id)"),
    "contest_id": _l("Contest (id)"),
    "turnout_report_id": _l("Turnout report (id)"),
    "count_report_id": _l("Count minutes (id)"),
    "username": _l("Username"),
    "full_name": _l("Full name"),
    "name_folded": _l("Name as searched"),
    "phone": _l("Phone"),
    "role": _l("Role"),
    "is_active": _l("Active"),
    "per_contest": _l("Numbers differ between contests"),
    "no_change": _l("No change since the last report"),
    "signers": _l("Signatures"),
    "witness_1": _l("Witness 1"),
    "witness_2": _l("Witness 2"),
    "explanations": _l("Explanations"),
    "findings": _l("Findings of the checks"),
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
    field: str  # the column's name
    label: str  # what people read
    before: str
    after: str
    changed: bool


def _value_labels() -> dict[str, Any]:
    """Labels of the values stored as codes, by field (imported here: they live with the views that show them)."""
    from webapp.hotline.forms import OUTCOME_LABELS
    from webapp.labels import CHANNELS as CHANNEL_LABELS
    from webapp.labels import REPORT_STATUS as STATUS_LABELS
    from webapp.review.views import DECISION_LABELS
    from webapp.web import ROLE_LABELS

    status = {str(k): v for k, v in STATUS_LABELS.items()}
    return {
        "status": status, "status_before": status, "status_after": status,
        "decision": {str(k): v for k, v in DECISION_LABELS.items()},
        "channel": CHANNEL_LABELS,
        "outcome": {str(k): v for k, v in OUTCOME_LABELS.items()},
        "role": {str(k): v for k, v in ROLE_LABELS.items()},
        "kind": {"count": _l("Count minutes"), "turnout": _l("Turnout report")},
    }


def field_label(name: str) -> str:
    from webapp.reports.check_messages import FIELD_LABELS as COUNT_FIELDS

    return str(FIELD_LABELS.get(name) or COUNT_FIELDS.get(name) or name)


def value_label(field: str, value: Any) -> str:
    """A stored value as people read it: codes (decision, state, channel, role…) through the catalog."""
    if field in ("reasons", "returned_reasons") and isinstance(value, list):
        from webapp.review.reasons import labels

        return ", ".join(labels([str(v) for v in value]))
    if isinstance(value, str):
        label = _value_labels().get(field, {}).get(value)
        if label is not None:
            return str(label)
    return _show(value)


def channel_label(channel: Channel) -> str:
    return value_label("channel", channel.value)


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
            field_label(k),
            value_label(k, before.get(k)),
            value_label(k, after.get(k)),
            entry.before is not None and entry.after is not None and before.get(k) != after.get(k),
        )
        for k in keys
    ]
