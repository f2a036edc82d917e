"""The import page, uploads with their 422 error report, results, downloads and the 413 answer."""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import csrf_token
from tests.imports.helpers import audit_rows, count, headers, read_xlsx, xlsx
from webapp.audit.models import AuditEntry, Channel
from webapp.elections.models import ElectoralUnit

UNIT_ROW = ["HĐND xã", "X-26743-09", 9, "Đơn vị bầu cử số 9", "79", "26743", 3]


def multipart(client, fields: dict[str, str], data: bytes | None, filename: str = "") -> dict[str, object]:
    """The request body built here, in memory: the test client would spool a large one to an unclosed file."""
    values: dict[str, object] = {"csrf_token": csrf_token(client, "/data/"), **fields}
    if data is not None:
        values["file"] = FileStorage(io.BytesIO(data), filename=filename, content_type="application/octet-stream")
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def post(client, dataset: str, data: bytes, filename: str, **extra):  # type: ignore[no-untyped-def]
    return client.post("/data/import", **multipart(client, {"dataset": dataset, **extra}, data, filename))


@pytest.mark.parametrize("username", ["quantri", "tinh", "xa", "hn_xa"])
def test_import_page_for_importers(as_user, username: str) -> None:
    client = as_user(username)
    response = client.get("/data/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.select_one("#imports form[enctype='multipart/form-data']")
    assert soup.select_one("a[href='/data/templates/polling_areas.xlsx']")
    assert soup.select_one("form[action='/data/export/accounts'] button")
    assert soup.select_one("nav a[href='/data/']")
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("username", ["to01", "tongdai", "tongdai_qg", "hn_to01"])
@pytest.mark.parametrize("path", ["/data/", "/data/templates/units.xlsx"])
def test_leaders_and_hotlines_may_not(as_user, username: str, path: str) -> None:
    client = as_user(username)
    assert client.get(path).status_code == 403
    assert 'href="/data/"' not in client.get("/").get_data(as_text=True)


def test_upload_then_result_page(as_user, db_session) -> None:
    client = as_user("xa")
    response = post(client, "units", xlsx([headers("units"), UNIT_ROW]), "donvi.xlsx")
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    soup = BeautifulSoup(page.data, "html.parser")
    stats = {dt.get_text(strip=True): dd.get_text(strip=True) for dt, dd in
             zip(soup.select("#import-result dt"), soup.select("#import-result dd"), strict=True)}
    assert stats == {"Tạo mới": "1", "Cập nhật": "0", "Không đổi": "0"}
    assert "donvi.xlsx" in soup.select_one("#import-result").get_text()
    assert count(db_session, ElectoralUnit, ElectoralUnit.code == "X-26743-09") == 1
    channels = set(db_session.scalars(
        AuditEntry.__table__.select().with_only_columns(AuditEntry.channel)
        .where(AuditEntry.entity_type.in_(["electoral_units", "imports"]), AuditEntry.actor_username == "xa")))
    assert channels == {Channel.IMPORT}


def test_error_report_is_vietnamese_with_row_and_column(as_user, db_session) -> None:
    client = as_user("xa")
    bad = [headers("units"), UNIT_ROW, ["HĐND xã", "X-26743-10", 10, "Đơn vị 10", "79", "26743", 7]]
    before = audit_rows(db_session)
    response = post(client, "units", xlsx(bad), "donvi.xlsx")
    assert response.status_code == 303
    soup = BeautifulSoup(client.get(response.headers["Location"]).data, "html.parser")
    report = soup.select_one("#import-errors")
    assert "Không nhập được tệp" in report.get_text()
    cells = [[td.get_text(strip=True) for td in tr.select("td")] for tr in report.select("tbody tr")]
    assert cells == [["3", "Số đại biểu được bầu", "Mỗi đơn vị bầu cử của cuộc bầu cử này bầu tối đa 5 đại biểu."]]
    assert count(db_session, ElectoralUnit, ElectoralUnit.code == "X-26743-09") == 0
    assert audit_rows(db_session) == before + 1  # the job's start only: nothing of the file was written


def test_dry_run_saves_nothing(as_user, db_session) -> None:
    client = as_user("xa")
    response = post(client, "units", xlsx([headers("units"), UNIT_ROW]), "donvi.xlsx", dry_run="y")
    assert response.status_code == 303
    assert "Chưa lưu gì" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count(db_session, ElectoralUnit, ElectoralUnit.code == "X-26743-09") == 0


def test_fifty_megabytes_answer_413_on_the_import_page(as_user) -> None:
    client = as_user("tinh")
    response = post(client, "units", b"x" * (50 * 1024 * 1024), "big.xlsx")
    assert response.status_code == 413
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.select_one("#imports form")
    assert "lớn hơn 10 MB" in soup.select_one("#import-errors").get_text()


def test_eleven_megabytes_is_refused_by_the_import_limit(as_user) -> None:
    client = as_user("tinh")
    response = post(client, "units", b"PK\x03\x04" + b"x" * (11 * 1024 * 1024), "big.xlsx")
    assert response.status_code == 422
    assert "lớn hơn 10 MB" in BeautifulSoup(response.data, "html.parser").select_one("#import-errors").get_text()


def test_missing_file_is_a_form_error(as_user) -> None:
    client = as_user("tinh")
    response = client.post("/data/import", **multipart(client, {"dataset": "units"}, None))
    assert response.status_code == 422
    assert "Chọn tệp" in response.get_data(as_text=True)


@pytest.mark.parametrize("dataset", ["units", "candidates", "polling_areas", "teams", "accounts"])
def test_templates_have_vietnamese_headers_and_a_guide(as_user, dataset: str) -> None:
    client = as_user("tinh")
    response = client.get(f"/data/templates/{dataset}.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_xlsx(response.data)
    assert rows[0] == headers(dataset)
    assert len(rows) == 2
    guide = read_xlsx(response.data, sheet=1)
    assert guide[3][:3] == ["Cột", "Bắt buộc", "Cần nhập"]
    assert {r[0] for r in guide[4:4 + len(headers(dataset))]} == set(headers(dataset))
    csv_response = client.get(f"/data/templates/{dataset}.csv")
    assert csv_response.data.startswith(b"\xef\xbb\xbf")
    assert csv_response.data.decode("utf-8-sig").splitlines()[0] == ",".join(headers(dataset))


def test_unknown_dataset_is_404(as_user) -> None:
    client = as_user("tinh")
    assert client.get("/data/templates/voters.xlsx").status_code == 404
    assert client.get("/data/templates/units.pdf").status_code == 404
    assert client.post("/data/export/voters", data={"csrf_token": csrf_token(client, "/data/")}).status_code == 404


def test_export_downloads_the_users_rows(as_user) -> None:
    client = as_user("xa")
    started = client.post("/data/export/polling_areas", data={"csrf_token": csrf_token(client, "/data/")})
    assert started.status_code == 303
    page = BeautifulSoup(client.get(started.headers["Location"]).data, "html.parser")
    with client.get(page.select_one("#job a[href$='/file']")["href"]) as response:
        assert response.status_code == 200
        assert response.mimetype.endswith("spreadsheetml.sheet")
        rows = read_xlsx(response.data)
    assert rows[0] == headers("polling_areas")
    assert {r[1] for r in rows[1:]} == {"26743"}
    assert len(rows) == 13


def test_result_page_of_another_province_is_404(as_user, db_session, client) -> None:
    as_user("xa")
    response = post(client, "units", xlsx([headers("units"), UNIT_ROW]), "donvi.xlsx")
    location = response.headers["Location"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/data/")})
    as_user("hn_tinh")
    assert client.get(location).status_code == 404
