"""Mẫu 28/HĐBC and 30/HĐBC: the provincial committee's preliminary and official statistical tables (issue 17 §3)."""

from __future__ import annotations

import re

from tests.results.helpers import CONFIRMED, NA, RECEIVED, put_report, unit_areas
from tests.results.test_forms import get_pdf, text_of


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
    assert re.search(r"không quá một nửa 4 ", pre)
    official = text_of(get_pdf(client, f"/results/provinces/{unit.province_id}/statistics.pdf?kind=official"),
                       "statistics-30")
    assert "Mẫu số 30/HĐBC" in official and "BIỂU THỐNG KÊ CHÍNH THỨC" in official
    assert re.search(r"Số khu vực bỏ phiếu đã có biên bản 9 ", official)
    assert re.search(r"Số cử tri đã tham gia bỏ phiếu 6\.500 ", official)
    assert client.get(f"/results/provinces/{unit.province_id}/statistics?kind=other").status_code == 404


def test_the_commune_cannot_print_the_provinces_table(as_user, w):
    assert as_user("xa").get(f"/results/provinces/{w.province('79').id}/statistics").status_code == 403
