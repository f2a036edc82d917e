"""Importing a polling area's or a commune's voter lists from the population-database software's export (Mẫu
31/HĐBC, XLSX or CSV): the file is read by the imports machinery (``webapp.imports.parsing.read_grid``: size, type,
zip bomb, formulas), the header row is found among the top rows (one or two rows: "Giới tính" over "Nam | Nữ",
"Nơi cư trú" over its three columns), an optional "Số thẻ" column is read, the footer lines ("Tổng số cử tri…",
"Người lập biểu"…) end the table, and the ballot columns read "x" as entitled and "", "o", "0" as not.

Every row is checked (the cells, the rules of ``webapp.voters.rules``, listed once in the file and the country)
before anything is written; on any problem nothing is stored and each problem is reported with its row. Rows are
matched by (area, STT): a re-import of the same file changes nothing, an edited row is updated, a new STT is added.
A file for a commune names each row's polling area in a "KVBP" column.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.audit import services as audit
from webapp.audit.services import Actor
from webapp.elections.models import Election, Gender, PollingArea
from webapp.elections.services import current_election
from webapp.geo.models import Commune
from webapp.imports import cells
from webapp.imports.common import N_, Counts, ImportRejected, RowError, file_error
from webapp.imports.datasets import Dataset
from webapp.imports.parsing import HEADER_SEARCH_ROWS, INVALID, Table, clean, read_grid
from webapp.jobs import runner
from webapp.jobs import services as jobs
from webapp.jobs.models import Job, JobKind
from webapp.textnorm import fold, nfc
from webapp.voters import rules, services
from webapp.voters.models import VoterListEntry, VoterNote
from webapp.voters.rules import Ballots

DEFAULT_MAX_ROWS = 100_000
#: How a background job names a voter-list import (webapp.jobs: its page's title and file stem).
#: A file above this size (bytes) is checked and saved by a background job, from the page and the API alike.
INLINE_BYTES = 512 * 1024
JOB_DATASET = Dataset(key="voter_list", title=N_("Voter lists"), help="", file_stem="danh-sach-cu-tri", columns=())
WRITE_BATCH = 1000

# Folded header text -> column key. A header matches the first key one of whose words it contains.
HEADERS: list[tuple[str, tuple[str, ...]]] = [
    ("area", ("kvbp", "khu vuc bo phieu", "so kvbp", "ma kvbp")),
    ("card_number", ("so the",)),
    ("stt", ("stt", "so thu tu", "tt")),
    ("full_name", ("ho va ten", "ho ten", "ho, ten")),
    ("birth_date", ("ngay sinh", "ngay, thang, nam sinh", "ngay thang nam sinh")),
    ("male", ("nam",)),
    ("female", ("nu",)),
    ("gender", ("gioi tinh",)),
    ("id_number", ("so dinh danh", "can cuoc", "cccd", "dinh danh ca nhan")),
    ("ethnicity", ("dan toc",)),
    ("permanent_address", ("thuong tru",)),
    ("temporary_address", ("tam tru",)),
    ("current_address", ("hien tai", "noi o hien tai")),
    ("votes_na", ("quoc hoi", "dbqh", "qh")),
    ("votes_province", ("tinh", "hdnd tinh", "hdnd cap tinh")),
    ("votes_commune", ("xa", "hdnd xa", "hdnd cap xa")),
    ("note", ("ghi chu",)),
    ("household", ("ho gia dinh", "ma ho", "so ho")),
]
REQUIRED = ("stt", "full_name", "birth_date", "id_number", "votes_na", "votes_province", "votes_commune")
HEADER_NAMES = {
    "area": "KVBP", "card_number": "Số thẻ", "stt": "STT", "full_name": "Họ và tên", "birth_date": "Ngày sinh",
    "male": "Nam", "female": "Nữ", "gender": "Giới tính", "id_number": "Số định danh cá nhân",
    "ethnicity": "Dân tộc", "permanent_address": "Nơi thường trú", "temporary_address": "Nơi tạm trú",
    "current_address": "Nơi ở hiện tại", "votes_na": "Bầu ĐBQH", "votes_province": "Bầu HĐND tỉnh",
    "votes_commune": "Bầu HĐND xã", "note": "Ghi chú", "household": "Hộ gia đình",
}
FOOTERS = ("tong so cu tri", "cu tri tham gia", "danh sach nay duoc lap", "nguoi lap bieu", "chu tich",
           "xac nhan cua", "ngay thang nam")
TICKED = {"x", "v", "1", "co", "✓", "✔"}
UNTICKED = {"", "o", "0", "khong", "-"}
_TEMPORARY_SINCE = re.compile(r"tam tru\D{0,20}(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def _key(text: str) -> str | None:
    folded = fold(str(text)).strip(" *:.()")
    if not folded:
        return None
    for key, words in HEADERS:
        if folded in words:
            return key
    for key, words in HEADERS:
        if any(len(w) > 3 and w in folded for w in words):
            return key
    return None


def _header(grid: list[tuple[int, list[Any]]]) -> tuple[int, dict[int, str]]:
    """The index of the header's last row and the column of each key. A header of two rows is read as one: a
    parent cell ("Giới tính", "Nơi cư trú", "Bầu cử") gives way to the words below it."""
    for index, (_number, row) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = {p: _key(c) for p, c in enumerate(row) if isinstance(c, str) and c.strip()}
        if "stt" not in keys.values() or "full_name" not in keys.values():
            continue
        mapping = {p: k for p, k in keys.items() if k}
        last = index
        if index + 1 < len(grid):
            below = grid[index + 1][1]
            sub = {p: _key(c) for p, c in enumerate(below) if isinstance(c, str) and c.strip()}
            if sub and not any(isinstance(c, (int, float)) or (isinstance(c, str) and c.strip().isdigit())
                               for c in below[:1]):
                for p, k in sub.items():
                    if k:
                        mapping[p] = k
                last = index + 1
        # A row of column numbers "(1) (2) (3)…" under the header is skipped.
        if last + 1 < len(grid) and all(re.fullmatch(r"\(?\d{1,2}[a-z]?\)?", str(c).strip() or "0")
                                        for c in grid[last + 1][1] if c is not None) \
                and sum(1 for c in grid[last + 1][1] if c is not None) >= 5:
            last += 1
        return last, mapping
    raise file_error(N_("No header row of a voter list (Mẫu 31/HĐBC) was found: the first rows must name the "
                        "columns STT, Họ và tên, Ngày sinh, Số định danh cá nhân and the three ballots."))


def _is_footer(row: list[Any]) -> bool:
    """A footer line begins with its text ("Tổng số cử tri…"); a voter's row begins with its STT."""
    for cell in row:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        return isinstance(cell, str) and fold(cell).startswith(FOOTERS)
    return False


