"""A synthetic national dataset for benchmarks: 72,195 polling areas, all three contests, teams and accounts.

The shape comes from ``national_plan``; rows go in with SQLAlchemy Core bulk inserts in chunks, which the
ORM audit listener does not see, so one summary audit event records the run. Leader, commune and province
accounts have no password (they need activation): hashing 72,000 passwords would take hours.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.elections.models import (
    Candidate,
    ContestKind,
    Election,
    ElectoralUnit,
    Gender,
    PollingArea,
    PollingAreaKind,
    PollingAreaUnit,
    TeamMember,
    TeamRole,
    VoterCount,
    VoterCountSource,
)
from webapp.geo import services as geo
from webapp.geo.models import Commune, CommuneKind, Province
from webapp.seed import demo
from webapp.seed.names import person
from webapp.seed.national_plan import NATIONAL, CommunePlan, Place, Plan, make_plan
from webapp.textnorm import fold

CHUNK = 5_000
VOTERS_AS_OF = datetime(2026, 2, 3, 1, 0, tzinfo=UTC)
TEAM = [TeamRole.LEADER, TeamRole.DEPUTY, TeamRole.SECRETARY] + [TeamRole.MEMBER] * 8
PHONE_PREFIXES = ["090", "091", "093", "094", "096", "097", "098", "032", "035", "083"]
VILLAGE_PLACES = ["Nhà văn hóa thôn", "Trường Tiểu học thôn", "Hội trường thôn", "Điểm trường thôn"]
EARLY_VOTING = date(2026, 2, 26)
_fold = functools.cache(fold)  # a few thousand distinct names and area titles
_TABLES = (ElectoralUnit, Candidate, PollingArea, PollingAreaUnit, VoterCount, TeamMember, User)


class NotEmpty(RuntimeError):
    """The database already holds an election or accounts; the generator only fills an empty one."""


@dataclasses.dataclass(frozen=True)
class NationalResult:
    election_id: int
    rows: dict[str, int]  # table name → rows inserted
    seats: dict[str, int]  # contest kind → seats
    candidates: dict[str, int]
    voters: int  # National Assembly voters, all areas


def check_empty(session: Session) -> None:
    """Raise NotEmpty unless the database holds at most provinces and communes."""
    found = [
        model.__tablename__ for model in (Election, PollingArea, ElectoralUnit, User)
        if session.scalar(sa.select(sa.func.count()).select_from(model))
    ]
    if found:
        raise NotEmpty(
            f"The database is not empty (it already holds {', '.join(found)}); the national dataset is "
            "generated only into an empty, migrated database."
        )


class _Writer:
    """Buffers rows per table and writes them with Core ``executemany`` in chunks."""

    def __init__(self, session: Session, chunk: int) -> None:
        self.session = session
        self.chunk = chunk
        self.pending: dict[sa.Table, list[dict[str, Any]]] = {}
        self.counts: Counter[str] = Counter()

    def add(self, model: Any, row: dict[str, Any]) -> None:
        rows = self.pending.setdefault(model.__table__, [])
        rows.append(row)
        if len(rows) >= self.chunk:
            self._write(model.__table__)

    def insert_returning_ids(self, model: Any, rows: list[dict[str, Any]]) -> list[int]:
        table = model.__table__
        ids: list[int] = []
        for start in range(0, len(rows), self.chunk):
            batch = rows[start:start + self.chunk]
            stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
            ids.extend(self.session.execute(stmt, batch).scalars())
            self.counts[table.name] += len(batch)
        return ids

    def flush(self) -> None:
        # Parents before children: the foreign keys are checked row by row on SQLite.
        for model in _TABLES:
            if self.pending.get(model.__table__):
                self._write(model.__table__)

    def _write(self, table: sa.Table) -> None:
        rows = self.pending.pop(table)
        self.session.execute(sa.insert(table), rows)
        self.counts[table.name] += len(rows)


class _Phones:
    """Distinct, random-looking mobile numbers: an affine walk over 10⁸ numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.step = rng.randrange(10**6, 10**8) | 1
        while self.step % 5 == 0:
            self.step += 2
        self.at = rng.randrange(10**8)

    def next(self) -> str:
        self.at = (self.at + self.step) % 10**8
        prefix, rest = divmod(self.at, 10**7)
        return f"{PHONE_PREFIXES[prefix]}{rest:07d}"


@dataclasses.dataclass
class _Run:
    """What every step of one generation shares."""

    writer: _Writer
    rng: random.Random
    plan: Plan
    contests: dict[ContestKind, int]
    provinces: dict[str, Province]
    communes: dict[str, Commune]
    now: datetime
    phones: _Phones
    unit_ids: list[int] = dataclasses.field(default_factory=list)


