"""Keeps the station summaries current on write: an ``after_flush`` listener sees every new report version and
every status change (the commune's review) and, in the same transaction, rewrites that station's own summary
rows, records a correction when numbers go down or leave a total, and queues the commune for the background
refresh. No shared counter is touched on write (field lesson 15).

Changes to what is expected (polling areas, their contests, voter counts, report times) queue their place too.
Core bulk inserts (the national generator, bulk loads) are not seen: run ``flask rebuild-progress`` after them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webapp.audit import services as audit
from webapp.clock import VN_TZ
from webapp.elections.models import Contest, Election, PollingArea, PollingAreaUnit, ReportTime, VoterCount
from webapp.progress.models import Change, Correction, CountStation, Dirty, ReportKind, TurnoutStation
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport

DEFAULT_GRACE = 15  # minutes, for a report time that is no longer configured
COUNT_FIELDS = ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")
_EXPECTATION_MODELS = (PollingArea, PollingAreaUnit, VoterCount, ReportTime)


def graces(conn: sa.Connection, election_id: int, province_id: int | None) -> dict[time, int]:
    """{report time: grace minutes} of the province (its own times, else the national ones)."""
    rows = conn.execute(
        sa.select(ReportTime.province_id, ReportTime.at, ReportTime.grace_minutes)
        .where(ReportTime.election_id == election_id,
               sa.or_(ReportTime.province_id == province_id, ReportTime.province_id.is_(None)))
    ).all()
    own = {r.at: r.grace_minutes for r in rows if r.province_id is not None}
    return own or {r.at: r.grace_minutes for r in rows if r.province_id is None}


def due_at(day: date, slot: time, grace: int | None) -> datetime:
    return datetime.combine(day, slot, tzinfo=VN_TZ) + timedelta(minutes=DEFAULT_GRACE if grace is None else grace)


def _status_change(obj: Any) -> tuple[ReportStatus, ReportStatus] | None:
    hist = sa.inspect(obj).attrs.status.history
    if not hist.deleted or not hist.added or hist.deleted[0] == hist.added[0]:
        return None
    return ReportStatus(hist.deleted[0]), ReportStatus(hist.added[0])


def _correction_row(session: Session, at: datetime) -> dict[str, Any]:
    ctx = audit.context_of(session)
    return {"actor_id": ctx.actor_id, "actor_username": ctx.actor_username, "at": at, "slot_at": None,
            "contest_id": None, "turnout_report_id": None, "count_report_id": None}


def _correction(session: Session, report: Any, **row: Any) -> dict[str, Any]:
    """A correction row; ``at`` is when the new version was sent, or when the review changed the status."""
    at = report.submitted_at if row["version_after"] != row["version_before"] else (
        getattr(report, "reviewed_at", None) or audit.context_of(session).clock())
    return {**_correction_row(session, at), **row}


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


def _turnout_new(session: Session, conn: sa.Connection, report: TurnoutReport, out: _Writes) -> None:
    area = _area(session, report)
    election = report.election or session.get(Election, report.election_id)
    day = area.early_voting_date or election.polling_date
    due = due_at(day, report.slot_at, graces(conn, election.id, area.province_id).get(report.slot_at))
    key = (TurnoutStation.election_id == election.id, TurnoutStation.polling_area_id == area.id,
           TurnoutStation.slot_at == report.slot_at)
    # The version it replaces, read and removed in one statement.
    old = conn.execute(sa.delete(TurnoutStation).where(*key).returning(
        TurnoutStation.contest_id, TurnoutStation.voted, TurnoutStation.status, TurnoutStation.version)).all()
    new = {f.contest_id: f.voters_voted for f in report.figures}
    if old:
        before = {str(r.contest_id): r.voted for r in old}
        after = {str(cid): n for cid, n in new.items()}
        status_before = ReportStatus(old[0].status)
        lowered = any(n < before.get(k, 0) for k, n in after.items()) or bool(set(before) - set(after))
        if before != after or status_before is ReportStatus.CONFIRMED:
            out.corrections.append(_correction(
                session, report, election_id=election.id, province_id=area.province_id, commune_id=area.commune_id,
                polling_area_id=area.id, kind=ReportKind.TURNOUT,
                change=Change.FIGURES if before != after else Change.REOPENED, slot_at=report.slot_at,
                turnout_report_id=report.id, version_before=old[0].version, version_after=report.version,
                status_before=status_before, status_after=report.status, before=before, after=after,
                lowered=lowered or status_before is ReportStatus.CONFIRMED))
    late = report.submitted_at > due
    out.turnout_rows.extend(
        {"election_id": election.id, "polling_area_id": area.id, "slot_at": report.slot_at, "contest_id": cid,
         "province_id": area.province_id, "commune_id": area.commune_id, "day": day, "report_id": report.id,
         "version": report.version, "status": report.status, "voted": voted, "submitted_at": report.submitted_at,
         "due_at": due, "late": late}
        for cid, voted in new.items())
    out.dirty.add((area.province_id, area.commune_id, False))


def _turnout_status(session: Session, conn: sa.Connection, report: TurnoutReport,
                    change: tuple[ReportStatus, ReportStatus], out: _Writes) -> None:
    area = _area(session, report)
    conn.execute(sa.update(TurnoutStation)
                 .where(TurnoutStation.report_id == report.id, TurnoutStation.polling_area_id == area.id)
                 .values(status=change[1]))
    if (withdrawn := _withdrawn(*change)) is not None:
        figures = {str(f.contest_id): f.voters_voted for f in report.figures}
        out.corrections.append(_correction(
            session, report, election_id=report.election_id, province_id=area.province_id, commune_id=area.commune_id,
            polling_area_id=area.id, kind=ReportKind.TURNOUT, change=withdrawn, slot_at=report.slot_at,
            turnout_report_id=report.id, version_before=report.version, version_after=report.version,
            status_before=change[0], status_after=change[1], before=figures, after=figures, lowered=True))
    out.dirty.add((area.province_id, area.commune_id, False))


# --- count minutes ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CountVersion:
    """One version of a station's count minutes, as the summaries need it: the ORM listener builds it from a new
    ``CountReport``, the count submission (which writes with Core) from the row it inserted."""

    report_id: int
    polling_area_id: int
    province_id: int
    commune_id: int
    contest_id: int
    election_id: int
    version: int
    status: ReportStatus
    numbers: dict[str, Any]  # COUNT_FIELDS and "votes": {candidate id as text: votes}
    submitted_at: datetime


def count_numbers(values: Mapping[str, Any], votes: Mapping[int, int]) -> dict[str, Any]:
    """``CountVersion.numbers`` of a version given as its column values and its votes."""
    return {**{name: values[name] for name in COUNT_FIELDS}, "votes": {str(c): n for c, n in votes.items()}}


def _count_numbers(report: CountReport) -> dict[str, Any]:
    return count_numbers({name: getattr(report, name) for name in COUNT_FIELDS},
                         {v.candidate_id: v.votes for v in report.votes})


def _version_of(report: CountReport, area: PollingArea, election_id: int) -> CountVersion:
    return CountVersion(report.id, area.id, area.province_id, area.commune_id, report.contest_id, election_id,
                        report.version, report.status, _count_numbers(report), report.submitted_at)


def _count_new(session: Session, conn: sa.Connection, report: CountReport, out: _Writes) -> None:
    area = _area(session, report)
    contest = session.get(Contest, report.contest_id)
    assert contest is not None
    previous = None
    if report.supersedes_id is not None and (old := session.get(CountReport, report.supersedes_id)):
        previous = _version_of(old, area, contest.election_id)
    new = _version_of(report, area, contest.election_id)
    _replace_count_station(conn, new)
    _count_written(session, new, previous, out)


def _count_station_row(new: CountVersion) -> dict[str, Any]:
    return {"polling_area_id": new.polling_area_id, "contest_id": new.contest_id, "election_id": new.election_id,
            "province_id": new.province_id, "commune_id": new.commune_id, "report_id": new.report_id,
            "version": new.version, "status": new.status, "voters_on_list": new.numbers["voters_on_list"],
            "voters_voted": new.numbers["voters_voted"], "submitted_at": new.submitted_at}


def _count_written(session: Session, new: CountVersion, previous: CountVersion | None, out: _Writes) -> None:
    """The correction (if the numbers changed or a confirmed version was replaced) and the commune to refresh."""
    if previous is not None:
        before, after = previous.numbers, new.numbers
        lowered = (any(after[k] < before[k] for k in COUNT_FIELDS)
                   or any(n < before["votes"].get(c, 0) for c, n in after["votes"].items()))
        was_confirmed = previous.status is ReportStatus.CONFIRMED
        if before != after or was_confirmed:
            out.corrections.append({
                **_correction_row(session, new.submitted_at), "election_id": new.election_id,
                "province_id": new.province_id, "commune_id": new.commune_id, "polling_area_id": new.polling_area_id,
                "kind": ReportKind.COUNT, "change": Change.FIGURES if before != after else Change.REOPENED,
                "contest_id": new.contest_id, "count_report_id": new.report_id, "version_before": previous.version,
                "version_after": new.version, "status_before": previous.status, "status_after": new.status,
                "before": before, "after": after, "lowered": lowered or was_confirmed})
    out.dirty.add((new.province_id, new.commune_id, False))


def record_count_version(session: Session, new: CountVersion, previous: CountVersion | None) -> None:
    """The summaries of a version written without the ORM (the count submission): the station's row replaced in
    one upsert, a correction when due, the commune queued for the refresh; in the session's transaction."""
    out = _Writes()
    _count_written(session, new, previous, out)
    conn = session.connection()
    _replace_count_station(conn, new)
    _write(conn, out)


