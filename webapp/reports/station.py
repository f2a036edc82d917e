"""A polling area's configuration as the count and turnout submissions need it (its place, its contests with their
units' seats and candidates, its team, the election's hours, its report times and voters on the list), kept per
process.

On election day the configuration does not change while thousands of minutes arrive, and reading it costs as much
as everything else a submission does. So each worker keeps it, keyed by the database and the area, together with
the ``ConfigurationVersion`` token it was read under; every submission reads the token again in its own first
statement and reloads on any difference (triggers change the token on every write to the configuration's tables,
imports and bulk loads included). What is kept carries no scope decision: ``check_sender`` checks the user's scope
against the kept place on every request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import time, timedelta
from types import MappingProxyType
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from webapp import scope
from webapp.elections import services as elections
from webapp.elections import working
from webapp.audit import services as audit
from webapp.elections.models import ConfigurationVersion, ContestKind, Election, PollingArea
from webapp.lru import LRU
from webapp.reports.common import (
    ContestNotHeld,
    NotAllowed,
    StationDay,
    area_contests,
    area_ident,
    may_submit_to,
    station_day,
)

T = TypeVar("T")

# A report sent up to this long before a report time counts for that time (leaders send a little early).
EARLY_WINDOW = timedelta(minutes=30)

#: Areas kept per process: a station sends its minutes in a burst (three contests, a correction), so a few
#: thousand cover the day's traffic at about 1 KB each; units' candidates are shared objects.
MAX_AREAS = 8192
#: Turnout configurations (no candidates, no team) kept per process: every station reports at every report time,
#: so a worker sees most of the country's 72,195 areas between two report times; fewer would be read cold each time.
#: About 0.6 KiB each with the parts shared between areas (``_shared``; tracemalloc on the national dataset,
#: benchmarks/README.md): under 50 MB per worker that sees the whole country.
MAX_TURNOUT_AREAS = 80_000
#: Values that many areas' configurations hold alike (a unit's contest, a province's report times, the day, the
#: token) are kept once (``_share``); beyond this many distinct ones the table starts again (only the sharing is
#: lost, never a value).
MAX_SHARED = 50_000


@dataclasses.dataclass(frozen=True)
class Signer:
    """A member of the polling team, as the signatures of the minutes record them."""

    id: int
    full_name: str
    role: str
    position: int


@dataclasses.dataclass(frozen=True, slots=True)
class StationContest:
    """One contest the area votes in, with the unit it votes in."""

    contest_id: int
    kind: ContestKind
    election_id: int
    unit_id: int
    seats: int
    candidates: tuple[tuple[int, str], ...]  # (id, full name) in ballot order

    @property
    def candidate_ids(self) -> tuple[int, ...]:
        return tuple(candidate_id for candidate_id, _name in self.candidates)


@dataclasses.dataclass(frozen=True, slots=True)
class StationConfig:
    token: str
    area_id: int
    province_id: int
    commune_id: int
    election_id: int  # the current election
    day: StationDay
    contests: tuple[StationContest, ...]  # widest electorate first (NA, provincial, commune)
    team: Mapping[int, Signer]
    report_times: tuple[tuple[time, int], ...]  # (time, grace minutes) of the area's province, in order
    early: timedelta  # how long before a report time reports count for it (``early_window``)
    voter_totals: tuple[int | None, ...]  # the newest voters on the list of each contest, in ``contests``' order
    full: bool = True  # False: read without the units' candidates and the team (``load``)

    @property
    def contest_ids(self) -> list[int]:
        return [c.contest_id for c in self.contests]

    @property
    def voters(self) -> dict[int, int | None]:
        """Contest id -> the newest voters on the list (None: no count yet)."""
        return {c.contest_id: total for c, total in zip(self.contests, self.voter_totals, strict=True)}

    @property
    def signers(self) -> list[Signer]:
        """The team in its order (leader first)."""
        return sorted(self.team.values(), key=lambda m: (m.position, m.id))

    def ballot(self, contest: StationContest) -> tuple[int, tuple[tuple[int, str], ...], list[tuple[int, str]]]:
        """What the count form is built from (``forms.count_form``), as ``CountReview.ballot`` gives it."""
        return contest.seats, contest.candidates, [(m.id, m.full_name) for m in self.signers]

    @property
    def place(self) -> tuple[int, int, int]:
        return (self.province_id, self.commune_id, self.area_id)

    def contest(self, contest_id: int | None = None, kind: ContestKind | None = None) -> StationContest:
        """The area's contest by id, or by kind in the current election (check 12: else ContestNotHeld)."""
        for link in self.contests:
            if link.contest_id == contest_id or (
                    contest_id is None and link.kind is kind and link.election_id == self.election_id):
                return link
        raise ContestNotHeld


_TOKEN = sa.select(ConfigurationVersion.token).where(ConfigurationVersion.id == 1)


