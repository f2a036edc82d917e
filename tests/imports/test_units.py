"""Electoral units and candidates: the law's configuration rules, scope, idempotence and edits in place."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.imports.helpers import audit_rows, count, counts, headers, rejected, run, xlsx
from webapp.audit.models import AuditEntry, Channel
from webapp.elections.models import Candidate, ElectoralUnit, Gender

UNIT = ["HĐND xã", "X-26743-09", 9, "Đơn vị bầu cử số 9", "79", "26743", 3]


def unit_file(*rows: list[object]) -> bytes:
    return xlsx([headers("units"), *rows])


def candidates_file(code: str, n: int, *, start: int = 1) -> bytes:
    rows = [[code, k, f"Người Ứng Cử {k}", date(1970, 1, k), "Nữ" if k % 2 else "Nam"]
            for k in range(start, start + n)]
    return xlsx([headers("candidates"), *rows])


def test_create_then_reimport_changes_nothing_then_edit_in_place(db_session, w) -> None:
    rows = [UNIT, ["QH", "QH-79-02", 2, "Đơn vị bầu cử số 2", "79", None, 3]]
    assert counts(run(db_session, w, "tinh", "units", unit_file(*rows))) == (2, 0, 0)
    unit = w.unit("X-26743-09")
    assert (unit.commune.code, unit.seats, unit.contest.kind.value) == ("26743", 3, "commune")
    updates = audit_rows(db_session, AuditEntry.action == "update")
    assert counts(run(db_session, w, "tinh", "units", unit_file(*rows))) == (0, 0, 2)
    assert audit_rows(db_session, AuditEntry.action == "update") == updates
    rows[0] = [*UNIT[:3], "Đơn vị số 9 (Bến Thành)", *UNIT[4:6], 5]
    assert counts(run(db_session, w, "tinh", "units", unit_file(*rows))) == (0, 1, 1)
    db_session.refresh(unit)
    assert (unit.name, unit.seats) == ("Đơn vị số 9 (Bến Thành)", 5)
    entry = db_session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "electoral_units", AuditEntry.action == "update")).one()
    assert entry.channel is Channel.IMPORT and entry.after == {"name": "Đơn vị số 9 (Bến Thành)", "seats": 5}


@pytest.mark.parametrize(("row", "column"), [
    (["QH", "QH-79-09", 9, "Đơn vị 9", "79", None, 4], "Số đại biểu được bầu"),
    (["HĐND tỉnh", "T-79-09", 9, "Đơn vị 9", "79", None, 6], "Số đại biểu được bầu"),
    (["HĐND xã", "X-26743-09", 9, "Đơn vị 9", "79", None, 3], "Mã xã"),
    (["HĐND xã", "X-26743-09", 9, "Đơn vị 9", "79", "00070", 3], "Mã xã"),
    (["QH", "QH-79-09", 9, "Đơn vị 9", "79", "26743", 3], "Mã xã"),
    (["QH", "QH-79-09", 9, "Đơn vị 9", "99", None, 3], "Mã tỉnh"),
    (["Quốc hội khóa XV", "QH-79-09", 9, "Đơn vị 9", "79", None, 3], "Cấp bầu cử"),
    (["QH", "QH-79-09", 1, "Đơn vị 9", "79", None, 3], "Số đơn vị"),
    (["QH", "QH 79 09", 9, "Đơn vị 9", "79", None, 3], "Mã đơn vị"),
    (["QH", "QH-79-09", 9, "", "79", None, 3], "Tên đơn vị"),
])
def test_unit_rules(db_session, w, row: list[object], column: str) -> None:
    errors = rejected(db_session, w, "tinh", "units", unit_file(UNIT, row))
    assert [(e.row, e.column) for e in errors] == [(3, column)]
    assert count(db_session, ElectoralUnit, ElectoralUnit.code == "X-26743-09") == 0


def test_a_special_zone_without_council_has_no_commune_units(db_session, w) -> None:
    zone = w.commune("11948")  # Bạch Long Vĩ
    assert not zone.has_commune_council
    row = ["HĐND xã", "X-11948-01", 1, "Đơn vị 1", zone.province.code, zone.code, 3]
    errors = rejected(db_session, w, "quantri", "units", unit_file(row))
    assert [(e.column, e.params) for e in errors] == [("Mã xã", {"name": zone.name})]


@pytest.mark.parametrize(("username", "row"), [
    ("xa", ["QH", "QH-79-01", 1, "Đơn vị bầu cử số 1", "79", None, 3]),
    ("xa", ["HĐND tỉnh", "T-79-09", 9, "Đơn vị 9", "79", None, 3]),
    ("xa", ["HĐND xã", "X-26740-09", 9, "Đơn vị 9", "79", "26740", 3]),
    ("hn_xa", UNIT),
    ("hn_tinh", UNIT),
    ("tinh", ["HĐND xã", "X-00070-01", 1, "Đơn vị bầu cử số 1", "01", "00070", 3]),
])
def test_rows_outside_the_importers_area_are_refused(db_session, w, username: str, row: list[object]) -> None:
    before = audit_rows(db_session)
    errors = rejected(db_session, w, username, "units", unit_file(row))
    assert [e.message_id for e in errors] == ["Not within your area."]
    assert audit_rows(db_session) == before


def test_commune_official_configures_own_commune_units(db_session, w) -> None:
    assert counts(run(db_session, w, "xa", "units", unit_file(UNIT))) == (1, 0, 0)


def test_seats_cannot_outgrow_the_candidates(db_session, w) -> None:
    unit = w.unit("X-26743-01")
    have = len(unit.candidates)
    seats = next(s for s in (3, 4, 5) if have < {3: 5, 4: 7, 5: 8}[s])
    errors = rejected(db_session, w, "xa", "units",
                      unit_file(["HĐND xã", unit.code, unit.number, unit.name, "79", "26743", seats]))
    assert [(e.column, e.params["count"]) for e in errors] == [("Số đại biểu được bầu", have)]


def test_candidates_for_a_new_unit(db_session, w) -> None:
    run(db_session, w, "xa", "units", unit_file(UNIT))
    assert counts(run(db_session, w, "xa", "candidates", candidates_file("X-26743-09", 5))) == (5, 0, 0)
    unit = w.unit("X-26743-09")
    db_session.refresh(unit)
    assert [c.ballot_order for c in unit.candidates] == [1, 2, 3, 4, 5]
    assert unit.candidates[0].gender is Gender.FEMALE and unit.candidates[0].name_folded == "nguoi ung cu 1"
    assert counts(run(db_session, w, "xa", "candidates", candidates_file("X-26743-09", 5))) == (0, 0, 5)
    edited = xlsx([headers("candidates"), ["X-26743-09", 2, "Trần Thị Hai", date(1980, 2, 2), "Nữ"]])
    assert counts(run(db_session, w, "xa", "candidates", edited)) == (0, 1, 0)
    db_session.refresh(unit)
    assert [c.full_name for c in unit.candidates][:2] == ["Người Ứng Cử 1", "Trần Thị Hai"]


def test_a_unit_left_with_too_few_candidates_is_an_error_for_that_unit(db_session, w) -> None:
    run(db_session, w, "xa", "units", unit_file(UNIT))
    errors = rejected(db_session, w, "xa", "candidates", candidates_file("X-26743-09", 4))
    assert [(e.row, e.column, e.params["needed"], e.params["count"]) for e in errors] == [(2, "Mã đơn vị", 5, 4)]
    assert count(db_session, Candidate, Candidate.unit_id == w.unit("X-26743-09").id) == 0


def test_national_assembly_needs_two_more_than_seats(db_session, w) -> None:
    run(db_session, w, "tinh", "units", unit_file(["QH", "QH-79-02", 2, "Đơn vị bầu cử số 2", "79", None, 3]))
    assert rejected(db_session, w, "tinh", "candidates", candidates_file("QH-79-02", 4))[0].params["needed"] == 5
    assert counts(run(db_session, w, "tinh", "candidates", candidates_file("QH-79-02", 5))) == (5, 0, 0)


def test_ballot_numbers_without_gaps(db_session, w) -> None:
    run(db_session, w, "xa", "units", unit_file(UNIT))
    rows = [["X-26743-09", k, f"Người {k}", date(1970, 1, k), "Nam"] for k in (1, 2, 3, 4, 6)]
    errors = rejected(db_session, w, "xa", "candidates", xlsx([headers("candidates"), *rows]))
    assert [e.params.get("numbers") for e in errors] == ["1, 2, 3, 4, 6"]


@pytest.mark.parametrize(("row", "column"), [
    (["X-26743-09", 5, "Người 5", date(2010, 1, 1), "Nam"], "Ngày sinh"),
    (["X-26743-09", 5, "Người 5", date(1970, 1, 5), "Không rõ"], "Giới tính"),
    (["X-26743-09", 4, "Người 5", date(1970, 1, 5), "Nam"], "Số thứ tự"),
    (["X-26743-09", 5, "Người 4", date(1970, 1, 4), "Nam"], "Họ và tên"),
    (["X-99", 5, "Người 5", date(1970, 1, 5), "Nam"], "Mã đơn vị"),
    (["X-26743-09", 5, "12345", date(1970, 1, 5), "Nam"], "Họ và tên"),
])
def test_candidate_rows(db_session, w, row: list[object], column: str) -> None:
    run(db_session, w, "xa", "units", unit_file(UNIT))
    rows = [["X-26743-09", k, f"Người {k}", date(1970, 1, k), "Nam"] for k in range(1, 5)]
    errors = rejected(db_session, w, "xa", "candidates", xlsx([headers("candidates"), *rows, row]))
    assert (6, column) in [(e.row, e.column) for e in errors]
    assert count(db_session, Candidate, Candidate.unit_id == w.unit("X-26743-09").id) == 0


def test_candidates_of_units_outside_the_area(db_session, w) -> None:
    for username, code in (("xa", "QH-79-01"), ("xa", "X-26740-01"), ("hn_xa", "X-26743-01"), ("tinh", "QH-01-01")):
        errors = rejected(db_session, w, username, "candidates", candidates_file(code, 8))
        assert {e.message_id for e in errors} == {"Not within your area."}, (username, code)
