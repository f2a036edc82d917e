"""Results pages, XLSX exports and the JSON API, within each user's scope (issue 6 §1, §4)."""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from tests.results.helpers import (
    BEN_THANH,
    COMMUNE,
    CONFIRMED,
    NA,
    RECEIVED,
    put_report,
    put_turnout,
    unit_areas,
)
from webapp.reports.models import CountReport

UNIT = "X-26743-01"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _fill(db_session, w, code=UNIT, *, received_last=False):
    unit = w.unit(code)
    areas = unit_areas(db_session, unit)
    for i, area in enumerate(areas):
        last = received_last and i == len(areas) - 1
        put_report(db_session, w, area, COMMUNE if code.startswith("X") else NA, on_list=1000, voted=812,
                   invalid=12, votes={1: 700, 2: 650, 3: 640, 4: 100}, status=RECEIVED if last else CONFIRMED)
    return unit


@pytest.mark.parametrize("username", ["xa", "tinh", "tongdai", "quantri", "tongdai_qg"])
def test_the_results_overview_opens_for_every_reading_role(as_user, username):
    response = as_user(username).get("/results/")
    assert response.status_code == 200
    assert "HX-Request" in response.headers.get("Vary", "")
    assert soup(response).select_one("#results-committee, #results-index") is not None


def test_leaders_have_no_results_pages(as_user, w):
    client = as_user("to01")
    assert client.get("/results/").status_code == 403
    assert client.get(f"/results/units/{w.unit(UNIT).id}").status_code == 403
    assert client.get(f"/api/v1/results/units/{w.unit(UNIT).id}").status_code == 403


def test_the_commune_page_lists_its_units_and_the_higher_ones(as_user, w):
    page = soup(as_user("xa").get("/results/"))
    links = [a["href"] for a in page.select(".result-unit > a")]
    codes = [a.select_one("small").get_text() for a in page.select(".result-unit > a")]
    assert [c.split(" ")[0] for c in codes] == ["X-26743-01", "X-26743-02", "X-26743-03", "QH-79-01", "T-79-01"]
    assert all(link.startswith("/results/units/") for link in links)