def token_column() -> sa.ScalarSelect[str]:
    """The token as a column of another statement (the submission reads it with its own state)."""
    return _TOKEN.scalar_subquery()


# The configurations this process keeps (gunicorn's threads share them): whole (the count minutes), and without
# candidates and team (the turnout's, ``full=False``), apart.
_kept: dict[bool, LRU[tuple[str, int, int | None], StationConfig]] = {
    True: LRU(MAX_AREAS), False: LRU(MAX_TURNOUT_AREAS)}


_shared: dict[object, object] = {}
_NO_TEAM: Mapping[int, Signer] = MappingProxyType({})


def _share(value: T) -> T:
    """``value``, or an equal one already held by another kept configuration (values, never state: an equal
    value read from the database is the same value)."""
    if len(_shared) >= MAX_SHARED:
        _shared.clear()
    return _shared.setdefault(value, value)  # type: ignore[return-value]


def _key(session: Session, area_id: int) -> tuple[str, int, int | None]:
    # The election too: a drill shares the areas but not their contests and units (webapp.elections.working).
    return (_share(str(session.get_bind().engine.url)), area_id, working.bound_to(session))


def kept(session: Session, area_id: int, *, full: bool = True) -> StationConfig | None:
    """The configuration this process keeps for the area, if any (possibly stale: compare its token)."""
    return _kept[full].get(_key(session, area_id))


def early_window(election: Election) -> timedelta:
    """How long before a report time reports count for it: half an hour, or in a drill's compressed day
    (webapp.drills) half its minutes between report times, so that the next time does not open before this one."""
    if election.drill_slot_minutes:
        return min(EARLY_WINDOW, timedelta(minutes=max(1, election.drill_slot_minutes // 2)))
    return EARLY_WINDOW


def load(session: Session, area_id: int, *, full: bool = True) -> StationConfig:
    """Read the area's configuration (raises ``scope.OutOfScope`` when there is no such area) and keep it; without
    ``full``, without the units' candidates and the team (what the turnout needs, a fraction of the memory)."""
    token = session.scalar(_TOKEN)
    query = sa.select(PollingArea).where(PollingArea.id == area_id)
    area = session.scalars(query.options(joinedload(PollingArea.team)) if full else query).unique().first()
    if area is None or token is None:
        raise scope.OutOfScope(PollingArea.__name__)
    election = elections.current_election(session)
    links = area_contests(session, area, with_candidates=full)
    contests = _share(tuple(_share(
        StationContest(link.contest_id, link.contest.kind, link.contest.election_id, link.unit_id, link.unit.seats,
                       tuple((c.id, c.full_name) for c in link.unit.candidates) if full else ()))
        for link in links))
    counts = elections.latest_voter_counts(session, [area.id])
    config = StationConfig(
        token=_share(token), area_id=area.id, province_id=area.province_id, commune_id=area.commune_id,
        election_id=election.id, day=_share(station_day(election, area)), contests=contests,
        team={m.id: Signer(m.id, m.full_name, m.role.value, m.position) for m in area.team} if full else _NO_TEAM,
        report_times=_share(tuple((rt.at, rt.grace_minutes)
                                  for rt in elections.report_times(session, election, area.province_id))),
        early=_share(early_window(election)),
        voter_totals=_share(tuple(c.total if (c := counts.get((area.id, link.contest_id))) else None
                                  for link in links)),
        full=full)
    _kept[full].put(_key(session, area_id), config)
    return config


def check_sender(config: StationConfig, actor: audit.Actor) -> StationConfig:
    """The area if the actor sees its place (else ``OutOfScope``, a 404) and may send its reports (else
    ``NotAllowed``): checked against the kept place on every request."""
    if not scope.Scope.of(actor.user).contains_place(*config.place):
        raise scope.OutOfScope(PollingArea.__name__)
    if not may_submit_to(actor.user, config.area_id, actor.channel):
        raise NotAllowed
    return config


def for_sender(session: Session, actor: audit.Actor, area_id: object, *, full: bool = True) -> StationConfig:
    """The area's configuration as this process keeps it (possibly a moment stale: ``current`` says), checked
    for the actor; read when not kept."""
    ident = area_ident(area_id)
    return check_sender(kept(session, ident, full=full) or load(session, ident, full=full), actor)


def current(session: Session, config: StationConfig, actor: audit.Actor, token: str | None = None) -> StationConfig:
    """``config`` if the database's token is still its own (one small statement, unless the caller read the token
    with its own state: ``token``), else read again and checked."""
    if (token if token is not None else session.connection().scalar(_TOKEN)) == config.token:
        return config
    return check_sender(load(session, config.area_id, full=config.full), actor)


def forget_all() -> None:
    """Drop every kept configuration (tests that compare a cold start)."""
    for lru in _kept.values():
        lru.clear()
    _shared.clear()
