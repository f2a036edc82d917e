"""Keeps the station summaries current on write, in the same transaction: every new report version
(``webapp.reports.versions.version_written``) and every status change (the commune's review,
``versions.status_changed``) rewrites that station's own summary rows, records a correction when numbers go down
or leave a total, and queues the commune for the background refresh. No shared counter is touched on write
(field lesson 15).

Changes to what is expected (polling areas, their contests, voter counts, report times) queue their place too,
seen by an ``after_flush`` listener (they have no single write path). Core bulk inserts (the national generator,
bulk loads) are not seen: run ``flask rebuild-progress`` after them.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webapp.clock import VN_TZ
from webapp.elections.models import Contest, PollingArea, PollingAreaUnit, ReportTime, VoterCount
from webapp.progress.models import Change, Correction, CountStation, Dirty, ReportKind, TurnoutStation
from webapp.reports import versions
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport
from webapp.reports.versions import COUNT_FIELDS

DEFAULT_GRACE = 15  # minutes, for a report time that is no longer configured
_EXPECTATION_MODELS = (PollingArea, PollingAreaUnit, VoterCount, ReportTime)


def due_at(day: date, slot: time, grace: int | None) -> datetime:
    return datetime.combine(day, slot, tzinfo=VN_TZ) + timedelta(minutes=DEFAULT_GRACE if grace is None else grace)


def _withdrawn(before: ReportStatus, after: ReportStatus) -> Change | None:
    """Which total loses the report's numbers when its status changes (None: none does)."""
    if before is ReportStatus.CONFIRMED and after is not ReportStatus.CONFIRMED:
        return Change.REOPENED if after is ReportStatus.RECEIVED else Change.RETURNED
    if before is ReportStatus.RECEIVED and after is ReportStatus.RETURNED:
        return Change.RETURNED
    return None


def _area(session: Session, obj: Any) -> PollingArea:
    return obj.polling_area or session.get(PollingArea, obj.polling_area_id)


# --- turnout ---------------------------------------------------------------------------------------------


def _turnout_written(conn: sa.Connection, written: versions.Written, out: _Writes) -> None:
    new = written.new
    assert new.slot_at is not None and written.day is not None and written.due is not None
    key = (TurnoutStation.election_id == new.election_id, TurnoutStation.polling_area_id == new.polling_area_id,
           TurnoutStation.slot_at == new.slot_at)
    # The version it replaces, read and removed in one statement.
    old = conn.execute(sa.delete(TurnoutStation).where(*key).returning(
        TurnoutStation.contest_id, TurnoutStation.voted, TurnoutStation.status, TurnoutStation.version)).all()
    if old:
        before = {str(r.contest_id): r.voted for r in old}
        after = {str(cid): n for cid, n in new.numbers.items()}
        status_before = ReportStatus(old[0].status)
        lowered = any(n < before.get(k, 0) for k, n in after.items()) or bool(set(before) - set(after))
        if before != after or status_before is ReportStatus.CONFIRMED:
            out.corrections.append({
                **_correction_by(written.actor.user, new.submitted_at), **_station_of(new), "kind": ReportKind.TURNOUT,
                "change": Change.FIGURES if before != after else Change.REOPENED, "slot_at": new.slot_at,
                "turnout_report_id": new.report_id, "version_before": old[0].version, "version_after": new.version,
                "status_before": status_before, "status_after": new.status, "before": before, "after": after,
                "lowered": lowered or status_before is ReportStatus.CONFIRMED})
    late = new.submitted_at is not None and new.submitted_at > written.due
    out.turnout_rows.extend(
        {**_station_of(new), "slot_at": new.slot_at, "contest_id": cid, "day": written.day, "report_id": new.report_id,
         "version": new.version, "status": new.status, "voted": voted, "submitted_at": new.submitted_at,
         "due_at": written.due, "late": late}
        for cid, voted in new.numbers.items())
    out.dirty.add((new.province_id, new.commune_id, False))


def _station_of(new: versions.Version) -> dict[str, Any]:
    return {"election_id": new.election_id, "province_id": new.province_id, "commune_id": new.commune_id,
            "polling_area_id": new.polling_area_id}


def _correction_by(user: Any, at: datetime | None) -> dict[str, Any]:
    """The columns of a correction row that say who made it and when, and the ones its kind leaves empty."""
    return {"actor_id": user.id if user else None, "actor_username": user.username if user else "", "at": at,
            "slot_at": None, "contest_id": None, "turnout_report_id": None, "count_report_id": None}


def _turnout_status(session: Session, conn: sa.Connection, change: versions.StatusChange, out: _Writes) -> None:
    report: TurnoutReport = change.report
    area = _area(session, report)
    conn.execute(sa.update(TurnoutStation)
                 .where(TurnoutStation.report_id == report.id, TurnoutStation.polling_area_id == area.id)
                 .values(status=report.status))
    if (withdrawn := _withdrawn(change.before, report.status)) is not None:
        figures = {str(f.contest_id): f.voters_voted for f in report.figures}
        out.corrections.append({
            **_correction_by(change.by, change.at), "election_id": report.election_id,
            "province_id": area.province_id, "commune_id": area.commune_id, "polling_area_id": area.id,
            "kind": ReportKind.TURNOUT, "change": withdrawn, "slot_at": report.slot_at,
            "turnout_report_id": report.id, "version_before": report.version, "version_after": report.version,
            "status_before": change.before, "status_after": report.status, "before": figures, "after": figures,
            "lowered": True})
    out.dirty.add((area.province_id, area.commune_id, False))


# --- count minutes ---------------------------------------------------------------------------------------


def _count_numbers(report: CountReport) -> dict[str, Any]:
    return {**{name: getattr(report, name) for name in COUNT_FIELDS},
            "votes": {str(v.candidate_id): v.votes for v in report.votes}}


