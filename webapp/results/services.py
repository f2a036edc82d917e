"""Results of the electoral units from the polling teams' count minutes, within the reader's scope.

A unit's figures are the sums of the latest version of its stations' minutes: the confirmed ones give the
official figures, to which the law's rules (``webapp.results.rules``) are applied once every station is
confirmed; the provisional figures also include the minutes still awaiting the commune's review and are
always shown apart. Sums are SQL GROUP BYs (``webapp.results.queries``): a constant number of queries per
committee, whatever its size.

A unit is shown to whoever may see it (``webapp.scope``): a commune official sees the higher units its polling
areas vote in, and their whole-unit official figures (the Ban's result, which is published), but only the stations
of its own commune, and the provisional figures only of units that lie wholly within it.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import User
from webapp.elections.models import (
    Contest,
    ContestKind,
    ElectoralUnit,
    PollingArea,
    PollingAreaUnit,
)
from webapp.followups.models import FollowUpVote
from webapp.followups.rules import FollowUpKind, decide_follow_up
from webapp.geo.models import Commune, Province
from webapp.reports import secrecy
from webapp.reports.models import CountReport, ReportStatus
from webapp.results import queries
from webapp.results.queries import OFFICIAL, PROVISIONAL
from webapp.results.rules import UnitResult, UnitTotals, decide_unit, percent
from webapp.textnorm import nfc

PROVINCE_CONTESTS = (ContestKind.NATIONAL_ASSEMBLY, ContestKind.PROVINCIAL_COUNCIL)
COMMUNE_CONTESTS = (ContestKind.COMMUNE_COUNCIL,)
_KIND_ORDER = {kind: i for i, kind in enumerate(ContestKind)}


@dataclasses.dataclass(frozen=True)
class CandidateLine:
    id: int
    ballot_order: int
    full_name: str
    birth_date: date
    votes: int
    percent: Decimal | None  # of the valid ballots, for display only
    passed: bool  # more than half of the valid ballots
    elected: bool
    undecided: bool  # tied for the last seat in votes and age: the committee decides
    rank: int


@dataclasses.dataclass(frozen=True)
class Figures:
    """One side (official or provisional) of a unit's result."""

    totals: UnitTotals
    result: UnitResult
    candidates: list[CandidateLine]  # in ballot order
    complaints: dict[str, int]

    @property
    def ranking(self) -> list[CandidateLine]:
        return sorted(self.candidates, key=lambda c: c.rank)

    @property
    def winners(self) -> list[CandidateLine]:
        by_id = {c.id: c for c in self.candidates}
        return [by_id[cid] for cid in self.result.winners]

    @property
    def undecided(self) -> list[CandidateLine]:
        by_id = {c.id: c for c in self.candidates}
        return [by_id[cid] for cid in self.result.undecided]


@dataclasses.dataclass(frozen=True)
class UnitOutcome:
    unit: ElectoralUnit
    expected: int  # polling areas mapped to the unit
    confirmed: int  # their latest minutes confirmed by the commune
    received: int  # latest minutes awaiting review
    returned: int  # latest minutes sent back for correction
    official: Figures
    # None when asked for the official figures only, or when the reader does not see the whole unit
    provisional: Figures | None
    # While early-vote minutes of the unit are sealed (webapp.reports.secrecy): when they open. The unit then
    # shows no figures at all (zeros), whatever else arrived.
    sealed_until: datetime | None = None

    @property
    def sealed(self) -> bool:
        return self.sealed_until is not None

    @property
    def complete(self) -> bool:
        """Every station's minutes confirmed (check 15): only then does the law's decision stand."""
        return self.expected > 0 and self.confirmed == self.expected

    @property
    def sent(self) -> int:
        return self.confirmed + self.received + self.returned

    @property
    def has_unconfirmed(self) -> bool:
        return self.received > 0

    @property
    def state(self) -> str:
        if self.complete:
            return "complete"
        return "partial" if self.sent else "empty"

    @property
    def mismatch(self) -> bool:
        """More minutes than stations: the area-to-unit mapping changed after minutes were sent."""
        return self.sent > self.expected


@dataclasses.dataclass(frozen=True)
class ContestResults:
    contest: Contest
    units: list[UnitOutcome]

    def total(self, name: str, side: str = OFFICIAL) -> int:
        return sum(getattr((getattr(u, side) or u.official).totals, name) for u in self.units)

    @property
    def expected(self) -> int:
        return sum(u.expected for u in self.units)

    @property
    def confirmed(self) -> int:
        return sum(u.confirmed for u in self.units)

    @property
    def complete(self) -> bool:
        return bool(self.units) and all(u.complete for u in self.units)

    @property
    def seats(self) -> int:
        return sum(u.unit.seats for u in self.units)

    @property
    def candidates(self) -> int:
        return sum(len(u.official.candidates) for u in self.units)

    def complaints(self, name: str) -> int:
        return sum(u.official.complaints[name] for u in self.units)


