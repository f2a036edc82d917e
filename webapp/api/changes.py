"""The changes feed (``listChanges``): every write to the count minutes and the turnout reports within the
caller's area, in the order they were made, so that another system (a province's dashboard, the national system:
"kết nối, đồng bộ dữ liệu đa cấp") stays in sync by asking only for what changed since its last cursor.

The feed reads the audit log, which already records each of those writes once, with the writer's place (for the
scope) and an id that only grows: the cursor is that id. Each change carries the version as it is now (the
latest state of a version changed twice in one page is sent once). On PostgreSQL ids are taken before commit,
so a slower transaction can commit a smaller id after a larger one was read: the feed holds back entries younger
than ``CHANGES_SETTLE_SECONDS`` so that a cursor never moves past one that may still appear."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy.orm import Session, selectinload

from webapp import db, scope
from webapp.accounts.models import Role, User
from webapp.api.blueprints import api_blueprint, roles_allowed
from webapp.api.bodies import iso
from webapp.api.problems import ApiError, Problem
from webapp.audit.models import AuditEntry
from webapp.clock import utcnow
from webapp.elections.models import PollingArea
from webapp.inputs import parse_int
from webapp.reports.checks import MINUTES_FIELDS
from webapp.reports.models import CountReport, TurnoutReport

bp = api_blueprint("changes_api", __name__, "/api/v1/changes")
READERS = (Role.COMMUNE, Role.PROVINCE, Role.ADMIN, Role.HOTLINE, Role.INTEGRATION)
TABLES = {CountReport.__tablename__: "count", TurnoutReport.__tablename__: "turnout"}
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


@dataclasses.dataclass
class ChangesPage:
    changes: list[tuple[AuditEntry, CountReport | TurnoutReport]]
    next_cursor: int
    has_more: bool


def list_changes(session: Session, user: User, *, since: int, limit: int, settled_before: datetime) -> ChangesPage:
    """Up to ``limit`` writes to the reports after the cursor ``since`` within the user's area, oldest first,
    among those made before ``settled_before``; the next cursor is the last one read (``since`` if none)."""
    entries = list(session.scalars(
        scope.select(AuditEntry, user)
        .where(AuditEntry.id > since, AuditEntry.entity_type.in_(TABLES), AuditEntry.at < settled_before)
        .order_by(AuditEntry.id).limit(limit + 1)))
    has_more = len(entries) > limit
    entries = entries[:limit]
    ids: dict[str, set[int]] = {kind: set() for kind in TABLES.values()}
    for e in entries:
        if e.entity_id.isdigit():
            ids[TABLES[e.entity_type]].add(int(e.entity_id))
    area = selectinload(CountReport.polling_area).selectinload(PollingArea.commune)
    reports: dict[tuple[str, int], Any] = {}
    if ids["count"]:
        reports |= {("count", r.id): r for r in session.scalars(
            sa.select(CountReport).where(CountReport.id.in_(ids["count"]))
            .options(area, selectinload(CountReport.contest), selectinload(CountReport.unit),
                     selectinload(CountReport.votes)))}
    if ids["turnout"]:
        reports |= {("turnout", r.id): r for r in session.scalars(
            sa.select(TurnoutReport).where(TurnoutReport.id.in_(ids["turnout"]))
            .options(selectinload(TurnoutReport.polling_area).selectinload(PollingArea.commune),
                     selectinload(TurnoutReport.figures)))}
    latest: dict[tuple[str, int], AuditEntry] = {}
    for e in entries:
        key = (TABLES[e.entity_type], int(e.entity_id) if e.entity_id.isdigit() else 0)
        if key in reports:
            latest[key] = e
    changes = sorted(((e, reports[key]) for key, e in latest.items()), key=lambda pair: pair[0].id)
    return ChangesPage(changes, entries[-1].id if entries else since, has_more)


def _place(obj: Any) -> dict[str, Any]:
    return {"id": obj.id, "code": obj.code, "name": obj.name}


def report_json(report: CountReport | TurnoutReport) -> dict[str, Any]:
    area = report.polling_area
    common = {
        "report_id": report.id, "receipt": report.receipt, "version": report.version,
        "status": report.status.value, "is_latest": report.is_latest, "polling_area": _place(area),
        "commune": _place(area.commune), "province_id": area.province_id, "submitted_at": iso(report.submitted_at),
        "channel": report.channel.value,
    }
    if isinstance(report, CountReport):
        return {**common, "contest": report.contest.kind.value, "unit": _place(report.unit),
                "reviewed_at": iso(report.reviewed_at),
                "figures": {name: getattr(report, name) for name in MINUTES_FIELDS},
                "votes": {str(v.candidate_id): v.votes for v in sorted(report.votes, key=lambda v: v.candidate_id)}}
    return {**common, "slot": f"{report.slot_at:%H:%M}", "per_contest": report.per_contest,
            "no_change": report.no_change,
            "figures": {str(f.contest_id): f.voters_voted for f in sorted(report.figures, key=lambda f: f.contest_id)}}


def _settle() -> timedelta:
    return timedelta(seconds=float(current_app.config["CHANGES_SETTLE_SECONDS"]))


@bp.get("")
@roles_allowed(*READERS)
def list_changes_view() -> Response:
    """The writes to the results and the turnout after ``since``, oldest first (listChanges)."""
    problems = []
    values = {}
    for name, default, maximum in (("since", 0, None), ("limit", DEFAULT_LIMIT, MAX_LIMIT)):
        raw = request.args.get(name)
        values[name] = default if raw is None else parse_int(raw)
        if values[name] is None or (name == "limit" and not 1 <= values[name] <= MAX_LIMIT):
            problems.append(Problem("invalid_cursor" if name == "since" else "out_of_range", name,
                                    {} if name == "since" else {"value": raw, "min": 1, "max": maximum}))
    if problems:
        raise ApiError(400, problems)
    page = list_changes(db.session, current_user, since=values["since"], limit=values["limit"],
                        settled_before=utcnow() - _settle())
    out = jsonify({
        "changes": [{"cursor": str(e.id), "at": iso(e.at), "action": e.action, "kind": TABLES[e.entity_type],
                     "report": report_json(r)} for e, r in page.changes],
        "next": str(page.next_cursor), "has_more": page.has_more,
    })
    out.headers["Cache-Control"] = "private, no-store"
    return out
