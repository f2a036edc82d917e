"""Polling areas, with the unit they vote in for each contest and their dated voter numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import User
from webapp.clock import VN_TZ, to_local
from webapp.elections.models import (
    ContestKind,
    ElectoralUnit,
    PollingArea,
    PollingAreaKind,
    PollingAreaUnit,
    VoterCount,
    VoterCountSource,
)
from webapp.elections.services import latest_voter_counts
from webapp.imports import lookups
from webapp.imports.cells import (Cells, read_rows, seen_before, to_choice, to_code, to_date, to_int,
                                 to_local_datetime, to_text)
from webapp.imports.common import N_, OUT_OF_AREA, Context, Plan, changed, chunks
from webapp.imports.datasets import (
    AREA_KIND_WORDS,
    CONTEST_WORDS,
    POLLING_AREAS,
    word,
)
from webapp.imports.parsing import Table
from webapp.textnorm import fold

PER_CONTEST = {
    ContestKind.NATIONAL_ASSEMBLY: ("unit_na", "voters_na"),
    ContestKind.PROVINCIAL_COUNCIL: ("unit_provincial", "voters_provincial"),
    ContestKind.COMMUNE_COUNCIL: ("unit_commune", "voters_commune"),
}
MAX_VOTERS = 20_000


def _read_area(ctx: Context, c: Cells) -> dict[str, Any]:
    spec = {
        "code": c.get("code", to_code, required=True),
        "commune": c.get("commune", to_code, required=True, digits=5),
        "number": c.get("number", to_int, required=True, minimum=1, maximum=10_000),
        "name": c.get("name", to_text, required=True),
        "address": c.get("address", to_text),
        "kind": c.get("kind", to_choice, words=AREA_KIND_WORDS),
        "early": c.get("early_voting_date", to_date),
        "units": {k: c.get(unit_col, to_code, max_length=30) for k, (unit_col, _) in PER_CONTEST.items()},
        "voters": {
            k: c.get(voters_col, to_int, maximum=MAX_VOTERS) for k, (_, voters_col) in PER_CONTEST.items()
        },
        "as_of": c.get("voters_as_of", to_local_datetime),
    }
    if spec["early"] and spec["early"] >= ctx.election.polling_date:
        c.fail(
            "early_voting_date",
            N_("Early voting must come before polling day (%(day)s)."),
            day=ctx.election.polling_date.strftime("%d/%m/%Y"),
        )
    if spec["as_of"]:
        spec["as_of"] = spec["as_of"].replace(tzinfo=VN_TZ).astimezone(UTC)
        if spec["as_of"] > ctx.now:
            c.fail("voters_as_of", N_("This date is in the future."))
    return spec


def plan_areas(ctx: Context, table: Table) -> Plan:
    """Create or update polling areas keyed by their code; a changed voter number adds a new version."""
    rows = read_rows(ctx, table, POLLING_AREAS, lambda c: _read_area(ctx, c))
    session = ctx.session
    communes = lookups.communes_by_code(session, [s["commune"] for _, s in rows])
    areas = lookups.areas_by_code(session, [s["code"] for _, s in rows])
    by_number: dict[tuple[int, int], PollingArea] = {}
    for batch in chunks(sorted({c.id for c in communes.values()})):
        for area in session.scalars(sa.select(PollingArea).where(PollingArea.commune_id.in_(batch))):
            by_number[(area.commune_id, area.number)] = area
    units = lookups.units_by_code(
        session, ctx.contests.values(), [code for _, s in rows for code in s["units"].values() if code]
    )
    area_ids = [a.id for a in areas.values()]
    links: dict[tuple[int, int], PollingAreaUnit] = {}
    latest: dict[tuple[int, int], VoterCount] = {}
    for batch in chunks(area_ids):
        links.update(
            {
                (link.polling_area_id, link.contest_id): link
                for link in session.scalars(
                    sa.select(PollingAreaUnit).where(PollingAreaUnit.polling_area_id.in_(batch))
                )
            }
        )
        latest.update(latest_voter_counts(session, batch))

    plan = Plan()
    seen: dict[Any, int] = {}
    for c, s in rows:
        commune = communes.get(s["commune"])
        if commune is None:
            c.fail("commune", N_("There is no commune with the code %(code)s."), code=s["commune"])
            continue
        if not ctx.may_write_place(commune.province_id, commune.id):
            c.fail("commune", OUT_OF_AREA)
            continue
        if seen_before(c, seen, s["code"], "code",
                       N_("The code %(code)s appears twice in this file (row %(row)d)."), code=s["code"]):
            continue
        if seen_before(c, seen, (commune.id, s["number"]), "number",
                       N_("Polling area number %(n)d of this commune appears twice in this file (row %(row)d)."),
                       n=s["number"]):
            continue
        area = areas.get(s["code"])
        if area is not None and area.commune_id != commune.id:
            c.fail(
                "commune",
                N_("Polling area %(code)s already belongs to another commune; it cannot be moved by import."),
                code=area.code,
            )
            continue
        holder = by_number.get((commune.id, s["number"]))
        if holder is not None and holder is not area:
            c.fail("number", N_("Number %(n)d is already used by polling area %(code)s."), n=s["number"],
                   code=holder.code)
            continue
        new_links = _plan_links(ctx, c, s, commune, area, units, links)
        if new_links is None:
            continue
        counts = _plan_counts(ctx, c, s, area, new_links, links, latest)
        if counts is None:
            continue
        values: dict[str, Any] = {"number": s["number"], "name": s["name"], "name_folded": fold(s["name"])}
        if c.given("address"):
            values["address"] = s["address"] or ""
        if c.given("kind"):
            values["kind"] = s["kind"] or PollingAreaKind.REGULAR
        if c.given("early_voting_date"):
            values["early_voting_date"] = s["early"]
        if area is None:
            plan.counts.created += 1
            values |= {"code": s["code"], "commune_id": commune.id, "province_id": commune.province_id}
        else:
            values = changed(area, values)
            if values or new_links or counts:
                plan.counts.updated += 1
            else:
                plan.counts.unchanged += 1
        plan.counts.voter_counts_added += len(counts)
        old = {
            contest_id: links[(area.id, contest_id)]
            for contest_id in new_links
            if area is not None and (area.id, contest_id) in links
        }
        plan.steps.append(_area_step(ctx, area, values, new_links, old, counts))
    return plan


def _plan_links(
    ctx: Context,
    c: Cells,
    s: dict[str, Any],
    commune: Any,
    area: PollingArea | None,
    units: dict[str, list[ElectoralUnit]],
    links: dict[tuple[int, int], PollingAreaUnit],
) -> dict[int, int] | None:
    """{contest id: unit id} for the links to create or change; None after an error."""
    planned: dict[int, int] = {}
    for kind, (column, _) in PER_CONTEST.items():
        contest = ctx.contests[kind]
        code = s["units"][kind]
        if not code:
            if area is None and kind is not ContestKind.COMMUNE_COUNCIL:
                c.fail(column, N_("A new polling area needs its electoral unit for this contest."))
                return None
            continue
        if kind is ContestKind.COMMUNE_COUNCIL and not commune.has_commune_council:
            c.fail(
                column,
                N_("%(name)s elects no commune people's council; leave this empty."),
                name=commune.name,
            )
            return None
        unit = next((u for u in units.get(code, []) if u.contest_id == contest.id), None)
        if unit is None:
            c.fail(
                column,
                N_("No %(contest)s unit has the code %(code)s. Import the units first."),
                contest=word(CONTEST_WORDS, kind),
                code=code,
            )
            return None
        if unit.province_id != commune.province_id or (
            kind is ContestKind.COMMUNE_COUNCIL and unit.commune_id != commune.id
        ):
            c.fail(column, N_("Unit %(code)s is not one of this commune's units."), code=code)
            return None
        link = links.get((area.id, contest.id)) if area is not None else None
        if link is None or link.unit_id != unit.id:
            planned[contest.id] = unit.id
    return planned


def _plan_counts(
    ctx: Context,
    c: Cells,
    s: dict[str, Any],
    area: PollingArea | None,
    new_links: dict[int, int],
    links: dict[tuple[int, int], PollingAreaUnit],
    latest: dict[tuple[int, int], VoterCount],
) -> dict[int, tuple[int, datetime, bool]] | None:
    """{contest id: (total, as of, first)} for the voter numbers that differ from the newest version."""
    counts: dict[int, tuple[int, datetime, bool]] = {}
    for kind, (_, column) in PER_CONTEST.items():
        total = s["voters"][kind]
        if total is None:
            continue
        contest = ctx.contests[kind]
        has_unit = contest.id in new_links or (area is not None and (area.id, contest.id) in links)
        if not has_unit:
            c.fail(column, N_("Give the electoral unit of this contest as well."))
            return None
        current = latest.get((area.id, contest.id)) if area is not None else None
        if current is not None and current.total == total:
            continue
        as_of = s["as_of"] or ctx.now
        if current is not None and as_of < current.as_of:
            c.fail(
                "voters_as_of",
                N_("A newer voter number (%(total)d, %(date)s) is already recorded."),
                total=current.total,
                date=to_local(current.as_of).strftime("%d/%m/%Y %H:%M"),
            )
            return None
        counts[contest.id] = (total, as_of, current is None)
    return counts


def _area_step(
    ctx: Context,
    area: PollingArea | None,
    values: dict[str, Any],
    new_links: dict[int, int],
    old_links: dict[int, PollingAreaUnit],
    counts: dict[int, tuple[int, datetime, bool]],
) -> Any:
    def step() -> None:
        target = area
        if target is None:
            target = PollingArea(**values)
            ctx.session.add(target)
        else:
            for key, value in values.items():
                setattr(target, key, value)
        for contest_id, unit_id in new_links.items():
            if contest_id in old_links:
                old_links[contest_id].unit_id = unit_id
            else:
                ctx.session.add(PollingAreaUnit(polling_area=target, contest_id=contest_id, unit_id=unit_id))
        for contest_id, (total, as_of, first) in counts.items():
            ctx.session.add(
                VoterCount(
                    polling_area=target,
                    contest_id=contest_id,
                    total=total,
                    as_of=as_of,
                    source=VoterCountSource.POSTED if first else VoterCountSource.UPDATE,
                    recorded_at=ctx.now,
                    recorded_by_id=ctx.actor.id,
                )
            )

    return step


def export_areas(session: Session, user: User) -> Iterator[list[Any]]:
    """The polling areas in the user's scope with their units and newest voter numbers, loaded a batch at a time
    (the identity map holds the loaded areas weakly: a batch is freed once its rows are written)."""
    ids = session.scalars(
        sa.select(PollingArea.id)
        .where(scope.visible(PollingArea, user))
        .order_by(PollingArea.province_id, PollingArea.commune_id, PollingArea.number)
    ).all()
    for batch in chunks(ids):
        yield from _area_rows(session, batch)


def _area_rows(session: Session, ids: list[int]) -> Iterator[list[Any]]:
    loaded = {
        area.id: area
        for area in session.scalars(
            sa.select(PollingArea)
            .where(PollingArea.id.in_(ids))
            .options(
                selectinload(PollingArea.commune),
                selectinload(PollingArea.unit_links).selectinload(PollingAreaUnit.unit),
                selectinload(PollingArea.unit_links).selectinload(PollingAreaUnit.contest),
            )
        )
    }
    counts: dict[tuple[int, int], VoterCount] = latest_voter_counts(session, ids)
    for area in (loaded[i] for i in ids):
        by_kind = {link.contest.kind: link for link in area.unit_links}
        voters = {kind: counts.get((area.id, link.contest_id)) for kind, link in by_kind.items()}
        as_of = max((v.as_of for v in voters.values() if v), default=None)
        yield [
            area.code,
            area.commune.code,
            area.number,
            area.name,
            area.address or None,
            word(AREA_KIND_WORDS, area.kind),
            area.early_voting_date,
            *[by_kind[k].unit.code if k in by_kind else None for k in PER_CONTEST],
            *[voters[k].total if voters.get(k) else None for k in PER_CONTEST],
            to_local(as_of).replace(tzinfo=None) if as_of else None,
        ]
