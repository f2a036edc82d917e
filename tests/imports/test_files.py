"""Hostile and broken files: each gets a clear message and writes nothing."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from tests.imports.helpers import audit_rows, count, csv_bytes, headers, rejected, run, xlsx
from webapp.elections.models import Candidate, ElectoralUnit, PollingArea

UNIT = ["HĐND xã", "X-26743-09", 9, "Đơn vị bầu cử số 9", "79", "26743", 3]


def messages(errors) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.message_id for e in errors]


def test_a_text_file_named_xlsx(db_session, w) -> None:
    errors = rejected(db_session, w, "tinh", "units", "Cấp bầu cử,Mã đơn vị\n".encode(), "donvi.xlsx")
    assert [(e.row, e.column) for e in errors] == [(0, "")]
    assert "is not an Excel workbook" in errors[0].message_id


def test_a_word_document_named_xlsx(db_session, w) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    errors = rejected(db_session, w, "tinh", "units", buffer.getvalue(), "donvi.xlsx")
    assert "is not an Excel workbook" in errors[0].message_id


def test_a_damaged_workbook(db_session, w) -> None:
    data = xlsx([headers("units"), UNIT])
    errors = rejected(db_session, w, "tinh", "units", data[: len(data) // 2], "donvi.xlsx")
    assert "damaged" in errors[0].message_id


def test_a_workbook_with_broken_xml(db_session, w) -> None:
    source = zipfile.ZipFile(io.BytesIO(xlsx([headers("units"), UNIT])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            body = source.read(info)
            archive.writestr(info, body[:40] if info.filename.endswith("sheet1.xml") else body)
    errors = rejected(db_session, w, "tinh", "units", buffer.getvalue(), "donvi.xlsx")
    assert "damaged or uses features" in errors[0].message_id


def test_a_zip_bomb_is_not_unpacked(db_session, w) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(210):
                sheet.write(chunk)
    assert len(buffer.getvalue()) < 1024 * 1024
    errors = rejected(db_session, w, "tinh", "units", buffer.getvalue(), "bomb.xlsx")
    assert "unpacks to far more data" in errors[0].message_id


@pytest.mark.parametrize("name", ["donvi.xls", "donvi.ods", "donvi.txt", "donvi", "donvi.pdf"])
def test_other_kinds_of_files(db_session, w, name: str) -> None:
    errors = rejected(db_session, w, "tinh", "units", xlsx([headers("units"), UNIT]), name)
    assert errors[0].row == 0


def test_too_large_and_too_many_rows(db_session, w) -> None:
    data = xlsx([headers("units"), UNIT])
    assert "larger than" in rejected(db_session, w, "tinh", "units", data, max_bytes=len(data) - 1)[0].message_id
    rows = [headers("units")] + [["HĐND xã", f"X-26743-{n}", n, "Đơn vị", "79", "26743", 3] for n in range(10, 20)]
    errors = rejected(db_session, w, "tinh", "units", xlsx(rows), max_rows=5)
    assert "more than %(limit)d rows" in errors[0].message_id


def test_empty_files(db_session, w) -> None:
    assert "empty" in rejected(db_session, w, "tinh", "units", b"", "a.csv")[0].message_id
    assert "no data rows" in rejected(db_session, w, "tinh", "units", xlsx([headers("units")]))[0].message_id


def test_wrong_columns(db_session, w) -> None:
    errors = rejected(db_session, w, "tinh", "units", xlsx([headers("candidates"), ["X", 1, "A", "1/1/1970", "Nam"]]))
    assert "No header row" in errors[0].message_id
    extra = rejected(db_session, w, "tinh", "units", xlsx([[*headers("units"), "Ghi chú"], [*UNIT, "x"]]))
    assert [(e.row, e.column) for e in extra] == [(1, "Ghi chú")]
    missing = rejected(db_session, w, "tinh", "units", xlsx([headers("units")[:-1], UNIT[:-1]]))
    assert [(e.row, e.column, e.message_id) for e in missing] == [
        (1, "Số đại biểu được bầu", "This required column is missing.")]
    twice = rejected(db_session, w, "tinh", "units", xlsx([[*headers("units"), "Mã tỉnh"], [*UNIT, "79"]]))
    assert "appears twice in the header" in twice[0].message_id


def test_headers_match_without_accents_or_case_and_after_a_title(db_session, w) -> None:
    folded = ["cap bau cu", "MÃ ĐƠN VỊ", "Số đơn vị*", "ten don vi", "ma tinh", "Mã xã", "so dai bieu duoc bau"]
    result = run(db_session, w, "xa", "units", xlsx([["DANH SÁCH ĐƠN VỊ BẦU CỬ"], [], folded, UNIT]))
    assert result.counts.created == 1


def test_duplicate_codes_write_nothing(db_session, w) -> None:
    before = (count(db_session, ElectoralUnit), audit_rows(db_session))
    errors = rejected(db_session, w, "xa", "units", xlsx([headers("units"), UNIT, UNIT]))
    assert [(e.row, e.column) for e in errors] == [(3, "Mã đơn vị")]
    assert errors[0].params == {"code": "X-26743-09", "row": 2}
    assert (count(db_session, ElectoralUnit), audit_rows(db_session)) == before


def test_unknown_commune_code(db_session, w) -> None:
    errors = rejected(db_session, w, "tinh", "units", xlsx([headers("units"), [*UNIT[:5], "99999", 3]]))
    assert [(e.row, e.column, e.params) for e in errors] == [(2, "Mã xã", {"code": "99999"})]


def test_formulas_are_refused(db_session, w) -> None:
    errors = rejected(db_session, w, "xa", "units", xlsx([headers("units"), [*UNIT[:6], "=1+2"]]))
    assert [(e.row, e.column) for e in errors] == [(2, "Số đại biểu được bầu")]
    assert "Formulas" in errors[0].message_id
    csv_errors = rejected(db_session, w, "xa", "units",
                          csv_bytes([headers("units"), [*UNIT[:3], '=HYPERLINK("http://x","y")', *UNIT[4:]]]),
                          "donvi.csv")
    assert [(e.row, e.column) for e in csv_errors] == [(2, "Tên đơn vị")]


def test_excel_error_values_are_refused(db_session, w) -> None:
    errors = rejected(db_session, w, "xa", "units", xlsx([headers("units"), [*UNIT[:6], "#REF!"]]))
    assert "Excel error" in errors[0].message_id


CANDIDATE_HEADERS = headers("candidates")


@pytest.mark.parametrize(("value", "fragment"), [
    ("15/03/26", "four digits"),
    ("12/25/1970", "month/day/year"),
    ("March 5, 1970", "not a date in a known form"),
    ("31/02/1970", "does not exist"),
    ("1970", "not a date in a known form"),
    (1970, "found a number"),
    (25000, "found a number"),
    ("5/3/1970 14:30", "without a time"),
    ("05/03/0970", "not plausible"),
])
def test_dates_in_odd_formats(db_session, w, value: object, fragment: str) -> None:
    rows = [CANDIDATE_HEADERS] + [["X-26743-01", n, f"Người {n}", date(1970, 1, n), "Nam"] for n in range(1, 9)]
    rows[1][3] = value
    errors = rejected(db_session, w, "xa", "candidates", xlsx(rows))
    assert [(e.row, e.column) for e in errors] == [(2, "Ngày sinh")]
    assert fragment in errors[0].message_id


@pytest.mark.parametrize("value", ["5/3/1970", "05/03/1970", "1970-03-05", "05-03-1970", "05.03.1970",
                                   date(1970, 3, 5), datetime(1970, 3, 5)])
def test_accepted_date_forms(db_session, w, value: object) -> None:
    existing = db_session.scalars(Candidate.__table__.select().with_only_columns(Candidate.ballot_order)
                                  .where(Candidate.unit_id == w.unit("X-26743-01").id)).all()
    rows = [CANDIDATE_HEADERS, ["X-26743-01", len(existing) + 1, "Lê Văn Mới", value, "Nam"]]
    run(db_session, w, "xa", "candidates", xlsx(rows))
    added = db_session.scalars(Candidate.__table__.select().with_only_columns(Candidate.birth_date)
                               .where(Candidate.full_name == "Lê Văn Mới")).one()
    assert added == date(1970, 3, 5)


def test_text_not_in_nfc_is_stored_composed_and_reimport_changes_nothing(db_session, w) -> None:
    name = "Đơn vị bầu cử số chín – Bến Thành"
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name
    first = run(db_session, w, "xa", "units", xlsx([headers("units"), [*UNIT[:3], decomposed, *UNIT[4:]]]))
    assert first.counts.created == 1 and first.normalised_cells == 1
    assert w.unit("X-26743-09").name == name
    second = run(db_session, w, "xa", "units", xlsx([headers("units"), [*UNIT[:3], name, *UNIT[4:]]]))
    assert (second.counts.created, second.counts.updated, second.counts.unchanged) == (0, 0, 1)


def test_invisible_characters_are_refused(db_session, w) -> None:
    errors = rejected(db_session, w, "xa", "units", xlsx([headers("units"), [*UNIT[:3], "Đơn\u200bvị", *UNIT[4:]]]))
    assert [(e.row, e.column) for e in errors] == [(2, "Tên đơn vị")]


def test_csv_not_in_utf8(db_session, w) -> None:
    data = csv_bytes([headers("units"), UNIT], encoding="utf-16")
    assert rejected(db_session, w, "xa", "units", data, "donvi.csv")[0].row == 0
    latin = "Cap bau cu,Ma don vi\nx,caf\xe9\n".encode("latin-1")
    assert "not in UTF-8" in rejected(db_session, w, "xa", "units", latin, "donvi.csv")[0].message_id


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_with_any_usual_delimiter(db_session, w, delimiter: str) -> None:
    data = csv_bytes([headers("units"), UNIT], delimiter=delimiter)
    assert run(db_session, w, "xa", "units", data, "donvi.csv").counts.created == 1


def test_an_xlsx_named_csv(db_session, w) -> None:
    errors = rejected(db_session, w, "xa", "units", xlsx([headers("units"), UNIT]), "donvi.csv")
    assert "is an Excel workbook" in errors[0].message_id


def test_codes_that_lost_their_zeros_in_excel(db_session, w) -> None:
    rows = [headers("polling_areas"),
            ["00070-02", 70, 2, "Khu vực bỏ phiếu số 2", "", "", None, "QH-01-01", "T-01-01", "X-00070-01"]]
    rows[0] = rows[0][:10]
    result = run(db_session, w, "hn_xa", "polling_areas", xlsx(rows))
    assert result.counts.created == 1
    assert w.area("00070-02").commune.code == "00070"


def test_a_sheet_claiming_a_huge_size_is_read_by_its_content(db_session, w) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers("units"))
    sheet.append(UNIT)
    sheet.cell(row=90, column=1).value = None
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue().replace(b'<dimension ref="A1:G90"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert run(db_session, w, "xa", "units", data).counts.created == 1
    assert count(db_session, PollingArea) > 0


@pytest.mark.parametrize("dataset", ["units", "candidates", "polling_areas", "teams", "accounts"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_templates_example_row_is_not_imported(db_session, w, dataset: str, fmt: str) -> None:
    from webapp.imports import services

    data = services.template_file(dataset, fmt, lambda s: s)
    errors = rejected(db_session, w, "quantri", dataset, data, f"mau.{fmt}")
    assert (2, "", "This is the template's example row. Delete it.") in [(e.row, e.column, e.message_id)
                                                                          for e in errors]


def test_a_csv_with_a_monstrous_field(db_session, w) -> None:
    data = ",".join(headers("units")).encode() + b"\n" + b"x" * 200_000 + b"\n"
    errors = rejected(db_session, w, "xa", "units", data, "donvi.csv")
    assert [(e.row, e.message_id) for e in errors] == [(0, "The CSV file is malformed (%(detail)s).")]


def test_digits_that_are_not_ascii(db_session, w) -> None:
    row = ["HĐND xã", "X-26743-09", "²", "Đơn vị", "79", "２６７４３", "٣"]
    errors = rejected(db_session, w, "xa", "units", xlsx([headers("units"), row]))
    assert [e.column for e in errors] == ["Số đơn vị", "Mã xã", "Số đại biểu được bầu"]
