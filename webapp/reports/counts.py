"""The count minutes (biên bản kết quả kiểm phiếu): one per contest the area votes in, checked with
``webapp.reports.checks`` on the server exactly as on the leader's screen, stored as versions."""

from __future__ import annotations

import dataclasses
import unicodedata
import uuid
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import User
from webapp.audit.models import Channel
from webapp.elections import services as elections
from webapp.elections.models import Candidate, ElectoralUnit, PollingArea, PollingAreaUnit, TeamMember
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
    replayed,
    station_day,
)
from webapp.reports.models import CountReport, CountVote, ReportStatus, TurnoutReport


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


@dataclasses.dataclass
class CountReview:
    """Everything the form, the live check and the read-back show about one contest's minutes."""

    area: PollingArea
    link: PollingAreaUnit
    candidates: list[Candidate]
    team: list[TeamMember]
    findings: list[Finding]  # checks 1–9, 13, 14 and (WARN) 11, blocking first
    latest: CountReport | None
    last_turnout: int | None
    voters_on_record: int | None  # the voter count the commune entered, as a hint

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


def _link(session: Session, area: PollingArea, contest_id: int) -> PollingAreaUnit:
    link = session.scalars(
        sa.select(PollingAreaUnit)
        .where(PollingAreaUnit.polling_area_id == area.id, PollingAreaUnit.contest_id == contest_id)
        .options(selectinload(PollingAreaUnit.contest),
                 selectinload(PollingAreaUnit.unit).selectinload(ElectoralUnit.candidates))
    ).first()
    if link is None:
        raise ContestNotHeld
    return link


def _latest(session: Session, area_id: int, contest_id: int) -> CountReport | None:
    return session.scalars(
        sa.select(CountReport).where(CountReport.polling_area_id == area_id, CountReport.contest_id == contest_id,
                                     CountReport.is_latest)
    ).first()


def _last_turnout(session: Session, area: PollingArea, contest_id: int) -> int | None:
    report = session.scalars(
        sa.select(TurnoutReport)
        .where(TurnoutReport.polling_area_id == area.id, TurnoutReport.is_latest)
        .order_by(TurnoutReport.slot_at.desc())
        .options(selectinload(TurnoutReport.figures))
    ).first()
    if report is None:
        return None
    return next((f.voters_voted for f in report.figures if f.contest_id == contest_id), None)


def _as_input(report: CountReport) -> CountInput:
    return CountInput(report.voters_on_list, report.voters_voted, report.ballots_issued, report.ballots_received,
                      report.valid, report.invalid, votes={})


def _across(session: Session, area: PollingArea, link: PollingAreaUnit, numbers: CountInput) -> list[Finding]:
    """Check 11 against the latest minutes of the area's other contests; only findings about this contest."""
    kind = link.contest.kind.value
    reports = {kind: numbers}
    for other in area_contests(session, area):
        if other.contest_id != link.contest_id and (latest := _latest(session, area.id, other.contest_id)):
            reports[other.contest.kind.value] = _as_input(latest)
    return [f for f in check_across_contests(reports) if kind in (f.params.get("contest"), f.params.get("wider_contest"))]


def _review(session: Session, area: PollingArea, link: PollingAreaUnit, numbers: CountInput | None,
            now: datetime) -> CountReview:
    candidates = list(link.unit.candidates)
    last_turnout = _last_turnout(session, area, link.contest_id)
    findings: list[Finding] = []
    if numbers is not None:
        election = elections.current_election(session)
        ctx = CountContext(seats=link.unit.seats, candidate_ids=frozenset(c.id for c in candidates),
                           last_turnout=last_turnout, submitted_at=now,
                           voting_closed_at=station_day(election, area).voting_closes)
        findings = check_count(numbers, ctx) + _across(session, area, link, numbers)
        findings.sort(key=lambda f: _SEVERITY_ORDER[f.severity])
    counts = elections.latest_voter_counts(session, [area.id])
    record = counts.get((area.id, link.contest_id))
    return CountReview(area=area, link=link, candidates=candidates, team=list(area.team), findings=findings,
                       latest=_latest(session, area.id, link.contest_id), last_turnout=last_turnout,
                       voters_on_record=record.total if record else None)


def review_count(session: Session, *, user: User, area_id: int, contest_id: int, numbers: CountInput | None,
                 now: datetime) -> CountReview:
    """The checks of one contest's minutes as they would run if sent ``now`` (the live check and read-back);
    ``numbers=None`` gives the context alone (candidates, team, the latest version)."""
    area = scope.get(session, PollingArea, area_id, user)
    return _review(session, area, _link(session, area, contest_id), numbers, now)


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
    """
    area = area_for_submit(session, actor, area_id)
    link = _link(session, area, contest_id)
    matches = lambda r: r.polling_area_id == area.id and r.contest_id == contest_id
    if (earlier := replayed(session, CountReport, client_uuid, matches)) is not None:
        return earlier
    review = _review(session, area, link, data.numbers, now)
    if review.locked:
        raise ReportLocked
    unexplained = [f for f in review.to_explain if not (data.explanations.get(f.code) or "").strip()]
    if review.blocking or unexplained:
        raise ReportRejected(review.findings, unexplained)
    signers, witnesses = _signers(area, data)
    n = data.numbers
    explanations = {f.code: data.explanations[f.code].strip() for f in review.to_explain}

    def build() -> CountReport:
        current = _latest(session, area.id, contest_id)
        if current is not None:
            if current.status is ReportStatus.CONFIRMED:
                raise ReportLocked
            current.is_latest = False
            session.flush()
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
            findings=jsonable_findings(review.findings), client_uuid=client_uuid, receipt=new_receipt(session),
            channel=channel, submitted_by=actor, submitted_at=now,
        )
        session.add(report)
        for candidate in review.candidates:
            report.votes.append(CountVote(candidate_id=candidate.id, votes=n.votes[candidate.id]))
        return report

    return insert_once(session, CountReport, client_uuid, build, matches)


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
