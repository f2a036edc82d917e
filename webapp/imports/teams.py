"""Polling teams (Tổ bầu cử) from a file: members keyed by polling area and place in the list."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.elections.models import PollingArea, TeamMember, TeamRole
from webapp.imports import lookups
from webapp.imports.cells import Cells, to_choice, to_code, to_int, to_phone, to_text
from webapp.imports.common import EXPORT_BATCH, N_, OUT_OF_AREA, WRITE_BATCH, Context, Plan, chunks
from webapp.imports.datasets import TEAM_ROLE_WORDS, TEAMS, word
from webapp.imports.parsing import Table
from webapp.textnorm import fold


class _Spec(NamedTuple):
    """One row of the file, converted (a tuple: a file may have 100,000 of them)."""

    number: int  # the row in the file
    area: str
    position: int
    full_name: str
    role: TeamRole
    phone: str | None | object  # _ABSENT: the file has no phone column, the stored number stays


# No phone column in the file.
_ABSENT = object()


@dataclasses.dataclass(slots=True)
class _Stored:
    """A member as stored, at a place the file names."""

    id: int
    full_name: str
    role: TeamRole
    phone: str


def plan_teams(ctx: Context, table: Table) -> Plan:
    """Create or update polling-team members keyed by (polling area, place in the list).

    Written with Core in batches and audited as the ORM listener would (``audit.record_written``): a national
    file of 100,000 members must not become 100,000 ORM objects, nor load the 800,000 members already stored.
    Of each row only its number and converted values are kept while the file is read."""
    rows: list[_Spec] = []
    for row in table.rows:
        c = Cells(row, TEAMS, ctx.errors)
        spec = _Spec(
            row.number,
            c.get("area", to_code, required=True),
            c.get("position", to_int, required=True, maximum=200),
            c.get("full_name", to_text, required=True, max_length=200),
            c.get("role", to_choice, required=True, words=TEAM_ROLE_WORDS),
            c.get("phone", to_phone) if c.given("phone") else _ABSENT,
        )
        if not c.failed:
            rows.append(spec)
    areas = lookups.area_places_by_code(ctx.session, [s.area for s in rows])
    wanted = {(areas[s.area].id, s.position) for s in rows if s.area in areas}
    # Of the members already stored, only those at the file's places, and where each team's leader is.
    stored: dict[tuple[int, int], _Stored] = {}
    stored_leaders: dict[int, list[int]] = {}
    columns = (TeamMember.id, TeamMember.polling_area_id, TeamMember.position, TeamMember.full_name,
               TeamMember.role, TeamMember.phone)
    for batch in chunks(sorted({a.id for a in areas.values()})):
        stmt = (sa.select(*columns).where(TeamMember.polling_area_id.in_(batch))
                .order_by(TeamMember.polling_area_id, TeamMember.position, TeamMember.id))
        previous = None
        for member_id, area_id, position, full_name, role, phone in ctx.session.execute(stmt):
            if (area_id, position) == previous:
                continue  # two rows at one place: the first one counts
            previous = (area_id, position)
            if (area_id, position) in wanted:
                stored[area_id, position] = _Stored(member_id, full_name, role, phone)
            if role is TeamRole.LEADER:
                stored_leaders.setdefault(area_id, []).append(position)
    del wanted

    def fail(number: int, key: str, message_id: str, **params: Any) -> None:
        ctx.error(number, TEAMS.header(key), message_id, **params)

    plan = Plan()
    writes = _Writes()
    # The row of each (polling area, place) in the file, and of each leader it names, by polling area.
    in_file: dict[tuple[int, int], int] = {}
    leaders_in_file: dict[int, list[int]] = {}
    for s in rows:
        number = s.number
        area = areas.get(s.area)
        if area is None:
            fail(number, "area", N_("No polling area has the code %(code)s."), code=s.area)
            continue
        if not ctx.may_write_place(area.province_id, area.commune_id):
            fail(number, "area", OUT_OF_AREA)
            continue
        first = in_file.setdefault((area.id, s.position), number)
        if first != number:
            fail(number, "position", N_("Place %(n)d of this team appears twice in this file (row %(row)d)."),
                 n=s.position, row=first)
            continue
        if s.role is TeamRole.LEADER:
            leaders_in_file.setdefault(area.id, []).append(number)
        member = stored.get((area.id, s.position))
        if member is None:
            plan.counts.created += 1
            writes.created.append((s, area))
            continue
        values: dict[str, Any] = {"full_name": s.full_name, "role": s.role}
        if s.phone is not _ABSENT:
            values["phone"] = s.phone or ""
        diff = {k: v for k, v in values.items() if getattr(member, k) != v}
        if diff:
            plan.counts.updated += 1
            writes.updated.append((member.id, {k: getattr(member, k) for k in diff}, diff, _place(area)))
        else:
            plan.counts.unchanged += 1
    for area_id, numbers in leaders_in_file.items():
        kept = [p for p in stored_leaders.get(area_id, ()) if (area_id, p) not in in_file]
        if len(kept) + len(numbers) > 1:
            fail(numbers[0], "role", N_("A polling team has one leader; this one would have %(n)d."),
                 n=len(kept) + len(numbers))
    plan.steps.append(lambda: writes.apply(ctx.session))
    return plan


Place = tuple[int | None, int | None, int | None]


def _place(area: sa.Row[Any]) -> Place:
    """Where an audit entry about a member of this polling area's team belongs."""
    return area.province_id, area.commune_id, area.id


@dataclasses.dataclass
class _Writes:
    # The new members as the file's converted rows and their polling areas (a pair per row of a large file, of
    # objects the plan holds anyway); the changed ones as (id, before, after, audit place).
    created: list[tuple[_Spec, sa.Row[Any]]] = dataclasses.field(default_factory=list)
    updated: list[tuple[int, dict[str, Any], dict[str, Any], Place]] = dataclasses.field(default_factory=list)

    def apply(self, session: Session) -> None:
        """Updates, then inserts (a leader moved to another place is never two leaders at once), in batches, each
        with its audit entries: the same entries the ORM listener writes for these rows."""
        for batch in chunks(self.updated, WRITE_BATCH):
            session.execute(sa.update(TeamMember), [{"id": member_id, **after, **_folded(after)}
                                                    for member_id, _b, after, _p in batch])
            audit.record_written(session, [
                audit.Written("update", TeamMember.__tablename__, str(member_id), place, before, after)
                for member_id, before, after, place in batch
            ])
        insert = sa.insert(TeamMember).returning(TeamMember.id, sort_by_parameter_order=True)
        for batch in chunks(self.created, WRITE_BATCH):
            rows = [{"polling_area_id": area.id, "position": s.position, "full_name": s.full_name,
                     "name_folded": fold(s.full_name), "role": s.role,
                     "phone": "" if s.phone is _ABSENT else s.phone or ""} for s, area in batch]
            ids = session.scalars(insert, rows).all()
            audit.record_written(session, [
                audit.Written("create", TeamMember.__tablename__, str(member_id), _place(area), None,
                              audit.snapshot_of(TeamMember, {"id": member_id, **values}))
                for member_id, values, (_s, area) in zip(ids, rows, batch, strict=True)
            ])


def _folded(values: dict[str, Any]) -> dict[str, str]:
    """The folded name to store beside a new full name (the ORM's validator does not run for bulk updates)."""
    return {"name_folded": fold(values["full_name"])} if "full_name" in values else {}


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