def generate_national(
    session: Session,
    *,
    now: datetime,
    areas: int = NATIONAL.areas,
    seed: int = 2026,
    drill: bool = False,
    chunk: int = CHUNK,
    progress: Callable[[str], None] | None = None,
) -> NationalResult:
    """Fill an empty database with a national-scale election of ``areas`` polling areas (raises NotEmpty)."""
    say = progress or (lambda _message: None)
    check_empty(session)
    rng = random.Random(seed)
    geo.load_units(session)
    election = demo.create_election(session, drill=drill)
    provinces = {p.code: p for p in session.scalars(sa.select(Province))}
    communes = {c.code: c for c in session.scalars(sa.select(Commune))}
    province_codes = {p.id: p.code for p in provinces.values()}
    places = [Place(province_codes[c.province_id], c.code, c.kind is CommuneKind.WARD, c.has_commune_council)
              for c in communes.values()]
    plan = make_plan(rng, places, areas)
    say(f"Plan: {areas:,} polling areas in {len(plan.communes):,} communes, "
        f"{len(plan.units):,} electoral units.")
    run = _Run(_Writer(session, chunk), rng, plan, {c.kind: c.id for c in election.contests}, provinces,
               communes, now, _Phones(rng))
    _write_units(run)
    say(f"Electoral units and {run.writer.counts['candidates']:,} candidates written.")
    _write_areas(run, say)
    _write_officials(run)
    run.writer.flush()
    session.flush()

    seats = {kind.value: plan.seats(kind) for kind in ContestKind}
    candidates = {kind.value: plan.candidates(kind) for kind in ContestKind}
    result = NationalResult(election.id, dict(run.writer.counts), seats, candidates, sum(plan.voters))
    audit.record_event(
        session, action="generate_national", entity_type="elections", entity_id=str(election.id),
        after={"seed": seed, "areas": areas, "rows": result.rows, "seats": seats, "candidates": candidates,
               "voters": result.voters},
    )
    session.flush()
    return result


def summary_lines(result: NationalResult) -> list[str]:
    lines = [f"  {table:<20} {rows:>10,}" for table, rows in sorted(result.rows.items())]
    lines += [f"  {kind:<20} {seats:>10,} seats, {result.candidates[kind]:,} candidates"
              for kind, seats in result.seats.items()]
    lines.append(f"  {'voters (NA lists)':<20} {result.voters:>10,}")
    return lines


def _write_units(run: _Run) -> None:
    prefix = {ContestKind.NATIONAL_ASSEMBLY: "QH", ContestKind.PROVINCIAL_COUNCIL: "T",
              ContestKind.COMMUNE_COUNCIL: "X"}
    rows = [
        {
            "contest_id": run.contests[u.kind], "province_id": run.provinces[u.province_code].id,
            "commune_id": run.communes[u.commune_code].id if u.commune_code else None,
            "code": f"{prefix[u.kind]}-{u.commune_code or u.province_code}-{u.number:02d}",
            "number": u.number, "name": f"Đơn vị bầu cử số {u.number}", "seats": u.seats,
        }
        for u in run.plan.units
    ]
    run.unit_ids = run.writer.insert_returning_ids(ElectoralUnit, rows)
    rng = run.rng
    for unit_id, unit in zip(run.unit_ids, run.plan.units, strict=True):
        people = []
        for _ in range(unit.candidates):
            female = rng.random() < 0.4
            born = date(rng.randint(1962, 1994), rng.randint(1, 12), rng.randint(1, 28))
            people.append((person(rng, female), female, born))
        # Ballots list candidates in the alphabetical order of their given names (Vietnamese practice).
        people.sort(key=lambda p: (_fold(p[0].rsplit(" ", 1)[-1]), _fold(p[0])))
        for order, (name, female, born) in enumerate(people, start=1):
            run.writer.add(Candidate, {
                "unit_id": unit_id, "full_name": name, "name_folded": _fold(name), "birth_date": born,
                "gender": Gender.FEMALE if female else Gender.MALE, "ballot_order": order,
            })
    run.writer.flush()


def _area_row(rng: random.Random, commune: Commune, number: int) -> dict[str, Any]:
    name = f"Khu vực bỏ phiếu số {number}"
    if commune.kind is CommuneKind.WARD:
        street = f"{rng.randint(1, 250)} {rng.choice(demo.STREETS)}"
        address = f"{rng.choice(demo.PLACES)}, {street}, {commune.name}"
    else:
        address = f"{rng.choice(VILLAGE_PLACES)} {rng.randint(1, 15)}, {commune.name}"
    roll = rng.random()
    kind = (PollingAreaKind.ARMED_FORCES if roll < 0.01 else PollingAreaKind.HOSPITAL if roll < 0.015
            else PollingAreaKind.DETENTION if roll < 0.016 else PollingAreaKind.REGULAR)
    early = None
    if kind is PollingAreaKind.ARMED_FORCES and rng.random() < 0.3:
        early = EARLY_VOTING + timedelta(days=rng.randrange(14))
    return {
        "code": f"{commune.code}-{number:02d}", "commune_id": commune.id, "province_id": commune.province_id,
        "number": number, "name": name, "name_folded": _fold(name), "address": address[:300], "kind": kind,
        "early_voting_date": early,
    }


