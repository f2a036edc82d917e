"""The corrections feed: every change that lowered a station's numbers or took them out of a total, newest
first, with what changed, who sent it, and who had confirmed the version (the commune's review)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.elections.models import Candidate, Contest, PollingArea
from webapp.progress.models import Change, Correction, ReportKind
from webapp.progress.services import current_election
from webapp.progress.tracking import COUNT_FIELDS
from webapp.reports.models import CountReport, TurnoutReport


@dataclasses.dataclass(frozen=True)
class Line:
    kind: str  # contest (label: its kind) | field (label: the minutes' field) | candidate (label: the name)
    label: str
    before: int
    after: int


@dataclasses.dataclass
class CorrectionRow:
    correction: Correction
    area: PollingArea
    contest: Contest | None
    report: TurnoutReport | CountReport | None  # the version concerned, with its current state
    confirmed_by: User | None  # who last confirmed that version (the commune's review), and when
    confirmed_at: datetime | None
    lines: list[Line]


def _lines(c: Correction, contests: dict[int, Contest], names: dict[int, str]) -> list[Line]:
    if c.kind is ReportKind.TURNOUT:
        return [Line("contest", contests[int(k)].kind.value if int(k) in contests else k, c.before.get(k, 0),
                     c.after.get(k, 0)) for k in sorted(set(c.before) | set(c.after), key=int)]
    lines = [Line("field", name, c.before.get(name, 0), c.after.get(name, 0)) for name in COUNT_FIELDS
             if c.change is not Change.FIGURES or c.before.get(name) != c.after.get(name)]
    votes_before, votes_after = c.before.get("votes", {}), c.after.get("votes", {})
    if c.change is Change.FIGURES:
        lines += [Line("candidate", names.get(int(k), k), votes_before.get(k, 0), votes_after.get(k, 0))
                  for k in sorted(set(votes_before) | set(votes_after), key=int)
                  if votes_before.get(k) != votes_after.get(k)]
    return lines


def _confirmations(session: Session, turnout_ids: set[int], count_ids: set[int]) -> dict[tuple, tuple]:
    """{("turnout"|"count", report id): (user, when)} of the last confirmation of each version."""
    from webapp.review.models import Decision, ReviewAction

    if not turnout_ids and not count_ids:
        return {}
    a = ReviewAction
    rows = session.execute(
        sa.select(a.turnout_report_id, a.count_report_id, a.at, User)
        .join(User, User.id == a.actor_id)
        .where(a.decision == Decision.CONFIRM,
               sa.or_(a.turnout_report_id.in_(turnout_ids), a.count_report_id.in_(count_ids)))
        .order_by(a.at, a.id))
    return {("turnout", t) if t else ("count", c): (user, at) for t, c, at, user in rows}


def corrections(session: Session, user: User, *, province_id: int | None = None, commune_id: int | None = None,
                limit: int = 50, since: datetime | None = None) -> list[CorrectionRow]:
    """Changes that lowered or withdrew numbers, newest first, inside the user's place (and the given one)."""
    election = current_election(session)
    stmt = (scope.select(Correction, user).where(Correction.election_id == election.id)
            .order_by(Correction.at.desc(), Correction.id.desc()).limit(limit))
    if province_id is not None:
        stmt = stmt.where(Correction.province_id == province_id)
    if commune_id is not None:
        stmt = stmt.where(Correction.commune_id == commune_id)
    if since is not None:
        stmt = stmt.where(Correction.at > since)
    rows = list(session.scalars(stmt))
    if not rows:
        return []
    areas = {a.id: a for a in session.scalars(sa.select(PollingArea).where(
        PollingArea.id.in_({r.polling_area_id for r in rows})))}
    contests = {c.id: c for c in session.scalars(sa.select(Contest).where(Contest.election_id == election.id))}
    turnout = {r.id: r for r in session.scalars(sa.select(TurnoutReport).where(
        TurnoutReport.id.in_({r.turnout_report_id for r in rows if r.turnout_report_id})))}
    counts = {r.id: r for r in session.scalars(sa.select(CountReport).where(
        CountReport.id.in_({r.count_report_id for r in rows if r.count_report_id})))}
    confirmations = _confirmations(session, set(turnout), set(counts))
    candidate_ids = {int(k) for r in rows if r.kind is ReportKind.COUNT
                     for side in (r.before, r.after) for k in side.get("votes", {})}
    names = dict(session.execute(sa.select(Candidate.id, Candidate.full_name)
                                 .where(Candidate.id.in_(candidate_ids))).all()) if candidate_ids else {}
    out = []
    for r in rows:
        report = turnout.get(r.turnout_report_id or 0) or counts.get(r.count_report_id or 0)
        key = ("turnout", r.turnout_report_id) if r.turnout_report_id else ("count", r.count_report_id)
        by, at = confirmations.get(key, (None, None))
        out.append(CorrectionRow(r, areas[r.polling_area_id], contests.get(r.contest_id or 0), report, by, at,
                                 _lines(r, contests, names)))
    return out
