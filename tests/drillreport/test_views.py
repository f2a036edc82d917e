"""The drill report's page, PDF and XLSX for a commune and a province: the figures of the test's day, and 404 for
a place outside the reader's scope or an unknown election."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from tests.conftest import ARTIFACTS
from tests.drillreport.conftest import A, B


def _url(day, level, place_id, ext=""):
    return f"/drill-reports/{day.code}/{level}s/{place_id}{ext}"


def test_the_commune_page_shows_the_day(as_user, db_session, w, day):
    db_session.commit()
    client = as_user("xa")
    response = client.get(_url(day, "commune", w.user("xa").commune_id))
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    grid = soup.select_one(".dr-grid")
    row = next(tr for tr in grid.select("tbody tr") if tr.td.get_text() == A)
    assert [td.get_text(strip=True) for td in row.select("td")[1:5]] == ["+7", "+20", "—", "—"]
    assert "dr-late" in row.select("td")[2]["class"]
    row_b = next(tr for tr in grid.select("tbody tr") if tr.td.get_text() == B)
    assert row_b.select("td")[1].get_text(strip=True) == "+31 ☎"
    assert soup.select_one("a[href$='.pdf']") and soup.select_one("a[href$='.xlsx']")
    index = client.get("/drill-reports/")
    assert index.status_code == 200 and _url(day, "commune", w.user("xa").commune_id).encode() in index.data


def test_the_province_page_lists_its_communes(as_user, db_session, w, day):
    db_session.commit()
    response = as_user("tinh").get(_url(day, "province", w.user("tinh").province_id))
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    links = [a["href"] for a in soup.select(".dr-table a")]
    assert _url(day, "commune", w.user("xa").commune_id) in links


def test_the_xlsx_holds_every_station_and_report_time(as_user, db_session, w, day):
    db_session.commit()
    response = as_user("tinh").get(_url(day, "province", w.user("tinh").province_id, ".xlsx"))
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(book.worksheets[2].iter_rows(values_only=True))  # Summary, Communes, Turnout reports
    assert len(rows) == 1 + 40 * 4
    a_rows = [r for r in rows[1:] if r[0] == A]
    assert [r[5] for r in a_rows] == [7, 20, None, None]
    summary = dict(list(book.worksheets[0].iter_rows(values_only=True))[1:])
    assert 3 in summary.values() and 40 in summary.values()
    returned = list(book.worksheets[4].iter_rows(values_only=True))
    assert len(returned) == 2 and returned[1][0] == A and returned[1][6] == 25


@pytest.mark.parametrize("level", ["commune", "province"])
def test_the_pdf_is_the_record_of_the_trial_run(as_user, db_session, w, day, level):
    db_session.commit()
    user = "xa" if level == "commune" else "tinh"
    place = w.user(user).commune_id if level == "commune" else w.user(user).province_id
    response = as_user(user).get(_url(day, level, place, ".pdf"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"drill-report-{level}.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "BÁO CÁO KẾT QUẢ DIỄN TẬP" in text
    assert "Điện thoại hết pin" in text  # the hotline's note
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(Path(ARTIFACTS) / f"drill-report-{level}")],
                   check=True)


@pytest.mark.parametrize(("username", "level", "place"), [
    ("xa", "commune", "00070"), ("hn_xa", "commune", "26743"), ("hn_tinh", "province", "79"),
    ("xa", "province", "79"),
])
@pytest.mark.parametrize("ext", ["", ".pdf", ".xlsx"])
def test_a_place_outside_the_readers_scope_answers_404(as_user, w, day, username, level, place, ext):
    place_id = (w.commune(place) if level == "commune" else w.province(place)).id
    assert as_user(username).get(_url(day, level, place_id, ext)).status_code == 404


@pytest.mark.parametrize("code", ["NOPE", "%00", "x" * 300])
def test_an_unknown_election_answers_404(as_user, w, code):
    assert as_user("xa").get(f"/drill-reports/{code}/communes/{w.user('xa').commune_id}").status_code == 404


def test_a_leader_has_no_drill_report(as_user):
    assert as_user("to01").get("/drill-reports/").status_code == 403