def _write_areas(run: _Run, say: Callable[[str], None]) -> None:
    batch: list[tuple[CommunePlan, int, int]] = []  # (commune plan, index in commune, index in plan)
    position = 0
    for cp in run.plan.communes:
        for index in range(cp.areas):
            batch.append((cp, index, position))
            position += 1
            if len(batch) >= run.writer.chunk or position == run.plan.targets.areas:
                _write_area_batch(run, batch)
                batch = []
                say(f"{position:,} of {run.plan.targets.areas:,} polling areas written.")


def _write_area_batch(run: _Run, batch: list[tuple[CommunePlan, int, int]]) -> None:
    rng, writer, contests = run.rng, run.writer, run.contests
    rows = [_area_row(rng, run.communes[cp.place.commune_code], index + 1) for cp, index, _ in batch]
    area_ids = writer.insert_returning_ids(PollingArea, rows)
    for area_id, row, (cp, index, position) in zip(area_ids, rows, batch, strict=True):
        links = [(ContestKind.NATIONAL_ASSEMBLY, cp.na_unit),
                 (ContestKind.PROVINCIAL_COUNCIL, cp.provincial_unit)]
        commune_unit = cp.commune_unit_of(index)
        if commune_unit is not None:
            links.append((ContestKind.COMMUNE_COUNCIL, commune_unit))
        total = run.plan.voters[position]
        for kind, unit in links:
            writer.add(PollingAreaUnit, {"polling_area_id": area_id, "contest_id": contests[kind],
                                         "unit_id": run.unit_ids[unit]})
            female = total // 2 + rng.randint(-total // 40, total // 40)
            writer.add(VoterCount, {
                "polling_area_id": area_id, "contest_id": contests[kind], "total": total, "female": female,
                "male": total - female, "as_of": VOTERS_AS_OF, "source": VoterCountSource.POSTED,
                "recorded_at": run.now, "recorded_by_id": None,
            })
            # Fewer voters on the council lists: people registered away from home vote only for the NA.
            total = max(300, total - rng.randint(0, 12))
        leader = ("", "")
        for seat, role in enumerate(TEAM):
            name, phone = person(rng, rng.random() < 0.5), run.phones.next()
            if role is TeamRole.LEADER:
                leader = (name, phone)
            writer.add(TeamMember, {"polling_area_id": area_id, "full_name": name, "name_folded": fold(name),
                                    "role": role, "phone": phone, "position": seat})
        # Same form as accounts.services.leader_username.
        username = f"to{row['number']:02d}-{cp.place.commune_code}"
        writer.add(User, _user(run, username, Role.LEADER, *leader, row["commune_id"], area_id,
                               province_id=row["province_id"]))
    writer.flush()


def _write_officials(run: _Run) -> None:
    """One commune account per commune with polling areas and one province account per province."""
    for code in sorted({cp.place.province_code for cp in run.plan.communes}):
        province = run.provinces[code]
        run.writer.add(User, _user(run, f"tinh{code}", Role.PROVINCE, f"Ủy ban bầu cử {province.name}",
                                   run.phones.next(), None, None, province_id=province.id))
    for cp in run.plan.communes:
        commune = run.communes[cp.place.commune_code]
        title = commune.name[:1].lower() + commune.name[1:]
        run.writer.add(User, _user(run, f"xa{commune.code}", Role.COMMUNE, f"Ủy ban bầu cử {title}",
                                   run.phones.next(), commune.id, None, province_id=commune.province_id))


def _user(run: _Run, username: str, role: Role, full_name: str, phone: str, commune_id: int | None,
          polling_area_id: int | None, *, province_id: int) -> dict[str, Any]:
    return {
        "username": username, "full_name": full_name, "name_folded": fold(full_name), "phone": phone, "role": role,
        "province_id": province_id, "commune_id": commune_id, "polling_area_id": polling_area_id,
        "password_hash": None, "activation_code_hash": None, "activation_expires_at": None,
        "is_active": True, "locale": None, "created_at": run.now, "last_login_at": None,
    }


def analyze(engine: sa.Engine) -> None:
    """Refresh the query planner's statistics after the bulk load (autovacuum would, minutes later);
    on PostgreSQL also VACUUM, which sets the visibility map that index-only scans need."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
