"""The test world: the demo (part of Ho Chi Minh City) plus a small second province (Hà Nội) whose
objects every scope test must fail to reach."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts import services as accounts
from webapp.accounts.models import Role, User
from webapp.elections.models import (
    Candidate,
    Contest,
    ContestKind,
    ElectoralUnit,
    Gender,
    PollingArea,
    PollingAreaUnit,
    TeamMember,
    TeamRole,
    VoterCount,
)
from webapp.geo.models import Commune, Province
from webapp.seed import demo
from webapp.textnorm import fold

PASSWORD = demo.DEMO_PASSWORD
NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
OTHER_PROVINCE = "01"  # Hà Nội
OTHER_COMMUNE = "00070"  # Phường Hoàn Kiếm


def build(session: Session) -> None:
    demo.load_demo(session, NOW)
    province = session.scalars(sa.select(Province).where(Province.code == OTHER_PROVINCE)).one()
    commune = session.scalars(sa.select(Commune).where(Commune.code == OTHER_COMMUNE)).one()
    contests = {c.kind: c for c in session.scalars(sa.select(Contest))}
    units = {}
    for kind, code, seats, commune_ref in (
        (ContestKind.NATIONAL_ASSEMBLY, "QH-01-01", 3, None),
        (ContestKind.PROVINCIAL_COUNCIL, "T-01-01", 3, None),
        (ContestKind.COMMUNE_COUNCIL, "X-00070-01", 3, commune),
    ):
        unit = ElectoralUnit(contest=contests[kind], province=province, commune=commune_ref, code=code, number=1,
                             name="Đơn vị bầu cử số 1", seats=seats)
        session.add(unit)
        units[kind] = unit
        for order in range(1, 6):
            name = f"Ứng cử viên Hà Nội {order}"
            session.add(Candidate(unit=unit, full_name=name, name_folded=fold(name),
                                  birth_date=date(1970 + order, 1, 1), gender=Gender.MALE, ballot_order=order))
    area = PollingArea(code="00070-01", commune=commune, province=province, number=1, name="Khu vực bỏ phiếu số 1",
                       name_folded=fold("Khu vực bỏ phiếu số 1"), address="Hoàn Kiếm")
    session.add(area)
    for kind, unit in units.items():
        session.add(PollingAreaUnit(polling_area=area, contest=contests[kind], unit=unit))
        session.add(VoterCount(polling_area=area, contest=contests[kind], total=1000, as_of=NOW, recorded_at=NOW))
    session.add(TeamMember(polling_area=area, full_name="Trần Văn Hà", role=TeamRole.LEADER, phone="0912000001"))
    session.flush()
    password = accounts.hash_secret(PASSWORD)
    for username, role, commune_id, area_id in (
        ("hn_tinh", Role.PROVINCE, None, None),
        ("hn_xa", Role.COMMUNE, commune.id, None),
        ("hn_to01", Role.LEADER, commune.id, area.id),
        ("hn_tongdai", Role.HOTLINE, None, None),
    ):
        session.add(User(username=username, role=role, province_id=province.id, commune_id=commune_id,
                         polling_area_id=area_id, password_hash=password, created_at=NOW))
    session.add(User(username="tongdai_qg", role=Role.HOTLINE, password_hash=password, created_at=NOW))
    session.flush()


class World:
    """Lookups by natural key, so tests name what they mean."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def user(self, username: str) -> User:
        return self.session.scalars(sa.select(User).where(User.username == username)).one()

    def area(self, code: str) -> PollingArea:
        return self.session.scalars(sa.select(PollingArea).where(PollingArea.code == code)).one()

    def unit(self, code: str) -> ElectoralUnit:
        return self.session.scalars(sa.select(ElectoralUnit).where(ElectoralUnit.code == code)).one()

    def commune(self, code: str) -> Commune:
        return self.session.scalars(sa.select(Commune).where(Commune.code == code)).one()

    def province(self, code: str) -> Province:
        return self.session.scalars(sa.select(Province).where(Province.code == code)).one()

    def contest(self, kind: ContestKind) -> Contest:
        return self.session.scalars(sa.select(Contest).where(Contest.kind == kind)).one()
