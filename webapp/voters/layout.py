"""The layout of a voter list (Mẫu 31/HĐBC) as the population-database software exports it, read row by row: the
header row is found among the top rows (one or two rows: "Giới tính" over "Nam | Nữ", "Nơi cư trú" over its three
columns), an optional "Số thẻ" column is read, the footer lines ("Tổng số cử tri…", "Người lập biểu"…) end the
table, and the ballot columns read "x" as entitled and "", "o", "0" as not. Each row is read once, into the values
of a ``VoterListEntry``, or into its problems.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from webapp.elections.models import Gender, PollingArea
from webapp.imports import cells
from webapp.imports.common import N_, ImportRejected, RowError, file_error
from webapp.imports.parsing import HEADER_SEARCH_ROWS, INVALID, Table, clean, read_grid
from webapp.textnorm import fold, nfc
from webapp.voters import rules
from webapp.voters.models import VoterNote
from webapp.voters.rules import Ballots

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
class Read:
    count: int
    rows: list[VoterRow]
    errors: list[RowError]



def _id_number(value: Any) -> str:
    """12 digits; a number cell that lost its leading zeros in Excel gets them back, typed text must be whole."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = cells.to_code(value, digits=12)
    text = str(value).replace(" ", "")
    if (violation := rules.check_id_number(text)) is not None:
        raise cells.CellError(violation.message_id)
    return text


def _tick(value: Any, row: int, column: str, errors: list[RowError]) -> bool:
    text = "" if value is None else str(int(value) if isinstance(value, float) else value)
    # "x" and "" (nearly every cell) need no folding.
    text = text if text in TICKED or text in UNTICKED else fold(text)
    if text in TICKED:
        return True
    if text in UNTICKED:
        return False
    errors.append(RowError(row, column, N_("Write “x” for a ballot the voter votes on, leave it empty (or "
                                           "“o”, “0”) otherwise.")))
    return False


def _note_code(folded: str) -> VoterNote | None:
    for words, code in (("tam giam", VoterNote.DETAINED_CUSTODY), ("tam giu", VoterNote.DETAINED_TEMPORARY),
                        ("bien phap", VoterNote.MEASURE), ("cach ly", VoterNote.QUARANTINE),
                        ("bo phieu o noi khac", VoterNote.VOTES_ELSEWHERE),
                        ("bo phieu o noi cu tru", VoterNote.VOTES_AT_RESIDENCE),
                        ("hom phieu phu", VoterNote.MOBILE_BOX), ("tam tru", VoterNote.TEMPORARY_RESIDENT)):
        if words in folded:
            return code
    return VoterNote.OTHER if folded else None


def _temporary_since(folded: str) -> date | None:
    if match := _TEMPORARY_SINCE.search(folded):
        try:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        except ValueError:
            return None
    return None



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
    folded_note = fold(note) if note else ""
    since = _temporary_since(folded_note)
    note_code = _note_code(folded_note)
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



def read_rows(data: bytes, filename: str, *, areas: dict[int, PollingArea], single: PollingArea | None,
              max_bytes: int, max_rows: int, step: Callable[[str, int, int | None], None]) -> Read:
    """Reads the file: the number of data rows, the values of those without problems and every problem. Raises
    ImportRejected for a missing column or an unreadable file."""
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
    parsed: list[VoterRow] = []
    table = Table(columns=list(keys), rows=iter(()), errors=[])
    names = [(p, key, HEADER_NAMES[key]) for p, key in mapping.items()]
    for number, row in itertools.chain(top[last + 1:], grid_iter):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        if _is_footer(row):
            break
        table.count += 1
        if table.count > max_rows:
            raise file_error(N_("The file has more than %(limit)d rows. Split it into smaller files."), limit=max_rows)
        raw = {key: clean(row[p] if p < len(row) else None, number, name, table) for p, key, name in names}
        if any(v is INVALID for v in raw.values()):
            continue
        parsed_row = _parse_row(number, raw, areas, single, table.errors)
        if parsed_row is not None:
            parsed.append(parsed_row)
        if table.count % 5000 == 0:
            step(N_("Checking every row"), table.count, None)
    if not table.count:
        raise file_error(N_("The file has a header row but no data rows."))
    return Read(table.count, parsed, table.errors)
