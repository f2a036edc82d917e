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

from webapp import scope
from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.elections import services as elections
from webapp.elections.models import (
    Candidate,
    ContestKind,
    PollingArea,
    PollingAreaUnit,
    TeamMember,
    VoterCount,
    VoterCountSource,
)
from webapp.reports import count_state, station, versions
from webapp.reports.checks import (
    INVENTORY_FIELDS,
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
    area_ident,
    jsonable_findings,
    may_submit_to,
    scoped_area,
    station_day,
)
from webapp.reports.models import (
    CountReport,
    ReportStatus,
)


#: The problems of the signatures a refused minutes can have (``ReportRejected.signatures``), with the field of
#: the minutes each is about: no_signers / unknown_signer (the signers), witnesses_missing / witnesses_same.
SIGNATURE_PROBLEMS = {"no_signers": "signer_ids", "unknown_signer": "signer_ids",
                      "witnesses_missing": "witnesses", "witnesses_same": "witnesses"}


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
    def voter_record(self) -> VoterCount | None:
        """The area's latest voter count for the contest: typed by the commune, or its list frozen when voting
        started (webapp.voters)."""
        return elections.latest_voter_counts(self.session, [self.area.id]).get((self.area.id, self.link.contest_id))

    @property
    def voters_on_record(self) -> int | None:
        """The voter count on record, as a hint (read when first asked for: the form shows it)."""
        return self.voter_record.total if self.voter_record else None

    @property
    def voters_frozen(self) -> int | None:
        """The voters on the area's list frozen at the start of voting: what a first minutes starts from."""
        record = self.voter_record
        return record.total if record is not None and record.source is VoterCountSource.LIST_FROZEN else None

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
    def ballot(self) -> tuple[int, list[tuple[int, str]], list[tuple[int, str]]]:
        """What the count form is built from (``forms.count_form``): seats, candidates and team as (id, name)."""
        return (self.link.unit.seats, [(c.id, c.full_name) for c in self.candidates],
                [(m.id, m.full_name) for m in self.team])

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


def _last_turnout(session: Session, area_id: int, contest_id: int) -> int | None:
    """The contest's figure in the area's latest turnout report (the latest report time), or None."""
    return session.scalar(count_state.last_turnout_statement(), {"area_id": area_id, "contest_id": contest_id})


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
                           last_turnout=review.last_turnout, frozen_voters=review.voters_frozen, submitted_at=now,
                           voting_closed_at=station_day(election, area).voting_closes)
        review.findings = _findings(ctx, {k.contest_id: k.contest.kind.value for k in links}, latest, contest_id,
                                    numbers)
    return review


def _clean_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name or "").split())[:200]


def signature_problems(team: Mapping[int, station.Signer], data: CountData) -> list[str]:
    """What is wrong with the signers and the witnesses (codes of ``SIGNATURE_PROBLEMS``; at most one about the
    signers and one about the witnesses), empty when nothing is."""
    problems = []
    if not data.signer_ids:
        problems.append("no_signers")
    elif any(i not in team for i in data.signer_ids):
        problems.append("unknown_signer")
    w1, w2 = (_clean_name(w) for w in data.witnesses)
    if not w1 or not w2:
        problems.append("witnesses_missing")
    elif w1.casefold() == w2.casefold():
        problems.append("witnesses_same")
    return problems


def _signers(team: Mapping[int, station.Signer], data: CountData) -> (
        tuple[list[dict[str, object]], tuple[str, str]]):
    ordered = sorted(dict.fromkeys(data.signer_ids), key=lambda i: (team[i].position, i))
    return ([{"id": i, "name": team[i].full_name, "role": team[i].role} for i in ordered],
            (_clean_name(data.witnesses[0]), _clean_name(data.witnesses[1])))


def _checked(config: station.StationConfig, actor: audit.Actor, contest_id: int | None,
             kind: ContestKind | None) -> station.StationContest:
    return station.check_sender(config, actor).contest(contest_id, kind)


def station_for_send(session: Session, *, actor: audit.Actor, area_id: int, contest_id: int | None = None,
                     kind: ContestKind | None = None) -> tuple[station.StationConfig, station.StationContest]:
    """The area's configuration as this process keeps it (possibly a moment stale: ``submit_count`` checks its
    token) and the contest, for a page that builds its form to send; ``OutOfScope`` / ``NotAllowed`` /
    ``ContestNotHeld`` as the area and the actor require."""
    config = station.for_sender(session, actor, area_id)
    return config, config.contest(contest_id, kind)


