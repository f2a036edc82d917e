import os
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import create_database, migrated_database
from webapp import create_app, migrate
from webapp.accounts import services as accounts
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.audit.models import AuditEntry, Channel
from webapp.db import make_engine
from webapp.elections import codes
from webapp.elections.models import (
    Candidate,
    Contest,
    ContestKind,
    ElectoralUnit,
    PollingArea,
    PollingAreaUnit,
    TeamMember,
    TeamRole,
    VoterCount,
)
from webapp.elections.rules import check_unit
from webapp.geo.models import Commune, CommuneKind, Province
from webapp.seed import national
from webapp.seed.national_plan import NATIONAL, Place, make_plan

NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
AREAS = 300
SEED = 11


def _generate(label: str, areas: int = AREAS, seed: int = SEED):
    """A fresh migrated database holding a generated dataset: (engine, result, drop)."""
    url, drop = migrated_database(os.environ.get("TEST_DATABASE_URL"), label)
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        result = national.generate_national(session, now=NOW, areas=areas, seed=seed)
        session.commit()
    return engine, result, drop


@pytest.fixture(scope="module")
def generated():
    engine, result, drop = _generate("nat")
    try:
        yield engine, result
    finally:
        engine.dispose()
        drop()


@pytest.fixture
def gen(generated):
    engine, _ = generated
    with Session(engine) as session:
        yield session


def test_exact_number_of_polling_areas(gen, generated):
    assert gen.scalar(sa.select(sa.func.count()).select_from(PollingArea)) == AREAS
    assert generated[1].rows["polling_areas"] == AREAS
    numbers = defaultdict(list)
    for commune_id, number in gen.execute(sa.select(PollingArea.commune_id, PollingArea.number)):
        numbers[commune_id].append(number)
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in numbers.values())


def test_every_area_votes_in_one_unit_per_contest(gen):
    rows = gen.execute(
        sa.select(PollingArea.id, PollingArea.province_id, PollingArea.commune_id,
                  Commune.has_commune_council, Contest.kind, ElectoralUnit.province_id,
                  ElectoralUnit.commune_id)
        .join(Commune, Commune.id == PollingArea.commune_id)
        .join(PollingAreaUnit, PollingAreaUnit.polling_area_id == PollingArea.id)
        .join(Contest, Contest.id == PollingAreaUnit.contest_id)
        .join(ElectoralUnit, ElectoralUnit.id == PollingAreaUnit.unit_id)
    ).all()
    kinds = defaultdict(list)
    councils = {}
    for area_id, province_id, commune_id, has_council, kind, unit_province, unit_commune in rows:
        kinds[area_id].append(kind)
        councils[area_id] = has_council
        assert unit_province == province_id
        assert unit_commune == (commune_id if kind is ContestKind.COMMUNE_COUNCIL else None)
    assert len(kinds) == AREAS
    for area_id, found in kinds.items():
        expected = {ContestKind.NATIONAL_ASSEMBLY, ContestKind.PROVINCIAL_COUNCIL}
        if councils[area_id]:
            expected.add(ContestKind.COMMUNE_COUNCIL)
        assert sorted(found) == sorted(expected)
    # The sample keeps a special zone without a commune council, so that case is really exercised.
    assert not all(councils.values())


def test_every_generated_code_is_in_the_strict_character_set(gen):
    generated = gen.scalars(sa.select(PollingArea.code).union_all(sa.select(ElectoralUnit.code))).all()
    assert generated and all(codes.is_code(code) for code in generated)


def test_every_unit_is_lawful_and_has_polling_areas(gen):
    candidates = Counter(gen.scalars(sa.select(Candidate.unit_id)))
    linked = set(gen.scalars(sa.select(PollingAreaUnit.unit_id)))
    units = gen.execute(sa.select(ElectoralUnit.id, Contest.kind, ElectoralUnit.seats).join(Contest)).all()
    assert {kind for _, kind, _ in units} == set(ContestKind)
    for unit_id, kind, seats in units:
        assert check_unit(kind, seats, candidates[unit_id]) == [], (unit_id, kind, seats)
        assert unit_id in linked
    orders = defaultdict(list)
    for unit_id, order in gen.execute(sa.select(Candidate.unit_id, Candidate.ballot_order)):
        orders[unit_id].append(order)
    assert all(sorted(o) == list(range(1, len(o) + 1)) for o in orders.values())