def _count_written(session: Session, conn: sa.Connection, written: versions.Written, out: _Writes) -> None:
    """The station's row replaced in one upsert, the correction (if the numbers changed or a confirmed version was
    replaced) and the commune to refresh."""
    new, previous = written.new, written.previous
    _replace_count_station(conn, new)
    if previous is not None:
        before, after = previous.numbers, new.numbers
        lowered = (any(after[k] < before[k] for k in COUNT_FIELDS)
                   or any(n < before["votes"].get(c, 0) for c, n in after["votes"].items()))
        was_confirmed = previous.status is ReportStatus.CONFIRMED
        if before != after or was_confirmed:
            out.corrections.append({
                **_correction_by(written.actor.user, new.submitted_at), **_station_of(new), "kind": ReportKind.COUNT,
                "change": Change.FIGURES if before != after else Change.REOPENED, "contest_id": new.contest_id,
                "count_report_id": new.report_id, "version_before": previous.version, "version_after": new.version,
                "status_before": previous.status, "status_after": new.status, "before": before, "after": after,
                "lowered": lowered or was_confirmed})
    out.dirty.add((new.province_id, new.commune_id, False))


def _replace_count_station(conn: sa.Connection, new: versions.Version) -> None:
    """The station's row for the contest now describes ``new`` (one upsert)."""
    conn.execute(_count_station_upsert(conn.dialect.name), {
        **_station_of(new), "contest_id": new.contest_id, "report_id": new.report_id, "version": new.version,
        "status": new.status, "voters_on_list": new.numbers["voters_on_list"],
        "voters_voted": new.numbers["voters_voted"], "submitted_at": new.submitted_at})


@functools.cache
def _count_station_upsert(dialect: str) -> sa.Insert:
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CountStation.__table__)
    key = ("polling_area_id", "contest_id")
    return insert.on_conflict_do_update(
        index_elements=key, set_={c.name: insert.excluded[c.name] for c in insert.table.columns if c.name not in key})


def _count_status(session: Session, conn: sa.Connection, change: versions.StatusChange, out: _Writes) -> None:
    report: CountReport = change.report
    area = _area(session, report)
    conn.execute(sa.update(CountStation).where(CountStation.report_id == report.id).values(status=report.status))
    if (withdrawn := _withdrawn(change.before, report.status)) is not None:
        contest = session.get(Contest, report.contest_id)
        numbers = _count_numbers(report)
        out.corrections.append({
            **_correction_by(change.by, change.at), "election_id": contest.election_id if contest else 0,
            "province_id": area.province_id, "commune_id": area.commune_id, "polling_area_id": area.id,
            "kind": ReportKind.COUNT, "change": withdrawn, "contest_id": report.contest_id,
            "count_report_id": report.id, "version_before": report.version, "version_after": report.version,
            "status_before": change.before, "status_after": report.status, "before": numbers, "after": numbers,
            "lowered": True})
    out.dirty.add((area.province_id, area.commune_id, False))


# --- what is expected ------------------------------------------------------------------------------------


def _expectation_place(session: Session, obj: Any) -> tuple[int | None, int | None, bool]:
    if isinstance(obj, ReportTime):
        return (obj.province_id, None, True)
    if isinstance(obj, PollingArea):
        return (obj.province_id, obj.commune_id, False)
    area = obj.polling_area or session.get(PollingArea, obj.polling_area_id)
    return (area.province_id, area.commune_id, False) if area else (None, None, False)


class _Writes:
    def __init__(self) -> None:
        self.turnout_rows: list[dict[str, Any]] = []
        self.corrections: list[dict[str, Any]] = []
        self.dirty: set[tuple[int | None, int | None, bool]] = set()


def _after_flush(session: Session, _flush_context: Any) -> None:
    expectations = [o for o in (*session.new, *session.deleted) if isinstance(o, _EXPECTATION_MODELS)]
    expectations += [o for o in session.dirty
                     if isinstance(o, _EXPECTATION_MODELS) and session.is_modified(o, include_collections=False)]
    if not expectations:
        return
    out = _Writes()
    with session.no_autoflush:
        for obj in expectations:
            out.dirty.add(_expectation_place(session, obj))
    _write(session.connection(), out)


_INSERTS = {model: model.__table__.insert() for model in (TurnoutStation, Correction, Dirty)}


def _write(conn: sa.Connection, out: _Writes) -> None:
    # Lists, even of one row: executed as "many" (one multi-row INSERT on PostgreSQL, webapp.db.make_engine), so no
    # RETURNING of the new ids is asked for.
    dirty = [{"province_id": p, "commune_id": c, "times": t} for p, c, t in out.dirty]
    for model, rows in ((TurnoutStation, out.turnout_rows), (Correction, out.corrections), (Dirty, dirty)):
        if rows:
            conn.execute(_INSERTS[model], rows)


def _status_changed(kind: str, *, session: Session, change: versions.StatusChange) -> None:
    if not change.report.is_latest:  # an older version's status moves no summary
        return
    out = _Writes()
    with session.no_autoflush:
        if kind == versions.TURNOUT.name:
            _turnout_status(session, session.connection(), change, out)
        else:
            _count_status(session, session.connection(), change, out)
    _write(session.connection(), out)


def _version_written(kind: str, *, session: Session, written: versions.Written) -> None:
    out = _Writes()
    conn = session.connection()
    if kind == versions.TURNOUT.name:
        _turnout_written(conn, written, out)
    else:
        _count_written(session, conn, written, out)
    _write(conn, out)


def install() -> None:
    """Subscribe to the versions written and their status changes, and listen on every Session; idempotent."""
    versions.version_written.connect(_version_written, weak=False)
    versions.status_changed.connect(_status_changed, weak=False)
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
