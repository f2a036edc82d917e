"""The voter-change report (báo cáo biến động cử tri) and the preparation progress (tiến độ chuẩn bị bầu cử).

Both are derived from the rows of the lists, never typed: a snapshot at a moment counts the rows on the list at
that moment (added by then, not yet removed), and the changes between two snapshots are the recorded changes
(``VoterChange``) that took effect between them, by cause.

Simplification: the three ballot columns of a row are read as they are now, not as they were at the snapshot's
moment (a change of ballots, such as a temporary resident passing 12 months, is rare and shows in the changes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import ActivationCode, Role, User
from webapp.audit.models import AuditEntry
from webapp.clock import VN_TZ
from webapp.elections.models import ContestKind, Election, PollingArea, TeamMember, TeamRole
from webapp.geo.models import Commune, Province
from webapp.i18n import _l
from webapp.readiness.services import taking_part
from webapp.voters import snapshots
from webapp.voters.models import VoterChange, VoterChangeCause, VoterListEntry
from webapp.voters.snapshots import Figures

# Days before polling day (domain.md §4; voters-and-drills.md §1–§2): the Tổ formed by 31/1/2026, the lists
# posted by 3/2/2026, the cards handed out by 12/3/2026. Leaders' accounts: the project's own target, with the cards.
TEAMS_DUE_DAYS, LISTS_DUE_DAYS, CARDS_DUE_DAYS, LEADERS_DUE_DAYS = 43, 40, 3, 3
TEAM_MINIMUM = 11  # Tổ bầu cử: 11–21 members
CAUSE_LABELS = {
    VoterChangeCause.MOVED_AWAY: _l("Moved away"), VoterChangeCause.MOVED_IN: _l("Moved in"),
    VoterChangeCause.TEMPORARY_RESIDENCE: _l("Temporary residence"),
    VoterChangeCause.CERTIFICATE_GIVEN: _l("Certificate to vote elsewhere given"),
    VoterChangeCause.CERTIFICATE_RECEIVED: _l("Certificate to vote elsewhere received"),
    VoterChangeCause.DETAINED: _l("Detained"), VoterChangeCause.RELEASED: _l("Released"),
    VoterChangeCause.RIGHTS_LOST: _l("Voting rights lost"), VoterChangeCause.RIGHTS_RESTORED: _l("Voting rights restored"),
    VoterChangeCause.DEATH: _l("Death"), VoterChangeCause.UNREACHABLE: _l("Unreachable while cards were handed out"),
    VoterChangeCause.CORRECTION: _l("Correction"), VoterChangeCause.OTHER: _l("Other"),
}


class UnknownLevel(LookupError):
    pass


@dataclasses.dataclass
class Line:
    """A row of the report: an area, a commune or the place itself."""

    key: int
    code: str
    name: str
    figures: list[Figures]  # one per snapshot


@dataclasses.dataclass
class ChangeReport:
    election: Election
    level: str  # "area", "commune" or "province"
    place: Any  # PollingArea, Commune or Province
    times: list[datetime]
    lines: list[Line]
    total: list[Figures]
    generated_at: datetime

    @property
    def url_args(self) -> dict[str, int]:
        return {f"{self.level}_id": self.place.id}

    @property
    def causes(self) -> list[VoterChangeCause]:
        """The causes that occur anywhere in the report, in the enum's order."""
        seen = {c for f in self.total for c in f.changes}
        return [c for c in VoterChangeCause if c in seen]


def _place(session: Session, user: User, level: str, place_id: int) -> Any:
    model = {"area": PollingArea, "commune": Commune, "province": Province}.get(level)
    if model is None:
        raise UnknownLevel(level)
    return scope.get(session, model, place_id, user)


def _grouping(level: str, place: Any) -> tuple[Any, Any]:
    """The column rows are grouped by and the filter of the place, for a report at ``level``."""
    if level == "area":
        return PollingArea.id, PollingArea.id == place.id
    if level == "commune":
        return PollingArea.id, PollingArea.commune_id == place.id
    return PollingArea.commune_id, PollingArea.province_id == place.id


def _snapshots(session: Session, election: Election, key: Any, where: Any,
               moments: Sequence[datetime]) -> list[dict[int, Figures]]:
    """The figures of every group at each moment (stored by the jobs worker, or read from the rows), and the
    changes between consecutive moments."""
    out = snapshots.figures_at(session, election, key, where, moments)
    c = VoterChange
    for previous, at, snap in zip(moments, moments[1:], out[1:], strict=False):
        for group, cause, n in session.execute(
            sa.select(key, c.cause, sa.func.count()).select_from(c).join(PollingArea, PollingArea.id == c.polling_area_id)
            .where(where, c.election_id == election.id, c.effective_at > previous, c.effective_at <= at)
            .group_by(key, c.cause)
        ):
            snap.setdefault(group, Figures()).changes[VoterChangeCause(cause)] = n
    return out


