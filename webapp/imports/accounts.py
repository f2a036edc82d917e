"""User accounts from a file: never a password, never a role or place beyond the importer's own reach."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from webapp import scope
from webapp.accounts import services
from webapp.accounts.models import Role, User
from webapp.elections.models import PollingArea
from webapp.geo.models import Commune, Province
from webapp.imports import lookups
from webapp.imports.cells import Cells, read_rows, seen_before, to_choice, to_code, to_phone, to_text
from webapp.imports.common import EXPORT_BATCH, N_, OUT_OF_AREA, Context, Plan, changed, chunks
from webapp.imports.datasets import ACCOUNTS, ROLE_WORDS, word
from webapp.imports.parsing import Table

# Which roles each importer may create or change (always inside their own place).
MANAGEABLE: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role) - {Role.INTEGRATION},  # integration accounts are made one by one, on their page
    Role.PROVINCE: frozenset({Role.PROVINCE, Role.COMMUNE, Role.LEADER, Role.HOTLINE}),
    Role.COMMUNE: frozenset({Role.LEADER}),
}
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")
PLACE_FIELDS = ("role", "province_id", "commune_id", "polling_area_id")


def _read(c: Cells) -> dict[str, Any]:
    username = c.get("username", to_text, required=True, max_length=60)
    if username is not None:
        username = username.lower()
        if not USERNAME.fullmatch(username):
            c.fail(
                "username",
                N_(
                    "A username has 2 to 60 letters without accents, digits, dots, dashes or "
                    "underscores, and starts with a letter or digit."
                ),
            )
    return {
        "username": username,
        "full_name": c.get("full_name", to_text, max_length=200) or "",
        "phone": c.get("phone", to_phone) or "",
        "role": c.get("role", to_choice, required=True, words=ROLE_WORDS),
        "province": c.get("province", to_code, digits=2),
        "commune": c.get("commune", to_code, digits=5),
        "area": c.get("area", to_code),
    }


def plan_accounts(ctx: Context, table: Table) -> Plan:
    """Create or update accounts keyed by username. New accounts wait for an activation code."""
    rows = read_rows(ctx, table, ACCOUNTS, _read)
    session = ctx.session
    provinces = lookups.provinces_by_code(session)
    communes = lookups.communes_by_code(session, [s["commune"] for _, s in rows if s["commune"]])
    areas = lookups.areas_by_code(session, [s["area"] for _, s in rows if s["area"]])
    users: dict[str, User] = {}
    leaders: dict[int, User] = {}
    for batch in chunks(sorted({s["username"] for _, s in rows})):
        users.update(
            {u.username: u for u in session.scalars(sa.select(User).where(User.username.in_(batch)))}
        )
    for batch in chunks(sorted({a.id for a in areas.values()})):
        leaders.update(
            {
                u.polling_area_id: u
                for u in session.scalars(
                    sa.select(User).where(User.role == Role.LEADER, User.polling_area_id.in_(batch))
                )
            }
        )
    destinations = {s["username"]: (s["role"], s["area"]) for _, s in rows}
    allowed = MANAGEABLE.get(ctx.actor.role, frozenset())

    plan = Plan()
    seen: dict[Any, int] = {}
    for c, s in rows:
        if seen_before(c, seen, s["username"], "username",
                       N_("The username %(username)s appears twice in this file (row %(row)d)."),
                       username=s["username"]):
            continue
        place = _place(c, s, provinces, communes, areas)
        if place is None:
            continue
        role: Role = s["role"]
        if role not in allowed:
            c.fail("role", N_("You may not create or change accounts with this role."))
            continue
        if not ctx.may_write_place(place["province_id"], place["commune_id"]):
            c.fail("username", OUT_OF_AREA)
            continue
        if role is Role.LEADER:
            area_id = place["polling_area_id"]
            if ("leader", area_id) in seen:
                c.fail(
                    "area",
                    N_("Polling area %(code)s has two leader accounts in this file (row %(row)d)."),
                    code=s["area"],
                    row=seen[("leader", area_id)],
                )
                continue
            seen[("leader", area_id)] = c.number
            other = leaders.get(area_id)
            if (
                other is not None
                and other.username != s["username"]
                and destinations.get(other.username, (Role.LEADER, s["area"])) == (Role.LEADER, s["area"])
            ):
                c.fail("area", N_("Polling area %(code)s already has a leader account (%(username)s)."),
                       code=s["area"], username=other.username)
                continue
        values = {"full_name": s["full_name"], "role": role, **place}
        if c.given("phone"):
            values["phone"] = s["phone"]
        user = users.get(s["username"])
        if user is None:
            plan.counts.created += 1
            plan.steps.append(_adder(ctx, s["username"], values))
            continue
        if user.role not in allowed or not ctx.may_write_place(user.province_id, user.commune_id):
            c.fail(
                "username",
                N_("The account %(username)s exists and is not within your area."),
                username=user.username,
            )
            continue
        diff = changed(user, values)
        if not diff:
            plan.counts.unchanged += 1
            continue
        if user.id == ctx.actor.id:
            c.fail("username", N_("You cannot change your own account by import."))
            continue
        plan.counts.updated += 1
        plan.steps.append(_updater(ctx, user, diff))
    return plan


def _place(
    c: Cells, s: dict[str, Any], provinces: dict[str, Any], communes: dict[str, Any], areas: dict[str, Any]
) -> dict[str, int | None] | None:
    """The province, commune and polling area an account of this role is tied to; None after an error."""
    role: Role = s["role"]
    needs = {Role.LEADER: "area", Role.COMMUNE: "commune", Role.PROVINCE: "province"}.get(role)
    allowed = {
        Role.LEADER: {"area", "commune", "province"},
        Role.COMMUNE: {"commune", "province"},
        Role.PROVINCE: {"province"},
        Role.HOTLINE: {"province"},
        Role.ADMIN: set(),
    }[role]
    for key in ("area", "commune", "province"):
        if s[key] and key not in allowed:
            c.fail(key, N_("Leave this empty for an account with this role."))
            return None
    if needs and not s[needs]:
        c.fail(needs, N_("An account with this role needs this code."))
        return None
    place: dict[str, int | None] = {"province_id": None, "commune_id": None, "polling_area_id": None}
    if s["area"]:
        area = areas.get(s["area"])
        if area is None:
            c.fail("area", N_("No polling area has the code %(code)s."), code=s["area"])
            return None
        place |= {"province_id": area.province_id, "commune_id": area.commune_id, "polling_area_id": area.id}
    if s["commune"]:
        commune = communes.get(s["commune"])
        if commune is None:
            c.fail("commune", N_("There is no commune with the code %(code)s."), code=s["commune"])
            return None
        if place["commune_id"] not in (None, commune.id):
            c.fail("commune", N_("The polling area is not in this commune."))
            return None
        place |= {"province_id": commune.province_id, "commune_id": commune.id}
    if s["province"]:
        province = provinces.get(s["province"])
        if province is None:
            c.fail("province", N_("There is no province with the code %(code)s."), code=s["province"])
            return None
        if place["province_id"] not in (None, province.id):
            c.fail("province", N_("The commune or polling area is not in this province."))
            return None
        place["province_id"] = province.id
    return place


def _adder(ctx: Context, username: str, values: dict[str, Any]) -> Any:
    def step() -> None:
        ctx.session.add(
            User(
                username=username,
                password_hash=None,
                activation_code_hash=None,
                is_active=True,
                created_at=ctx.now,
                **values,
            )
        )

    return step


def _updater(ctx: Context, user: User, diff: dict[str, Any]) -> Any:
    def step() -> None:
        for key, value in diff.items():
            setattr(user, key, value)
        if any(key in PLACE_FIELDS for key in diff):
            # A new role or place must not ride on sessions opened under the old one.
            services.log_out_everywhere(ctx.session, user=user, now=ctx.now)

    return step


def export_accounts(session: Session, user: User) -> Iterator[list[Any]]:
    """The accounts the user may import back (their roles and place), without any secret."""
    roles = MANAGEABLE.get(user.role, frozenset())
    province, commune, area = (aliased(m) for m in (Province, Commune, PollingArea))
    stmt = (
        sa.select(User.username, User.full_name, User.phone, User.role, province.code, commune.code, area.code)
        .outerjoin(province, User.province_id == province.id)
        .outerjoin(commune, User.commune_id == commune.id)
        .outerjoin(area, User.polling_area_id == area.id)
        .where(scope.visible(User, user), User.role.in_(list(roles)))
        .order_by(User.province_id, User.commune_id, User.polling_area_id, User.username)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    for username, full_name, phone, role, province_code, commune_code, area_code in session.execute(stmt):
        yield [username, full_name or None, phone or None, word(ROLE_WORDS, role), province_code, commune_code,
               area_code]
