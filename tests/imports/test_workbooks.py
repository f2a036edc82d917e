"""The exported sheet's XML is written by hand (workbooks._write_rows): whatever a row holds, the workbook opens
in openpyxl, in both its readers, with the values and cell formats that were written."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from webapp.imports import workbooks
from webapp.imports.datasets import TEAMS

# Runs on SQLite only (scripts/test.sh): workbooks written and read in memory, no database.
pytestmark = pytest.mark.no_database

WIDTH = len(TEAMS.columns)
# Text as a database may hold it: any character, with the ones XML cannot carry among them.
TEXT = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=("Cs",)), max_size=20),
    st.sampled_from(["", " ", " lead", "trail ", "a\rb", "a\r\nb", "<b>&amp;</b>", "=1+1", "\ud800x", "x\ufffe",
                     "00070", "Nguyễn Văn Thử", "tab\tbed", "bell\x07"]),
)
VALUES = st.one_of(
    st.none(), TEXT, st.integers(-(10**15), 10**15), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 12, 31)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 12, 31)).map(
        lambda d: d.replace(microsecond=0)),
)
ROWS = st.lists(st.lists(VALUES, min_size=WIDTH, max_size=WIDTH), max_size=6)


def _unwritable(ch: str) -> bool:
    code = ord(ch)
    return (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)


def expected(value: object) -> tuple[object, str]:
    """What a reader finds in the cell: the value, and the cell's number format."""
    if isinstance(value, str):
        kept = "".join(ch for ch in value if not _unwritable(ch))
        return (kept or None), "@"
    if value is None:
        return None, "@"
    if isinstance(value, datetime):
        return value, "dd/mm/yyyy hh:mm"
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), "dd/mm/yyyy"
    return value, "General"


@settings(max_examples=150, deadline=None)
@given(rows=ROWS, read_only=st.booleans())
def test_every_value_reads_back_as_written(rows: list[list[object]], read_only: bool) -> None:
    data = workbooks.write_xlsx(TEAMS, rows, [["Hướng dẫn"], ["<&>"]])
    assert data is not None
    book = load_workbook(io.BytesIO(data), read_only=read_only)
    assert book.sheetnames == [workbooks.DATA_SHEET, workbooks.GUIDE_SHEET]
    sheet = book.worksheets[0]
    found = [[(c.value, c.number_format) for c in row] for row in sheet.iter_rows()]
    assert [v for v, _f in found[0]] == [c.header for c in TEAMS.columns]
    assert found[1:] == [[expected(v) for v in row] for row in rows]
    assert [list(r) for r in book.worksheets[1].iter_rows(values_only=True)] == [["Hướng dẫn"], ["<&>"]]
    # The declared size is the real one (a reader that trusts it reads every row, and no more).
    assert sheet.max_row == len(rows) + 1 and sheet.max_column == WIDTH


def test_numbers_that_are_not_plain_floats_and_values_a_sheet_cannot_hold() -> None:
    rows = [[Decimal("2.25"), float("inf"), float("nan"), 7, "x"]]
    book = load_workbook(io.BytesIO(workbooks.write_xlsx(TEAMS, rows)))
    assert [list(r) for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [[2.25, None, None, 7, "x"]]


def test_an_export_to_a_file_is_a_complete_workbook(tmp_path) -> None:
    target = tmp_path / "out.xlsx"
    seen: list[int] = []
    rows = ([f"{n:05d}-01", n % 200, f"Người {n}", "Tổ viên", None] for n in range(12_001))
    assert workbooks.write_xlsx(TEAMS, rows, target=str(target), progress=seen.append) is None
    assert seen == [5000, 10000, 12001]
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        sheet = archive.read(workbooks.DATA_PART)
    assert sheet.count(b"<row ") == 12_002 and b'<dimension ref="A1:E12002"/>' in sheet
    book = load_workbook(target, read_only=True)
    last = list(book.worksheets[0].iter_rows(min_row=12_002, values_only=True))
    assert last == [("12000-01", 0, "Người 12000", "Tổ viên", None)]
