"""Reading an uploaded XLSX or CSV into rows of cells, refusing whatever is not a plain table of values.

Nothing here trusts the file: its size, its real type, the uncompressed size of the zip inside an .xlsx, the
number of rows and columns are all checked before or while reading, and every library error becomes a
message for the user.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

from webapp.imports.common import N_, ImportRejected, RowError, file_error
from webapp.imports.datasets import Dataset, header_key
from webapp.textnorm import nfc

MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 10
# An .xlsx is XML compressed about tenfold; this bounds what a small "zip bomb" may unpack to.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 500
MAX_CELL_CHARS = 1000


@dataclasses.dataclass(slots=True)
class Row:
    number: int
    cells: dict[str, Any]


@dataclasses.dataclass
class Table:
    """The file's recognised columns and its data rows, read from the file as ``rows`` is iterated (once): a
    file of 100,000 rows is never held whole, beside what the import keeps of it. The problems found while
    reading collect in ``errors``; ``count`` is the number of data rows read so far."""

    columns: list[str]
    rows: Iterator[Row]
    errors: list[RowError]
    normalised_cells: int = 0
    count: int = 0


def read_table(data: bytes, filename: str, dataset: Dataset, *, max_bytes: int, max_rows: int) -> Table:
    """The rows of the first sheet (or of the CSV) under their recognised headers. What is wrong with the file
    as a whole (its type, its size, its header row) is refused here; the rows' problems, and a file with too
    many rows or none, as the rows are read."""
    return _tabulate(read_grid(data, filename, max_bytes=max_bytes, max_rows=max_rows), dataset, max_rows)


def read_grid(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> Iterable[tuple[int, list[Any]]]:
    """The first sheet's (or the CSV's) rows as (row number, cells), read as they are iterated, after the checks of
    the file as a whole (its type, its size, a zip bomb). For layouts that are not a dataset (a voter list)."""
    if len(data) > max_bytes:
        raise file_error(
            N_("The file is larger than %(limit)d MB. Split it into smaller files."),
            limit=max_bytes // (1024 * 1024),
        )
    if not data.strip():
        raise file_error(N_("The file is empty."))
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    grid: Iterable[tuple[int, list[Any]]]
    if extension == "xlsx":
        grid = _xlsx_rows(data, max_rows)
    elif extension == "csv":
        grid = _csv_rows(data, max_rows)
    elif extension in ("xls", "xlsm", "xlsb", "ods"):
        raise file_error(
            N_(
                "This kind of spreadsheet is not accepted. In Excel choose File › Save As › Excel "
                "Workbook (.xlsx), or CSV UTF-8."
            )
        )
    else:
        raise file_error(N_("Only .xlsx and .csv files can be imported."))
    return grid


def _xlsx_rows(data: bytes, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    if not data.startswith(b"PK\x03\x04"):
        raise file_error(
            N_(
                "This file is named .xlsx but is not an Excel workbook. Open it in Excel and save "
                "it again as Excel Workbook (.xlsx)."
            )
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise file_error(N_("The Excel file is damaged and cannot be read.")) from exc
    names = {info.filename for info in infos}
    if len(infos) > MAX_ZIP_ENTRIES or sum(info.file_size for info in infos) > MAX_UNCOMPRESSED:
        raise file_error(
            N_("The Excel file unpacks to far more data than a table of this size should. It was not read.")
        )
    if "[Content_Types].xml" not in names or not any(name.endswith("workbook.xml") for name in names):
        raise file_error(
            N_(
                "This file is named .xlsx but is not an Excel workbook. Open it in Excel and save "
                "it again as Excel Workbook (.xlsx)."
            )
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise file_error(
            N_("The Excel file is protected with a password. Remove the password and try again.")
        )
    return _xlsx_reader(data, max_rows)


# Rows read from a sheet at a time, with openpyxl's warnings silenced.
XLSX_BATCH = 1000


def _xlsx_reader(data: bytes, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    """The first sheet's rows one at a time, from openpyxl's read-only (streaming) reader."""
    from openpyxl import load_workbook
    from openpyxl.cell.read_only import EMPTY_CELL

    workbook = None
    try:
        # openpyxl warns about features it ignores (data validation, default styles); they do not matter. The
        # filter is set around openpyxl's own work only, never while the rows are being checked.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
            if not workbook.worksheets:
                raise file_error(N_("The Excel file has no sheet."))
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # the declared size may lie; read what is there
            cells_by_row = enumerate(sheet.iter_rows(min_row=1, min_col=1, max_col=MAX_COLUMNS), start=1)
        while True:
            batch: list[tuple[int, list[Any]]] = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for number, cells in itertools.islice(cells_by_row, XLSX_BATCH):
                    if number > max_rows + HEADER_SEARCH_ROWS:
                        raise _too_many_rows(max_rows)
                    width = len(cells)
                    while width and cells[width - 1] is EMPTY_CELL:  # rows are padded to MAX_COLUMNS
                        width -= 1
                    batch.append((number, [_xlsx_value(cells[i]) for i in range(width)]))
            if not batch:
                return
            yield from batch
    except ImportRejected:
        raise
    except Exception as exc:  # openpyxl raises whatever its XML and zip readers raise
        raise file_error(
            N_(
                "The Excel file is damaged or uses features that cannot be read. Open it in Excel "
                "and save it again as Excel Workbook (.xlsx)."
            )
        ) from exc
    finally:
        if workbook is not None:
            workbook.close()


class _Invalid:
    """A cell already reported as wrong while reading the file."""


INVALID = _Invalid()


class Formula:
    """A cell holding a formula; refused, because the value shown in Excel is not what the file stores."""

    def __init__(self, text: str) -> None:
        self.text = text


class ExcelError:
    def __init__(self, text: str) -> None:
        self.text = text


def _xlsx_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    data_type = getattr(cell, "data_type", "n")
    if data_type == "f":
        return Formula(str(value)[:50])
    if data_type == "e":
        return ExcelError(str(value))
    return value


def _csv_rows(data: bytes, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    """The rows one at a time (a file of 100,000 rows is never held as a second list beside its table)."""
    if data.startswith(b"PK\x03\x04"):
        raise file_error(
            N_("This file is named .csv but is an Excel workbook. Upload it with the .xlsx name.")
        )
    if b"\x00" in data[:65536]:
        raise file_error(N_("This file is named .csv but is not text. Save it from Excel as CSV UTF-8."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise file_error(
            N_(
                "The CSV file is not in UTF-8, so Vietnamese letters would be garbled. In Excel "
                "choose Save As › CSV UTF-8 (Comma delimited)."
            )
        ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return _csv_reader(text, delimiter, max_rows)


# A line and its end, which may be \r\n, \n or \r (as a StringIO with newline="" would split them).
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _csv_reader(text: str, delimiter: str, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    # The lines are cut from the text as they are read: a StringIO would copy it, four bytes a character.
    lines = (match.group() for match in _LINE.finditer(text))
    try:
        for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
            if number > max_rows + HEADER_SEARCH_ROWS:
                raise _too_many_rows(max_rows)
            yield number, [Formula(c[:50]) if c.lstrip().startswith("=") else c for c in cells[:MAX_COLUMNS]]
    except csv.Error as exc:
        raise file_error(N_("The CSV file is malformed (%(detail)s)."), detail=str(exc)[:80]) from exc


def _too_many_rows(max_rows: int) -> Exception:
    return file_error(
        N_("The file has more than %(limit)d rows. Split it into smaller files."), limit=max_rows
    )


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(
    grid: list[tuple[int, list[Any]]], dataset: Dataset
) -> tuple[int, dict[int, str], list[str]]:
    """The first of the top rows that names at least half of the dataset's required columns."""
    known = {header_key(c.header): c.key for c in dataset.columns} | {c.key: c.key for c in dataset.columns}
    required = [c.key for c in dataset.columns if c.required]
    for index, (_number, cells) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = [known.get(header_key(c)) if isinstance(c, str) else None for c in cells]
        if sum(1 for k in required if k in keys) * 2 >= len(required):
            mapping: dict[int, str] = {}
            unknown: list[str] = []
            for position, (cell, key) in enumerate(zip(cells, keys, strict=True)):
                if _is_blank(cell):
                    continue
                if key is None:
                    unknown.append(str(cell)[:60])
                elif key in mapping.values():
                    raise file_error(
                        N_("The column “%(column)s” appears twice in the header row."),
                        column=dataset.header(key),
                    )
                else:
                    mapping[position] = key
            return index, mapping, unknown
    raise file_error(
        N_(
            "No header row with this dataset's columns was found. Expected columns: %(columns)s. "
            "Download the template to see them."
        ),
        columns=", ".join(c.header for c in dataset.columns),
    )


