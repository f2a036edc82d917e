"""Writes report versions (phiên bản báo cáo), turnout reports and count minutes alike, in one path: take the
version that counts off (conditionally: never one the commune confirmed), INSERT the new one exactly once with its
figures or votes, write its audit entries, and announce it (``version_written``) to whoever keeps summaries of
it (the progress summaries, ``webapp.progress.tracking``), all in the session's transaction.

The services (``turnout.submit_turnout``, ``counts.submit_count``) decide what to write; test builders write here
directly. Written with Core on the session's connection: no flush listener sees a version, so its audit entries
and its summaries come from here and nowhere else. ``Actor`` feeds both the version (``submitted_by``,
``channel``) and its audit entries.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

import blinker
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from webapp.audit import services as audit
from webapp.reports.checks import COUNT_FIELDS
from webapp.reports.common import ClientUuidConflict, ReportLocked, Submission, new_receipt
from webapp.reports.models import (
    CountReport,
    CountVote,
    ReportStatus,
    TurnoutFigure,
    TurnoutReport,
)


Place = tuple[int, int, int]  # province, commune, polling area

#: Sent once for every version written, in its transaction, with ``written=`` a ``Written``; the sender is the
#: kind ("turnout" or "count"). Receivers write with ``session``'s connection and must not flush the session.
signals = blinker.Namespace()
version_written = signals.signal("report-version-written")
#: Sent once for every status change of a version (the commune's review), with ``change=`` a ``StatusChange``.
status_changed = signals.signal("report-status-changed")


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of report: its table, its child rows (a turnout report's figures, the minutes' votes) and which
    columns name the line of versions that replace each other."""

    name: str  # "turnout" or "count": ReportLocked's subject and the receipt's kind
    model: type[TurnoutReport] | type[CountReport]
    child: type[TurnoutFigure] | type[CountVote]
    child_key: str
    child_value: str
    line: tuple[str, ...]  # the versions of one report: same values here
    same_report: tuple[str, ...]  # a replayed client id must name the same report (else ClientUuidConflict)
    children_in_entry: bool  # audited inside the version's own entry (votes), or one entry each (figures)

    @property
    def table(self) -> sa.Table:
        return self.model.__table__  # type: ignore[return-value]

    def numbers(self, row: Any, children: Mapping[int, int]) -> dict[str, Any]:
        """What the summaries compare between versions: the count's numbers and votes ({candidate id as text:
        votes}), or the turnout's figures ({contest id: voters who had voted})."""
        if self.name == "turnout":
            return dict(children)
        return {**{name: getattr(row, name) for name in COUNT_FIELDS}, "votes": {str(c): n for c, n in children.items()}}


TURNOUT = Kind("turnout", TurnoutReport, TurnoutFigure, "contest_id", "voters_voted",
               ("election_id", "polling_area_id", "slot_at"), ("polling_area_id",), children_in_entry=False)
COUNT = Kind("count", CountReport, CountVote, "candidate_id", "votes", ("polling_area_id", "contest_id"),
             ("polling_area_id", "contest_id"), children_in_entry=True)


@dataclasses.dataclass(frozen=True)
class Version:
    """One version as the summaries need it, in plain values."""

    report_id: int
    election_id: int
    place: Place
    version: int
    status: ReportStatus
    numbers: dict[str, Any]  # Kind.numbers
    submitted_at: datetime | None  # of the new version (the one replaced: None, the summaries do not need it)
    contest_id: int | None = None  # count minutes
    slot_at: time | None = None  # turnout: its report time

    @property
    def province_id(self) -> int:
        return self.place[0]

    @property
    def commune_id(self) -> int:
        return self.place[1]

    @property
    def polling_area_id(self) -> int:
        return self.place[2]


@dataclasses.dataclass(frozen=True)
class Written:
    """What ``version_written`` carries: the new version, the one it replaced (None: the first), who sent it, and
    for turnout the day and the deadline of its report time (its time plus the grace minutes)."""

    kind: str
    new: Version
    previous: Version | None
    actor: audit.Actor
    day: date | None = None
    due: datetime | None = None


@dataclasses.dataclass(frozen=True)
class StatusChange:
    """What ``status_changed`` carries: the version (its new status set), its status before, who changed it
    (an account, or None) and when."""

    kind: str
    report: Any  # TurnoutReport | CountReport
    before: ReportStatus
    by: Any  # webapp.accounts.models.User | None
    at: datetime