def default_times(election: Election) -> list[datetime]:
    """The snapshots when none are asked for (and those the jobs worker stores): the day the lists are due to be
    posted, then weekly, the close of most changes (24 h before voting) and the start of voting, all on the local
    wall clock."""
    start = datetime.combine(election.polling_date, election.standard_open, VN_TZ)
    posted = datetime.combine(election.polling_date - timedelta(days=LISTS_DUE_DAYS), time(17, 0), VN_TZ)
    times = [posted + timedelta(days=7 * week) for week in range(6) if posted + timedelta(days=7 * week) < start
             - timedelta(days=1)]
    return [t.astimezone(UTC) for t in [*times, start - timedelta(days=1), start]]


def change_report(session: Session, user: User, election: Election, level: str, place_id: int,
                  times: Sequence[datetime], now: datetime) -> ChangeReport:
    """Snapshots of a place at ``times`` (sorted, the future dropped; ``now`` added when no time is given):
    one line per area (an area's or a commune's report) or per commune (a province's). A province's ``now`` is
    the latest stored snapshot of the current figures when there is a recent one (its time is the column's).
    ``scope.OutOfScope`` for a place outside the user's, ``UnknownLevel`` for a level that is not one."""
    place = _place(session, user, level, place_id)
    moments = sorted({t for t in times if t <= now}) or [now]
    if level == "province" and moments[-1] == now and (latest := snapshots.current(session, election, now)):
        moments = sorted({*moments[:-1], latest})
    key, where = _grouping(level, place)
    where = sa.and_(where, taking_part(election))
    if level == "province":
        places = session.execute(sa.select(Commune.id, Commune.code, Commune.name).where(
            Commune.id.in_(sa.select(PollingArea.commune_id).where(where))).order_by(Commune.code)).all()
    else:
        places = session.execute(sa.select(PollingArea.id, PollingArea.code, PollingArea.name).where(where)
                                 .order_by(PollingArea.number)).all()
    lines = {pid: Line(pid, code, name, []) for pid, code, name in places}
    total: list[Figures] = []
    for snap in _snapshots(session, election, key, where, moments):
        whole = Figures()
        for pid, line in lines.items():
            figures = snap.get(pid, Figures())
            if line.figures:
                figures.delta = (figures.contests[ContestKind.NATIONAL_ASSEMBLY].total
                                 - line.figures[-1].contests[ContestKind.NATIONAL_ASSEMBLY].total)
            line.figures.append(figures)
            whole.merge(figures)
        if total:
            whole.delta = (whole.contests[ContestKind.NATIONAL_ASSEMBLY].total
                           - total[-1].contests[ContestKind.NATIONAL_ASSEMBLY].total)
        total.append(whole)
    return ChangeReport(election, level, place, moments, list(lines.values()), total, now)


def provinces_with_areas(session: Session, election: Election) -> list[Province]:
    """The provinces voting in the election (a national user's way into the reports)."""
    return list(session.scalars(sa.select(Province).where(Province.id.in_(
        sa.select(PollingArea.province_id).where(taking_part(election)))).order_by(Province.code)))


# --- Preparation progress -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Step:
    """One preparation step of a place: how many of its areas are done, the date it was (last) done, and whether
    it is late (its due date has passed and it is not done everywhere)."""

    done: int
    of: int
    on: datetime | None
    due: date
    late: bool

    @property
    def percent(self) -> float:
        return round(100 * self.done / self.of, 2) if self.of else 0.0


@dataclasses.dataclass
class ProgressLine:
    key: int
    code: str
    name: str
    areas: int
    lists: Step  # areas whose list is in (the date the last one came in)
    cards: Step  # cards handed out of the voters listed
    teams: Step  # areas whose Tổ has its leader and at least 11 members
    leaders: Step  # leaders whose account is activated

    @property
    def late(self) -> bool:
        return any(s.late for s in (self.lists, self.cards, self.teams, self.leaders))


@dataclasses.dataclass
class ProgressReport:
    election: Election
    level: str
    place: Any
    lines: list[ProgressLine]
    total: ProgressLine
    generated_at: datetime
    lists_as_of: datetime | None = None  # the lists and cards read from a stored snapshot taken then

    @property
    def url_args(self) -> dict[str, int]:
        return {f"{self.level}_id": self.place.id}


def _due(election: Election, days: int) -> date:
    return election.polling_date - timedelta(days=days)


def _step(election: Election, now: datetime, done: int, of: int, on: datetime | None, days: int) -> Step:
    due = _due(election, days)
    return Step(done, of, on, due, now.date() > due and done < of)