def _tabulate(rows: Iterable[tuple[int, list[Any]]], dataset: Dataset, max_rows: int) -> Table:
    rows = iter(rows)
    grid = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    if not grid:
        raise file_error(N_("The file is empty."))
    header_index, mapping, unknown = _find_header(grid, dataset)
    header_row = grid[header_index][0]
    errors: list[RowError] = []
    for text in unknown:
        errors.append(
            RowError(
                header_row,
                text,
                N_("Unknown column. The columns of this file are: %(columns)s."),
                {"columns": ", ".join(c.header for c in dataset.columns)},
            )
        )
    for column in dataset.columns:
        if column.required and column.key not in mapping.values():
            errors.append(RowError(header_row, column.header, N_("This required column is missing.")))
    if errors:
        raise ImportRejected(errors)
    table = Table(columns=list(mapping.values()), rows=iter(()), errors=[])
    table.rows = _data_rows(table, itertools.chain(grid[header_index + 1 :], rows), mapping, dataset, max_rows)
    return table


def _data_rows(
    table: Table, grid: Iterable[tuple[int, list[Any]]], mapping: dict[int, str], dataset: Dataset, max_rows: int
) -> Iterator[Row]:
    columns = [(position, key, dataset.header(key)) for position, key in mapping.items()]
    for number, cells in grid:
        if all(_is_blank(c) for c in cells):
            continue
        row = Row(number, {})
        for position, key, header in columns:
            value = cells[position] if position < len(cells) else None
            row.cells[key] = clean(value, number, header, table)
        if _is_example(row, dataset):
            table.errors.append(RowError(number, "", N_("This is the template's example row. Delete it.")))
        table.count += 1
        if table.count > max_rows:
            raise _too_many_rows(max_rows)
        yield row
    if not table.count:
        raise file_error(N_("The file has a header row but no data rows."))


