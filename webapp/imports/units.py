"""Electoral units and their candidates: validated row by row, then against the law's configuration rules."""

from __future__ import annotations

from datetime import date
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import User
from webapp.elections import rules
from webapp.elections.models import Candidate, ContestKind, ElectoralUnit
from webapp.imports import lookups
from webapp.imports.cells import Cells, seen_before, to_choice, to_code, to_date, to_int, to_text
from webapp.imports.common import EXPORT_BATCH, N_, OUT_OF_AREA, Context, Plan, changed, chunks, setter
from webapp.imports.datasets import CANDIDATES, CONTEST_WORDS, GENDER_WORDS, UNITS, word
from webapp.imports.parsing import Table
from webapp.scope import Level, Scope
from webapp.textnorm import fold

MIN_CANDIDATE_AGE = 21  # Luật Bầu cử, Điều 2


def _seat_error(kind: ContestKind, seats: int) -> bool:
    return any(p.code == "seats_out_of_range" for p in rules.check_unit(kind, seats))


def plan_units(ctx: Context, table: Table) -> Plan:
    """Create or update electoral units keyed by (contest, code)."""
    rows: list[tuple[Cells, dict[str, Any]]] = []
    for row in table.rows:
        c = Cells(row, UNITS, ctx.errors)
        spec = {
            "kind": c.get("contest", to_choice, required=True, words=CONTEST_WORDS),
            "code": c.get("code", to_code, required=True, max_length=30),
            "number": c.get("number", to_int, required=True, minimum=1, maximum=100_000),
            "name": c.get("name", to_text, required=True),
            "province": c.get("province", to_code, required=True, digits=2),
            "commune": c.get("commune", to_code, digits=5),
            "seats": c.get("seats", to_int, required=True, minimum=1, maximum=99),
        }
        if not c.failed:
            rows.append((c, spec))
    provinces = lookups.provinces_by_code(ctx.session)
    communes = lookups.communes_by_code(ctx.session, [s["commune"] for _, s in rows if s["commune"]])
    existing = lookups.units_by_code(ctx.session, ctx.contests.values(), [s["code"] for _, s in rows])
    province_ids = {provinces[s["province"]].id for _, s in rows if s["province"] in provinces}
    numbers: dict[tuple[Any, ...], ElectoralUnit] = {}
    for batch in chunks(sorted(province_ids)):
        for unit in ctx.session.scalars(sa.select(ElectoralUnit).where(ElectoralUnit.province_id.in_(batch))):
            numbers[(unit.contest_id, unit.province_id, unit.commune_id, unit.number)] = unit
    candidate_counts = _candidate_counts(ctx.session, [u.id for us in existing.values() for u in us])

    plan = Plan()
    seen_codes: dict[tuple[ContestKind, str], int] = {}
    seen_numbers: dict[tuple[Any, ...], int] = {}
    for c, s in rows:
        kind: ContestKind = s["kind"]
        contest = ctx.contests[kind]
        province = provinces.get(s["province"])
        if province is None:
            c.fail("province", N_("There is no province with the code %(code)s."), code=s["province"])
            continue
        commune = None
        if kind is ContestKind.COMMUNE_COUNCIL:
            if not s["commune"]:
                c.fail("commune", N_("A commune council unit needs the commune code."))
                continue
            commune = communes.get(s["commune"])
            if commune is None:
                c.fail("commune", N_("There is no commune with the code %(code)s."), code=s["commune"])
                continue
            if commune.province_id != province.id:
                c.fail(
                    "commune",
                    N_("The commune %(code)s is not in province %(province)s."),
                    code=commune.code,
                    province=province.code,
                )
                continue
            if not commune.has_commune_council:
                c.fail("commune", N_("%(name)s elects no commune people's council."), name=commune.name)
                continue
        elif s["commune"]:
            c.fail("commune", N_("Leave the commune empty for a unit of this contest."))
            continue
        commune_id = commune.id if commune else None
        if not ctx.may_write_unit(kind, province.id, commune_id):
            c.fail("code", OUT_OF_AREA)
            continue
        if _seat_error(kind, s["seats"]):
            c.fail(
                "seats", N_("A unit of this contest elects at most %(limit)d deputies."), limit=kind.max_seats
            )
            continue
        key = (kind, s["code"])
        if seen_before(c, seen_codes, key, "code",
                       N_("The code %(code)s appears twice in this file (row %(row)d)."), code=s["code"]):
            continue
        number_key = (contest.id, province.id, commune_id, s["number"])
        if seen_before(c, seen_numbers, number_key, "number",
                       N_("Unit number %(n)d appears twice in this file (row %(row)d)."), n=s["number"]):
            continue
        unit = next((u for u in existing.get(s["code"], []) if u.contest_id == contest.id), None)
        holder = numbers.get(number_key)
        if holder is not None and holder is not unit:
            c.fail("number", N_("Unit number %(n)d is already used by unit %(code)s."), n=s["number"],
                   code=holder.code)
            continue
        values = {"number": s["number"], "name": s["name"], "seats": s["seats"]}
        if unit is None:
            plan.counts.created += 1
            plan.steps.append(
                _adder(
                    ctx.session,
                    ElectoralUnit,
                    contest_id=contest.id,
                    province_id=province.id,
                    commune_id=commune_id,
                    code=s["code"],
                    **values,
                )
            )
            continue
        if not ctx.may_write_unit(kind, unit.province_id, unit.commune_id):
            c.fail("code", OUT_OF_AREA)
            continue
        if (unit.province_id, unit.commune_id) != (province.id, commune_id):
            c.fail(
                "code",
                N_(
                    "Unit %(code)s already belongs to another province or commune; it cannot be moved "
                    "by import."
                ),
                code=unit.code,
            )
            continue
        diff = changed(unit, values)
        count = candidate_counts.get(unit.id, 0)
        if "seats" in diff and count and rules.check_unit(kind, s["seats"], count):
            c.fail(
                "seats",
                N_("With %(seats)d seats the unit needs at least %(needed)d candidates; it has %(count)d."),
                seats=s["seats"],
                needed=rules.min_candidates(kind, s["seats"]),
                count=count,
            )
            continue
        _count_change(plan, diff, setter(unit, diff))
    return plan


