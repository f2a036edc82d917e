"""Writing the files users download: templates (header, one example row, a guide sheet) and exports."""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import IO, Any, NamedTuple

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from webapp.imports.common import N_
from webapp.imports.datasets import Dataset

DATA_SHEET = "Dữ liệu"
GUIDE_SHEET = "Hướng dẫn"
HEADER_FILL = "#FCE4E4"
# How often ``write_xlsx`` reports the rows written so far (and writes them out).
PROGRESS_EVERY = 5000
DATA_PART = "xl/worksheets/sheet1.xml"
_COLUMN_NAMES = [xl_col_to_name(i) for i in range(60)]


# What XML 1.0 cannot hold: control characters (but tab, line feed and carriage return), lone surrogates and the
# two non-characters U+FFFE and U+FFFF.
_UNWRITABLE = re.compile(ILLEGAL_CHARACTERS_RE.pattern + "|[\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    if value.isprintable():  # nearly always: skip the expression
        return value
    return _UNWRITABLE.sub("", value)


def write_xlsx(
    dataset: Dataset,
    rows: Iterable[list[Any]],
    guide: list[list[str]] | None = None,
    target: str | IO[bytes] | None = None,
    progress: Callable[[int], None] | None = None,
    mark: str | None = None,
) -> bytes | None:
    """A workbook whose first sheet is the data under the Vietnamese headers, and an optional guide sheet; written
    to ``target`` (a path or a binary file), else returned.

    XlsxWriter writes the workbook around the data: styles, headers, column widths, the frozen header row and
    the guide. The data rows, up to 800,000 of them, are written here as the sheet's XML, one string per row,
    into a temporary file that is then zipped into the workbook: XlsxWriter's own cell writer costs about 7 µs
    a cell (30 s for the national teams export), this one about 1 µs, in the same bounded memory. Text is
    always written as text (never a formula, whatever the database holds) in the "@" format, so that codes
    such as 00070 keep their zeros when edited; dates as dates.

    ``mark`` (a drill's banner, ``webapp.drills.marking``): the first row of every sheet, in red, with a red tab
    and the same words in the printed header; the sheets' own rows start one row lower."""
    frame = io.BytesIO()
    workbook = xlsxwriter.Workbook(frame, {"in_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    header = workbook.add_format({"bold": True, "bg_color": HEADER_FILL, "num_format": "@"})
    # The data cells' style numbers: asking a format for its number is what makes XlsxWriter write it into
    # styles.xml (when the workbook closes), as a cell written with it would.
    styles = _Styles(*(workbook.add_format({"num_format": f})._get_xf_index()
                       for f in ("@", "dd/mm/yyyy", "dd/mm/yyyy hh:mm")))
    top = 1 if mark else 0
    sheet = workbook.add_worksheet(DATA_SHEET)
    sheet.freeze_panes(1 + top, 0)
    for index, column in enumerate(dataset.columns):
        sheet.set_column(index, index, column.width)
        sheet.write_string(top, index, column.header, header)
    sheets = [sheet]
    if guide:
        notes = workbook.add_worksheet(GUIDE_SHEET)
        sheets.append(notes)
        wrap = workbook.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
        bold = workbook.add_format({"text_wrap": True, "valign": "top", "num_format": "@", "bold": True,
                                    "bg_color": HEADER_FILL})
        for index, width in enumerate((24, 12, 70, 22)):
            notes.set_column(index, index, width)
        for number, line in enumerate(guide):
            for index, value in enumerate(line):
                notes.write_string(number + top, index, _text(value), bold if number in (0, 3) else wrap)
    if mark:
        _mark(workbook, sheets, mark)
    workbook.close()
    buffer = io.BytesIO() if target is None else None
    with tempfile.TemporaryFile("w+b") as data, zipfile.ZipFile(frame) as frame_zip:
        last_row = _write_rows(data, rows, len(dataset.columns), styles, progress, first=2 + top)
        with zipfile.ZipFile(buffer if buffer is not None else target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in frame_zip.infolist():
                part = frame_zip.read(info)
                if info.filename != DATA_PART:
                    out.writestr(info, part)
                    continue
                head, tail = part.split(b"</sheetData>", 1)
                if last_row:
                    dimension = f'<dimension ref="A1:{_COLUMN_NAMES[len(dataset.columns) - 1]}{last_row + 1 + top}"/>'
                    head = re.sub(rb"<dimension [^>]*/>", dimension.encode(), head, count=1)
                with out.open(DATA_PART, "w", force_zip64=True) as sheet_part:
                    sheet_part.write(head)
                    data.seek(0)
                    shutil.copyfileobj(data, sheet_part, 1 << 20)
                    sheet_part.write(b"</sheetData>" + tail)
    return buffer.getvalue() if buffer is not None else None


def _mark(workbook: xlsxwriter.Workbook, sheets: list[Any], text: str) -> None:
    from webapp.drills.marking import RED

    red = workbook.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": f"#{RED}", "font_size": 14})
    for sheet in sheets:
        sheet.write_string(0, 0, text, red)
        sheet.set_tab_color(f"#{RED}")
        sheet.set_header("&C" + text.replace("&", "&&"))
    workbook.set_properties({"title": text})


class _Styles(NamedTuple):
    """The style numbers (XlsxWriter's formats) of the data cells."""

    text: int
    day: int
    moment: int


def _write_rows(out: IO[bytes], rows: Iterable[list[Any]], width: int, styles: _Styles,
                progress: Callable[[int], None] | None, first: int = 2) -> int:
    """The rows' ``<row>`` elements, from the sheet's row ``first`` on (1-based); the number of rows written.

    Each cell is one f-string (about 4 million for the national teams export): strings inline (no shared-string
    table to hold), escaped only when they hold ``&``, ``<`` or ``>``."""
    text, day, moment = styles
    names = _COLUMN_NAMES[:width]
    lines: list[str] = []
    number = 0
    for number, row in enumerate(rows, start=1):
        r = number + first - 1
        cells = [f'<row r="{r}">']
        for name, value in zip(names, row):
            kind = type(value)
            if kind is str or (kind is not bool and isinstance(value, str)):
                if "&" in value or "<" in value or ">" in value:
                    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                if not value.isprintable():
                    # A reader turns a bare carriage return into a line feed; a reference keeps it.
                    value = _text(value).replace("\r", "&#13;")
                if not value:
                    cells.append(f'<c r="{name}{r}" s="{text}"/>')
                elif value[:1].isspace() or value[-1:].isspace():
                    cells.append(f'<c r="{name}{r}" s="{text}" t="inlineStr"><is><t xml:space="preserve">{value}'
                                 "</t></is></c>")
                else:
                    cells.append(f'<c r="{name}{r}" s="{text}" t="inlineStr"><is><t>{value}</t></is></c>')
            elif value is None:
                cells.append(f'<c r="{name}{r}" s="{text}"/>')
            elif kind is int:
                cells.append(f'<c r="{name}{r}"><v>{value}</v></c>')
            elif kind is bool:
                cells.append(f'<c r="{name}{r}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, datetime):
                cells.append(f'<c r="{name}{r}" s="{moment}"><v>{_serial(value)!r}</v></c>')
            elif isinstance(value, date):
                cells.append(f'<c r="{name}{r}" s="{day}"><v>{_serial(value)!r}</v></c>')
            elif math.isfinite(number_value := float(value)):  # float, Decimal
                cells.append(f'<c r="{name}{r}"><v>{number_value!r}</v></c>')
            else:  # a worksheet holds no infinity nor NaN
                cells.append(f'<c r="{name}{r}"/>')
        cells.append("</row>")
        lines.append("".join(cells))
        if number % PROGRESS_EVERY == 0:
            out.write("".join(lines).encode())
            lines.clear()
            if progress is not None:
                progress(number)
    out.write("".join(lines).encode())
    if progress is not None:
        progress(number)
    return number


_EXCEL_EPOCH = datetime(1899, 12, 31)


def _serial(value: date) -> float | int:
    """Excel's number for a day or moment (1900 date system, time as a fraction of a day), as XlsxWriter
    computes it: Excel counts a 29 February 1900 that never was, so days from 1 March 1900 on are one more."""
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    delta = moment.replace(tzinfo=None) - _EXCEL_EPOCH
    days = delta.days + 1 if delta.days > 59 else delta.days
    return days + (delta.seconds + delta.microseconds / 1e6) / 86400 if delta.seconds or delta.microseconds else days


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def write_csv(dataset: Dataset, rows: Iterable[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel shows the Vietnamese letters."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in dataset.columns])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def guide_lines(dataset: Dataset, translate: Callable[[str], str]) -> list[list[str]]:
    """The "Hướng dẫn" sheet: what the dataset is, then one line per column."""
    lines = [
        [translate(dataset.title)],
        [translate(dataset.help)],
        [""],
        [
            translate(N_("Column")),
            translate(N_("Required")),
            translate(N_("What to enter")),
            translate(N_("Example")),
        ],
    ]
    for column in dataset.columns:
        example = column.example
        if isinstance(example, date):
            example = example.strftime("%d/%m/%Y")
        lines.append(
            [
                column.header,
                translate(N_("Yes")) if column.required else "",
                translate(column.help),
                "" if example is None else str(example),
            ]
        )
    lines += [
        [""],
        [
            translate(
                N_(
                    "Dates are written dd/mm/yyyy. Formulas are not accepted: paste values only. "
                    "A file is imported whole or not at all; the error list names the row and column "
                    "of every problem."
                )
            )
        ],
    ]
    return lines


def example_row(dataset: Dataset) -> list[Any]:
    return [column.example for column in dataset.columns]