def _comparable(value: Any) -> str:
    if isinstance(value, datetime) and value.time() == time(0):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


def _is_example(row: Row, dataset: Dataset) -> bool:
    """The template's example row left in by mistake would overwrite real data that happens to match it."""
    examples = [(c.key, c.example) for c in dataset.columns if c.example is not None and c.key in row.cells]
    return len(examples) >= 3 and all(_comparable(row.cells[k]) == _comparable(e) for k, e in examples)


def clean(value: Any, row: int, column: str, table: Table) -> Any:
    """NFC text without invisible characters; formulas and Excel error values refused."""
    if isinstance(value, Formula):
        table.errors.append(
            RowError(
                row,
                column,
                N_(
                    "Formulas are not accepted (%(formula)s). Copy the column "
                    "and paste it back as values only."
                ),
                {"formula": value.text},
            )
        )
        return INVALID
    if isinstance(value, ExcelError):
        table.errors.append(
            RowError(row, column, N_("The cell holds an Excel error (%(value)s)."), {"value": value.text})
        )
        return INVALID
    if not isinstance(value, str):
        return value
    if len(value) > MAX_CELL_CHARS:
        table.errors.append(RowError(row, column, N_("The text is too long.")))
        return INVALID
    if not value.isprintable() and any(
        unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") and ch not in "\t\n\r" for ch in value
    ):
        table.errors.append(
            RowError(row, column, N_("The text contains invisible or control characters. Type it again."))
        )
        return INVALID
    normalised = nfc(value)
    if normalised != value.strip():
        table.normalised_cells += 1
    return " ".join(normalised.split()) or None