@dataclasses.dataclass(frozen=True)
class CommitteeResults:
    """A committee's results: the province's NA and provincial units, or the commune's council units."""

    province: Province
    commune: Commune | None
    contests: list[ContestResults]

    @property
    def level(self) -> str:
        return "commune" if self.commune is not None else "province"

    @property
    def name(self) -> str:
        return (self.commune or self.province).name

    def contest(self, kind: ContestKind | str) -> ContestResults | None:
        return next((c for c in self.contests if c.contest.kind == ContestKind(kind)), None)


def _figures(unit: ElectoralUnit, totals: UnitTotals, complaints: dict[str, int],
             follow_up: FollowUpKind | None = None) -> Figures:
    births = {c.id: c.birth_date for c in unit.candidates}
    if follow_up is None:
        result = decide_unit(totals, kind=unit.contest.kind, seats=unit.seats, candidates=births)
    else:
        result = decide_follow_up(totals, kind=follow_up, contest=unit.contest.kind, seats=unit.seats,
                                  candidates=births)
    rank = {r.candidate_id: i for i, r in enumerate(result.ranking, start=1)}
    passed = {r.candidate_id for r in result.ranking if r.passed_threshold}
    winners, undecided = set(result.winners), set(result.undecided)
    lines = [
        CandidateLine(id=c.id, ballot_order=c.ballot_order, full_name=nfc(c.full_name), birth_date=c.birth_date,
                      votes=totals.votes.get(c.id, 0), percent=percent(totals.votes.get(c.id, 0), totals.valid),
                      passed=c.id in passed, elected=c.id in winners, undecided=c.id in undecided, rank=rank[c.id])
        for c in unit.candidates
    ]
    return Figures(totals=totals, result=result, candidates=lines, complaints=complaints)


def _provisional_units(session: Session, user: User, unit_ids: Any) -> set[int] | None:
    """The units whose provisional figures the user may see (None: all of them). Provisional sums include
    minutes nobody has confirmed yet; a reader who sees only part of a unit (a commune official, for a unit that
    spans several communes) would read the other communes' unconfirmed figures by difference."""
    if scope.Scope.of(user).level is scope.Level.NATION:
        return None
    return queries.whole_units(session, unit_ids, scope.visible(PollingArea, user))


def _outcomes(session: Session, user: User, units: list[ElectoralUnit], unit_ids: Any, *,
              confirmed_only: bool) -> list[UnitOutcome]:
    sums = queries.report_sums(session, unit_ids)
    votes = queries.vote_sums(session, unit_ids)
    expected = queries.expected_stations(session, unit_ids)
    shown = set() if confirmed_only else _provisional_units(session, user, unit_ids)
    # A follow-up vote's unit copy is decided by its own rules (webapp.followups).
    follow_ups: dict[int, FollowUpKind] = {
        row.own_unit_id: row.kind for row in session.execute(sa.select(FollowUpVote.own_unit_id, FollowUpVote.kind)
                                                             .where(FollowUpVote.own_unit_id.in_([u.id for u in units])))
    } if units else {}
    until, withheld = secrecy.sealed_until_now(session), secrecy.sealed_now(session)
    sealed = withheld.units if withheld is not None else frozenset()
    out = []
    for unit in units:
        s = {} if unit.id in sealed else sums.get(unit.id, {})

        def side(name: str, unit: ElectoralUnit = unit, s: dict[str, int] = s) -> Figures:
            shown_votes = {} if unit.id in sealed else votes.get((unit.id, name), {})
            totals = queries.totals_of(s, shown_votes, name)
            return _figures(unit, totals, queries.complaints_of(s, name), follow_ups.get(unit.id))

        out.append(UnitOutcome(
            unit=unit, expected=expected.get(unit.id, 0), confirmed=s.get(ReportStatus.CONFIRMED.value, 0),
            received=s.get(ReportStatus.RECEIVED.value, 0), returned=s.get(ReportStatus.RETURNED.value, 0),
            official=side(OFFICIAL),
            provisional=side(PROVISIONAL) if shown is None or unit.id in shown else None,
            sealed_until=until if unit.id in sealed else None,
        ))
    return out


def _load_units(session: Session, stmt: sa.Select[tuple[ElectoralUnit]]) -> list[ElectoralUnit]:
    units = session.scalars(stmt.options(
        selectinload(ElectoralUnit.contest), selectinload(ElectoralUnit.province),
        selectinload(ElectoralUnit.commune), selectinload(ElectoralUnit.candidates),
    )).all()
    return sorted(units, key=lambda u: (_KIND_ORDER[u.contest.kind], u.number, u.id))


