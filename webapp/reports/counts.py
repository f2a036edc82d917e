"""The count minutes (biên bản kết quả kiểm phiếu): one per contest the area votes in, checked with
``webapp.reports.checks`` on the server exactly as on the leader's screen, stored as versions."""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from webapp import scope
from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.db import as_loaded
from webapp.elections import services as elections
from webapp.elections.models import Candidate, ContestKind, PollingArea, PollingAreaUnit, TeamMember
from webapp.progress import tracking
from webapp.reports import station
from webapp.reports.checks import (
    CountContext,
    CountInput,
    Finding,
    Severity,
    blocking,
    check_across_contests,
    check_count,
    needing_explanation,
)
from webapp.reports.common import (
    ClientUuidConflict,
    ContestNotHeld,
    NotAllowed,
    ReportError,
    ReportLocked,
    ReportRejected,
    Submission,
    area_contests,
    jsonable_findings,
    may_submit_to,
    new_receipt,
    scoped_area,
    station_day,
)
from webapp.reports.models import (
    CountReport,
    CountVote,
    ReportStatus,
    TurnoutFigure,
    TurnoutReport,
    votes_audited,
)


class InvalidSignatures(ReportError):
    """The signers or witnesses are missing or wrong; ``code`` says which (no_signers, unknown_signer,
    witnesses_missing, witnesses_same)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclasses.dataclass(frozen=True)
class CountData:
    """One count minutes as the leader sends it."""

    numbers: CountInput
    signer_ids: tuple[int, ...] = ()
    witnesses: tuple[str, str] = ("", "")
    # {finding code: explanation} for the suspicious findings (Severity.EXPLAIN).
    explanations: Mapping[str, str] = dataclasses.field(default_factory=dict)
    complaints_note: str = ""


_UNSET: Any = object()


@dataclasses.dataclass
class CountReview:
    """Everything the form, the live check and the read-back show about one contest's minutes."""

    area: PollingArea
    link: PollingAreaUnit
    candidates: list[Candidate]
    team: list[TeamMember]
    findings: list[Finding]  # checks 1–9, 13, 14 and (WARN) 11, blocking first
    latest: CountReport | None
    session: Session = dataclasses.field(repr=False, compare=False)
    _last_turnout: Any = dataclasses.field(default=_UNSET, repr=False, compare=False)

    @property
    def last_turnout(self) -> int | None:
        """Voters who had voted by the area's last turnout report (read when first asked for)."""
        if self._last_turnout is _UNSET:
            self._last_turnout = _last_turnout(self.session, self.area.id, self.link.contest_id)
        return self._last_turnout

    @functools.cached_property
    def voters_on_record(self) -> int | None:
        """The voter count the commune entered, as a hint (read when first asked for: the form shows it)."""
        counts = elections.latest_voter_counts(self.session, [self.area.id])
        record = counts.get((self.area.id, self.link.contest_id))
        return record.total if record else None

    @property
    def blocking(self) -> list[Finding]:
        return blocking(self.findings)

    @property
    def to_explain(self) -> list[Finding]:
        return needing_explanation(self.findings)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARN]

    @property
    def candidate_names(self) -> dict[int, str]:
        return {c.id: c.full_name for c in self.candidates}

    @property
    def locked(self) -> bool:
        return self.latest is not None and self.latest.status is ReportStatus.CONFIRMED


_SEVERITY_ORDER = {Severity.BLOCK: 0, Severity.EXPLAIN: 1, Severity.WARN: 2}


def _link(links: list[PollingAreaUnit], contest_id: int) -> PollingAreaUnit:
    """The area's link to the contest (check 12: the area must vote in it)."""
    for link in links:
        if link.contest_id == contest_id:
            return link
    raise ContestNotHeld


@functools.cache
def _latest_statement(with_uuid: bool) -> sa.Select[tuple[CountReport]]:
    # Built once, like common._links_statement.
    wanted = sa.and_(CountReport.polling_area_id == sa.bindparam("area_id"), CountReport.is_latest)
    if with_uuid:
        wanted = sa.or_(wanted, CountReport.client_uuid == sa.bindparam("client_uuid"))
    return sa.select(CountReport).where(wanted)


def _latest_reports(session: Session, area_id: int, client_uuid: uuid.UUID | None = None) -> (
        tuple[dict[int, CountReport], CountReport | None]):
    """The version that counts of each of the area's minutes ({contest id: report}) and, in the same statement,
    the report already stored under ``client_uuid`` (anywhere), if any."""
    rows = session.scalars(_latest_statement(client_uuid is not None),
                           {"area_id": area_id, "client_uuid": client_uuid}).all()
    latest = {r.contest_id: r for r in rows if r.polling_area_id == area_id and r.is_latest}
    return latest, next((r for r in rows if client_uuid is not None and r.client_uuid == client_uuid), None)