@dataclasses.dataclass
class VoterRow:
    number: int
    area_id: int
    values: dict[str, Any]


@dataclasses.dataclass
class Result:
    filename: str
    sha256: str
    rows: int
    counts: Counts
    areas: list[int]


def _id_number(value: Any) -> str:
    """12 digits; a number cell that lost its leading zeros in Excel gets them back, typed text must be whole."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = cells.to_code(value, digits=12)
    text = str(value).replace(" ", "")
    if (violation := rules.check_id_number(text)) is not None:
        raise cells.CellError(violation.message_id)
    return text


def _tick(value: Any, row: int, column: str, errors: list[RowError]) -> bool:
    text = fold("" if value is None else str(int(value) if isinstance(value, float) else value))
    if text in TICKED:
        return True
    if text in UNTICKED:
        return False
    errors.append(RowError(row, column, N_("Write “x” for a ballot the voter votes on, leave it empty (or "
                                           "“o”, “0”) otherwise.")))
    return False


def _note_code(note: str) -> VoterNote | None:
    folded = fold(note)
    for words, code in (("tam giam", VoterNote.DETAINED_CUSTODY), ("tam giu", VoterNote.DETAINED_TEMPORARY),
                        ("bien phap", VoterNote.MEASURE), ("cach ly", VoterNote.QUARANTINE),
                        ("bo phieu o noi khac", VoterNote.VOTES_ELSEWHERE),
                        ("bo phieu o noi cu tru", VoterNote.VOTES_AT_RESIDENCE),
                        ("hom phieu phu", VoterNote.MOBILE_BOX), ("tam tru", VoterNote.TEMPORARY_RESIDENT)):
        if words in folded:
            return code
    return VoterNote.OTHER if folded else None


def _temporary_since(note: str) -> date | None:
    if match := _TEMPORARY_SINCE.search(fold(note)):
        try:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        except ValueError:
            return None
    return None


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
    grid_iter = iter(read_grid(data, filename, max_bytes=max_bytes, max_rows=max_rows))
    top = list(itertools.islice(grid_iter, HEADER_SEARCH_ROWS))
    if not top:
        raise file_error(N_("The file is empty."))
    last, mapping = _header(top)
    keys = set(mapping.values())
    missing = [HEADER_NAMES[k] for k in REQUIRED if k not in keys]
    if not ({"male", "female"} <= keys or "gender" in keys):
        missing.append("Nam / Nữ")
    if single is None and "area" not in keys:
        missing.append("KVBP")
    if missing:
        raise ImportRejected([RowError(top[last][0], m, N_("This required column is missing.")) for m in missing])
    table = Table(columns=list(keys), rows=iter(()), errors=[])
    errors = table.errors
    parsed: list[VoterRow] = []
    for number, row in itertools.chain(top[last + 1:], grid_iter):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        if _is_footer(row):
            break
        table.count += 1
        if table.count > max_rows:
            raise file_error(N_("The file has more than %(limit)d rows. Split it into smaller files."), limit=max_rows)
        raw = {key: clean(row[p] if p < len(row) else None, number, HEADER_NAMES[key], table)
               for p, key in mapping.items()}
        if any(v is INVALID for v in raw.values()):
            continue
        parsed_row = _parse_row(number, raw, areas, single, errors)
        if parsed_row is not None:
            parsed.append(parsed_row)
        if table.count % 5000 == 0:
            step(N_("Checking every row"), table.count, None)
    if not table.count:
        raise file_error(N_("The file has a header row but no data rows."))
    _check_rows(session, election, parsed, areas, errors)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row))
    step(N_("Saving"), table.count, table.count)
    sha = hashlib.sha256(data).hexdigest()
    with services.acting(session, actor):
        counts = _write(session, election, parsed, now, sha[:16])
    touched = sorted({r.area_id for r in parsed})
    place = (single.province_id, single.commune_id, single.id) if single else user.audit_place()
    with services.acting(session, actor):
        audit.record_event(session, action="import", entity_type="voter_list_entries",
                           entity_id=str(single.id if single else commune_id), place=place,
                           after={"file": filename[:200], "sha256": sha, "rows": table.count, "areas": touched,
                                  **counts.as_dict()})
    session.flush()
    return Result(filename, sha, table.count, counts, touched)


def _parse_row(number: int, raw: dict[str, Any], areas: dict[int, PollingArea], single: PollingArea | None,
               errors: list[RowError]) -> VoterRow | None:
    before = len(errors)

    def cell(key: str, convert: Callable[[Any], Any], required: bool = True) -> Any:
        value = raw.get(key)
        if value is None:
            if required:
                errors.append(RowError(number, HEADER_NAMES[key], N_("This cell is required.")))
            return None
        try:
            return convert(value)
        except cells.CellError as exc:
            errors.append(RowError(number, HEADER_NAMES[key], exc.message_id, exc.params))
            return None

    area = single
    if single is None:
        n = cell("area", lambda v: cells.to_int(v, minimum=1, maximum=100_000))
        area = areas.get(n) if n is not None else None
        if n is not None and area is None:
            errors.append(RowError(number, "KVBP", N_("The commune has no polling area number %(n)d."), {"n": n}))
    stt = cell("stt", lambda v: cells.to_int(v, minimum=1, maximum=1_000_000))
    name = cell("full_name", lambda v: cells.to_text(v, 200))
    birth = cell("birth_date", cells.to_date)
    id_number = cell("id_number", _id_number)
    if "gender" in raw:
        gender = cell("gender", lambda v: cells.to_choice(v, {Gender.MALE: ("Nam", "M"), Gender.FEMALE: ("Nữ", "F")}))
    else:
        male = _tick(raw.get("male"), number, "Nam", errors)
        female = _tick(raw.get("female"), number, "Nữ", errors)
        gender = Gender.MALE if male and not female else Gender.FEMALE if female and not male else None
        if male == female:
            errors.append(RowError(number, "Nam / Nữ", N_("Tick exactly one of Nam and Nữ.")))
    ballots = Ballots(_tick(raw.get("votes_na"), number, HEADER_NAMES["votes_na"], errors),
                      _tick(raw.get("votes_province"), number, HEADER_NAMES["votes_province"], errors),
                      _tick(raw.get("votes_commune"), number, HEADER_NAMES["votes_commune"], errors))
    text = {k: cell(k, lambda v, k=k: cells.to_text(v, 50 if k == "ethnicity" else 500 if k == "note" else 300),
                    required=False) or ""
            for k in ("ethnicity", "permanent_address", "temporary_address", "current_address", "note")}
    card = cell("card_number", lambda v: cells.to_text(v, 20), required=False)
    household = cell("household", lambda v: cells.to_text(v, 60), required=False)
    if len(errors) > before or area is None:
        return None
    note = text["note"]
    since = _temporary_since(note)
    note_code = _note_code(note)
    if note_code is None and text["temporary_address"] and not text["permanent_address"]:
        note_code = VoterNote.TEMPORARY_RESIDENT
    values = {
        "stt": stt, "card_number": card, "full_name": nfc(name), "name_folded": fold(name)[:200],
        "birth_date": birth, "gender": gender, "id_number": id_number, "ethnicity": text["ethnicity"],
        "permanent_address": text["permanent_address"], "temporary_address": text["temporary_address"],
        "current_address": text["current_address"], "temporary_since": since, "votes_na": ballots.na,
        "votes_province": ballots.province, "votes_commune": ballots.commune,
        "household_key": household, "note_code": note_code, "note": note,
    }
    return VoterRow(number, area.id, values)


def _check_rows(session: Session, election: Election, rows: list[VoterRow], areas: dict[int, PollingArea],
                errors: list[RowError]) -> None:
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
    # Listed once in the country: the same ID number on another area's list, or under another STT here.
    for chunk in _chunks(rows, 1000):
        found = session.execute(sa.select(VoterListEntry.id_number, VoterListEntry.polling_area_id,
                                          VoterListEntry.stt).where(
            VoterListEntry.election_id == election.id, VoterListEntry.removed_at.is_(None),
            VoterListEntry.id_number.in_([r.values["id_number"] for r in chunk]))).all()
        where = {f.id_number: (f.polling_area_id, f.stt) for f in found}
        for r in chunk:
            other = where.get(r.values["id_number"])
            if other is not None and other != (r.area_id, r.values["stt"]):
                other_area = session.get(PollingArea, other[0])
                errors.append(RowError(r.number, HEADER_NAMES["id_number"], N_(
                    "This ID number is already on the list of %(area)s: a voter is listed once in the whole "
                    "country."), {"area": f"{other_area.code} — {other_area.name}" if other_area else "?"}))


def _chunks(rows: list[VoterRow], size: int) -> Iterable[list[VoterRow]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


COMPARED = ("card_number", "full_name", "birth_date", "gender", "id_number", "ethnicity", "permanent_address",
            "temporary_address", "current_address", "temporary_since", "votes_na", "votes_province",
            "votes_commune", "household_key", "note_code", "note")


def _write(session: Session, election: Election, rows: list[VoterRow], now: datetime, batch: str) -> Counts:
    """New STTs inserted with Core in batches; changed rows updated in place (each audited); the same row again
    changes nothing. Rows of the list that the file does not name are kept (a removal is a change, not an import)."""
    counts = Counts()
    order: dict[str, int] = {}
    inserts: list[dict[str, Any]] = []
    written: list[audit.Written] = []
    areas = {r.area_id for r in rows}
    place = {a.id: (a.province_id, a.commune_id, a.id)
             for a in session.scalars(sa.select(PollingArea).where(PollingArea.id.in_(areas)))}
    for chunk in _chunks(rows, WRITE_BATCH):
        existing = {(e.polling_area_id, e.stt): e for e in session.execute(
            sa.select(VoterListEntry.id, VoterListEntry.polling_area_id, VoterListEntry.stt,
                      *[getattr(VoterListEntry, c) for c in COMPARED]).where(
                VoterListEntry.election_id == election.id,
                sa.tuple_(VoterListEntry.polling_area_id, VoterListEntry.stt).in_(
                    [(r.area_id, r.values["stt"]) for r in chunk]))).all()}
        for r in chunk:
            hh = r.values["household_key"] or ""
            order[hh] = order.get(hh, 0) + 1
            old = existing.get((r.area_id, r.values["stt"]))
            if old is None:
                inserts.append({**r.values, "election_id": election.id, "polling_area_id": r.area_id,
                                "household_order": order[hh], "added_after_posting": False, "created_at": now,
                                "import_batch": batch})
                counts.created += 1
                continue
            before = {c: getattr(old, c) for c in COMPARED}
            after = {c: r.values[c] for c in COMPARED}
            if before == after:
                counts.unchanged += 1
                continue
            session.execute(sa.update(VoterListEntry).where(VoterListEntry.id == old.id)
                            .values(**after, import_batch=batch))
            b, a = audit.changes(before, after)
            written.append(audit.Written("update", "voter_list_entries", str(old.id), place[r.area_id], b, a))
            counts.updated += 1
        if len(inserts) >= WRITE_BATCH:
            session.execute(sa.insert(VoterListEntry), inserts)
            inserts = []
    if inserts:
        session.execute(sa.insert(VoterListEntry), inserts)
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
