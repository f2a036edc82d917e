"""Mẫu 28/HĐBC and 30/HĐBC: the provincial committee's preliminary and official statistical tables (issue 17 §3)."""

from __future__ import annotations

import re

from tests.results.helpers import COMMUNE, CONFIRMED, NA, RECEIVED, put_report, unit_areas
from tests.results.test_forms import get_pdf, text_of
from webapp.results.statistics import unit_label


def test_the_preliminary_table_counts_what_arrived_and_the_official_one_what_is_confirmed(db_session, w, as_user):
    unit = w.unit("QH-79-01")
    areas = unit_areas(db_session, unit)
    for i, area in enumerate(areas[:10]):
        # 1,000 voters each; four stations at exactly half (not more than half: counted), one still awaiting review.
        put_report(db_session, w, area, NA, on_list=1000, voted=500 if i < 4 else 900, invalid=10,
                   status=RECEIVED if i == 9 else CONFIRMED)
    client = as_user("tinh")
    pre = text_of(get_pdf(client, f"/results/provinces/{unit.province_id}/statistics.pdf?kind=preliminary"),
                  "statistics-28")
    assert "Mẫu số 28/HĐBC" in pre and "BIỂU THỐNG KÊ SƠ BỘ" in pre
    assert re.search(r"Số khu vực bỏ phiếu đã có biên bản 10 ", pre)
    assert re.search(r"Số cử tri đã tham gia bỏ phiếu 7\.400 ", pre)  # 4 × 500 + 6 × 900
    # The label may wrap before or after the figures, now that the table has a third column.
    assert re.search(r"Số khu vực bỏ phiếu có số cử tri đi bầu không(\s+quá\s+một\s+nửa)?\s+4 ", pre)
    official = text_of(get_pdf(client, f"/results/provinces/{unit.province_id}/statistics.pdf?kind=official"),
                       "statistics-30")
    assert "Mẫu số 30/HĐBC" in official and "BIỂU THỐNG KÊ CHÍNH THỨC" in official
    assert re.search(r"Số khu vực bỏ phiếu đã có biên bản 9 ", official)
    assert re.search(r"Số cử tri đã tham gia bỏ phiếu 6\.500 ", official)
    assert client.get(f"/results/provinces/{unit.province_id}/statistics?kind=other").status_code == 404


def test_the_commune_cannot_print_the_provinces_table(as_user, w):
    assert as_user("xa").get(f"/results/provinces/{w.province('79').id}/statistics").status_code == 403


def test_the_communes_councils_have_their_own_column_and_part(db_session, w, as_user):
    """The provincial committee counts every level of the day (voters-and-drills.md §3, "per cấp bầu cử"): the
    commune councils of all its communes form one column of the table and one part of the report, and a unit is
    named with its commune there, since every commune numbers its units from 1."""
    na_unit, commune_unit = w.unit("QH-79-01"), w.unit("X-26743-01")
    for area in unit_areas(db_session, commune_unit)[:3]:
        put_report(db_session, w, area, COMMUNE, on_list=1000, voted=400)  # at most half: a low-turnout unit
    put_report(db_session, w, unit_areas(db_session, na_unit)[0], NA, on_list=1000, voted=900)
    client = as_user("tinh")
    table = client.get(f"/results/provinces/{na_unit.province_id}/statistics?kind=preliminary").get_data(as_text=True)
    assert "HĐND xã, phường, đặc khu" in table
    report = client.get(f"/results/provinces/{na_unit.province_id}/report?kind=preliminary").get_data(as_text=True)
    assert "BẦU CỬ ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN XÃ, PHƯỜNG, ĐẶC KHU" in report
    assert f"đơn vị số {commune_unit.number} - {commune_unit.commune.name}" in report


def test_a_commune_councils_unit_is_named_with_its_commune(w):
    assert unit_label(w.unit("X-26743-01")) == f"1 - {w.unit('X-26743-01').commune.name}"
    assert unit_label(w.unit("QH-79-01")) == "1"