def unit_result(session: Session, user: User, unit_id: int, *, confirmed_only: bool = True) -> UnitOutcome:
    """One unit's result (OutOfScope when the user may not see the unit). ``confirmed_only=False`` also
    computes the provisional figures, for a user who sees the whole unit."""
    unit = scope.get(session, ElectoralUnit, unit_id, user)
    units = _load_units(session, sa.select(ElectoralUnit).where(ElectoralUnit.id == unit.id))
    [outcome] = _outcomes(session, user, units, sa.select(sa.literal(unit.id)).scalar_subquery(),
                          confirmed_only=confirmed_only)
    return outcome


def committee_results(session: Session, user: User, *, province_id: int | None = None,
                      commune_id: int | None = None, voted_in_by: int | None = None,
                      confirmed_only: bool = False, every_level: bool = False) -> CommitteeResults:
    """A commune's council units (``commune_id``), or a province's NA and provincial units (``province_id``;
    with ``voted_in_by``, only those that commune's polling areas vote in; with ``every_level``, its communes'
    council units too, as the provincial committee's statistics count them), as far as the user sees them;
    OutOfScope when the place is not the user's."""
    commune: Commune | None = None
    if commune_id is not None:
        commune = scope.get(session, Commune, commune_id, user)
        province = commune.province
        place, kinds = ElectoralUnit.commune_id == commune.id, COMMUNE_CONTESTS
    elif province_id is not None:
        province = scope.get(session, Province, province_id, user)
        place = ElectoralUnit.province_id == province.id
        kinds = PROVINCE_CONTESTS + COMMUNE_CONTESTS if every_level else PROVINCE_CONTESTS
        if voted_in_by is not None:
            place = sa.and_(place, ElectoralUnit.id.in_(
                sa.select(PollingAreaUnit.unit_id).join(PollingArea).where(PollingArea.commune_id == voted_in_by)))
    else:
        raise TypeError("committee_results needs province_id or commune_id")
    where = sa.and_(scope.visible(ElectoralUnit, user), place,
                    ElectoralUnit.contest_id.in_(sa.select(Contest.id).where(Contest.kind.in_(kinds))))
    units = _load_units(session, sa.select(ElectoralUnit).where(where))
    outcomes = _outcomes(session, user, units, sa.select(ElectoralUnit.id).where(where), confirmed_only=confirmed_only)
    grouped: dict[int, list[UnitOutcome]] = {}
    contests: dict[int, Contest] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome.unit.contest_id, []).append(outcome)
        contests[outcome.unit.contest_id] = outcome.unit.contest
    ordered = sorted(contests.values(), key=lambda c: _KIND_ORDER[c.kind])
    return CommitteeResults(province=province, commune=commune,
                            contests=[ContestResults(c, grouped[c.id]) for c in ordered])


@dataclasses.dataclass(frozen=True)
class StationRow:
    area: PollingArea
    report: CountReport | None  # the latest version of the minutes for the unit's contest

    @property
    def status(self) -> str:
        return self.report.status.value if self.report else "missing"


def unit_stations(session: Session, user: User, unit: ElectoralUnit) -> list[StationRow]:
    """The unit's polling areas that the user sees, each with the latest version of its minutes."""
    latest = sa.and_(CountReport.polling_area_id == PollingArea.id, CountReport.contest_id == unit.contest_id,
                     CountReport.is_latest)
    rows = session.execute(
        sa.select(PollingArea, CountReport)
        .join(PollingAreaUnit, PollingAreaUnit.polling_area_id == PollingArea.id)
        .outerjoin(CountReport, latest)
        .where(PollingAreaUnit.unit_id == unit.id, scope.visible(PollingArea, user))
        .options(selectinload(PollingArea.commune))
        .order_by(PollingArea.commune_id, PollingArea.number)
    ).all()
    return [StationRow(area, report) for area, report in rows]


def unit_breakdown(session: Session, user: User, unit: ElectoralUnit) -> list[dict[str, Any]]:
    """The unit's official totals by commune, for the communes the user sees, in commune-code order."""
    rows = queries.commune_breakdown(session, unit.id, scope.visible(PollingArea, user))
    names = {c.id: c for c in session.scalars(
        scope.select(Commune, user).where(Commune.id.in_([r["commune_id"] for r in rows])))}
    out = [{**r, "commune": names[r["commune_id"]]} for r in rows if r["commune_id"] in names]
    return sorted(out, key=lambda r: r["commune"].code)