def _replace_count_station(conn: sa.Connection, new: CountVersion) -> None:
    """The station's row for the contest now describes ``new`` (one upsert)."""
    conn.execute(_count_station_upsert(conn.dialect.name), _count_station_row(new))


@functools.cache
def _count_station_upsert(dialect: str) -> sa.Insert:
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CountStation.__table__)
    key = ("polling_area_id", "contest_id")
    return insert.on_conflict_do_update(
        index_elements=key, set_={c.name: insert.excluded[c.name] for c in insert.table.columns if c.name not in key})


def _count_status(session: Session, conn: sa.Connection, report: CountReport,
                  change: tuple[ReportStatus, ReportStatus], out: _Writes) -> None:
    area = _area(session, report)
    conn.execute(sa.update(CountStation).where(CountStation.report_id == report.id).values(status=change[1]))
    if (withdrawn := _withdrawn(*change)) is not None:
        contest = session.get(Contest, report.contest_id)
        numbers = _count_numbers(report)
        out.corrections.append(_correction(
            session, report, election_id=contest.election_id if contest else 0, province_id=area.province_id,
            commune_id=area.commune_id, polling_area_id=area.id, kind=ReportKind.COUNT, change=withdrawn,
            contest_id=report.contest_id, count_report_id=report.id, version_before=report.version,
            version_after=report.version, status_before=change[0], status_after=change[1], before=numbers,
            after=numbers, lowered=True))
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


