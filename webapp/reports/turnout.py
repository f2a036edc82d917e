"""Turnout during the day: for each report time, how many voters had voted so far (one number for every
contest by default, one per contest when they differ)."""

from __future__ import annotations

import dataclasses
import functools
import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp import scope
from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.elections import services as elections
from webapp.elections.models import Election, PollingArea, PollingAreaUnit
from webapp.reports import station, versions
from webapp.reports.checks import Finding, blocking, check_turnout
from webapp.reports.common import (
    ClientUuidConflict,
    NoReportTimes,
    ReportLocked,
    ReportRejected,
    StationDay,
    Submission,
    UnknownReportTime,
    area_contests,
    station_day,
)
from webapp.reports.models import ReportStatus, TurnoutReport

# Used when the area has no voter count yet: the "more than the list" check cannot apply.
_UNKNOWN_LIST = 10**9


@dataclasses.dataclass(frozen=True)
class TurnoutInput:
    """What the leader sends. ``voted`` is the one number for every contest; ``per_contest`` (contest id ->
    number) replaces it when the numbers differ. ``slot`` is the report time shown on the leader's screen
    (None: the current one)."""

    voted: int | None = None
    per_contest: Mapping[int, int | None] | None = None
    reason: str = ""
    slot: time | None = None
    no_change: bool = False


@dataclasses.dataclass
class SlotState:
    at: time
    opens_at: datetime  # reports from here on count for this time
    due: datetime  # the time plus its grace minutes
    report: TurnoutReport | None  # the version that counts
    late_minutes: int  # sent (or, if not sent, overdue) this many minutes after ``due``
    state: str  # reported | missed | due | upcoming


@dataclasses.dataclass
class TurnoutOverview:
    area: PollingArea
    election: Election
    day: StationDay
    contests: list[PollingAreaUnit]
    voters: dict[int, int | None]  # contest id -> voters on the list
    slots: list[SlotState]
    current: SlotState | None  # the report time a report sent now counts for
    next: SlotState | None  # the next report time still to send
    previous: TurnoutReport | None  # the day's latest report, repeated by "no change"
    history: list[TurnoutReport]
    within_hours: bool


def _minutes_after(moment: datetime, deadline: datetime) -> int:
    return max(0, math.ceil((moment - deadline).total_seconds() / 60))


@functools.cache
def _latest_statement(with_uuid: bool, with_token: bool = False) -> sa.Select[Any]:
    # Built once (common._links_statement says why). With the configuration token as a column, from a one-row
    # select outer-joined to the reports, so that the token comes even when the area has no report yet: the
    # submission's first statement is then its only read (``station.current``).
    wanted = sa.and_(TurnoutReport.election_id == sa.bindparam("election_id"),
                     TurnoutReport.polling_area_id == sa.bindparam("area_id"), TurnoutReport.is_latest)
    if with_uuid:
        wanted = sa.or_(wanted, TurnoutReport.client_uuid == sa.bindparam("client_uuid"))
    if not with_token:
        return sa.select(TurnoutReport).where(wanted).options(joinedload(TurnoutReport.figures))
    one_row = sa.select(sa.literal(1).label("one")).subquery()
    return (sa.select(station.token_column().label("token"), TurnoutReport).select_from(one_row)
            .outerjoin(TurnoutReport, wanted).options(joinedload(TurnoutReport.figures)))


def _latest_rows(session: Session, election_id: int, area_id: int, client_uuid: uuid.UUID | None = None) -> (
        tuple[dict[time, TurnoutReport], TurnoutReport | None]):
    """The version that counts for each report time ({time: report}, with figures) and, in the same statement,
    the report already stored under ``client_uuid`` (anywhere), if any."""
    rows = session.scalars(_latest_statement(client_uuid is not None),
                           {"election_id": election_id, "area_id": area_id, "client_uuid": client_uuid}).unique().all()
    return _latest_of(rows, election_id, area_id, client_uuid)


def _latest_of(rows: Iterable[TurnoutReport], election_id: int, area_id: int, client_uuid: uuid.UUID | None) -> (
        tuple[dict[time, TurnoutReport], TurnoutReport | None]):
    latest = {row.slot_at: row for row in rows
              if row.election_id == election_id and row.polling_area_id == area_id and row.is_latest}
    return latest, next((r for r in rows if client_uuid is not None and r.client_uuid == client_uuid), None)


