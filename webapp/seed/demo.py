"""A realistic demo: part of Ho Chi Minh City with all three contests and one account per role."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts import services as accounts
from webapp.accounts.models import Role, User
from webapp.elections import services as elections
from webapp.elections.models import (
    Candidate,
    ContestKind,
    Election,
    ElectoralUnit,
    Gender,
    PollingArea,
    PollingAreaUnit,
    ReportTime,
    TeamMember,
    TeamRole,
    VoterCount,
    VoterCountSource,
)
from webapp.geo import services as geo
from webapp.geo.models import Commune, Province
from webapp.seed.names import person, phone
from webapp.textnorm import fold

DEMO_PASSWORD = "baucu2026"
PROVINCE_CODE = "79"  # Thành phố Hồ Chí Minh
# (commune code, polling areas, commune-council units)
COMMUNES = [("26743", 12, 3), ("26740", 10, 3), ("26737", 10, 3), ("26732", 8, 2)]
NATIONAL_REPORT_TIMES = elections.DEFAULT_REPORT_TIMES
POLLING_DATE = date(2026, 3, 15)
PROVINCE_REPORT_TIMES = [time(9), time(11, 30), time(15), time(19)]
STREETS = ["Lê Lợi", "Nguyễn Huệ", "Lý Tự Trọng", "Pasteur", "Hai Bà Trưng", "Nam Kỳ Khởi Nghĩa", "Trần Hưng Đạo",
           "Nguyễn Du", "Điện Biên Phủ", "Võ Văn Tần", "Tôn Đức Thắng", "Nguyễn Thị Minh Khai"]
PLACES = ["Trường Tiểu học", "Nhà văn hóa khu phố", "Trường THCS", "Trụ sở khu phố", "Trường Mầm non"]

ACCOUNTS = [
    ("quantri", Role.ADMIN, "Quản trị quốc gia"),
    ("tinh", Role.PROVINCE, "Ủy ban bầu cử Thành phố Hồ Chí Minh"),
    ("xa", Role.COMMUNE, "Ủy ban bầu cử phường Bến Thành"),
    ("tongdai", Role.HOTLINE, "Tổng đài bầu cử TP. Hồ Chí Minh"),
    ("to01", Role.LEADER, ""),
]


@dataclasses.dataclass(frozen=True)
class DemoResult:
    polling_areas: int
    units: int
    candidates: int
    accounts: list[tuple[str, str]]


class NotEmpty(RuntimeError):
    pass


def create_election(session: Session, *, drill: bool = False) -> Election:
    """The 2026 election (or its drill) on 15 March 2026 with the standard hours."""
    return elections.create_election(session, code="2026-DIENTAP" if drill else "2026", polling_date=POLLING_DATE,
                                     report_times=NATIONAL_REPORT_TIMES, drill=drill)


def _candidates(rng: random.Random, unit: ElectoralUnit, count: int) -> list[Candidate]:
    people = []
    for order in range(1, count + 1):
        female = rng.random() < 0.4
        name = person(rng, female)
        people.append(Candidate(
            unit=unit, full_name=name, name_folded=fold(name),
            birth_date=date(rng.randint(1962, 1994), rng.randint(1, 12), rng.randint(1, 28)),
            gender=Gender.FEMALE if female else Gender.MALE, ballot_order=order,
        ))
    # Ballots list candidates in the alphabetical order of their given names (Vietnamese practice).
    people.sort(key=lambda c: (fold(c.full_name.split()[-1]), fold(c.full_name)))
    for order, candidate in enumerate(people, start=1):
        candidate.ballot_order = order
    return people


def load_demo(session: Session, now: datetime) -> DemoResult:
    """Load the demo into an empty database (raises NotEmpty otherwise)."""
    if session.scalar(sa.select(sa.func.count()).select_from(Election)):
        raise NotEmpty
    rng = random.Random(2026)
    geo.load_units(session)
    election = create_election(session)
    contests = {c.kind: c for c in election.contests}
    province = session.scalars(sa.select(Province).where(Province.code == PROVINCE_CODE)).one()
    for at in PROVINCE_REPORT_TIMES:
        session.add(ReportTime(election=election, province_id=province.id, at=at))

    communes = [session.scalars(sa.select(Commune).where(Commune.code == code)).one() for code, _, _ in COMMUNES]
    na_unit = ElectoralUnit(contest=contests[ContestKind.NATIONAL_ASSEMBLY], province=province, code="QH-79-01",
                            number=1, name="Đơn vị bầu cử số 1", seats=3)
    prov_units = [
        ElectoralUnit(contest=contests[ContestKind.PROVINCIAL_COUNCIL], province=province, code=f"T-79-{n:02d}",
                      number=n, name=f"Đơn vị bầu cử số {n}", seats=seats)
        for n, seats in ((1, 4), (2, 3))
    ]
    units = [na_unit, *prov_units]
    session.add_all(units)
    candidates = _candidates(rng, na_unit, 5) + _candidates(rng, prov_units[0], 7) + _candidates(rng, prov_units[1], 5)

    area_total = 0
    first_area: PollingArea | None = None
    for index, (commune, (_code, n_areas, n_units)) in enumerate(zip(communes, COMMUNES, strict=True)):
        prov_unit = prov_units[0] if index < 2 else prov_units[1]
        commune_units = []
        for n in range(1, n_units + 1):
            seats = rng.choice([3, 4, 5])
            cu = ElectoralUnit(contest=contests[ContestKind.COMMUNE_COUNCIL], province=province, commune=commune,
                               code=f"X-{commune.code}-{n:02d}", number=n, name=f"Đơn vị bầu cử số {n}", seats=seats)
            commune_units.append(cu)
            units.append(cu)
            candidates += _candidates(rng, cu, {3: 5, 4: 7, 5: 8}[seats])
        session.add_all(commune_units)
        for number in range(1, n_areas + 1):
            area_total += 1
            name = f"Khu vực bỏ phiếu số {number}"
            area = PollingArea(
                code=f"{commune.code}-{number:02d}", commune=commune, province=province, number=number,
                name=name, name_folded=fold(name),
                address=f"{rng.choice(PLACES)}, {rng.randint(1, 250)} {rng.choice(STREETS)}, {commune.name}",
            )
            session.add(area)
            first_area = first_area or area
            links = [(contests[ContestKind.NATIONAL_ASSEMBLY], na_unit),
                     (contests[ContestKind.PROVINCIAL_COUNCIL], prov_unit)]
            if commune.has_commune_council:
                links.append((contests[ContestKind.COMMUNE_COUNCIL],
                              commune_units[(number - 1) * n_units // n_areas]))
            base = rng.randint(900, 2400)
            for offset, (contest, unit) in enumerate(links):
                session.add(PollingAreaUnit(polling_area=area, contest=contest, unit=unit))
                total = base - offset * rng.randint(0, 15)
                female = total // 2 + rng.randint(-40, 40)
                session.add(VoterCount(polling_area=area, contest=contest, total=total, female=female,
                                       male=total - female, as_of=datetime(2026, 2, 3, 1, 0, tzinfo=now.tzinfo),
                                       source=VoterCountSource.POSTED, recorded_at=now))
            roles = [TeamRole.LEADER, TeamRole.DEPUTY, TeamRole.SECRETARY] + [TeamRole.MEMBER] * 8
            for position, role in enumerate(roles):
                session.add(TeamMember(polling_area=area, full_name=person(rng, rng.random() < 0.5), role=role,
                                       phone=phone(rng), position=position))
    session.add_all(candidates)
    session.flush()

    assert first_area is not None
    password = accounts.hash_secret(DEMO_PASSWORD)
    made = []
    for username, role, full_name in ACCOUNTS:
        user = User(username=username, role=role, full_name=full_name, password_hash=password, created_at=now)
        if role in (Role.PROVINCE, Role.HOTLINE, Role.COMMUNE, Role.LEADER):
            user.province_id = province.id
        if role in (Role.COMMUNE, Role.LEADER):
            user.commune_id = communes[0].id
        if role is Role.LEADER:
            user.polling_area_id = first_area.id
            leader = first_area.team[0]
            user.full_name, user.phone = leader.full_name, leader.phone
        session.add(user)
        made.append((username, str(role)))
    session.flush()
    return DemoResult(area_total, len(units), len(candidates), made)
