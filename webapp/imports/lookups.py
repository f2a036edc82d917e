"""Bulk look-ups by natural key, a few queries per file whatever its length."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.elections.models import Contest, ElectoralUnit, PollingArea
from webapp.geo.models import Commune, Province
from webapp.imports.common import chunks


def provinces_by_code(session: Session) -> dict[str, Province]:
    return {p.code: p for p in session.scalars(sa.select(Province))}


def communes_by_code(session: Session, codes: Iterable[str]) -> dict[str, Commune]:
    found: dict[str, Commune] = {}
    for batch in chunks(sorted(set(codes))):
        found.update({c.code: c for c in session.scalars(sa.select(Commune).where(Commune.code.in_(batch)))})
    return found


def units_by_code(
    session: Session, contests: Iterable[Contest], codes: Iterable[str]
) -> dict[str, list[ElectoralUnit]]:
    """Units of the election's contests by code; a code may recur across contests."""
    contest_ids = [c.id for c in contests]
    found: dict[str, list[ElectoralUnit]] = {}
    for batch in chunks(sorted(set(codes))):
        stmt = sa.select(ElectoralUnit).where(
            ElectoralUnit.contest_id.in_(contest_ids), ElectoralUnit.code.in_(batch)
        )
        for unit in session.scalars(stmt):
            found.setdefault(unit.code, []).append(unit)
    return found


def areas_by_code(session: Session, codes: Iterable[str]) -> dict[str, PollingArea]:
    found: dict[str, PollingArea] = {}
    for batch in chunks(sorted(set(codes))):
        found.update(
            {a.code: a for a in session.scalars(sa.select(PollingArea).where(PollingArea.code.in_(batch)))}
        )
    return found


def area_places_by_code(session: Session, codes: Iterable[str]) -> dict[str, sa.Row[Any]]:
    """Where each polling area is (``id``, ``province_id``, ``commune_id``), as plain rows: for files of many rows."""
    found: dict[str, sa.Row[Any]] = {}
    columns = (PollingArea.code, PollingArea.id, PollingArea.province_id, PollingArea.commune_id)
    for batch in chunks(sorted(set(codes))):
        found.update({row.code: row for row in session.execute(sa.select(*columns).where(PollingArea.code.in_(batch)))})
    return found
