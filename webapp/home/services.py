"""What each role's home page shows about its place in the hierarchy."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import Role, User
from webapp.elections.models import Contest, ElectoralUnit, PollingArea, PollingAreaUnit
from webapp.reports.counts import station_counts
from webapp.hotline.calllist import CallList, call_list
from webapp.reports.models import CountReport, ReportStatus
from webapp.reports.turnout import SlotState, TurnoutOverview, turnout_overview
from webapp.review.queries import QueueFilters, QueuePage, Returned, returned_reports, review_queue
from webapp.geo.models import Commune, Province


@dataclasses.dataclass
class AreaSummary:
    provinces: int
    communes: int
    polling_areas: int
    units_by_contest: list[tuple[Contest, int, int]]  # contest, units, seats
    leaders_active: int
    leaders_pending: int


def area_summary(session: Session, user: User) -> AreaSummary:
    """Counts of what lies in the user's scope, each from one aggregate query."""
    count = lambda model: session.scalar(  # noqa: E731
        sa.select(sa.func.count()).select_from(model).where(scope.visible(model, user))
    ) or 0
    unit_rows = session.execute(
        sa.select(Contest, sa.func.count(ElectoralUnit.id), sa.func.coalesce(sa.func.sum(ElectoralUnit.seats), 0))
        .join(ElectoralUnit, ElectoralUnit.contest_id == Contest.id)
        .where(scope.visible(ElectoralUnit, user))
        .group_by(Contest.id)
        .order_by(Contest.id)
    ).all()
    leaders = session.execute(
        sa.select(User.password_hash.is_(None), sa.func.count())
        .where(User.role == Role.LEADER, scope.visible(User, user))
        .group_by(User.password_hash.is_(None))
    ).all()
    pending = sum(n for is_pending, n in leaders if is_pending)
    active = sum(n for is_pending, n in leaders if not is_pending)
    return AreaSummary(
        provinces=count(Province),
        communes=count(Commune),
        polling_areas=count(PollingArea),
        units_by_contest=[(c, n, s) for c, n, s in unit_rows],
        leaders_active=active,
        leaders_pending=pending,
    )


class Phase(enum.StrEnum):
    """The phase of a polling station's day (giai đoạn trong ngày bầu cử)."""

    BEFORE = "before"  # before the polls open (or another day)
    VOTING = "voting"  # polls open: turnout reports at the report times
    COUNTING = "counting"  # polls closed: the count minutes of each ballot, with their photos
    DONE = "done"  # every minutes sent with its photo


class Step(enum.StrEnum):
    """The next thing a leader has to do: the first button of the home page."""

    CORRECT = "correct"  # a report came back from the commune
    TURNOUT = "turnout"  # send the turnout of the current (or next) report time
    COUNT = "count"  # send the count minutes of a ballot
    PHOTO = "photo"  # add the photo of a sent minutes
    WAIT = "wait"  # nothing due: the next report time is later
    NOTHING = "nothing"  # the day's work is done


@dataclasses.dataclass
class Minutes:
    """One ballot's count minutes (biên bản kiểm phiếu) as the leader's home shows it."""

    link: PollingAreaUnit
    report: CountReport | None

    @property
    def photos(self) -> int:
        return len(self.report.photos) if self.report is not None else 0


@dataclasses.dataclass
class LeaderDay:
    phase: Phase
    turnout: TurnoutOverview
    minutes: list[Minutes]
    returned: list[Returned]
    step: Step
    step_minutes: Minutes | None  # the ballot of a COUNT or PHOTO step

    @property
    def next_slot(self) -> SlotState | None:
        return self.turnout.next


def leader_day(session: Session, user: User, now: datetime) -> LeaderDay:
    """What the leader of ``user``'s station has to do at ``now``: the phase of the day, the state of each
    report time and each ballot's minutes and photos, and the one next step."""
    area_id = user.polling_area_id
    assert area_id is not None
    turnout = turnout_overview(session, user, area_id, now)
    minutes = [Minutes(link, report) for link, report in station_counts(session, user, area_id)]
    returned = returned_reports(session, user)
    day = turnout.day
    all_sent = bool(minutes) and all(m.report is not None and m.photos for m in minutes)
    if all_sent:
        phase = Phase.DONE
    elif now >= day.voting_closes:
        phase = Phase.COUNTING
    elif now >= day.at(turnout.election.standard_open):  # the usual opening, not the earliest allowed (05:00)
        phase = Phase.VOTING
    else:
        phase = Phase.BEFORE
    step, which = Step.NOTHING, None
    unsent = next((m for m in minutes if m.report is None), None)
    no_photo = next((m for m in minutes if m.report is not None and not m.photos), None)
    if returned:
        step = Step.CORRECT
    elif phase is Phase.COUNTING and unsent is not None:
        step, which = Step.COUNT, unsent
    elif phase is Phase.COUNTING and no_photo is not None:  # the numbers first: they make the results
        step, which = Step.PHOTO, no_photo
    elif phase is Phase.VOTING and turnout.next is not None:
        step = Step.TURNOUT if turnout.next.state in ("due", "missed") else Step.WAIT
    elif phase is Phase.BEFORE:
        step = Step.WAIT
    return LeaderDay(phase, turnout, minutes, returned, step, which)


@dataclasses.dataclass
class OfficialToday:
    """What an official's home shows first: the reports waiting for a decision, those sent back and still
    waiting for their leader, and the stations late for a report time, each in the official's scope."""

    waiting: QueuePage | None  # None: the role does not confirm reports (the hotline)
    returned: int | None
    late: CallList


LATE_SHOWN = 5


def official_today(session: Session, user: User, now: datetime) -> OfficialToday:
    """The first things an official does now, most urgent first, each from a bounded number of queries."""
    waiting = returned = None
    if user.role in (Role.COMMUNE, Role.PROVINCE, Role.ADMIN):
        waiting = review_queue(session, user, QueueFilters())
        returned = review_queue(session, user, QueueFilters(state=ReportStatus.RETURNED, page=1)).total
    return OfficialToday(waiting, returned, call_list(session, user, now, size=LATE_SHOWN))