def _candidate_counts(session: Session, unit_ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for batch in chunks(unit_ids):
        stmt = (
            sa.select(Candidate.unit_id, sa.func.count())
            .where(Candidate.unit_id.in_(batch))
            .group_by(Candidate.unit_id)
        )
        counts.update({unit_id: n for unit_id, n in session.execute(stmt)})
    return counts


def _adder(session: Session, model: type, **values: Any) -> Any:
    def step() -> None:
        session.add(model(**values))

    return step


def _count_change(plan: Plan, diff: dict[str, Any], step: Any) -> None:
    if diff:
        plan.counts.updated += 1
        plan.steps.append(step)
    else:
        plan.counts.unchanged += 1


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def plan_candidates(ctx: Context, table: Table) -> Plan:
    """Create or update candidates keyed by (unit, ballot number); then every unit named must have a lawful
    list: numbers 1…n without gaps and enough candidates for its seats."""
    rows: list[tuple[Cells, dict[str, Any]]] = []
    for row in table.rows:
        c = Cells(row, CANDIDATES, ctx.errors)
        spec = {
            "unit": c.get("unit", to_code, required=True, max_length=30),
            "order": c.get("ballot_order", to_int, required=True, minimum=1, maximum=200),
            "full_name": c.get("full_name", to_text, required=True, max_length=200),
            "birth_date": c.get("birth_date", to_date, required=True),
            "gender": c.get("gender", to_choice, required=True, words=GENDER_WORDS),
        }
        if spec["full_name"] and not any(ch.isalpha() for ch in spec["full_name"]):
            c.fail("full_name", N_("This is not a name."))
        polling_date = ctx.election.polling_date
        if spec["birth_date"] and _age(spec["birth_date"], polling_date) < MIN_CANDIDATE_AGE:
            c.fail(
                "birth_date",
                N_("A candidate must be at least %(age)d years old on polling day."),
                age=MIN_CANDIDATE_AGE,
            )
        if not c.failed:
            rows.append((c, spec))
    units = lookups.units_by_code(ctx.session, ctx.contests.values(), [s["unit"] for _, s in rows])
    unit_ids = [u.id for us in units.values() for u in us]
    existing: dict[int, dict[int, Candidate]] = {}
    for batch in chunks(unit_ids):
        for cand in ctx.session.scalars(sa.select(Candidate).where(Candidate.unit_id.in_(batch))):
            existing.setdefault(cand.unit_id, {})[cand.ballot_order] = cand
    kinds = {c.id: k for k, c in ctx.contests.items()}

    plan = Plan()
    first_row: dict[int, tuple[Cells, ElectoralUnit]] = {}
    orders: dict[int, dict[int, int]] = {}
    people: dict[tuple[int, str, date], int] = {}
    planned: dict[str, set[int]] = {}
    for _c, s in rows:
        planned.setdefault(s["unit"], set()).add(s["order"])
    for c, s in rows:
        found = units.get(s["unit"], [])
        if not found:
            c.fail(
                "unit", N_("No electoral unit has the code %(code)s. Import the units first."), code=s["unit"]
            )
            continue
        if len(found) > 1:
            c.fail("unit", N_("The code %(code)s is used by units of several contests."), code=s["unit"])
            continue
        unit = found[0]
        if not ctx.may_write_unit(kinds[unit.contest_id], unit.province_id, unit.commune_id):
            c.fail("unit", OUT_OF_AREA)
            continue
        first_row.setdefault(unit.id, (c, unit))
        unit_orders = orders.setdefault(unit.id, {})
        if seen_before(c, unit_orders, s["order"], "ballot_order",
                       N_("Number %(n)d of unit %(code)s appears twice in this file (row %(row)d)."),
                       n=s["order"], code=unit.code):
            continue
        person = (unit.id, fold(s["full_name"]), s["birth_date"])
        if seen_before(c, people, person, "full_name",
                       N_("This candidate appears twice in this file (row %(row)d).")):
            continue
        current = existing.get(unit.id, {})
        twin = next(
            (
                o
                for o, cand in current.items()
                if o not in planned[s["unit"]] and (fold(cand.full_name), cand.birth_date) == person[1:]
            ),
            None,
        )
        if twin is not None:
            c.fail(
                "full_name",
                N_("This candidate is already number %(n)d of unit %(code)s."),
                n=twin,
                code=unit.code,
            )
            continue
        values = {
            "full_name": s["full_name"],
            "name_folded": fold(s["full_name"]),
            "birth_date": s["birth_date"],
            "gender": s["gender"],
        }
        candidate = current.get(s["order"])
        if candidate is None:
            plan.counts.created += 1
            plan.steps.append(
                _adder(ctx.session, Candidate, unit_id=unit.id, ballot_order=s["order"], **values)
            )
        else:
            diff = changed(candidate, values)
            _count_change(plan, diff, setter(candidate, diff))
    for unit_id, (c, unit) in first_row.items():
        final = set(existing.get(unit_id, {})) | set(orders[unit_id])
        if final != set(range(1, len(final) + 1)):
            c.fail(
                "unit",
                N_(
                    "The ballot numbers of unit %(code)s must run 1, 2, 3… without gaps; they would be "
                    "%(numbers)s."
                ),
                code=unit.code,
                numbers=", ".join(map(str, sorted(final))),
            )
        kind = kinds[unit.contest_id]
        if rules.check_unit(kind, unit.seats, len(final)):
            c.fail(
                "unit",
                N_(
                    "Unit %(code)s has %(seats)d seats and needs at least %(needed)d candidates; it would "
                    "have %(count)d."
                ),
                code=unit.code,
                seats=unit.seats,
                needed=rules.min_candidates(kind, unit.seats),
                count=len(final),
            )
    return plan


def _writable_units(user: User) -> Any:
    s = Scope.of(user)
    if s.level is Level.COMMUNE:
        return ElectoralUnit.commune_id == s.commune_id
    return scope.visible(ElectoralUnit, user)


def export_units(session: Session, user: User) -> list[list[Any]]:
    """The units the user may import back, in the file's column order."""
    stmt = (
        sa.select(ElectoralUnit)
        .where(_writable_units(user))
        .options(
            selectinload(ElectoralUnit.contest),
            selectinload(ElectoralUnit.province),
            selectinload(ElectoralUnit.commune),
        )
        .order_by(
            ElectoralUnit.contest_id,
            ElectoralUnit.province_id,
            ElectoralUnit.commune_id,
            ElectoralUnit.number,
        )
    )
    return [
        [
            word(CONTEST_WORDS, u.contest.kind),
            u.code,
            u.number,
            u.name,
            u.province.code,
            u.commune.code if u.commune else None,
            u.seats,
        ]
        for u in session.scalars(stmt)
    ]


def export_candidates(session: Session, user: User) -> Iterator[list[Any]]:
    stmt = (
        sa.select(ElectoralUnit.code, Candidate.ballot_order, Candidate.full_name, Candidate.birth_date,
                  Candidate.gender)
        .join(ElectoralUnit)
        .where(_writable_units(user))
        .order_by(ElectoralUnit.contest_id, ElectoralUnit.code, Candidate.ballot_order)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    for code, ballot_order, full_name, birth_date, gender in session.execute(stmt):
        yield [code, ballot_order, full_name, birth_date, word(GENDER_WORDS, gender)]