def _latest_status_changes(session: Session, model: type) -> list[tuple[Any, tuple[ReportStatus, ReportStatus]]]:
    out = []
    for obj in session.dirty:
        if isinstance(obj, model) and obj.is_latest and (change := _status_change(obj)) is not None:
            out.append((obj, change))
    return out


def _after_flush(session: Session, _flush_context: Any) -> None:
    new_turnout = [o for o in session.new if isinstance(o, TurnoutReport) and o.is_latest]
    new_counts = [o for o in session.new if isinstance(o, CountReport) and o.is_latest]
    turnout_status = _latest_status_changes(session, TurnoutReport)
    count_status = _latest_status_changes(session, CountReport)
    expectations = [o for o in (*session.new, *session.deleted) if isinstance(o, _EXPECTATION_MODELS)]
    expectations += [o for o in session.dirty
                     if isinstance(o, _EXPECTATION_MODELS) and session.is_modified(o, include_collections=False)]
    if not (new_turnout or new_counts or turnout_status or count_status or expectations):
        return
    out = _Writes()
    conn = session.connection()
    with session.no_autoflush:
        for report in new_turnout:
            _turnout_new(session, conn, report, out)
        for report, change in turnout_status:
            _turnout_status(session, conn, report, change, out)
        for report in new_counts:
            _count_new(session, conn, report, out)
        for report, change in count_status:
            _count_status(session, conn, report, change, out)
        for obj in expectations:
            out.dirty.add(_expectation_place(session, obj))
    _write(conn, out)


_INSERTS = {model: model.__table__.insert() for model in (TurnoutStation, Correction, Dirty)}


def _write(conn: sa.Connection, out: _Writes) -> None:
    # Lists, even of one row: executed as "many" (one multi-row INSERT on PostgreSQL, webapp.db.make_engine), so no
    # RETURNING of the new ids is asked for.
    dirty = [{"province_id": p, "commune_id": c, "times": t} for p, c, t in out.dirty]
    for model, rows in ((TurnoutStation, out.turnout_rows), (Correction, out.corrections), (Dirty, dirty)):
        if rows:
            conn.execute(_INSERTS[model], rows)


def install() -> None:
    """Listen on every Session; idempotent."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