@functools.cache
def _last_turnout_statement() -> sa.Select[tuple[int]]:
    return (
        sa.select(TurnoutFigure.voters_voted).select_from(TurnoutReport)
        .outerjoin(TurnoutFigure, sa.and_(TurnoutFigure.report_id == TurnoutReport.id,
                                          TurnoutFigure.contest_id == sa.bindparam("contest_id")))
        .where(TurnoutReport.polling_area_id == sa.bindparam("area_id"), TurnoutReport.is_latest)
        .order_by(TurnoutReport.slot_at.desc()).limit(1)
    )


def _last_turnout(session: Session, area_id: int, contest_id: int) -> int | None:
    """The contest's figure in the area's latest turnout report (the latest report time), or None."""
    return session.scalar(_last_turnout_statement(), {"area_id": area_id, "contest_id": contest_id})


def _as_input(report: Any) -> CountInput:
    """The numbers of a stored version (an ORM object or a row), without the votes (check 11 needs none)."""
    return CountInput(report.voters_on_list, report.voters_voted, report.ballots_issued, report.ballots_received,
                      report.valid, report.invalid, votes={})


def _findings(ctx: CountContext, kinds: Mapping[int, str], latest: Mapping[int, Any], contest_id: int,
              numbers: CountInput) -> list[Finding]:
    """Checks 1–9, 13 and 14 of this contest's minutes, and check 11 against the latest minutes of the area's other
    contests ({contest id: kind} in ``kinds``, their versions in ``latest``), only the findings about this one;
    blocking first."""
    kind = kinds[contest_id]
    reports = {kind: numbers}
    for other, other_kind in kinds.items():
        if other != contest_id and (report := latest.get(other)) is not None:
            reports[other_kind] = _as_input(report)
    across = [f for f in check_across_contests(reports)
              if kind in (f.params.get("contest"), f.params.get("wider_contest"))]
    findings = check_count(numbers, ctx) + across
    findings.sort(key=lambda f: _SEVERITY_ORDER[f.severity])
    return findings


def review_count(session: Session, *, user: User, area_id: int, contest_id: int, numbers: CountInput | None,
                 now: datetime) -> CountReview:
    """The checks of one contest's minutes as they would run if sent ``now`` (the live check and read-back);
    ``numbers=None`` gives the context alone (candidates, team, the latest version)."""
    area = scoped_area(session, user, area_id, with_team=True)
    links = area_contests(session, area, with_candidates=True)
    link = _link(links, contest_id)
    latest, _ = _latest_reports(session, area.id)
    review = CountReview(area=area, link=link, candidates=list(link.unit.candidates), team=list(area.team),
                         findings=[], latest=latest.get(contest_id), session=session)
    if numbers is not None:
        election = elections.current_election(session)
        ctx = CountContext(seats=link.unit.seats, candidate_ids=frozenset(c.id for c in link.unit.candidates),
                           last_turnout=review.last_turnout, submitted_at=now,
                           voting_closed_at=station_day(election, area).voting_closes)
        review.findings = _findings(ctx, {k.contest_id: k.contest.kind.value for k in links}, latest, contest_id,
                                    numbers)
    return review


def _clean_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name or "").split())[:200]


def _signers(team: Mapping[int, station.Signer], data: CountData) -> (
        tuple[list[dict[str, object]], tuple[str, str]]):
    if not data.signer_ids:
        raise InvalidSignatures("no_signers")
    if any(i not in team for i in data.signer_ids):
        raise InvalidSignatures("unknown_signer")
    w1, w2 = (_clean_name(w) for w in data.witnesses)
    if not w1 or not w2:
        raise InvalidSignatures("witnesses_missing")
    if w1.casefold() == w2.casefold():
        raise InvalidSignatures("witnesses_same")
    ordered = sorted(dict.fromkeys(data.signer_ids), key=lambda i: (team[i].position, i))
    return [{"id": i, "name": team[i].full_name, "role": team[i].role} for i in ordered], (w1, w2)


# --- sending: Core statements on the session's connection ---------------------------------------------------
#
# The submission is the hot path of election night (benchmarks/submit_count.py): the station's configuration
# comes from the per-process cache (webapp.reports.station), everything else the checks need is read in one
# statement, and the new version is written with Core and audited explicitly (the ORM listeners do not see it).

_REPORTS, _VOTES = CountReport.__table__, CountVote.__table__
_NUMBER_COLUMNS = ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")
_VERSION_COLUMNS = ("id", "polling_area_id", "contest_id", "version", "status", "is_latest", "client_uuid",
                    *_NUMBER_COLUMNS)


