"""The official forms as PDF: each one rendered and read back with pdftotext (issue 6 §3, §4)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, csrf_token
from tests.results.helpers import BEN_THANH, COMMUNE, NA, PROV, RECEIVED, put_report, put_turnout, unit_areas

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) missing")
OUT = ARTIFACTS / "results"


def text_of(pdf: bytes, name: str) -> str:
    """The PDF's text (layout kept), and the PDF kept in test-artifacts/results to look at."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True)
    return re.sub(r"[ \t]+", " ", out.stdout)


def pages_of(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def get_pdf(client, url: str) -> bytes:
    """A form's PDF as a user gets it: its address offers to make the file (in the background; at once under
    JOBS_IMMEDIATE), then gives it."""
    response = client.get(url)
    if response.mimetype != "application/pdf":
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.get_data(as_text=True)).group(1)
        made = client.post(url, data={"csrf_token": token})
        assert made.status_code == 303, made.get_data(as_text=True)[:500]
        response = client.get(made.headers["Location"])
    with response:
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert response.mimetype == "application/pdf"
        return response.data


def test_station_count_minutes_hold_the_numbers_in_digits_and_words(db_session, w, as_user):
    area = w.area(f"{BEN_THANH}-01")
    put_report(db_session, w, area, NA, on_list=1234, voted=812, invalid=12, votes={1: 700, 2: 405, 3: 2024},
               complaints=(3, 2, 1), witnesses=("Phạm Thị Chứng", "Đỗ Văn Kiến"))
    client = as_user("xa")
    text = text_of(get_pdf(client, f"/results/stations/{area.id}/minutes.pdf?contest=na"), "count-na")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "Mẫu số 18/HĐBC-QH" in text
    assert "BIÊN BẢN KẾT QUẢ KIỂM PHIẾU" in text and "ĐẠI BIỂU QUỐC HỘI KHÓA XVI" in text
    assert "KHU VỰC BỎ PHIẾU SỐ 1" in text and "Phường Bến Thành" in text and "Thành phố Hồ Chí Minh" in text
    assert "1.234" in text and "một nghìn hai trăm ba mươi bốn" in text
    assert "812" in text and "tám trăm mười hai" in text
    assert "2.024" in text and "hai nghìn không trăm hai mươi bốn" in text
    assert "bốn trăm lẻ năm" in text
    assert "Phạm Thị Chứng" in text and "Đỗ Văn Kiến" in text
    leader = area.team[0].full_name
    assert "TỔ TRƯỞNG TỔ BẦU CỬ" in text and "THƯ KÝ TỔ BẦU CỬ" in text and leader in text
    assert text.count("CỬ TRI CHỨNG KIẾN") == 2


def test_council_count_minutes_name_the_council(db_session, w, as_user):
    area = w.area(f"{BEN_THANH}-02")
    put_report(db_session, w, area, COMMUNE, voted=777, invalid=7)
    text = text_of(get_pdf(as_user("xa"), f"/results/stations/{area.id}/minutes.pdf?contest=commune"), "count-commune")
    assert "Mẫu số 23/HĐBC-HĐND" in text
    assert "ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN PHƯỜNG BẾN THÀNH" in text
    assert "bảy trăm bảy mươi bảy" in text


def test_a_station_without_minutes_answers_404(w, as_user):
    client = as_user("xa")
    area = w.area(f"{BEN_THANH}-03")
    assert client.get(f"/results/stations/{area.id}/minutes.pdf?contest=na").status_code == 404
    assert client.get(f"/results/stations/{area.id}/minutes.pdf?contest=nope").status_code == 404