def test_a_fragment_request_gets_only_the_fragment(as_user, w):
    response = as_user("xa").get(f"/results/units/{w.unit(UNIT).id}", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert soup(response).select_one("#results-unit") is not None


def test_the_unit_page_marks_winners_and_keeps_provisional_figures_apart(db_session, w, as_user):
    unit = _fill(db_session, w, received_last=True)
    client = as_user("xa")
    page = soup(client.get(f"/results/units/{unit.id}"))
    official, provisional = page.select_one(".result-official"), page.select_one(".result-provisional")
    assert provisional is not None and "Tạm tính" in provisional.get_text()
    assert not official.select("tr.won")  # 3 of 4 confirmed: no winners yet
    assert "3.248" in provisional.get_text() and "2.436" in official.get_text()  # 4 and 3 stations × 812
    # Confirm the last one: the winners appear, the provisional box goes.
    for report in db_session.query(CountReport).filter(CountReport.unit_id == unit.id, CountReport.is_latest):
        report.status = CONFIRMED
    db_session.flush()
    page = soup(client.get(f"/results/units/{unit.id}"))
    assert page.select_one(".result-provisional") is None
    won = [tr.select("td")[1].get_text() for tr in page.select(".result-official tr.won")]
    by_order = {c.ballot_order: c.full_name for c in unit.candidates}
    assert won == [by_order[1], by_order[2], by_order[3]]
    stations = page.select(".result-stations tbody tr")
    assert len(stations) == 4


def test_another_provinces_unit_answers_404(w, as_user):
    client = as_user("hn_tinh")
    unit = w.unit("QH-79-01")
    assert client.get(f"/results/units/{unit.id}").status_code == 404
    assert client.get(f"/results/units/{unit.id}/results.xlsx").status_code == 404
    assert client.get(f"/api/v1/results/units/{unit.id}").status_code == 404
    assert client.get(f"/results/provinces/{unit.province_id}").status_code == 404


def test_another_communes_unit_answers_404_to_a_commune_official(w, as_user):
    client = as_user("xa")
    assert client.get(f"/results/units/{w.unit('X-26740-01').id}").status_code == 404
    assert client.get(f"/results/communes/{w.commune('26740').id}").status_code == 404
    assert client.get(f"/results/units/{w.unit('QH-79-01').id}").status_code == 200


def _sheet_rows(data: bytes, sheet: str) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [tuple(row) for row in workbook[sheet].iter_rows(values_only=True)]
    finally:
        workbook.close()


def test_the_exports_open_and_hold_the_numbers(db_session, w, as_user):
    unit = _fill(db_session, w)
    client = as_user("xa")
    response = client.get(f"/results/units/{unit.id}/results.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    names = workbook.sheetnames
    workbook.close()
    assert len(names) == 3
    result = _sheet_rows(response.data, names[0])
    assert result[1][1] == UNIT and result[1][9] == 4 * 812 and result[1][13] == 4 * 800
    candidates = _sheet_rows(response.data, names[1])
    assert candidates[1][2] == next(c.full_name for c in unit.candidates if c.ballot_order == 1)
    assert candidates[1][4] == 2800 and abs(candidates[1][5] - 0.875) < 1e-9
    stations = _sheet_rows(response.data, names[2])
    assert len(stations) == 5 and {row[6] for row in stations[1:]} == {812}
    assert stations[0][3] == "Trạng thái" and {row[3] for row in stations[1:]} <= {"chờ xác nhận", "đã xác nhận"}

    commune = client.get(f"/results/communes/{w.commune(BEN_THANH).id}/results.xlsx")
    rows = _sheet_rows(commune.data, load_workbook(io.BytesIO(commune.data), read_only=True).sheetnames[0])
    assert [r[1] for r in rows[1:]] == ["X-26743-01", "X-26743-02", "X-26743-03"]

    for area in unit_areas(db_session, unit):
        put_turnout(db_session, w, area, 9, 250)
    turnout = client.get(f"/results/communes/{w.commune(BEN_THANH).id}/turnout.xlsx")
    rows = _sheet_rows(turnout.data, load_workbook(io.BytesIO(turnout.data), read_only=True).sheetnames[0])
    nine = next(r for r in rows if r[0] == "09:00")
    assert nine[1] == 4 and nine[2] == 12 and nine[3] == 1000


def test_the_api_answers_json_in_the_documented_shape(db_session, w, as_user):
    unit = _fill(db_session, w)
    client = as_user("xa")
    body = client.get(f"/api/v1/results/units/{unit.id}").get_json()
    assert body["unit"]["code"] == UNIT and body["unit"]["contest"] == "commune"
    assert body["completeness"] == {"expected": 4, "confirmed": 4, "received": 0, "returned": 0,
                                    "complete": True, "state": "complete"}
    official = body["official"]
    assert official["voters_voted"] == 3248 and official["valid"] == 3200 and official["turnout_percent"] == "81.20"
    first = next(c for c in official["candidates"] if c["ballot_order"] == 1)
    assert first["votes"] == 2800 and first["percent_of_valid"] == "87.50" and first["elected"] is True
    assert official["decision"]["winners"][0] == first["id"] and official["decision"]["needs_revote"] is False
    assert body["provisional"]["decision"] is None

    commune = client.get(f"/api/v1/results/communes/{w.commune(BEN_THANH).id}").get_json()
    assert commune["committee"]["level"] == "commune"
    assert [u["unit"]["code"] for u in commune["contests"][0]["units"]] == ["X-26743-01", "X-26743-02", "X-26743-03"]
    province = client.get(f"/api/v1/results/provinces/{w.province('79').id}").get_json()
    assert [c["contest"] for c in province["contests"]] == ["na", "provincial"]
    turnout = client.get(f"/api/v1/results/communes/{w.commune(BEN_THANH).id}/turnout").get_json()
    assert turnout["stations"] == 12 and [s["at"] for s in turnout["slots"]][:1] == ["09:00"]


def test_the_api_is_in_the_openapi_document(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["paths"]["/api/v1/results/units/{unit_id}"]["get"]["operationId"] == "getUnitResult"
    assert "UnitResult" in document["components"]["schemas"]
    for path in document["paths"]:
        if path.startswith("/api/v1/results/"):
            for ref in _refs(document["paths"][path]):
                kind, name = ref.split("/")[-2:]
                assert name in document["components"][kind], ref


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
