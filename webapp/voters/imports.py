"""Importing a polling area's or a commune's voter lists from the population-database software's export (Mẫu
31/HĐBC, XLSX or CSV): the file is read by the imports machinery (``webapp.imports.parsing.read_grid``: size, type,
zip bomb, formulas) in the layout of ``webapp.voters.layout``.

Every row is checked (the cells, the rules of ``webapp.voters.rules``, listed once in the file and the country)
before anything is written; on any problem nothing is stored and each problem is reported with its row. Rows are
matched by (area, STT): a re-import of the same file changes nothing, an edited row is updated, a new STT is added.
A file for a commune names each row's polling area in a "KVBP" column.

A commune's 60,000 rows are read with statements of few parameters (the areas' rows at once, the ID numbers as one
array on PostgreSQL) and the new rows go by COPY (``webapp.db.insert_rows``): psycopg converts each parameter of a
statement in Python, which made statements of thousands of parameters the import's largest cost.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.audit import services as audit
from webapp.audit.services import Actor
from webapp.db import among, insert_rows
from webapp.elections.models import Election, PollingArea
from webapp.elections.services import current_election
from webapp.geo.models import Commune
from webapp.imports.common import N_, Counts, ImportRejected, RowError, file_error
from webapp.imports.datasets import Dataset
from webapp.jobs import runner
from webapp.jobs import services as jobs
from webapp.jobs.models import Job, JobKind
from webapp.voters import rules, services
from webapp.voters.layout import HEADER_NAMES, VoterRow, read_rows
from webapp.voters.models import VoterListEntry
from webapp.voters.rules import Ballots

DEFAULT_MAX_ROWS = 100_000
#: How a background job names a voter-list import (webapp.jobs: its page's title and file stem).
#: A file above this size (bytes) is checked and saved by a background job, from the page and the API alike.
INLINE_BYTES = 512 * 1024
JOB_DATASET = Dataset(key="voter_list", title=N_("Voter lists"), help="", file_stem="danh-sach-cu-tri", columns=())
#: The fields a re-import compares: a row whose fields are all the same is left alone.
COMPARED = ("card_number", "full_name", "birth_date", "gender", "id_number", "ethnicity", "permanent_address",
            "temporary_address", "current_address", "temporary_since", "votes_na", "votes_province",
            "votes_commune", "household_key", "note_code", "note")
#: The columns of a new row (COPY names them).
INSERTED = ("election_id", "polling_area_id", "stt", "name_folded", *COMPARED, "household_order",
            "added_after_posting", "created_at", "import_batch")


@dataclasses.dataclass
class Result:
    filename: str
    sha256: str
    rows: int
    counts: Counts
    areas: list[int]


def import_voter_list(
    session: Session,
    *,
    actor: Actor,
    election: Election,
    filename: str,
    data: bytes,
    now: datetime,
    max_bytes: int,
    area_id: Any = None,
    commune_id: Any = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> Result:
    """Imports the file for one polling area (``area_id``) or a commune (``commune_id``, a KVBP column), or raises
    ImportRejected with every problem, having written nothing."""
    user = actor.user
    if not services.may_write(user):
        raise services.NotAllowed
    if area_id not in (None, ""):
        single = scope.get(session, PollingArea, area_id, user)
        areas = {single.number: single}
    elif commune_id not in (None, ""):
        try:
            cid = int(commune_id)
        except (TypeError, ValueError) as exc:
            raise scope.OutOfScope("Commune") from exc
        areas = {a.number: a for a in session.scalars(scope.select(PollingArea, user)
                                                       .where(PollingArea.commune_id == cid))}
        if not areas:
            raise scope.OutOfScope("Commune")
        single = None
    else:
        raise file_error(N_("Choose the polling area or the commune the file is for."))
    step = progress or (lambda _m, _d, _t: None)
    step(N_("Reading the file"), 0, None)
    read = read_rows(data, filename, areas=areas, single=single, max_bytes=max_bytes, max_rows=max_rows, step=step)
    errors = read.errors
    touched = sorted({r.area_id for r in read.rows})
    existing = _existing(session, election, touched)
    _check_rows(session, election, read.rows, areas, existing, errors)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row))
    step(N_("Saving"), read.count, read.count)
    sha = hashlib.sha256(data).hexdigest()
    with services.acting(session, actor):
        counts = _write(session, election, read.rows, existing, now, sha[:16])
    place = (single.province_id, single.commune_id, single.id) if single else user.audit_place()
    with services.acting(session, actor):
        audit.record_event(session, action="import", entity_type="voter_list_entries",
                           entity_id=str(single.id if single else commune_id), place=place,
                           after={"file": filename[:200], "sha256": sha, "rows": read.count, "areas": touched,
                                  **counts.as_dict()})
    session.flush()
    return Result(filename, sha, read.count, counts, touched)


def _existing(session: Session, election: Election, area_ids: list[int]) -> dict[tuple[int, int], Any]:
    """The rows already on the lists of these areas, by (area, STT): one statement for a commune's areas."""
    found: dict[tuple[int, int], Any] = {}
    for condition in among(session, VoterListEntry.polling_area_id, area_ids):
        for e in session.execute(sa.select(VoterListEntry.id, VoterListEntry.polling_area_id, VoterListEntry.stt,
                                           VoterListEntry.removed_at,
                                           *[getattr(VoterListEntry, c) for c in COMPARED])
                                 .where(VoterListEntry.election_id == election.id, condition)):
            found[(e.polling_area_id, e.stt)] = e
    return found