@functools.cache
def _insert_statement(kind: Kind, dialect: str) -> sa.Insert:
    # Refused by a unique index (client id, receipt, version, the one latest version) without aborting the
    # transaction: ``write`` then finds out which, with no SAVEPOINT on the usual path. RETURNING the entity has the
    # ORM load the new version from the INSERT itself, as the object callers expect, without reading it back.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(kind.model).on_conflict_do_nothing().returning(kind.model)


@functools.cache
def _children_statement(kind: Kind) -> sa.Insert:
    return sa.insert(kind.child).returning(kind.child)


@functools.cache
def _supersede_statement(kind: Kind) -> sa.Update:
    table = kind.table
    return (sa.update(table)
            .where(table.c.id == sa.bindparam("report_id"), table.c.is_latest,
                   table.c.status != ReportStatus.CONFIRMED)
            .values(is_latest=False))


# Nothing is pending when a version is written: its ORM statements must not flush the session first.
_NO_FLUSH = {"autoflush": False}


def _children_of(conn: sa.Connection, kind: Kind, report_id: int) -> dict[int, int]:
    child = kind.child.__table__
    return dict(conn.execute(sa.select(child.c[kind.child_key], child.c[kind.child_value])  # type: ignore[arg-type]
                             .where(child.c.report_id == report_id)).all())


def _fresh_latest(conn: sa.Connection, kind: Kind, values: Mapping[str, Any]) -> tuple[Any, dict[int, int]]:
    """The version that counts as the database has it now, with its figures or votes (after a clash with another
    request); ``ReportLocked`` if the commune confirmed it meanwhile."""
    table = kind.table
    row = conn.execute(sa.select(table).where(*(table.c[c] == values[c] for c in kind.line), table.c.is_latest)).first()
    if row is None:
        return None, {}
    if row.status is ReportStatus.CONFIRMED:
        raise ReportLocked(kind.name)
    return row, _children_of(conn, kind, row.id)


def write(session: Session, kind: Kind, actor: audit.Actor, *, place: Place, election_id: int,
          values: dict[str, Any], children: Mapping[int, int], current: Any, current_children: Mapping[int, int],
          day: date | None = None, due: datetime | None = None, attempts: int = 6) -> Submission[Any]:
    """Write a new version of ``kind``: ``values`` are its columns but the ones written here (id, version,
    supersedes_id, receipt, submitted_by_id, channel), ``children`` its figures ({contest id: voted}) or votes
    ({candidate id: votes}), ``current`` the version that counts now (a row or an instance with ``id``,
    ``version``, ``status`` and the numbers; None: the first) with ``current_children``.

    The version replaced is taken off conditionally: the commune may confirm that very version meanwhile (on
    PostgreSQL the UPDATE then waits for the official's row lock and re-reads the status, so a confirmed version is
    never superseded: ``ReportLocked``). A unique index refusing the INSERT means: the same client id sent by a twin
    request (its result is returned), a first version sent meanwhile by another request (ours becomes a
    correction of it), or a receipt drawn twice (drawn again; about 1 in 200 late in the day)."""
    conn = session.connection()
    values.update(submitted_by_id=actor.user.id, channel=actor.channel)
    superseded = False
    for _ in range(attempts):
        if current is not None and not superseded:
            if conn.execute(_supersede_statement(kind), {"report_id": current.id}).rowcount != 1:
                current, current_children = _fresh_latest(conn, kind, values)  # a correction came first
                continue
            superseded = True
        values.update(version=current.version + 1 if current is not None else 1,
                      supersedes_id=current.id if current is not None else None, receipt=new_receipt(kind.model))
        report = session.scalars(_insert_statement(kind, conn.dialect.name), values,
                                 execution_options=_NO_FLUSH).first()
        if report is not None:
            break
        table = kind.table
        twin = conn.execute(sa.select(table.c.id, *(table.c[c] for c in kind.same_report))
                            .where(table.c.client_uuid == values["client_uuid"])).first()
        if twin is not None:
            if superseded or tuple(twin[1:]) != tuple(values[c] for c in kind.same_report):
                raise ClientUuidConflict
            return Submission(session.get(kind.model, twin.id), True)
        if not superseded:
            current, current_children = _fresh_latest(conn, kind, values)
    else:
        raise RuntimeError(f"{kind.name}: no version could be inserted")
    _write_children(session, kind, report, children)
    if superseded and (old := session.identity_map.get(identity_key(kind.model, current.id))) is not None:
        set_committed_value(old, "is_latest", False)
    _audit(session, kind, actor, place, report, children, current.id if superseded else None)
    new = Version(report.id, election_id, place, report.version, report.status, kind.numbers(report, children),
                  report.submitted_at, values.get("contest_id"), values.get("slot_at"))
    previous = None
    if superseded:
        previous = Version(current.id, election_id, place, current.version, ReportStatus(current.status),
                           kind.numbers(current, current_children), None,
                           values.get("contest_id"), values.get("slot_at"))
    version_written.send(kind.name, session=session, written=Written(kind.name, new, previous, actor, day, due))
    return Submission(report, False)


