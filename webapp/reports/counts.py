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
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from webapp import scope
from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.elections import services as elections
from webapp.elections.models import Candidate, PollingArea, PollingAreaUnit, TeamMember
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
    ReportError,
    ReportLocked,
    ReportRejected,
    Submission,
    area_contests,
    area_for_submit,
    insert_once,
    jsonable_findings,
    new_receipt,
    scoped_area,
    station_day,
)
from webapp.reports.models import CountReport, CountVote, ReportStatus, TurnoutFigure, TurnoutReport


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


def _fresh_latest(session: Session, area_id: int, contest_id: int) -> CountReport | None:
    """The version that counts as the database has it now (a retry after a clash with another request)."""
    return session.scalars(
        sa.select(CountReport).where(CountReport.polling_area_id == area_id, CountReport.contest_id == contest_id,
                                     CountReport.is_latest)
        .execution_options(populate_existing=True)
    ).first()


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


def _as_input(report: CountReport) -> CountInput:
    return CountInput(report.voters_on_list, report.voters_voted, report.ballots_issued, report.ballots_received,
                      report.valid, report.invalid, votes={})


def _across(links: list[PollingAreaUnit], latest: Mapping[int, CountReport], link: PollingAreaUnit,
            numbers: CountInput) -> list[Finding]:
    """Check 11 against the latest minutes of the area's other contests; only findings about this contest."""
    kind = link.contest.kind.value
    reports = {kind: numbers}
    for other in links:
        if other.contest_id != link.contest_id and (report := latest.get(other.contest_id)) is not None:
            reports[other.contest.kind.value] = _as_input(report)
    return [f for f in check_across_contests(reports) if kind in (f.params.get("contest"), f.params.get("wider_contest"))]


def _findings(session: Session, area: PollingArea, links: list[PollingAreaUnit], link: PollingAreaUnit,
              latest: Mapping[int, CountReport], numbers: CountInput, now: datetime, last_turnout: int | None) -> (
        list[Finding]):
    election = elections.current_election(session)
    ctx = CountContext(seats=link.unit.seats, candidate_ids=frozenset(c.id for c in link.unit.candidates),
                       last_turnout=last_turnout, submitted_at=now,
                       voting_closed_at=station_day(election, area).voting_closes)
    findings = check_count(numbers, ctx) + _across(links, latest, link, numbers)
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
        review.findings = _findings(session, area, links, link, latest, numbers, now, review.last_turnout)
    return review


def _clean_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name or "").split())[:200]


def _signers(area: PollingArea, data: CountData) -> tuple[list[dict[str, object]], tuple[str, str]]:
    team = {m.id: m for m in area.team}
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
    return [{"id": i, "name": team[i].full_name, "role": team[i].role.value} for i in ordered], (w1, w2)


def submit_count(
    session: Session,
    *,
    actor: User,
    area_id: int,
    contest_id: int,
    data: CountData,
    client_uuid: uuid.UUID,
    channel: Channel,
    now: datetime,
) -> Submission[CountReport]:
    """Store one contest's count minutes as a new version.

    Raises ``ContestNotHeld`` when the area does not vote in the contest (check 12), ``ReportLocked`` when the
    latest version is confirmed, ``ReportRejected`` on blocking findings or on suspicious findings without a
    written explanation, ``InvalidSignatures`` when signers or witnesses are missing. The same
    ``client_uuid`` sent again returns the first result and creates nothing.

    Statements on the usual path (pinned by tests/reports/test_statement_count.py): the area with its team
    (scoped), the area's contests with units and candidates, the latest minutes of every contest together with
    any report under this client id, the last turnout figure, the election, the receipt check, then one flush
    inside a SAVEPOINT.
    """
    area = area_for_submit(session, actor, area_id, channel, with_team=True)
    links = area_contests(session, area, with_candidates=True)
    link = _link(links, contest_id)
    matches = lambda r: r.polling_area_id == area.id and r.contest_id == contest_id
    latest, earlier = _latest_reports(session, area.id, client_uuid)
    if earlier is not None:
        if not matches(earlier):
            raise ClientUuidConflict
        return Submission(earlier, True)
    findings = _findings(session, area, links, link, latest, data.numbers, now,
                         _last_turnout(session, area.id, contest_id))
    current = latest.get(contest_id)
    if current is not None and current.status is ReportStatus.CONFIRMED:
        raise ReportLocked
    to_explain = needing_explanation(findings)
    unexplained = [f for f in to_explain if not (data.explanations.get(f.code) or "").strip()]
    if blocking(findings) or unexplained:
        raise ReportRejected(findings, unexplained)
    signers, witnesses = _signers(area, data)
    n = data.numbers
    explanations = {f.code: data.explanations[f.code].strip() for f in to_explain}
    attempts = 0

    def build() -> CountReport:
        nonlocal current, attempts
        if attempts:  # a retry after a clash: read the version that counts again
            current = _fresh_latest(session, area.id, contest_id)
        attempts += 1
        if current is not None:
            if current.status is ReportStatus.CONFIRMED:
                raise ReportLocked
            _supersede(session, current)
        report = CountReport(
            polling_area=area, contest_id=contest_id, unit_id=link.unit_id,
            version=current.version + 1 if current else 1, supersedes_id=current.id if current else None,
            is_latest=True, status=ReportStatus.RECEIVED,
            voters_on_list=n.voters_on_list, voters_voted=n.voters_voted, ballots_issued=n.ballots_issued,
            ballots_received=n.ballots_received, valid=n.valid, invalid=n.invalid,
            names_kept={str(k): v for k, v in sorted(n.names_kept.items())} if n.names_kept is not None else None,
            complaints_received=n.complaints_received or 0, complaints_resolved=n.complaints_resolved or 0,
            complaints_forwarded=n.complaints_forwarded or 0, complaints_note=(data.complaints_note or "").strip(),
            signers=signers, witness_1=witnesses[0], witness_2=witnesses[1], explanations=explanations,
            findings=jsonable_findings(findings), client_uuid=client_uuid, receipt=new_receipt(CountReport),
            channel=channel, submitted_by=actor, submitted_at=now,
            votes=[CountVote(candidate_id=c.id, votes=n.votes[c.id]) for c in link.unit.candidates],
        )
        session.add(report)
        return report

    return insert_once(session, CountReport, client_uuid, build, matches)


def _supersede(session: Session, current: CountReport) -> None:
    """Take ``current`` off as the version that counts, unless the commune confirmed it meanwhile.

    The UPDATE is conditional because an official may confirm this very version between our read and our write:
    on PostgreSQL it waits for the official's row lock and then re-reads the status, so a confirmed version is
    never superseded (ReportLocked). It runs before the new version's INSERT, so the partial unique index on
    is_latest never sees two latest versions. The ORM does not see this UPDATE, so it is audited here."""
    flipped = session.execute(
        sa.update(CountReport)
        .where(CountReport.id == current.id, CountReport.is_latest,
               CountReport.status != ReportStatus.CONFIRMED)
        .values(is_latest=False)
        .execution_options(synchronize_session=False)
    )
    if flipped.rowcount != 1:
        raise ReportLocked
    set_committed_value(current, "is_latest", False)
    audit.record_event(session, action="update", entity_type=CountReport.__tablename__, entity_id=str(current.id),
                       place=current.audit_place(), before={"is_latest": True}, after={"is_latest": False})


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