def _token_and_latest(session: Session, election_id: int, area_id: int, client_uuid: uuid.UUID) -> (
        tuple[str | None, dict[time, TurnoutReport], TurnoutReport | None]):
    """The configuration token with what ``_latest_rows`` gives, in one statement."""
    rows = session.execute(_latest_statement(True, True),
                           {"election_id": election_id, "area_id": area_id, "client_uuid": client_uuid}).unique().all()
    token = rows[0].token if rows else None
    return (token, *_latest_of([row.TurnoutReport for row in rows if row.TurnoutReport is not None], election_id,
                               area_id, client_uuid))


def _slots(times: Iterable[tuple[time, int]], early: timedelta, day: StationDay, now: datetime,
           latest: Mapping[time, TurnoutReport]) -> list[SlotState]:
    """Each report time ((time, grace minutes), in order) with its window, deadline and state."""
    out = []
    for at_time, grace in times:
        at = day.at(at_time)
        due = at + timedelta(minutes=grace)
        report = latest.get(at_time)
        if report is not None:
            state, late = "reported", _minutes_after(report.submitted_at, due)
        elif now > due:
            state, late = "missed", _minutes_after(now, due)
        elif now >= at - early:
            state, late = "due", 0
        else:
            state, late = "upcoming", 0
        out.append(SlotState(at_time, at - early, due, report, late, state))
    return out


def _current(slots: list[SlotState], now: datetime) -> SlotState | None:
    """The last report time whose window has opened; before the first window, the first one."""
    opened = [s for s in slots if s.opens_at <= now]
    return opened[-1] if opened else (slots[0] if slots else None)


def turnout_overview(session: Session, user: User, area_id: int, now: datetime) -> TurnoutOverview:
    """The turnout page: the day's report times with their deadlines and state, the next one to send and
    how late it is, the numbers of the last report and every version sent today."""
    area = scope.get(session, PollingArea, area_id, user)
    election = elections.current_election(session)
    day = station_day(election, area)
    latest = _latest_rows(session, election.id, area.id)[0]
    times = [(rt.at, rt.grace_minutes) for rt in elections.report_times(session, election, area.province_id)]
    slots = _slots(times, station.early_window(election), day, now, latest)
    current = _current(slots, now)
    pending = [s for s in slots if s.report is None and (current is None or s.at >= current.at)]
    history = session.scalars(
        scope.select(TurnoutReport, user)
        .where(TurnoutReport.election_id == election.id, TurnoutReport.polling_area_id == area.id)
        .options(selectinload(TurnoutReport.figures), selectinload(TurnoutReport.submitted_by))
        .order_by(TurnoutReport.submitted_at.desc(), TurnoutReport.id.desc())
    ).all()
    contests = area_contests(session, area)
    counts = elections.latest_voter_counts(session, [area.id])
    return TurnoutOverview(
        area=area, election=election, day=day, contests=contests,
        voters={link.contest_id: (c.total if (c := counts.get((area.id, link.contest_id))) else None)
                for link in contests},
        slots=slots, current=current, next=pending[0] if pending else None,
        previous=max(latest.values(), key=lambda r: r.slot_at) if latest else None,
        history=list(history), within_hours=day.opens <= now <= day.closes,
    )


def _resolve_slot(slots: list[SlotState], wanted: time | None, now: datetime) -> SlotState | None:
    if wanted is None:
        return _current(slots, now)
    for slot in slots:
        if slot.at == wanted:
            # A report time whose window has not opened yet cannot be reported for.
            return slot if slot.opens_at <= now or slot is slots[0] else None
    return None


def _figures(data: TurnoutInput, contest_ids: list[int]) -> dict[int, int | None]:
    if data.per_contest is not None:
        return {cid: data.per_contest.get(cid) for cid in contest_ids}
    return {cid: data.voted for cid in contest_ids}


def _check(data: TurnoutInput, figures: Mapping[int, int | None], voters: Mapping[int, int | None],
           previous: Mapping[int, int], day: StationDay, now: datetime) -> ReportRejected | None:
    """Run the checks for each contest; the same finding for several contests is reported once."""
    seen: dict[tuple[str, tuple], int | None] = {}
    findings: list[Finding] = []
    for cid, voted in figures.items():
        for finding in check_turnout(voted=voted, voters_on_list=voters.get(cid) or _UNKNOWN_LIST,
                                     previous=previous.get(cid), reason=data.reason, at=now, opens=day.opens,
                                     closes=day.closes):
            key = (finding.code, tuple(sorted(finding.params.items())))
            if key not in seen:
                seen[key] = cid if data.per_contest is not None or finding.code == "turnout_gt_on_list" else None
                findings.append(finding)
    if not blocking(findings):
        return None
    return ReportRejected(findings, contests=[seen[(f.code, tuple(sorted(f.params.items())))] for f in findings])