def _station(session: Session, conn: sa.Connection, actor: audit.Actor, area_id: int, contest_id: int | None,
             kind: ContestKind | None, client_uuid: uuid.UUID) -> (
        tuple[station.StationConfig, station.StationContest, count_state.State]):
    """The area's configuration (kept, or read again when its token changed), its contest, and the state;
    ``OutOfScope`` / ``NotAllowed`` / ``ContestNotHeld`` as the area and the actor require."""
    config, link = station_for_send(session, actor=actor, area_id=area_id, contest_id=contest_id, kind=kind)
    state = count_state.read_state(conn, area_id, link.contest_id, client_uuid)
    if state.token != config.token:
        config = station.load(session, area_id)
        fresh = _checked(config, actor, contest_id, kind)
        if fresh.contest_id != link.contest_id:
            state = count_state.read_state(conn, area_id, fresh.contest_id, client_uuid)
        link = fresh
    return config, link, state


def submit_count(
    session: Session,
    *,
    actor: audit.Actor,
    area_id: int,
    contest_id: int | None = None,
    kind: ContestKind | None = None,
    data: CountData,
    client_uuid: uuid.UUID,
    now: datetime,
) -> Submission[CountReport]:
    """Store one contest's count minutes (the contest by id, or by ``kind`` in the current election) as a new
    version.

    Raises ``scope.OutOfScope`` for an area the actor does not see, ``NotAllowed`` when the actor may not send its
    reports, ``ContestNotHeld`` when the area does not vote in the contest (check 12), ``ReportLocked`` when the
    latest version is confirmed, ``ReportRejected`` on blocking findings, on suspicious findings without a
    written explanation or when signers or witnesses are missing, every problem of the minutes at once. The same
    ``client_uuid`` sent again returns the first result and creates nothing. On an error nothing is written.

    Statements on the usual path (pinned by tests/reports/test_statement_count.py): one read (the configuration
    token, the latest minutes, any report under this client id, the last turnout figure, the votes of the version
    replaced), then the UPDATE of the version replaced (a correction), the INSERTs of the minutes, their votes and
    their audit entries (``versions.write``), and the progress summaries' upsert, correction and queue. The
    station's configuration is read only when this process has not kept it or it changed.
    """
    ident = area_ident(area_id)
    session.flush()  # what the caller changed through the ORM is seen by the statements below, as autoflush would
    conn = session.connection()
    config, link, state = _station(session, conn, actor, ident, contest_id, kind, client_uuid)
    if state.earlier is not None:
        if (state.earlier.polling_area_id, state.earlier.contest_id) != (ident, link.contest_id):
            raise ClientUuidConflict
        return Submission(session.get(CountReport, state.earlier.id), True)
    ctx = CountContext(seats=link.seats, candidate_ids=frozenset(link.candidate_ids), last_turnout=state.last_turnout,
                       frozen_voters=state.frozen_voters, submitted_at=now, voting_closed_at=config.day.voting_closes)
    findings = _findings(ctx, {c.contest_id: c.kind.value for c in config.contests}, state.latest, link.contest_id,
                         data.numbers)
    current = state.latest.get(link.contest_id)
    if current is not None and current.status is ReportStatus.CONFIRMED:
        raise ReportLocked
    to_explain = needing_explanation(findings)
    unexplained = [f for f in to_explain if not (data.explanations.get(f.code) or "").strip()]
    signatures = signature_problems(config.team, data)
    if blocking(findings) or unexplained or signatures:
        raise ReportRejected(findings, unexplained, signatures=signatures)
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
        **{name: getattr(n, name) for name in INVENTORY_FIELDS},
        "signers": signers, "witness_1": witnesses[0], "witness_2": witnesses[1],
        "explanations": {f.code: data.explanations[f.code].strip() for f in to_explain},
        "findings": jsonable_findings(findings), "client_uuid": client_uuid, "submitted_at": now,
    }
    return versions.write(session, versions.COUNT, actor, place=config.place, election_id=link.election_id,
                          values=values, children={c: n.votes[c] for c in link.candidate_ids}, current=current,
                          current_children=state.current_votes)


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


def next_unsent(session: Session, user: User, area_id: int, contest_id: int) -> PollingAreaUnit | None:
    """After the receipt of one contest's minutes: the next of the area's contests (in the ballots' order, coming
    round after the last) whose minutes are not sent yet, None when every one is."""
    rows = station_counts(session, user, area_id)
    at = next((i for i, (link, _latest) in enumerate(rows) if link.contest_id == contest_id), -1)
    return next((link for link, latest in rows[at + 1:] + rows[:at + 1] if latest is None), None)