def test_higher_units_span_contiguous_communes(gen):
    communes = gen.execute(
        sa.select(Commune.code, ElectoralUnit.code, Contest.kind)
        .join(PollingArea, PollingArea.commune_id == Commune.id)
        .join(PollingAreaUnit, PollingAreaUnit.polling_area_id == PollingArea.id)
        .join(ElectoralUnit, ElectoralUnit.id == PollingAreaUnit.unit_id).join(Contest)
        .where(Contest.kind != ContestKind.COMMUNE_COUNCIL).distinct().order_by(Commune.code)
    ).all()
    for kind in (ContestKind.NATIONAL_ASSEMBLY, ContestKind.PROVINCIAL_COUNCIL):
        sequence = [unit for _, unit, k in communes if k is kind]
        runs = [unit for i, unit in enumerate(sequence) if i == 0 or sequence[i - 1] != unit]
        assert len(runs) == len(set(runs)), kind  # each unit is one run of communes in code order


def test_seats_are_proportional_to_the_national_numbers(generated):
    result = generated[1]
    factor = AREAS / NATIONAL.areas
    assert result.seats["na"] == max(2, round(NATIONAL.na_seats * factor))
    assert abs(result.seats["provincial"] - NATIONAL.provincial_seats * factor) <= 1
    assert abs(result.seats["commune"] - NATIONAL.commune_seats * factor) <= 1
    assert result.voters == round(NATIONAL.voters * factor)


def test_voter_lists_shrink_from_national_assembly_to_commune(gen):
    totals = defaultdict(dict)
    for area_id, kind, total, female, male in gen.execute(
        sa.select(VoterCount.polling_area_id, Contest.kind, VoterCount.total, VoterCount.female,
                  VoterCount.male).join(Contest)
    ):
        assert kind not in totals[area_id]  # one count per area and contest
        assert female + male == total
        totals[area_id][kind] = total
    assert len(totals) == AREAS
    for by_kind in totals.values():
        na = by_kind[ContestKind.NATIONAL_ASSEMBLY]
        provincial = by_kind[ContestKind.PROVINCIAL_COUNCIL]
        assert 300 <= na <= 4000
        assert na >= provincial >= by_kind.get(ContestKind.COMMUNE_COUNCIL, 0)


def test_teams_and_accounts_need_activation(gen):
    team = gen.scalars(sa.select(TeamMember).order_by(TeamMember.polling_area_id, TeamMember.position)).all()
    sizes = Counter(m.polling_area_id for m in team)
    assert len(sizes) == AREAS and set(sizes.values()) == {11}
    assert len({m.phone for m in team}) == len(team)
    leaders_by_area = {m.polling_area_id: m for m in team if m.role is TeamRole.LEADER}
    users = gen.scalars(sa.select(User)).all()
    assert all(u.password_hash is None and u.needs_activation for u in users)
    roles = Counter(u.role for u in users)
    area_communes = set(gen.scalars(sa.select(PollingArea.commune_id)))
    area_provinces = set(gen.scalars(sa.select(PollingArea.province_id)))
    assert roles == {Role.LEADER: AREAS, Role.COMMUNE: len(area_communes), Role.PROVINCE: len(area_provinces)}
    leaders = [u for u in users if u.role is Role.LEADER]
    for user in leaders:
        member = leaders_by_area[user.polling_area_id]
        assert (user.full_name, user.phone) == (member.full_name, member.phone)
    area = gen.get(PollingArea, leaders[-1].polling_area_id)
    assert leaders[-1].username == accounts.leader_username(area, area.commune)


def test_one_summary_audit_event_instead_of_a_row_per_insert(gen, generated):
    events = gen.scalars(sa.select(AuditEntry).where(AuditEntry.action == "generate_national")).all()
    assert len(events) == 1
    assert events[0].after["areas"] == AREAS and events[0].after["rows"] == generated[1].rows
    bulk = ("polling_areas", "team_members", "voter_counts", "candidates", "users", "electoral_units")
    assert not gen.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                          .where(AuditEntry.entity_type.in_(bulk)))