def submit_turnout(
    session: Session,
    *,
    actor: audit.Actor,
    area_id: int,
    data: TurnoutInput,
    client_uuid: uuid.UUID,
    now: datetime,
) -> Submission[TurnoutReport]:
    """Store a turnout report for one report time of the area's polling day.

    Refused (``ReportLocked``) when the commune has confirmed the version that counts for that report time:
    only a reopening allows a new one. Refused (``ReportRejected``) when a number is blank or negative, more than the voters on the list, lower
    than the last report without a written reason, or sent outside the day's allowed hours (05:00–21:00).
    A second report for the same time is a correction: version n+1, the earlier one kept. The same
    ``client_uuid`` sent again returns the first result and creates nothing.
    """
    prepared = _prepare(session, actor, area_id, data, client_uuid, now)
    return prepared if isinstance(prepared, Submission) else prepared()


def vet_turnout(session: Session, *, actor: audit.Actor, area_id: int, data: TurnoutInput, client_uuid: uuid.UUID,
                now: datetime) -> None:
    """Every check ``submit_turnout`` makes, raising what it would raise, writing nothing: for a page that reads
    the numbers back before sending them (the hotline's entry by phone), so that nothing read back is refused."""
    _prepare(session, actor, area_id, data, client_uuid, now)


def _prepare(session: Session, actor: audit.Actor, area_id: int, data: TurnoutInput, client_uuid: uuid.UUID,
             now: datetime) -> Submission[TurnoutReport] | functools.partial[Submission[TurnoutReport]]:
    """``submit_turnout`` up to its write: the earlier result of a replay, or the write still to make. The area's
    place, contests, report times and voters come from the configuration this process keeps (``station``), checked
    against the database's token, read in the same statement as the area's latest reports."""
    kept = station.for_sender(session, actor, area_id, full=False)
    token, latest, earlier = _token_and_latest(session, kept.election_id, kept.area_id, client_uuid)
    config = station.current(session, kept, actor, token)
    if config.election_id != kept.election_id:  # the configuration changed to another election meanwhile
        latest, earlier = _latest_rows(session, config.election_id, config.area_id, client_uuid)
    if earlier is not None:
        if earlier.polling_area_id != config.area_id:
            raise ClientUuidConflict
        return Submission(earlier, True)
    day = config.day
    slots = _slots(config.report_times, config.early, day, now, latest)
    if not slots:
        raise NoReportTimes
    slot = _resolve_slot(slots, data.slot, now)
    if slot is not None and (confirmed := latest.get(slot.at)) is not None and (
            confirmed.status is ReportStatus.CONFIRMED):
        raise ReportLocked("turnout")
    contest_ids = config.contest_ids
    figures = _figures(data, contest_ids)
    # "The last one": the newest report at or before this report time (for a correction, the version it replaces).
    earlier_reports = [r for at, r in latest.items() if slot is not None and at <= slot.at]
    last = max(earlier_reports, key=lambda r: r.slot_at) if earlier_reports else None
    previous = {f.contest_id: f.voters_voted for f in last.figures} if last else {}
    if (rejected := _check(data, figures, config.voters, previous, day, now)) is not None:
        raise rejected
    if slot is None:
        raise UnknownReportTime
    current = latest.get(slot.at)
    values = {
        "election_id": config.election_id, "polling_area_id": config.area_id, "slot_at": slot.at, "is_latest": True,
        "status": ReportStatus.RECEIVED, "per_contest": data.per_contest is not None, "no_change": data.no_change,
        "reason": (data.reason or "").strip(), "client_uuid": client_uuid, "submitted_at": now,
    }
    return functools.partial(
        versions.write, session, versions.TURNOUT, actor, place=config.place,
        election_id=config.election_id, values=values, children={cid: figures[cid] for cid in contest_ids},
        current=current, current_children={f.contest_id: f.voters_voted for f in current.figures} if current else {},
        day=day.day, due=slot.due)