def test_the_ban_minutes_hold_totals_percentages_and_winners(db_session, w, as_user):
    unit = w.unit("X-26743-01")
    for area in unit_areas(db_session, unit):
        put_report(db_session, w, area, COMMUNE, on_list=1000, voted=812, invalid=12,
                   votes={o: 600 - 10 * o for o in range(1, len(unit.candidates) + 1)})
    text = text_of(get_pdf(as_user("xa"), f"/results/units/{unit.id}/minutes.pdf"), "unit-commune")
    assert "Mẫu số 24/HĐBC-HĐND" in text
    assert "BIÊN BẢN XÁC ĐỊNH KẾT QUẢ BẦU CỬ" in text and "Ở ĐƠN VỊ BẦU CỬ SỐ 1" in text
    assert "3.248" in text and "ba nghìn hai trăm bốn mươi tám" in text  # 4 × 812
    assert "81,20%" in text  # turnout
    winner = next(c for c in unit.candidates if c.ballot_order == 1)
    assert winner.full_name in text and "73,75%" in text  # 4 × 590 of 4 × 800 valid
    assert "TRƯỞNG BAN BẦU CỬ" in text
    assert "CHƯA ĐỦ BIÊN BẢN" not in text


def test_incomplete_ban_minutes_say_so(db_session, w, as_user):
    unit = w.unit("X-26743-01")
    put_report(db_session, w, unit_areas(db_session, unit)[0], COMMUNE)
    text = text_of(get_pdf(as_user("xa"), f"/results/units/{unit.id}/minutes.pdf"), "unit-incomplete")
    assert "CHƯA ĐỦ BIÊN BẢN" in text and "1/4" in text


def test_the_na_ban_minutes_break_the_unit_down_by_commune(db_session, w, as_user):
    unit = w.unit("QH-79-01")
    areas = [a for a in unit_areas(db_session, unit) if a.commune.code == "26743"]
    areas += [a for a in unit_areas(db_session, unit) if a.commune.code == "26740"][:2]
    for area in areas:  # Bến Thành's 12 and two of Sài Gòn's
        put_report(db_session, w, area, NA, on_list=1000, voted=900, invalid=0)
    text = text_of(get_pdf(as_user("tinh"), f"/results/units/{unit.id}/minutes.pdf"), "unit-na")
    assert "Mẫu số 19/HĐBC-QH" in text and "BAN BẦU CỬ ĐẠI BIỂU QUỐC HỘI" in text
    assert "CHƯA ĐỦ BIÊN BẢN" in text and "14/40" in text
    assert "Kết quả theo xã, phường, đặc khu" in text
    assert re.search(r"Phường Bến Thành 12/12 12\.000 10\.800", text)
    assert re.search(r"Phường Sài Gòn 2/10", text)
    # Each candidate's votes by commune (450 a station each by default), and their sum.
    n = len(unit.candidates)
    assert "Số phiếu bầu cho mỗi người ứng cử theo xã, phường, đặc khu" in text
    assert re.search(r"Phường Bến Thành" + r" 5\.400" * n, text)
    assert re.search(r"Phường Sài Gòn" + r" 900" * n, text)
    assert re.search(r"Cộng" + r" 6\.300" * n, text)


def test_the_provincial_na_minutes_are_form_20(db_session, w, as_user):
    unit = w.unit("QH-79-01")
    for area in unit_areas(db_session, unit):
        put_report(db_session, w, area, NA, on_list=2000, voted=1500, invalid=20, votes={1: 1000, 2: 900, 3: 800, 4: 10})
    text = text_of(get_pdf(as_user("tinh"), f"/results/provinces/{unit.province_id}/record.pdf?contest=na"),
                   "committee-na")
    assert "Mẫu số 20/HĐBC-QH" in text and "ỦY BAN BẦU CỬ" in text
    assert "Ở THÀNH PHỐ HỒ CHÍ MINH" in text
    assert "60.000" in text and "sáu mươi nghìn" in text  # 40 stations × 1500 voted
    assert "75,00%" in text
    assert "Trúng cử" in text
    assert "CHỦ TỊCH" in text


def test_the_commune_council_summary(db_session, w, as_user):
    commune = w.commune(BEN_THANH)
    text = text_of(get_pdf(as_user("xa"), f"/results/communes/{commune.id}/record.pdf"), "committee-commune")
    assert "BIÊN BẢN TỔNG KẾT CUỘC BẦU CỬ" in text and "PHƯỜNG BẾN THÀNH" in text
    assert "CHƯA ĐỦ BIÊN BẢN" in text and "0/12" in text


