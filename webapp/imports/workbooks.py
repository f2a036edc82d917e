"""Writing the files users download: templates (header, one example row, a guide sheet) and exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from webapp.imports.common import N_
from webapp.imports.datasets import Dataset

DATA_SHEET = "Dữ liệu"
GUIDE_SHEET = "Hướng dẫn"
HEADER_FILL = PatternFill("solid", fgColor="FCE4E4")
BOLD = Font(bold=True)


def _cell(sheet: Any, value: Any, *, bold: bool = False, wrap: bool = False) -> WriteOnlyCell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters cannot be stored in a worksheet
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula, whatever the database holds
    if isinstance(value, datetime):
        cell.number_format = "DD/MM/YYYY HH:MM"
    elif isinstance(value, date):
        cell.number_format = "DD/MM/YYYY"
    elif isinstance(value, str) or value is None:
        cell.number_format = "@"  # codes such as 00070 keep their zeros when edited
    if bold:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def write_xlsx(dataset: Dataset, rows: Iterable[list[Any]], guide: list[list[str]] | None = None) -> bytes:
    """A workbook whose first sheet is the data under the Vietnamese headers, and an optional guide sheet."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(DATA_SHEET)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(dataset.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([_cell(sheet, column.header, bold=True) for column in dataset.columns])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    if guide:
        notes = workbook.create_sheet(GUIDE_SHEET)
        for letter, width in zip("ABCD", (24, 12, 70, 22), strict=True):
            notes.column_dimensions[letter].width = width
        for number, line in enumerate(guide):
            notes.append([_cell(notes, value, bold=number in (0, 3), wrap=True) for value in line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
