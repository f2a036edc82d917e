"""Whatever the file holds, an import either succeeds or refuses with messages: never another exception."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.imports.helpers import csv_bytes, headers, xlsx
from webapp.imports import services
from webapp.imports.datasets import DATASETS
from webapp.imports.parsing import read_table

CELLS = st.one_of(
    st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30), st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 1, 1)),
    st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2200, 1, 1)),
    st.sampled_from(["26743", "QH-79-01", "X-26743-01", "26743-01", "HĐND xã", "Nam", "Tổ trưởng", "15/03/2026"]),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.no_database
@FUZZ
@given(data=st.binary(max_size=2000), extension=st.sampled_from(["xlsx", "csv"]))
def test_random_bytes_are_refused_cleanly(data: bytes, extension: str) -> None:
    try:
        table = read_table(data, f"f.{extension}", DATASETS["units"], max_bytes=10**6, max_rows=100)
        for _row in table.rows:  # the rows are read as they are checked
            pass
    except services.ImportRejected as exc:
        assert exc.errors


@FUZZ
@given(dataset=st.sampled_from(list(DATASETS)), rows=st.lists(st.lists(CELLS, min_size=3, max_size=15), max_size=4),
       as_csv=st.booleans())
def test_random_cells_never_crash_an_import(db_session, w, dataset: str, rows: list[list[object]],
                                            as_csv: bool) -> None:
    table = [headers(dataset), *rows]
    if as_csv:
        data, name = csv_bytes([["" if v is None else v for v in r] for r in table]), "f.csv"
    else:
        data, name = xlsx(table), "f.xlsx"
    savepoint = db_session.begin_nested()
    try:
        services.import_file(db_session, actor=w.user("tinh"), dataset=dataset, filename=name, data=data,
                             now=datetime(2026, 3, 5).astimezone(), max_bytes=10**6)
    except services.ImportRejected as exc:
        assert all(isinstance(e.message_id, str) and e.message_id for e in exc.errors)
    finally:
        savepoint.rollback()


@pytest.mark.no_database
@FUZZ
@given(text=st.text(st.sampled_from('ab,;"\r\n= '), max_size=60))
def test_csv_lines_are_cut_as_a_text_stream_would_cut_them(text: str) -> None:
    """The CSV reader cuts lines from the text itself (no copy of it): the same rows as csv over a StringIO."""
    import csv
    import io

    from webapp.imports.parsing import _csv_reader

    def plain(cells: list[object]) -> list[str]:
        return [c.text if hasattr(c, "text") else c for c in cells]  # a Formula keeps its first 50 characters

    try:
        expected = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        expected = None
    try:
        found = [plain(cells) for _number, cells in _csv_reader(text, ",", max_rows=1000)]
    except services.ImportRejected:
        found = None
    assert found == (None if expected is None else [[c[:50] if c.lstrip().startswith("=") else c for c in row]
                                                     for row in expected])
