"""Polling teams (Tổ bầu cử) from a file: members keyed by polling area and place in the list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.elections.models import PollingArea, TeamMember, TeamRole
from webapp.imports import lookups
from webapp.imports.cells import Cells, to_choice, to_code, to_int, to_phone, to_text
from webapp.imports.common import EXPORT_BATCH, N_, OUT_OF_AREA, Context, Plan, changed, chunks, setter
from webapp.imports.datasets import TEAM_ROLE_WORDS, TEAMS, word
from webapp.imports.parsing import Table


def plan_teams(ctx: Context, table: Table) -> Plan:
    """Create or update polling-team members keyed by (polling area, place in the list)."""
    rows = []
    for row in table.rows:
        c = Cells(row, TEAMS, ctx.errors)
        spec = {
            "area": c.get("area", to_code, required=True),
            "position": c.get("position", to_int, required=True, maximum=200),
            "full_name": c.get("full_name", to_text, required=True, max_length=200),
            "role": c.get("role", to_choice, required=True, words=TEAM_ROLE_WORDS),
            "phone": c.get("phone", to_phone),
        }
        if not c.failed:
            rows.append((c, spec))
    areas = lookups.areas_by_code(ctx.session, [s["area"] for _, s in rows])
    members: dict[int, dict[int, TeamMember]] = {}
    for batch in chunks([a.id for a in areas.values()]):
        for member in ctx.session.scalars(
            sa.select(TeamMember).where(TeamMember.polling_area_id.in_(batch)).order_by(TeamMember.id)
        ):
            members.setdefault(member.polling_area_id, {}).setdefault(member.position, member)

    plan = Plan()
    seen: dict[tuple[int, int], int] = {}
    roles: dict[int, dict[int, tuple[TeamRole, Cells | None]]] = {}
    for c, s in rows:
        area = areas.get(s["area"])
        if area is None:
            c.fail("area", N_("No polling area has the code %(code)s."), code=s["area"])
            continue
        if not ctx.may_write_place(area.province_id, area.commune_id):
            c.fail("area", OUT_OF_AREA)
            continue
        key = (area.id, s["position"])
        if key in seen:
            c.fail(
                "position",
                N_("Place %(n)d of this team appears twice in this file (row %(row)d)."),
                n=s["position"],
                row=seen[key],
            )
            continue
        seen[key] = c.number
        current = members.get(area.id, {})
        team = roles.setdefault(area.id, {p: (m.role, None) for p, m in current.items()})
        team[s["position"]] = (s["role"], c)
        values: dict[str, Any] = {"full_name": s["full_name"], "role": s["role"]}
        if c.given("phone"):
            values["phone"] = s["phone"] or ""
        member = current.get(s["position"])
        if member is None:
            plan.counts.created += 1
            plan.steps.append(_member_adder(ctx.session, area.id, s["position"], values))
        else:
            diff = changed(member, values)
            if diff:
                plan.counts.updated += 1
                plan.steps.append(setter(member, diff))
            else:
                plan.counts.unchanged += 1
    for team in roles.values():
        leaders = [cells for role, cells in team.values() if role is TeamRole.LEADER]
        if len(leaders) > 1:
            culprit = next((cells for cells in leaders if cells is not None), None)
            if culprit is not None:
                culprit.fail(
                    "role", N_("A polling team has one leader; this one would have %(n)d."), n=len(leaders)
                )
    return plan


def _member_adder(session: Session, area_id: int, position: int, values: dict[str, Any]) -> Any:
    def step() -> None:
        session.add(TeamMember(polling_area_id=area_id, position=position, **values))

    return step


def export_teams(session: Session, user: User) -> Iterator[list[Any]]:
    """The members of the polling teams in the user's area, read as plain rows in batches (the national export
    is 800,000 rows: no ORM object is built for them)."""
    stmt = (
        sa.select(PollingArea.code, TeamMember.position, TeamMember.full_name, TeamMember.role, TeamMember.phone)
        .join(PollingArea)
        .where(scope.visible(PollingArea, user))
        .order_by(PollingArea.province_id, PollingArea.commune_id, PollingArea.number, TeamMember.position)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    for code, position, full_name, role, phone in session.execute(stmt):
        yield [code, position, full_name, word(TEAM_ROLE_WORDS, role), phone or None]
