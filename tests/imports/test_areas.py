"""Polling areas: units per contest, dated voter-count versions, scope, idempotence, edits in place."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.imports.helpers import NOW, audit_rows, count, counts, headers, rejected, run, xlsx
from webapp.audit.models import AuditEntry
from webapp.elections.models import ContestKind, PollingArea, PollingAreaKind, VoterCount, VoterCountSource

NEW = ["26743-13", "26743", 13, "Khu vực bỏ phiếu số 13", "Nhà văn hóa khu phố 5", "Bệnh viện", None,
       "QH-79-01", "T-79-01", "X-26743-03", 1500, 1500, 1450, date(2026, 2, 20)]


def area_file(*rows: list[object]) -> bytes:
    return xlsx([headers("polling_areas"), *rows])


def voter_counts(db_session, code: str) -> list[tuple[str, int, datetime, VoterCountSource]]:  # type: ignore[no-untyped-def]
    area = db_session.scalars(sa.select(PollingArea).where(PollingArea.code == code)).one()
    rows = db_session.scalars(sa.select(VoterCount).where(VoterCount.polling_area_id == area.id)
                              .order_by(VoterCount.id)).all()
    return [(v.contest.kind.value, v.total, v.as_of, v.source) for v in rows]


def test_new_area_with_its_units_and_voters(db_session, w) -> None:
    result = run(db_session, w, "xa", "polling_areas", area_file(NEW))
    assert counts(result) == (1, 0, 0) and result.counts.voter_counts_added == 3
    area = w.area("26743-13")
    assert (area.number, area.kind, area.province.code, area.name_folded) == (
        13, PollingAreaKind.HOSPITAL, "79", "khu vuc bo phieu so 13")
    assert {link.contest.kind: link.unit.code for link in area.unit_links} == {
        ContestKind.NATIONAL_ASSEMBLY: "QH-79-01", ContestKind.PROVINCIAL_COUNCIL: "T-79-01",
        ContestKind.COMMUNE_COUNCIL: "X-26743-03"}
    as_of = datetime(2026, 2, 19, 17, 0, tzinfo=UTC)  # midnight in Vietnam
    assert voter_counts(db_session, "26743-13") == [
        ("na", 1500, as_of, VoterCountSource.POSTED), ("provincial", 1500, as_of, VoterCountSource.POSTED),
        ("commune", 1450, as_of, VoterCountSource.POSTED)]


def test_reimport_changes_nothing(db_session, w) -> None:
    run(db_session, w, "xa", "polling_areas", area_file(NEW))
    before = (count(db_session, VoterCount), audit_rows(db_session, AuditEntry.action.in_(["create", "update"])))
    result = run(db_session, w, "xa", "polling_areas", area_file(NEW))
    assert counts(result) == (0, 0, 1) and result.counts.voter_counts_added == 0
    assert (count(db_session, VoterCount),
            audit_rows(db_session, AuditEntry.action.in_(["create", "update"]))) == before


def test_changed_voter_number_is_a_new_version_and_the_old_one_stays(db_session, w) -> None:
    run(db_session, w, "xa", "polling_areas", area_file(NEW))
    changed = [*NEW[:10], 1510, 1500, 1450, datetime(2026, 3, 1, 9, 30)]
    result = run(db_session, w, "xa", "polling_areas", area_file(changed))
    assert counts(result) == (0, 1, 0) and result.counts.voter_counts_added == 1
    versions = voter_counts(db_session, "26743-13")
    assert versions[0][:2] == ("na", 1500)
    assert versions[-1] == ("na", 1510, datetime(2026, 3, 1, 2, 30, tzinfo=UTC), VoterCountSource.UPDATE)
    assert counts(run(db_session, w, "xa", "polling_areas", area_file(changed))) == (0, 0, 1)


def test_changed_voter_number_without_a_date_is_dated_now(db_session, w) -> None:
    area = w.area("26743-02")
    run(db_session, w, "xa", "polling_areas", area_file(
        ["26743-02", "26743", 2, area.name, None, None, None, None, None, None, 999, None, None, None]))
    assert voter_counts(db_session, "26743-02")[-1][1:3] == (999, NOW)


def test_an_older_voter_number_cannot_overtake_a_newer_one(db_session, w) -> None:
    run(db_session, w, "xa", "polling_areas", area_file(NEW))
    older = [*NEW[:10], 1400, 1500, 1450, date(2026, 2, 1)]
    errors = rejected(db_session, w, "xa", "polling_areas", area_file(older))
    assert [(e.row, e.column) for e in errors] == [(2, "Ngày chốt số cử tri")]


def test_edit_in_place_and_absent_columns_are_left_alone(db_session, w) -> None:
    area = w.area("26743-05")
    address, links = area.address, {link.contest_id: link.unit_id for link in area.unit_links}
    data = xlsx([["Mã KVBP", "Mã xã", "Số KVBP", "Tên KVBP"], ["26743-05", "26743", 5, "KVBP số 5 – Chợ Bến Thành"]])
    assert counts(run(db_session, w, "xa", "polling_areas", data)) == (0, 1, 0)
    db_session.refresh(area)
    assert (area.name, area.address) == ("KVBP số 5 – Chợ Bến Thành", address)
    assert {link.contest_id: link.unit_id for link in area.unit_links} == links
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "polling_areas",
                                                           AuditEntry.action == "update")).one()
    assert set(entry.after) == {"name", "name_folded"} and entry.polling_area_id == area.id


def test_moving_an_area_to_another_unit(db_session, w) -> None:
    row = ["26743-01", "26743", 1, w.area("26743-01").name, None, None, None, None, None, "X-26743-02"]
    data = xlsx([headers("polling_areas")[:10], row])
    assert counts(run(db_session, w, "xa", "polling_areas", data)) == (0, 1, 0)
    area = w.area("26743-01")
    db_session.refresh(area)
    assert {link.unit.code for link in area.unit_links} >= {"X-26743-02"}


@pytest.mark.parametrize(("change", "column"), [
    ({1: "99999"}, "Mã xã"),
    ({2: 1}, "Số KVBP"),
    ({7: None}, "Đơn vị bầu cử QH"),
    ({7: "QH-01-01"}, "Đơn vị bầu cử QH"),
    ({8: "QH-79-01"}, "Đơn vị bầu cử HĐND tỉnh"),
    ({9: "X-26740-01"}, "Đơn vị bầu cử HĐND xã"),
    ({6: date(2026, 3, 15)}, "Ngày bỏ phiếu sớm"),
    ({13: datetime(2026, 6, 1)}, "Ngày chốt số cử tri"),
    ({10: -5}, "Số cử tri QH"),
    ({10: "1.5"}, "Số cử tri QH"),
    ({5: "Trường học"}, "Loại KVBP"),
])
def test_area_rules(db_session, w, change: dict[int, object], column: str) -> None:
    row = list(NEW)
    for index, value in change.items():
        row[index] = value
    before = count(db_session, PollingArea)
    errors = rejected(db_session, w, "xa", "polling_areas", area_file(row))
    assert [(e.row, e.column) for e in errors] == [(2, column)]
    assert count(db_session, PollingArea) == before


def test_voters_for_a_contest_need_its_unit(db_session, w) -> None:
    row = [*NEW[:9], None, 1500, 1500, 1450, None]
    errors = rejected(db_session, w, "xa", "polling_areas", area_file(row))
    assert [(e.column, e.message_id) for e in errors] == [
        ("Số cử tri HĐND xã", "Give the electoral unit of this contest as well.")]


def test_thousands_separators_in_voter_numbers(db_session, w) -> None:
    row = [*NEW[:10], "1.500", "1,500", "1 450", None]
    assert run(db_session, w, "xa", "polling_areas", area_file(row)).counts.voter_counts_added == 3


@pytest.mark.parametrize(("username", "row"), [
    ("xa", ["26740-11", "26740", 11, "KVBP 11", None, None, None, "QH-79-01", "T-79-01", None]),
    ("xa", ["00070-02", "00070", 2, "KVBP 2", None, None, None, "QH-01-01", "T-01-01", None]),
    ("hn_xa", ["26743-01", "26743", 1, "Khu vực bỏ phiếu số 1", None, None, None, None, None, None]),
    ("hn_tinh", ["26743-01", "26743", 1, "Khu vực bỏ phiếu số 1", None, None, None, None, None, None]),
])
def test_another_communes_rows_are_refused(db_session, w, username: str, row: list[object]) -> None:
    before = audit_rows(db_session)
    errors = rejected(db_session, w, username, "polling_areas", xlsx([headers("polling_areas")[:10], row]))
    assert [(e.row, e.column, e.message_id) for e in errors] == [(2, "Mã xã", "Not within your area.")]
    assert audit_rows(db_session) == before


def test_one_bad_row_writes_nothing(db_session, w) -> None:
    good = list(NEW)
    bad = ["26743-14", "26743", 14, "KVBP 14", None, None, None, "QH-79-01", "T-79-01", None, 10, 10, None,
           "31/02/2026"]
    before = (count(db_session, PollingArea), count(db_session, VoterCount), audit_rows(db_session))
    errors = rejected(db_session, w, "xa", "polling_areas", area_file(good, bad))
    assert [(e.row, e.column) for e in errors] == [(3, "Ngày chốt số cử tri")]
    assert (count(db_session, PollingArea), count(db_session, VoterCount), audit_rows(db_session)) == before


def test_an_area_cannot_move_to_another_commune_by_import(db_session, w) -> None:
    row = ["26743-01", "26740", 99, "KVBP", None, None, None, None, None, None]
    errors = rejected(db_session, w, "tinh", "polling_areas", xlsx([headers("polling_areas")[:10], row]))
    assert [e.column for e in errors] == ["Mã xã"]