def test_the_turnout_progress_report(db_session, w, as_user):
    commune = w.commune(BEN_THANH)
    areas = [w.area(f"{BEN_THANH}-{n:02d}") for n in range(1, 13)]
    for area in areas[:5]:
        put_turnout(db_session, w, area, 9, 120)
    for area in areas[:3]:
        put_turnout(db_session, w, area, 11, 400, minute=30)
    text = text_of(get_pdf(as_user("xa"), f"/results/communes/{commune.id}/turnout.pdf"), "turnout-commune")
    assert "BÁO CÁO TIẾN ĐỘ CỬ TRI ĐI BỎ PHIẾU" in text
    assert "09:00" in text and "5/12" in text and "600" in text
    assert "11:30" in text and "3/12" in text and "1.200" in text


def test_printable_pages_use_the_same_forms(db_session, w, as_user):
    area = w.area(f"{BEN_THANH}-01")
    put_report(db_session, w, area, NA, voted=812)
    client = as_user("xa")
    html = client.get(f"/results/stations/{area.id}/minutes?contest=na").get_data(as_text=True)
    assert "tám trăm mười hai" in html and "forms.css" in html and 'data-print' in html
    assert "<style" not in html  # the CSP allows only the stylesheet file
    assert f'<form method="post" action="/results/stations/{area.id}/minutes.pdf?contest=na">' in html
    commune = w.commune(BEN_THANH)
    html = client.get(f"/results/communes/{commune.id}/turnout/print").get_data(as_text=True)
    assert "BÁO CÁO TIẾN ĐỘ" in html and f'action="/results/communes/{commune.id}/turnout.pdf"' in html


def test_leaders_print_their_own_minutes_only(db_session, w, as_user):
    mine, other = w.area(f"{BEN_THANH}-01"), w.area(f"{BEN_THANH}-02")
    put_report(db_session, w, mine, NA)
    put_report(db_session, w, other, NA)
    client = as_user("to01")
    assert client.get(f"/results/stations/{mine.id}/minutes.pdf?contest=na").status_code == 200
    assert client.get(f"/results/stations/{other.id}/minutes.pdf?contest=na").status_code == 404
    assert client.get(f"/results/units/{w.unit('QH-79-01').id}/minutes.pdf").status_code == 403


def test_the_commune_batch_is_one_pdf_with_every_stations_minutes(db_session, w, as_user, app, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "RESULTS_EXPORT_DIR", str(tmp_path))
    commune = w.commune(BEN_THANH)
    areas = [w.area(f"{BEN_THANH}-{n:02d}") for n in range(1, 13)]
    for area in areas:
        for kind in (NA, PROV, COMMUNE):
            put_report(db_session, w, area, kind, voted=812, status=RECEIVED)
    client = as_user("xa")
    status = client.get(f"/results/communes/{commune.id}/batch")
    assert "36" in status.get_data(as_text=True)
    token = csrf_token(client, f"/results/communes/{commune.id}/batch")
    response = client.post(f"/results/communes/{commune.id}/batch", data={"csrf_token": token})
    assert response.status_code == 303
    files = list(tmp_path.glob("*.pdf"))
    assert len(files) == 1 and not list(tmp_path.glob("*.part"))
    assert pages_of(files[0]) >= 36
    page = client.get(f"/results/communes/{commune.id}/batch").get_data(as_text=True)
    assert "batch.pdf" in page and "every 2s" not in page
    with client.get(f"/results/communes/{commune.id}/batch.pdf") as download:
        assert download.status_code == 200 and download.data[:5] == b"%PDF-"
        text = text_of(download.data, "batch-ben-thanh")
    assert text.count("BIÊN BẢN KẾT QUẢ KIỂM PHIẾU") == 36 and "tám trăm mười hai" in text
    # A new version of any station's minutes makes a new file; the old one is no longer offered.
    put_report(db_session, w, areas[0], NA, voted=811, status=RECEIVED)
    page = client.get(f"/results/communes/{commune.id}/batch").get_data(as_text=True)
    assert "batch.pdf" not in page
    assert client.get(f"/results/communes/{commune.id}/batch.pdf").status_code == 303
