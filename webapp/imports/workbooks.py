"""Writing the files users download: templates (header, one example row, a guide sheet) and exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from webapp.imports.common import N_
from webapp.imports.datasets import Dataset

DATA_SHEET = "Dữ liệu"
GUIDE_SHEET = "Hướng dẫn"
HEADER_FILL = "#FCE4E4"
# How often ``write_xlsx`` reports the rows written so far.
PROGRESS_EVERY = 5000


def _text(value: str) -> str:
    if value.isprintable():  # nearly always: skip the expression
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters cannot be stored in a worksheet


def write_xlsx(
    dataset: Dataset,
    rows: Iterable[list[Any]],
    guide: list[list[str]] | None = None,
    target: str | IO[bytes] | None = None,
    progress: Callable[[int], None] | None = None,
) -> bytes | None:
    """A workbook whose first sheet is the data under the Vietnamese headers, and an optional guide sheet.

    Written by XlsxWriter row by row: to a file path in constant memory (an export of 800,000 rows holds one row
    at a time), else into memory and returned. Formats are shared objects, one per kind of cell, not styles
    built per cell. Text is always written as text (never a formula, whatever the database holds) in the "@"
    format, so that codes such as 00070 keep their zeros when edited; dates as dates."""
    buffer = io.BytesIO() if target is None else None
    out = buffer if buffer is not None else target
    options = {"constant_memory": isinstance(target, str), "in_memory": not isinstance(target, str),
               "strings_to_formulas": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(out, options)
    header = workbook.add_format({"bold": True, "bg_color": HEADER_FILL, "num_format": "@"})
    text = workbook.add_format({"num_format": "@"})
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    moment = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    sheet = workbook.add_worksheet(DATA_SHEET)
    sheet.freeze_panes(1, 0)
    for index, column in enumerate(dataset.columns):
        sheet.set_column(index, index, column.width)
    for index, column in enumerate(dataset.columns):
        sheet.write_string(0, index, column.header, header)
    # XlsxWriter's public write_* methods wrap these in an argument parser that costs a tenth of an export of
    # 800,000 rows; row and column are always numbers here.
    put_string, put_blank, put_number = sheet._write_string, sheet._write_blank, sheet._write_number
    put_datetime, put_boolean = sheet._write_datetime, sheet._write_boolean
    number = 0
    for number, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            kind = type(value)
            if kind is str:
                put_string(number, index, _text(value), text)
            elif value is None:
                put_blank(number, index, None, text)
            elif kind is int or kind is float:
                put_number(number, index, value, None)
            elif kind is bool:
                put_boolean(number, index, value, None)
            elif isinstance(value, datetime):
                put_datetime(number, index, value, moment)
            elif isinstance(value, date):
                put_datetime(number, index, value, day)
            elif isinstance(value, str):
                put_string(number, index, _text(value), text)
            else:
                put_number(number, index, value, None)
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
    if progress is not None:
        progress(number)
    if guide:
        notes = workbook.add_worksheet(GUIDE_SHEET)
        wrap = workbook.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
        bold = workbook.add_format({"text_wrap": True, "valign": "top", "num_format": "@", "bold": True,
                                    "bg_color": HEADER_FILL})
        for index, width in enumerate((24, 12, 70, 22)):
            notes.set_column(index, index, width)
        for number, line in enumerate(guide):
            for index, value in enumerate(line):
                notes.write_string(number, index, _text(value), bold if number in (0, 3) else wrap)
    workbook.close()
    return buffer.getvalue() if buffer is not None else None


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