def _fingerprint(session: Session) -> list:
    queries = [
        sa.select(PollingArea.code, PollingArea.name, PollingArea.address, PollingArea.kind,
                  PollingArea.early_voting_date).order_by(PollingArea.code),
        sa.select(ElectoralUnit.code, ElectoralUnit.seats).order_by(ElectoralUnit.code),
        sa.select(ElectoralUnit.code, Candidate.ballot_order, Candidate.full_name, Candidate.birth_date)
        .join(ElectoralUnit).order_by(ElectoralUnit.code, Candidate.ballot_order),
        sa.select(PollingArea.code, TeamMember.position, TeamMember.full_name, TeamMember.phone)
        .join(PollingArea).order_by(PollingArea.code, TeamMember.position),
        sa.select(PollingArea.code, Contest.kind, VoterCount.total, VoterCount.female, ElectoralUnit.code)
        .select_from(VoterCount).join(PollingArea).join(Contest)
        .join(PollingAreaUnit, sa.and_(PollingAreaUnit.polling_area_id == PollingArea.id,
                                       PollingAreaUnit.contest_id == Contest.id))
        .join(ElectoralUnit, ElectoralUnit.id == PollingAreaUnit.unit_id)
        .order_by(PollingArea.code, Contest.kind),
        sa.select(User.username, User.full_name, User.phone, User.role).order_by(User.username),
    ]
    return [session.execute(q).all() for q in queries]


def test_same_seed_gives_the_same_data(gen):
    engine, _result, drop = _generate("nat2")
    try:
        with Session(engine) as again:
            assert _fingerprint(again) == _fingerprint(gen)
    finally:
        engine.dispose()
        drop()


def test_another_seed_gives_another_plan(db_session):
    places = [Place(p.code, c.code, c.kind is CommuneKind.WARD, c.has_commune_council)
              for c, p in db_session.execute(sa.select(Commune, Province).join(Province))]
    first, second = (make_plan(random.Random(seed), places, 1_000) for seed in (1, 2))
    assert [c.place for c in first.communes] != [c.place for c in second.communes]


def test_full_national_plan_matches_the_2026_numbers(db_session):
    places = [Place(p.code, c.code, c.kind is CommuneKind.WARD, c.has_commune_council)
              for c, p in db_session.execute(sa.select(Commune, Province).join(Province))]
    plan = make_plan(random.Random(2026), places, NATIONAL.areas)
    assert len(plan.communes) == 3_321 and all(c.areas >= 1 for c in plan.communes)
    assert sum(c.areas for c in plan.communes) == 72_195
    assert len({c.place.province_code for c in plan.communes}) == 34
    na = [u for u in plan.units if u.kind is ContestKind.NATIONAL_ASSEMBLY]
    kind = ContestKind.NATIONAL_ASSEMBLY
    assert (len(na), plan.seats(kind), plan.candidates(kind)) == (182, 500, 864)
    assert (plan.seats(ContestKind.PROVINCIAL_COUNCIL), plan.candidates(ContestKind.PROVINCIAL_COUNCIL)) \
        == (2_552, 4_217)
    assert (plan.seats(ContestKind.COMMUNE_COUNCIL), plan.candidates(ContestKind.COMMUNE_COUNCIL)) \
        == (72_611, 120_873)
    assert sum(plan.voters) == 78_928_647
    assert all(check_unit(u.kind, u.seats, u.candidates) == [] for u in plan.units)
    assert all(not c.commune_units for c in plan.communes if not c.place.has_council)


@pytest.mark.parametrize("areas", [1, 7, 1_000, 10_000])
def test_smaller_plans_keep_the_law_and_the_exact_area_count(db_session, areas):
    places = [Place(p.code, c.code, c.kind is CommuneKind.WARD, c.has_commune_council)
              for c, p in db_session.execute(sa.select(Commune, Province).join(Province))]
    plan = make_plan(random.Random(5), places, areas)
    assert sum(c.areas for c in plan.communes) == areas
    assert all(check_unit(u.kind, u.seats, u.candidates) == [] for u in plan.units)
    assert all(c.na_unit >= 0 and c.provincial_unit >= 0 for c in plan.communes)
    assert all(len(c.commune_units) <= c.areas for c in plan.communes)
    if areas >= 1_000:
        assert abs(plan.seats(ContestKind.NATIONAL_ASSEMBLY) - 500 * areas / 72_195) <= 1


def test_refuses_a_database_that_is_not_empty(db_session):
    with pytest.raises(national.NotEmpty, match="not empty"):
        national.generate_national(db_session, now=NOW, areas=10)


def test_cli_generates_into_an_empty_database_and_refuses_a_second_time():
    url, drop = create_database(os.environ.get("TEST_DATABASE_URL"), "natcli")
    try:
        migrate.upgrade(url)
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})
        runner = app.test_cli_runner()
        first = runner.invoke(args=["gen-national", "--areas", "25", "--seed", "3"])
        assert first.exit_code == 0, first.output
        assert "polling_areas" in first.output and "25" in first.output
        again = runner.invoke(args=["gen-national", "--scale", "0.001"])
        assert again.exit_code == 1 and "not empty" in again.output
        app.extensions["db"].engine.dispose()
    finally:
        drop()