def progress_report(session: Session, user: User, election: Election, level: str, place_id: int,
                    now: datetime) -> ProgressReport:
    """Per area (a commune's report) or per commune (a province's): lists in, cards handed out, teams formed and
    leaders activated, each with its date and whether it is late."""
    if level not in ("commune", "province"):
        raise UnknownLevel(level)
    place = _place(session, user, level, place_id)
    key, where = _grouping(level, place)
    where = sa.and_(where, taking_part(election))
    e = VoterListEntry
    areas = {k: n for k, n in session.execute(sa.select(key, sa.func.count()).where(where).group_by(key))}
    # A province's lists and cards: the recent current snapshot when there is one (millions of rows otherwise).
    as_of = snapshots.current(session, election, now) if level == "province" else None
    per_area = snapshots.progress_areas(session, election, as_of) if as_of else (
        sa.select(e.polling_area_id.label("area_id"), sa.func.min(e.created_at).label("listed_at"),
                  sa.func.count().label("voters"), sa.func.count(e.card_handed_out_at).label("cards"),
                  sa.func.max(e.card_handed_out_at).label("cards_at"))
        .where(e.election_id == election.id, e.removed_at.is_(None)).group_by(e.polling_area_id).subquery())
    lists = {k: (n, at, voters, cards, cards_at) for k, n, at, voters, cards, cards_at in session.execute(
        sa.select(key, sa.func.count(), sa.func.max(per_area.c.listed_at), sa.func.sum(per_area.c.voters),
                  sa.func.sum(per_area.c.cards), sa.func.max(per_area.c.cards_at))
        .select_from(per_area).join(PollingArea, PollingArea.id == per_area.c.area_id).where(where).group_by(key))}
    team = (sa.select(TeamMember.polling_area_id.label("area_id")).group_by(TeamMember.polling_area_id)
            .having(sa.func.count() >= TEAM_MINIMUM,
                    sa.func.sum(sa.case((TeamMember.role == TeamRole.LEADER, 1), else_=0)) >= 1).subquery())
    formed_at = (sa.select(AuditEntry.polling_area_id.label("area_id"), sa.func.max(AuditEntry.at).label("at"))
                 .where(AuditEntry.entity_type == TeamMember.__tablename__, AuditEntry.action == "insert")
                 .group_by(AuditEntry.polling_area_id).subquery())
    teams = {k: (n, at) for k, n, at in session.execute(
        sa.select(key, sa.func.count(), sa.func.max(formed_at.c.at)).select_from(team)
        .join(PollingArea, PollingArea.id == team.c.area_id)
        .outerjoin(formed_at, formed_at.c.area_id == team.c.area_id).where(where).group_by(key))}
    activated = (sa.select(ActivationCode.user_id, sa.func.min(ActivationCode.used_at).label("at"))
                 .group_by(ActivationCode.user_id).subquery())
    leaders = {k: (n, done, at) for k, n, done, at in session.execute(
        sa.select(key, sa.func.count(), sa.func.count(User.password_hash), sa.func.max(activated.c.at))
        .select_from(User).join(PollingArea, PollingArea.id == User.polling_area_id)
        .outerjoin(activated, activated.c.user_id == User.id)
        .where(where, User.role == Role.LEADER, User.is_active.is_(True)).group_by(key))}

    if level == "province":
        names = session.execute(sa.select(Commune.id, Commune.code, Commune.name).where(Commune.id.in_(areas))
                                .order_by(Commune.code)).all()
    else:
        names = session.execute(sa.select(PollingArea.id, PollingArea.code, PollingArea.name)
                                .where(PollingArea.id.in_(areas)).order_by(PollingArea.number)).all()

    def line(k: int, code: str, name: str, n_areas: int, lst: tuple, tm: tuple, ld: tuple) -> ProgressLine:
        listed, listed_at, voters, cards, cards_at = lst
        return ProgressLine(
            k, code, name, n_areas,
            _step(election, now, listed, n_areas, listed_at, LISTS_DUE_DAYS),
            _step(election, now, int(cards or 0), int(voters or 0), cards_at, CARDS_DUE_DAYS),
            _step(election, now, tm[0], n_areas, tm[1], TEAMS_DUE_DAYS),
            _step(election, now, ld[1], ld[0], ld[2], LEADERS_DUE_DAYS),
        )

    empty_list, empty_team, empty_leaders = (0, None, 0, 0, None), (0, None), (0, 0, None)
    out = [line(k, code, name, areas[k], lists.get(k, empty_list), teams.get(k, empty_team),
                leaders.get(k, empty_leaders)) for k, code, name in names]

    def latest(values: list[datetime | None]) -> datetime | None:
        present = [v for v in values if v is not None]
        return max(present) if present else None

    total = line(place.id, place.code, place.name, sum(areas.values()),
                 (sum(x.lists.done for x in out), latest([x.lists.on for x in out]),
                  sum(x.cards.of for x in out), sum(x.cards.done for x in out), latest([x.cards.on for x in out])),
                 (sum(x.teams.done for x in out), latest([x.teams.on for x in out])),
                 (sum(x.leaders.of for x in out), sum(x.leaders.done for x in out),
                  latest([x.leaders.on for x in out])))
    return ProgressReport(election, level, place, out, total, now, as_of)