def _check_rows(session: Session, election: Election, rows: list[VoterRow], areas: dict[int, PollingArea],
                existing: dict[tuple[int, int], Any], errors: list[RowError]) -> None:
    by_id = {a.id: a for a in areas.values()}
    seen_stt: dict[tuple[int, int], int] = {}
    seen_id: dict[str, int] = {}
    for r in rows:
        v = r.values
        area = by_id[r.area_id]
        if (first := seen_stt.setdefault((r.area_id, v["stt"]), r.number)) != r.number:
            errors.append(RowError(r.number, "STT", N_("STT %(stt)d appears twice (also row %(row)d)."),
                                   {"stt": v["stt"], "row": first}))
        if (first := seen_id.setdefault(v["id_number"], r.number)) != r.number:
            errors.append(RowError(r.number, HEADER_NAMES["id_number"], N_(
                "This ID number is also on row %(row)d: a voter is listed once in the whole country."),
                {"row": first}))
        allowed = rules.allowed_ballots(polling_date=election.polling_date, area_kind=area.kind,
                                        note_code=v["note_code"], temporary_since=v["temporary_since"],
                                        by_certificate=False)
        for violation in (rules.check_age(v["birth_date"], election.polling_date),
                          rules.check_ballots(Ballots(v["votes_na"], v["votes_province"], v["votes_commune"]),
                                              allowed)):
            if violation:
                errors.append(RowError(r.number, HEADER_NAMES.get(violation.field, ""), violation.message_id,
                                       violation.params))
    # Listed once in the country: the same ID number on another area's list, or under another STT here. The
    # areas' own rows are known already; only the others are looked up.
    where: dict[str, tuple[int, int]] = {e.id_number: key for key, e in existing.items() if e.removed_at is None}
    others = [i for i in seen_id if i not in where]
    for condition in among(session, VoterListEntry.id_number, others):
        where.update((f.id_number, (f.polling_area_id, f.stt)) for f in session.execute(
            sa.select(VoterListEntry.id_number, VoterListEntry.polling_area_id, VoterListEntry.stt).where(
                VoterListEntry.election_id == election.id, VoterListEntry.removed_at.is_(None), condition)))
    for r in rows:
        other = where.get(r.values["id_number"])
        if other is not None and other != (r.area_id, r.values["stt"]):
            other_area = session.get(PollingArea, other[0])
            errors.append(RowError(r.number, HEADER_NAMES["id_number"], N_(
                "This ID number is already on the list of %(area)s: a voter is listed once in the whole "
                "country."), {"area": f"{other_area.code} — {other_area.name}" if other_area else "?"}))


def _write(session: Session, election: Election, rows: list[VoterRow], existing: dict[tuple[int, int], Any],
           now: datetime, batch: str) -> Counts:
    """New STTs inserted at once (COPY on PostgreSQL); changed rows updated in place (each audited); the same row
    again changes nothing. Rows of the list that the file does not name are kept (a removal is a change, not an
    import)."""
    counts = Counts()
    order: dict[str, int] = {}
    inserts: list[tuple[Any, ...]] = []
    updates: list[dict[str, Any]] = []
    written: list[audit.Written] = []
    place = {a.id: (a.province_id, a.commune_id, a.id) for a in session.scalars(
        sa.select(PollingArea).where(PollingArea.id.in_({r.area_id for r in rows})))}
    for r in rows:
        values = r.values
        hh = values["household_key"] or ""
        order[hh] = order.get(hh, 0) + 1
        old = existing.get((r.area_id, values["stt"]))
        if old is None:
            inserts.append((election.id, r.area_id, values["stt"], values["name_folded"],
                            *[values[c] for c in COMPARED], order[hh], False, now, batch))
            counts.created += 1
            continue
        before = {c: getattr(old, c) for c in COMPARED}
        after = {c: values[c] for c in COMPARED}
        if before == after:
            counts.unchanged += 1
            continue
        updates.append({"entry_id": old.id, "name_folded": values["name_folded"], **after, "import_batch": batch})
        b, a = audit.changes(before, after)
        written.append(audit.Written("update", "voter_list_entries", str(old.id), place[r.area_id], b, a))
        counts.updated += 1
    if updates:
        table = VoterListEntry.__table__
        session.execute(sa.update(table).where(table.c.id == sa.bindparam("entry_id")), updates)
    insert_rows(session, VoterListEntry.__table__, INSERTED, inserts)
    audit.record_written(session, written)
    return counts


def in_background(size: int, config: Mapping[str, Any]) -> bool:
    """Whether a commune's file of this size is imported by a background job (``VOTER_IMPORT_INLINE_BYTES``)."""
    return size > int(config.get("VOTER_IMPORT_INLINE_BYTES", INLINE_BYTES))


def queue_commune_import(session: Session, *, user: Any, commune_id: int, filename: str, data: bytes, ip: str | None,
                         now: datetime) -> Job:
    """The import job of a commune's lists (``JobKind.IMPORT``, dataset ``voter_list``), its file stored; the caller
    submits it once the request commits. ``scope.OutOfScope`` for a commune outside the user's."""
    scope.get(session, Commune, commune_id, user)
    job = jobs.start_job(session, actor=user, kind=JobKind.IMPORT, dataset=JOB_DATASET.key,
                         params={"filename": filename, "commune_id": commune_id, "ip": ip}, now=now)
    runner.upload_path(job.id).write_bytes(data)
    return job


@runner.importer(JOB_DATASET.key)
def import_job(session: Session, *, job: Job, actor: Actor, data: bytes, now: datetime, max_bytes: int,
               progress: Callable[[str, int, int | None], None]) -> Result:
    """The job's file (``queue_commune_import``), run by the job consumer in the election current when it runs."""
    return import_voter_list(session, actor=actor, election=current_election(session),
                             filename=job.params.get("filename", ""), data=data, now=now, max_bytes=max_bytes,
                             area_id=job.params.get("area_id"), commune_id=job.params.get("commune_id"),
                             progress=progress)
