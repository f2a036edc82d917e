"""Importing and exporting the election's configuration: read, validate every row, then write all or none.

``import_file`` parses the upload, checks each row against the database and the importer's scope, and only
when no row has a problem applies the writes (and flushes; the view commits once). A re-import of the same
file finds every row unchanged and writes nothing; an edited file updates rows in place by natural keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.audit import services as audit
from webapp.audit.models import AuditEntry, Channel
from webapp.elections.services import NoElection, current_election
from webapp.imports import accounts, areas, teams, units, workbooks
from webapp.imports.common import (
    IMPORTER_ROLES,
    N_,
    Context,
    Counts,
    ImportRejected,
    Plan,
    RowError,
    file_error,
)
from webapp.imports.datasets import DATASETS, Dataset
from webapp.imports.parsing import Row, Table, read_table

__all__ = [
    "DATASETS",
    "ImportRejected",
    "ImportResult",
    "NotAllowed",
    "RowError",
    "export_workbook",
    "import_file",
    "may_import",
    "template_file",
]

DEFAULT_MAX_ROWS = 100_000

PLANNERS: dict[str, Callable[[Context, Table], Plan]] = {
    "units": units.plan_units,
    "candidates": units.plan_candidates,
    "polling_areas": areas.plan_areas,
    "teams": teams.plan_teams,
    "accounts": accounts.plan_accounts,
}
EXPORTERS: dict[str, Callable[[Session, User], Iterable[list[Any]]]] = {
    "units": units.export_units,
    "candidates": units.export_candidates,
    "polling_areas": areas.export_areas,
    "teams": teams.export_teams,
    "accounts": accounts.export_accounts,
}


class NotAllowed(Exception):
    """Hotlines and polling-team leaders import nothing."""


@dataclasses.dataclass(frozen=True)
class ImportResult:
    dataset: str
    filename: str
    sha256: str
    rows: int
    counts: Counts
    normalised_cells: int
    entry_id: int | None


def may_import(user: User) -> bool:
    return user.role in IMPORTER_ROLES


def _dataset(key: str) -> Dataset:
    if key not in DATASETS:
        raise file_error(N_("Choose what the file contains."))
    return DATASETS[key]


def import_file(
    session: Session,
    *,
    actor: User,
    dataset: str,
    filename: str,
    data: bytes,
    now: datetime,
    max_bytes: int,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> ImportResult:
    """Import one file of ``dataset`` or raise ``ImportRejected`` with every problem found, having written
    nothing. On success one audit event sums the import up (each changed row is audited by itself)."""
    if not may_import(actor):
        raise NotAllowed
    ds = _dataset(dataset)
    step = progress or (lambda _message, _done, _total: None)
    step(N_("Reading the file"), 0, None)
    table = read_table(data, filename, ds, max_bytes=max_bytes, max_rows=max_rows)
    try:
        election = current_election(session)
    except NoElection as exc:
        raise file_error(N_("No election is set up yet.")) from exc
    step(N_("Checking every row"), 0, None)
    table.rows = _counted(table, table.rows, step)
    # The rows' problems found while reading and while checking, in one list.
    ctx = Context(session, actor, now, election, {c.kind: c for c in election.contests}, errors=table.errors)
    plan = PLANNERS[ds.key](ctx, table)
    if ctx.errors:
        raise ImportRejected(sorted(ctx.errors, key=lambda e: e.row))
    step(N_("Saving"), table.count, table.count)
    outer = audit.context_of(session)
    audit.bind(session, dataclasses.replace(outer, channel=Channel.IMPORT))
    try:
        plan.apply()
        session.flush()
        summary = {
            "dataset": ds.key,
            "file": filename[:200],
            "sha256": hashlib.sha256(data).hexdigest(),
            "rows": table.count,
            "normalised_cells": table.normalised_cells,
            **plan.counts.as_dict(),
        }
        audit.record_event(
            session,
            action="import",
            entity_type="imports",
            entity_id=ds.key,
            place=actor.audit_place(),
            after=summary,
        )
        event = next(o for o in session.new if isinstance(o, AuditEntry))
        session.flush()
    except sa.exc.IntegrityError as exc:
        raise file_error(
            N_("Someone changed the same data while this file was being imported. Import it again.")
        ) from exc
    finally:
        audit.bind(session, outer)
    return ImportResult(
        ds.key, filename, summary["sha256"], table.count, plan.counts, table.normalised_cells, event.id
    )


# How often an import reports the rows checked so far.
PROGRESS_EVERY = 5000


def _counted(table: Table, rows: Iterator[Row], step: Callable[[str, int, int | None], None]) -> Iterator[Row]:
    for row in rows:
        yield row
        if table.count % PROGRESS_EVERY == 0:
            step(N_("Checking every row"), table.count, None)


def export_workbook(
    session: Session,
    *,
    user: User,
    dataset: str,
    translate: Callable[[str], str],
    target: str | None = None,
    progress: Callable[[int], None] | None = None,
    mark: str | None = None,
) -> bytes | None:
    """The rows of ``dataset`` the user may import back, as an .xlsx that imports unchanged: written to the file
    ``target`` in bounded memory (a background export), else returned. ``mark``: a drill's banner on every sheet
    (such a file does not import back: a drill's rows never reach the real election by a file)."""
    if not may_import(user):
        raise NotAllowed
    ds = _dataset(dataset)
    return workbooks.write_xlsx(ds, EXPORTERS[ds.key](session, user), workbooks.guide_lines(ds, translate),
                                target=target, progress=progress, mark=mark)


def template_file(dataset: str, fmt: str, translate: Callable[[str], str]) -> bytes:
    """An empty file to fill in: the Vietnamese header row and one example row (and a guide in .xlsx)."""
    ds = _dataset(dataset)
    rows = [workbooks.example_row(ds)]
    if fmt == "csv":
        return workbooks.write_csv(ds, rows)
    return workbooks.write_xlsx(ds, rows, workbooks.guide_lines(ds, translate))
