"""One count minutes version, read and written with Core on the session's connection: the station's state in one
statement, then the version, its votes, its audit entries and its progress summaries.

The submission is the hot path of election night (benchmarks/submit_count.py): the station's configuration comes
from the per-process cache (webapp.reports.station), everything else the checks need is read in one statement,
and the new version is written with Core and audited explicitly (the ORM listeners do not see it).
``webapp.reports.counts.submit_count`` decides what to write; this module only reads and writes.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from webapp.audit import services as audit
from webapp.progress import tracking
from webapp.reports import station
from webapp.reports.common import ClientUuidConflict, ReportLocked, Submission, new_receipt
from webapp.reports.models import (
    CountReport,
    CountVote,
    ReportStatus,
    TurnoutFigure,
    TurnoutReport,
    votes_audited,
)


@functools.cache
def last_turnout_statement() -> sa.Select[tuple[int]]:
    """The contest's figure in the area's latest turnout report (the latest report time), or no row."""
    return (
        sa.select(TurnoutFigure.voters_voted).select_from(TurnoutReport)
        .outerjoin(TurnoutFigure, sa.and_(TurnoutFigure.report_id == TurnoutReport.id,
                                          TurnoutFigure.contest_id == sa.bindparam("contest_id")))
        .where(TurnoutReport.polling_area_id == sa.bindparam("area_id"), TurnoutReport.is_latest)
        .order_by(TurnoutReport.slot_at.desc()).limit(1)
    )


_REPORTS, _VOTES = CountReport.__table__, CountVote.__table__
_VERSION_COLUMNS = ("id", "polling_area_id", "contest_id", "version", "status", "is_latest", "client_uuid",
                    *tracking.COUNT_FIELDS)


@dataclasses.dataclass
class State:
    """What one statement tells about the area before sending (see ``state_statement``)."""

    token: str | None = None
    last_turnout: int | None = None
    latest: dict[int, Any] = dataclasses.field(default_factory=dict)  # {contest id: row} of the versions that count
    earlier: Any = None  # the row already stored under this client id, if any
    current_votes: dict[int, int] = dataclasses.field(default_factory=dict)  # of this contest's latest version


@functools.cache
def state_statement() -> sa.Select[Any]:
    """The configuration token, the last turnout figure, the latest minutes of every contest of the area, any
    minutes under the client id, and the votes of this contest's latest version: one row per vote (or per
    version, or a single row when there is none)."""
    area, contest = sa.bindparam("area_id"), sa.bindparam("contest_id")
    wanted = sa.or_(sa.and_(_REPORTS.c.polling_area_id == area, _REPORTS.c.is_latest),
                    _REPORTS.c.client_uuid == sa.bindparam("client_uuid", type_=sa.Uuid))
    votes = sa.and_(_VOTES.c.report_id == _REPORTS.c.id, _REPORTS.c.contest_id == contest,
                    _REPORTS.c.polling_area_id == area, _REPORTS.c.is_latest)
    one_row = sa.select(sa.literal(1).label("one")).subquery()
    return (
        sa.select(station.token_column().label("token"),
                  last_turnout_statement().scalar_subquery().label("last_turnout"),
                  *(_REPORTS.c[name] for name in _VERSION_COLUMNS), _VOTES.c.candidate_id, _VOTES.c.votes)
        .select_from(one_row.outerjoin(_REPORTS, wanted).outerjoin(_VOTES, votes))
    )


def read_state(conn: sa.Connection, area_id: int, contest_id: int, client_uuid: uuid.UUID) -> State:
    state = State()
    for row in conn.execute(state_statement(),
                            {"area_id": area_id, "contest_id": contest_id, "client_uuid": client_uuid}):
        state.token, state.last_turnout = row.token, row.last_turnout
        if row.id is None:
            continue
        if row.client_uuid == client_uuid:
            state.earlier = row
        if row.polling_area_id == area_id and row.is_latest:
            state.latest[row.contest_id] = row
            if row.candidate_id is not None:
                state.current_votes[row.candidate_id] = row.votes
    return state


@functools.cache
def _insert_statement(dialect: str) -> sa.Insert:
    # Refused by a unique index (client id, receipt, version, the one latest version) without aborting the
    # transaction: the caller then finds out which, with no SAVEPOINT on the usual path. RETURNING the entity
    # has the ORM load the new version from the INSERT itself, as the object callers expect, without reading
    # it back.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(CountReport).on_conflict_do_nothing().returning(CountReport)


@functools.cache
def _votes_statement() -> sa.Insert:
    return sa.insert(CountVote).returning(CountVote)


# Nothing is pending when a version is written: its ORM statements must not flush the session first.
_NO_FLUSH = {"autoflush": False}


@functools.cache
def _supersede_statement() -> sa.Update:
    return (sa.update(_REPORTS)
            .where(_REPORTS.c.id == sa.bindparam("report_id"), _REPORTS.c.is_latest,
                   _REPORTS.c.status != ReportStatus.CONFIRMED)
            .values(is_latest=False))


def _fresh_latest(conn: sa.Connection, area_id: int, contest_id: int) -> tuple[Any, dict[int, int]]:
    """The version that counts as the database has it now, with its votes (after a clash with another request)."""
    row = conn.execute(sa.select(*(_REPORTS.c[name] for name in _VERSION_COLUMNS))
                       .where(_REPORTS.c.polling_area_id == area_id, _REPORTS.c.contest_id == contest_id,
                              _REPORTS.c.is_latest)).first()
    if row is None:
        return None, {}
    if row.status is ReportStatus.CONFIRMED:
        raise ReportLocked
    return row, dict(conn.execute(sa.select(_VOTES.c.candidate_id, _VOTES.c.votes)
                                  .where(_VOTES.c.report_id == row.id)).all())


def store(session: Session, conn: sa.Connection, config: station.StationConfig, link: station.StationContest,
           values: dict[str, Any], votes: dict[int, int], current: Any, current_votes: dict[int, int],
           attempts: int = 6) -> Submission[CountReport]:
    """INSERT the new version after taking the one it replaces off (conditionally: the commune may confirm that
    very version meanwhile; on PostgreSQL the UPDATE then waits for the official's row lock and re-reads the
    status, so a confirmed version is never superseded). A unique index refusing the INSERT means: the same
    client id sent by a twin request (its result is returned), a first version sent meanwhile by another request
    (ours becomes a correction of it), or a receipt drawn twice (drawn again; about 1 in 200 late in the day)."""
    area_id, contest_id = values["polling_area_id"], values["contest_id"]
    superseded = False
    for _ in range(attempts):
        if current is not None and not superseded:
            if conn.execute(_supersede_statement(), {"report_id": current.id}).rowcount != 1:
                current, current_votes = _fresh_latest(conn, area_id, contest_id)  # a correction came first
                continue
            superseded = True
        values.update(version=current.version + 1 if current is not None else 1,
                      supersedes_id=current.id if current is not None else None, receipt=new_receipt(CountReport))
        report = session.scalars(_insert_statement(conn.dialect.name), values, execution_options=_NO_FLUSH).first()
        if report is not None:
            break
        twin = conn.execute(sa.select(_REPORTS.c.id, _REPORTS.c.polling_area_id, _REPORTS.c.contest_id)
                            .where(_REPORTS.c.client_uuid == values["client_uuid"])).first()
        if twin is not None:
            if superseded or (twin.polling_area_id, twin.contest_id) != (area_id, contest_id):
                raise ClientUuidConflict
            return Submission(session.get(CountReport, twin.id), True)
        if not superseded:
            current, current_votes = _fresh_latest(conn, area_id, contest_id)
    else:
        raise RuntimeError("count minutes: no version could be inserted")
    values["id"] = report.id
    set_committed_value(report, "votes", session.scalars(
        _votes_statement(), [{"report_id": report.id, "candidate_id": c, "votes": v} for c, v in votes.items()],
        execution_options=_NO_FLUSH).all())
    set_committed_value(report, "photos", [])
    if superseded and (old := session.identity_map.get(identity_key(CountReport, current.id))) is not None:
        set_committed_value(old, "is_latest", False)
    _audit(session, config, values, votes, current if superseded else None)
    tracking.record_count_version(
        session, _version(config, link, values, votes),
        _version(config, link, current._asdict() | {"submitted_at": None}, current_votes) if current else None)
    return Submission(report, False)


def _audit(session: Session, config: station.StationConfig, values: dict[str, Any], votes: dict[int, int],
           superseded: Any) -> None:
    rows = [audit.Written("create", _REPORTS.name, str(values["id"]), config.place, None,
                          audit.snapshot_of(CountReport, values) | {"votes": votes_audited(votes)})]
    if superseded is not None:
        rows.append(audit.Written("update", _REPORTS.name, str(superseded.id), config.place, {"is_latest": True},
                                  {"is_latest": False}))
    audit.record_written(session, rows)


def _version(config: station.StationConfig, link: station.StationContest, values: Mapping[str, Any],
             votes: Mapping[int, int]) -> tracking.CountVersion:
    return tracking.CountVersion(
        report_id=values["id"], polling_area_id=config.area_id, province_id=config.province_id,
        commune_id=config.commune_id, contest_id=link.contest_id, election_id=link.election_id,
        version=values["version"], status=ReportStatus(values["status"]),
        numbers=tracking.count_numbers(values, votes), submitted_at=values["submitted_at"])
