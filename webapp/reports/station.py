"""A polling area's configuration as the count submission needs it (its place, its contests with their units'
seats and candidates, its team, the election's hours), kept per process.

On election day the configuration does not change while thousands of minutes arrive, and reading it costs as much
as everything else a submission does. So each worker keeps it, keyed by the database and the area, together with
the ``ConfigurationVersion`` token it was read under; every submission reads the token again in its own first
statement and reloads on any difference (triggers change the token on every write to the configuration's tables,
imports and bulk loads included). What is kept carries no scope decision: the caller checks the user's scope
against the kept place on every request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from webapp import scope
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import ConfigurationVersion, ContestKind, PollingArea
from webapp.lru import LRU
from webapp.reports.common import ContestNotHeld, StationDay, area_contests, station_day

#: Areas kept per process: a station sends its minutes in a burst (three contests, a correction), so a few
#: thousand cover the day's traffic at about 1 KB each; units' candidates are shared objects.
MAX_AREAS = 8192


@dataclasses.dataclass(frozen=True)
class Signer:
    """A member of the polling team, as the signatures of the minutes record them."""

    id: int
    full_name: str
    role: str
    position: int


@dataclasses.dataclass(frozen=True)
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


@dataclasses.dataclass(frozen=True)
class StationConfig:
    token: str
    area_id: int
    province_id: int
    commune_id: int
    election_id: int  # the current election
    day: StationDay
    contests: tuple[StationContest, ...]  # widest electorate first (NA, provincial, commune)
    team: Mapping[int, Signer]

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


# The configurations this process keeps (gunicorn's threads share them).
_kept: LRU[tuple[str, int], StationConfig] = LRU(MAX_AREAS)


def _key(session: Session, area_id: int) -> tuple[str, int, int | None]:
    # The election too: a drill shares the areas but not their contests and units (webapp.elections.working).
    return (str(session.get_bind().engine.url), area_id, working.bound_to(session))


def kept(session: Session, area_id: int) -> StationConfig | None:
    """The configuration this process keeps for the area, if any (possibly stale: compare its token)."""
    return _kept.get(_key(session, area_id))


def load(session: Session, area_id: int) -> StationConfig:
    """Read the area's configuration (raises ``scope.OutOfScope`` when there is no such area) and keep it."""
    token = session.scalar(_TOKEN)
    area = session.scalars(sa.select(PollingArea).where(PollingArea.id == area_id)
                           .options(joinedload(PollingArea.team))).unique().first()
    if area is None or token is None:
        raise scope.OutOfScope(PollingArea.__name__)
    election = elections.current_election(session)
    contests = tuple(
        StationContest(link.contest_id, link.contest.kind, link.contest.election_id, link.unit_id, link.unit.seats,
                       tuple((c.id, c.full_name) for c in link.unit.candidates))
        for link in area_contests(session, area, with_candidates=True))
    config = StationConfig(
        token=token, area_id=area.id, province_id=area.province_id, commune_id=area.commune_id,
        election_id=election.id, day=station_day(election, area), contests=contests,
        team={m.id: Signer(m.id, m.full_name, m.role.value, m.position) for m in area.team})
    _kept.put(_key(session, area_id), config)
    return config


def forget_all() -> None:
    """Drop every kept configuration (tests that compare a cold start)."""
    _kept.clear()