def _write_children(session: Session, kind: Kind, report: Any, children: Mapping[int, int]) -> None:
    rows = [{"report_id": report.id, kind.child_key: key, kind.child_value: value} for key, value in children.items()]
    loaded = session.scalars(_children_statement(kind), rows, execution_options=_NO_FLUSH).all() if rows else []
    if kind is COUNT:
        set_committed_value(report, "votes", loaded)
        set_committed_value(report, "photos", [])
    else:
        set_committed_value(report, "figures", sorted(loaded, key=lambda f: f.contest_id))


def _audit(session: Session, kind: Kind, actor: audit.Actor, place: Place, report: Any,
           children: Mapping[int, int], superseded_id: int | None) -> None:
    # The version's entry is what the ORM listener would write for it: its columns, and its votes inside it
    # (``CountReport.audit_children``); a turnout report's figures have one entry each.
    table, report_id = kind.table.name, report.id
    rows = [audit.Written("create", table, str(report_id), place, None, audit.snapshot(report))]
    if not kind.children_in_entry:
        child = kind.child.__table__.name  # type: ignore[attr-defined]
        rows += [audit.Written("create", child, f"{report_id}:{key}", place, None,
                               {"report_id": report_id, kind.child_key: key, kind.child_value: value})
                 for key, value in children.items()]
    if superseded_id is not None:
        rows.append(audit.Written("update", table, str(superseded_id), place, {"is_latest": True},
                                  {"is_latest": False}))
    audit.record_written(session, rows, actor)


def change_status(session: Session, report: TurnoutReport | CountReport, status: ReportStatus, *, by: Any,
                  at: datetime, shown: ReportStatus | None = None,
                  then: Callable[[], Sequence[audit.Written]] | None = None, **columns: Any) -> bool:
    """Set one version's status (and, for count minutes, the review's own columns: ``reviewed_by_id``,
    ``reviewed_at``, ``returned_reasons``) with one UPDATE, write its audit entry (by the session's bound actor, as
    every decision of the review) and send ``status_changed``.

    With ``shown`` (the status the official was shown: ``webapp.review.services``), the UPDATE is also the claim of
    the decision: it changes the version only while it is the latest and still in that status, and takes the
    row's lock (on PostgreSQL a second official's UPDATE waits for the first to commit, then matches nothing).
    False then, and nothing changed. ``then`` writes what the decision records beside the status once the version
    is claimed (the review action) and gives its audit entries, written in the same INSERT as the status's."""
    kind = COUNT if isinstance(report, CountReport) else TURNOUT
    after = {"status": status, **columns}
    before = {key: getattr(report, key) for key in after}
    if shown is not None:
        before["status"] = shown  # what the claim matched, whatever this session read earlier
    old, new = audit.changes(before, after)
    if not new:
        return True
    table = kind.table
    update = sa.update(table).where(table.c.id == report.id)
    if shown is not None:
        update = update.where(table.c.status == shown, table.c.is_latest)
    if session.execute(update.values({k: after[k] for k in new})).rowcount != 1:  # type: ignore[attr-defined]
        if shown is not None:
            return False
        raise LookupError(f"{table.name} {report.id}: no such version")
    for key in new:
        set_committed_value(report, key, after[key])
    rows = [audit.Written("update", table.name, str(report.id), report.audit_place(), old, new)]
    if then is not None:
        rows += then()
    audit.record_written(session, rows)
    if status is not before["status"]:
        status_changed.send(kind.name, session=session,
                            change=StatusChange(kind.name, report, before["status"], by, at))
    return True