@dataclasses.dataclass
class _State:
    """What one statement tells about the area before sending (see ``_state_statement``)."""

    token: str | None = None
    last_turnout: int | None = None
    latest: dict[int, Any] = dataclasses.field(default_factory=dict)  # {contest id: row} of the versions that count
    earlier: Any = None  # the row already stored under this client id, if any
    current_votes: dict[int, int] = dataclasses.field(default_factory=dict)  # of this contest's latest version


@functools.cache
def _state_statement() -> sa.Select[Any]:
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
                  _last_turnout_statement().scalar_subquery().label("last_turnout"),
                  *(_REPORTS.c[name] for name in _VERSION_COLUMNS), _VOTES.c.candidate_id, _VOTES.c.votes)
        .select_from(one_row.outerjoin(_REPORTS, wanted).outerjoin(_VOTES, votes))
    )


def _read_state(conn: sa.Connection, area_id: int, contest_id: int, client_uuid: uuid.UUID) -> _State:
    state = _State()
    for row in conn.execute(_state_statement(),
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


def _checked(config: station.StationConfig, actor: User, channel: Channel, contest_id: int | None,
             kind: ContestKind | None) -> station.StationContest:
    if not scope.Scope.of(actor).contains_place(*config.place):
        raise scope.OutOfScope(PollingArea.__name__)
    if not may_submit_to(actor, config.area_id, channel):
        raise NotAllowed
    return config.contest(contest_id, kind)


def station_for_send(session: Session, *, actor: User, area_id: int, channel: Channel, contest_id: int | None = None,
                     kind: ContestKind | None = None) -> tuple[station.StationConfig, station.StationContest]:
    """The area's configuration as this process keeps it (possibly a moment stale: ``submit_count`` checks its
    token) and the contest, for a page that builds its form to send; ``OutOfScope`` / ``NotAllowed`` /
    ``ContestNotHeld`` as the area and the actor require."""
    try:
        ident = int(area_id)
    except (TypeError, ValueError) as exc:
        raise scope.OutOfScope(PollingArea.__name__) from exc
    config = station.kept(session, ident) or station.load(session, ident)
    return config, _checked(config, actor, channel, contest_id, kind)


def _station(session: Session, conn: sa.Connection, actor: User, area_id: int, channel: Channel,
             contest_id: int | None, kind: ContestKind | None, client_uuid: uuid.UUID) -> (
        tuple[station.StationConfig, station.StationContest, _State]):
    """The area's configuration (kept, or read again when its token changed), its contest, and the state;
    ``OutOfScope`` / ``NotAllowed`` / ``ContestNotHeld`` as the area and the actor require."""
    checked = lambda config: _checked(config, actor, channel, contest_id, kind)
    config = station.kept(session, area_id) or station.load(session, area_id)
    link = checked(config)
    state = _read_state(conn, area_id, link.contest_id, client_uuid)
    if state.token != config.token:
        config = station.load(session, area_id)
        fresh = checked(config)
        if fresh.contest_id != link.contest_id:
            state = _read_state(conn, area_id, fresh.contest_id, client_uuid)
        link = fresh
    return config, link, state


def submit_count(
    session: Session,
    *,
    actor: User,
    area_id: int,
    contest_id: int | None = None,
    kind: ContestKind | None = None,
    data: CountData,
    client_uuid: uuid.UUID,
    channel: Channel,
    now: datetime,
) -> Submission[CountReport]:
    """Store one contest's count minutes (the contest by id, or by ``kind`` in the current election) as a new
    version.

    Raises ``scope.OutOfScope`` for an area the actor does not see, ``NotAllowed`` when the actor may not send its
    reports, ``ContestNotHeld`` when the area does not vote in the contest (check 12), ``ReportLocked`` when the
    latest version is confirmed, ``ReportRejected`` on blocking findings or on suspicious findings without a
    written explanation, ``InvalidSignatures`` when signers or witnesses are missing. The same ``client_uuid``
    sent again returns the first result and creates nothing. On an error nothing is written.

    Statements on the usual path (pinned by tests/reports/test_statement_count.py): one read (the configuration
    token, the latest minutes, any report under this client id, the last turnout figure, the votes of the version
    replaced), then the UPDATE of the version replaced (a correction), the INSERTs of the minutes, their votes and
    their audit entries, and the progress summaries' upsert, correction and queue. The station's configuration
    is read only when this process has not kept it or it changed.
    """
    try:
        ident = int(area_id)
    except (TypeError, ValueError) as exc:
        raise scope.OutOfScope(PollingArea.__name__) from exc
    session.flush()  # what the caller changed through the ORM is seen by the statements below, as autoflush would
    conn = session.connection()
    config, link, state = _station(session, conn, actor, ident, channel, contest_id, kind, client_uuid)
    if state.earlier is not None:
        if (state.earlier.polling_area_id, state.earlier.contest_id) != (ident, link.contest_id):
            raise ClientUuidConflict
        return Submission(session.get(CountReport, state.earlier.id), True)
    ctx = CountContext(seats=link.seats, candidate_ids=frozenset(link.candidate_ids), last_turnout=state.last_turnout,
                       submitted_at=now, voting_closed_at=config.day.voting_closes)
    findings = _findings(ctx, {c.contest_id: c.kind.value for c in config.contests}, state.latest, link.contest_id,
                         data.numbers)
    current = state.latest.get(link.contest_id)
    if current is not None and current.status is ReportStatus.CONFIRMED:
        raise ReportLocked
    to_explain = needing_explanation(findings)
    unexplained = [f for f in to_explain if not (data.explanations.get(f.code) or "").strip()]
    if blocking(findings) or unexplained:
        raise ReportRejected(findings, unexplained)
    signers, witnesses = _signers(config.team, data)
    n = data.numbers
    values: dict[str, Any] = {
        "polling_area_id": ident, "contest_id": link.contest_id, "unit_id": link.unit_id, "is_latest": True,
        "status": ReportStatus.RECEIVED, "returned_reasons": "", "reviewed_by_id": None, "reviewed_at": None,
        "voters_on_list": n.voters_on_list, "voters_voted": n.voters_voted, "ballots_issued": n.ballots_issued,
        "ballots_received": n.ballots_received, "valid": n.valid, "invalid": n.invalid,
        "names_kept": {str(k): v for k, v in sorted(n.names_kept.items())} if n.names_kept is not None else None,
        "complaints_received": n.complaints_received or 0, "complaints_resolved": n.complaints_resolved or 0,
        "complaints_forwarded": n.complaints_forwarded or 0, "complaints_note": (data.complaints_note or "").strip(),
        "signers": signers, "witness_1": witnesses[0], "witness_2": witnesses[1],
        "explanations": {f.code: data.explanations[f.code].strip() for f in to_explain},
        "findings": jsonable_findings(findings), "client_uuid": client_uuid, "channel": channel,
        "submitted_by_id": actor.id, "submitted_at": now,
    }
    votes = {c: n.votes[c] for c in link.candidate_ids}
    return _store(session, conn, config, link, values, votes, current, state.current_votes)


@functools.cache
def _insert_statement(dialect: str) -> sa.Insert:
    # Refused by a unique index (client id, receipt, version, the one latest version) without aborting the
    # transaction: the caller then finds out which, with no SAVEPOINT on the usual path.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_REPORTS).on_conflict_do_nothing().returning(_REPORTS.c.id)


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


def _store(session: Session, conn: sa.Connection, config: station.StationConfig, link: station.StationContest,
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
        new_id = conn.execute(_insert_statement(conn.dialect.name), values).scalar()
        if new_id is not None:
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
    conn.execute(_VOTES.insert(), [{"report_id": new_id, "candidate_id": c, "votes": v} for c, v in votes.items()])
    values["id"] = new_id
    _audit(session, config, values, votes, current if superseded else None)
    tracking.record_count_version(
        session, _version(config, link, values, votes),
        _version(config, link, current._asdict() | {"submitted_at": None}, current_votes) if current else None)
    return Submission(_persistent(session, values, votes, current.id if current else None), False)


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


def _persistent(session: Session, values: dict[str, Any], votes: dict[int, int], superseded_id: int | None) -> (
        CountReport):
    """The version just written, as the ORM object callers expect, without reading it back: made persistent in
    the session as if loaded (its relationships other than the votes load on first use)."""
    report = as_loaded(session, CountReport, values)
    set_committed_value(report, "votes", [
        as_loaded(session, CountVote, {"report_id": values["id"], "candidate_id": c, "votes": v})
        for c, v in votes.items()])
    set_committed_value(report, "photos", [])
    if superseded_id is not None and (old := session.identity_map.get(identity_key(CountReport, superseded_id))):
        set_committed_value(old, "is_latest", False)
    return report


def count_report_for(session: Session, user: User, report_id: int) -> CountReport:
    """One version of a count minutes, if the user sees its area (else OutOfScope)."""
    return scope.get(session, CountReport, report_id, user)


def station_counts(session: Session, user: User, area_id: int) -> list[tuple[PollingAreaUnit, CountReport | None]]:
    """Each contest the area votes in, with the version of its minutes that counts (None: not sent yet)."""
    area = scope.get(session, PollingArea, area_id, user)
    latest = {
        r.contest_id: r
        for r in session.scalars(
            sa.select(CountReport).where(CountReport.polling_area_id == area.id, CountReport.is_latest)
            .options(selectinload(CountReport.photos))
        )
    }
    return [(link, latest.get(link.contest_id)) for link in area_contests(session, area)]
