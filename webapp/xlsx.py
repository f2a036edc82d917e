"""What every XLSX export shares (openpyxl, write-only): typed cells, sheets with a frozen header row."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

HEADER_FILL = PatternFill("solid", fgColor="FCE4E4")
BOLD = Font(bold=True)


def cell(sheet: Any, value: Any, *, header: bool = False) -> WriteOnlyCell:
    if isinstance(value, Decimal):  # a display percentage: stored as a fraction, shown with two decimals
        written = WriteOnlyCell(sheet, value=float(value) / 100)
        written.number_format = "0.00%"
        return written
    written = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        written.data_type = "s"  # names and codes are text, never formulas
        written.number_format = "@"
    if header:
        written.font, written.fill = BOLD, HEADER_FILL
    return written


def add_sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
              widths: Sequence[int] = ()) -> None:
    """A sheet named ``title`` (cut to Excel's 31 characters), its header row frozen, ``widths`` wide."""
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.append([cell(sheet, h, header=True) for h in headers])
    for row in rows:
        sheet.append([cell(sheet, v) for v in row])


def to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
