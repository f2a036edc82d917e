"""Simulated stations of a drill (trạm mô phỏng): every station without a human participant reports by itself,
through the same services as a leader's phone (webapp.reports), with the channel ``drill-bot`` and as the
station leader's own account, so that the commune, the hotline and the committees rehearse on realistic load.

Each station's behaviour is drawn once from the seed and its id (the same seed, the same day): most report each
turnout time within its grace, some late, a few never; after the polls close each sends its count minutes, some
with a mistake (ballots issued off by a few, explained) that the commune should return; a returned minutes is
corrected a few minutes later. A pass sends what is due by ``now``, each report stamped with the moment it was
planned for (never later than ``now``), so passes a minute apart, or one at the end, give the same day.

Run by ``flask drill simulate CODE [--until-end]`` (a process of its own, never a thread of a web worker).
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.drills import services
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import Candidate, Election, PollingArea, PollingAreaUnit, TeamMember
from webapp.reports.checks import CountInput
from webapp.reports.counts import CountData, submit_count
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport
from webapp.reports.turnout import TurnoutInput, submit_turnout
from webapp.review.models import ReviewAction

BOT_WITNESSES = ("Cử tri chứng kiến thứ nhất", "Cử tri chứng kiến thứ hai")
MISTAKE_EXPLANATION = "Phát thừa phiếu (trạm mô phỏng của diễn tập)"
# How the stations behave, as shares: never report, report late, count minutes sent with a mistake.
NEVER, LATE, MISTAKE = 0.04, 0.15, 0.10


@dataclasses.dataclass(frozen=True)
class Behaviour:
    never: bool
    turnout_delays: tuple[float, ...]  # minutes after each report time
    count_delay: float  # minutes after the polls close
    mistake: bool  # the first count minutes of one contest is wrong
    fix_delay: float  # minutes after being returned
    share_voted: float


def behaviour(seed: int, area_id: int, day: services.Schedule, slot_minutes: int) -> Behaviour:
    rnd = random.Random(f"{seed}:{area_id}")
    never = rnd.random() < NEVER
    late = rnd.random() < LATE
    grace = max(1, min(services.MAX_GRACE, slot_minutes // 2))
    delays = tuple((grace + rnd.uniform(0.5, 1.5) * slot_minutes) if late and rnd.random() < 0.6
                   else rnd.uniform(0, grace * 0.9) for _ in day.report_times)
    count_span = max(2.0, (day.count_until - day.polls_close).total_seconds() / 60)
    return Behaviour(never, delays, rnd.uniform(0.15, 0.6) * count_span, rnd.random() < MISTAKE,
                     rnd.uniform(1, max(2.0, slot_minutes / 2)), rnd.uniform(0.72, 0.96))


@dataclasses.dataclass
class PassResult:
    stations: int = 0
    human: int = 0
    silent: int = 0
    turnout: int = 0
    counts: int = 0
    mistakes: int = 0
    corrections: int = 0
    refused: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))

    def summary(self) -> str:
        refused = ", ".join(f"{k} {v}" for k, v in sorted(self.refused.items())) or "none"
        return (f"Simulated {self.stations} stations ({self.human} with a human participant left alone, "
                f"{self.silent} silent): {self.turnout} turnout reports, {self.counts} count minutes "
                f"({self.mistakes} with a mistake), {self.corrections} corrections; refused: {refused}.")


def _uuid(seed: int, drill: Election, *parts: object) -> uuid.UUID:
    # The same report planned again (a later pass) has the same client id: the service answers with the first.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"drill-bot:{drill.id}:{seed}:" + ":".join(map(str, parts)))


def _numbers(rnd: random.Random, on_list: int, voted: int, seats: int, candidates: list[int],
             mistake: bool) -> CountInput:
    invalid = min(voted, rnd.randint(0, max(1, voted // 50)))
    valid = voted - invalid
    n = len(candidates)
    target = min(n * valid, valid if seats == 1 else int(valid * seats * 0.85))
    weights = [rnd.uniform(0.5, 1.5) for _ in candidates]
    total_w = sum(weights) or 1.0
    votes = [min(valid, int(target * w / total_w)) for w in weights]
    i = 0
    while sum(votes) < target and i < 10 * n:  # rounding: give the remainder to those with room
        if votes[i % n] < valid:
            votes[i % n] += 1
        i += 1
    issued = voted + (rnd.randint(3, 12) if mistake else 0)
    return CountInput(voters_on_list=on_list, voters_voted=voted, ballots_issued=issued, ballots_received=voted,
                      valid=valid, invalid=invalid, votes=dict(zip(candidates, votes, strict=True)))


def run_pass(session: Session, drill: Election, *, now: datetime, seed: int = 2026,
             only: set[int] | None = None, leave: set[int] = frozenset()) -> PassResult:
    """Send what each simulated station of the drill has due by ``now``; the areas in ``leave`` (and those
    where a person already sent something) are left to their people. Flushes; the caller commits."""
    working.bind(session, drill.id)
    day = services.schedule(drill)
    slot_minutes = drill.drill_slot_minutes or 10
    result = PassResult()
    areas = sorted(set(session.scalars(sa.select(PollingAreaUnit.polling_area_id).distinct())))
    if only is not None:
        areas = [a for a in areas if a in only]
    leaders: dict[int, User] = {}
    for user in session.scalars(sa.select(User).where(User.role == Role.LEADER).order_by(User.is_active.desc(),
                                                                                           User.id)):
        leaders.setdefault(user.polling_area_id, user)  # type: ignore[arg-type]
    human = set(leave) | set(session.scalars(sa.select(TurnoutReport.polling_area_id)
                                .where(TurnoutReport.channel != Channel.DRILL_BOT).distinct()))
    human |= set(session.scalars(sa.select(CountReport.polling_area_id)
                                 .where(CountReport.channel != Channel.DRILL_BOT).distinct()))
    for area_id in areas:
        result.stations += 1
        if area_id in human:
            result.human += 1
            continue
        b = behaviour(seed, area_id, day, slot_minutes)
        if b.never:
            result.silent += 1
            continue
        leader = leaders.get(area_id) or services.bot_leader(session, drill, area_id)
        _station(session, drill, day, leader, area_id, b, now, seed, result)
    return result


def _attempt(session: Session, result: PassResult, send) -> bool:  # type: ignore[no-untyped-def]
    try:
        with session.begin_nested():
            send()
    except Exception as exc:  # noqa: BLE001 - a refused report is counted, the other stations go on
        codes = [f.code for f in (*getattr(exc, "findings", ()), *getattr(exc, "unexplained", ()))]
        codes += list(getattr(exc, "signatures", ()))
        result.refused[type(exc).__name__ + (f" ({', '.join(sorted(set(codes)))})" if codes else "")] += 1
        return False
    return True


def _station(session: Session, drill: Election, day: services.Schedule, leader: User, area_id: int,
             b: Behaviour, now: datetime, seed: int, result: PassResult) -> None:
    area = session.get(PollingArea, area_id)
    if area is None or area.early_voting_date is not None:
        # A station voting early keeps its own day everywhere (webapp.reports.common.station_day), not the drill's.
        result.refused["early_voting_station"] += 1
        return
    bot = audit.Actor(leader, Channel.DRILL_BOT)  # the leader's account, the drill-bot channel, on report and audit
    links = session.scalars(sa.select(PollingAreaUnit).where(PollingAreaUnit.polling_area_id == area_id)).all()
    voters = elections.latest_voter_counts(session, [area_id])
    on_list = {link.contest_id: (v.total if (v := voters.get((area_id, link.contest_id))) else 0) for link in links}
    if not links or not all(on_list.values()):
        result.refused["no_voter_list"] += 1
        return
    voted = max(1, int(min(on_list.values()) * b.share_voted))
    sent = set(session.scalars(sa.select(TurnoutReport.slot_at).where(TurnoutReport.polling_area_id == area_id,
                                                                     TurnoutReport.is_latest)))
    count = len(day.report_times)
    for k, (slot, delay) in enumerate(zip(day.report_times, b.turnout_delays, strict=True), start=1):
        arrival = slot + timedelta(minutes=delay)
        if slot.time() in sent or arrival > now:
            continue
        figure = voted if k == count else int(voted * (k / count) ** 0.9)
        data = TurnoutInput(per_contest={cid: figure for cid in on_list}, slot=slot.time())
        if _attempt(session, result, lambda d=data, a=arrival, s=slot: submit_turnout(
                session, actor=bot, area_id=area_id, data=d, client_uuid=_uuid(seed, drill, area_id, s), now=a)):
            result.turnout += 1
    arrival = day.polls_close + timedelta(minutes=b.count_delay)
    if arrival > now:
        return
    team = session.scalars(sa.select(TeamMember.id).where(TeamMember.polling_area_id == area_id)
                           .order_by(TeamMember.position).limit(3)).all()
    if not team:
        result.refused["no_team"] += 1
        return
    latest = {r.contest_id: r for r in session.scalars(
        sa.select(CountReport).where(CountReport.polling_area_id == area_id, CountReport.is_latest))}
    mistaken = min(on_list) if b.mistake else None
    for link in links:
        cid = link.contest_id
        rnd = random.Random(f"{seed}:{area_id}:{cid}")
        candidates = list(session.scalars(sa.select(Candidate.id).where(Candidate.unit_id == link.unit_id)
                                          .order_by(Candidate.ballot_order)))
        current = latest.get(cid)
        if current is None:
            wrong = cid == mistaken
            numbers = _numbers(rnd, on_list[cid], voted, link.unit.seats, candidates, wrong)
            data = CountData(numbers=numbers, signer_ids=tuple(team), witnesses=BOT_WITNESSES,
                             explanations={"issued_ne_voted": MISTAKE_EXPLANATION,
                                           "received_lt_issued": MISTAKE_EXPLANATION} if wrong else {})
            if _attempt(session, result, lambda d=data, c=cid: submit_count(
                    session, actor=bot, area_id=area_id, contest_id=c, data=d,
                    client_uuid=_uuid(seed, drill, area_id, c, 1), now=arrival)):
                result.counts += 1
                result.mistakes += int(wrong)
        elif current.status is ReportStatus.RETURNED:
            returned_at = session.scalar(sa.select(sa.func.max(ReviewAction.at))
                                         .where(ReviewAction.count_report_id == current.id)) or now
            fixed_at = max(returned_at + timedelta(minutes=b.fix_delay), arrival)
            if fixed_at > now:
                continue
            numbers = _numbers(rnd, on_list[cid], voted, link.unit.seats, candidates, False)
            data = CountData(numbers=numbers, signer_ids=tuple(team), witnesses=BOT_WITNESSES)
            if _attempt(session, result, lambda d=data, c=cid, v=current.version, t=fixed_at: submit_count(
                    session, actor=bot, area_id=area_id, contest_id=c, data=d,
                    client_uuid=_uuid(seed, drill, area_id, c, v + 1), now=t)):
                result.corrections += 1
