"""The "DIỄN TẬP" mark on a drill's spreadsheets: whatever writer made the workbook, every sheet gets a red first
row, a red tab and a printed header, so that a drill's figures cannot be mistaken for the real ones on screen or
on paper."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MARK = "DIỄN TẬP"
RED = "B71C1C"


def banner(code: str) -> str:
    """The words of the mark, first row of every sheet of a drill's workbook (also written by
    ``webapp.imports.workbooks.write_xlsx`` for a background export, which streams rows openpyxl could not hold)."""
    return f"{MARK} · {code} · Số liệu diễn tập, không phải kết quả thật"


def mark_workbook(content: bytes, code: str) -> bytes:
    book = load_workbook(io.BytesIO(content))
    text = banner(code)
    for sheet in book.worksheets:
        sheet.insert_rows(1)
        cell = sheet.cell(row=1, column=1, value=text)
        cell.font = Font(bold=True, color="FFFFFF", size=14)
        cell.fill = PatternFill("solid", fgColor=RED)
        if sheet.freeze_panes:
            sheet.freeze_panes = "A3"
        sheet.sheet_properties.tabColor = RED
        sheet.oddHeader.center.text = text
        sheet.oddHeader.center.color = RED
        sheet.evenHeader.center.text = text
    book.properties.title = text
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
