"""The JSON API: the same figures as the pages, ETag and 304, corrections, and its OpenAPI description."""

from __future__ import annotations

from datetime import time

import pytest

from tests.conftest import login
from tests.progress.helpers import areas_of, refresh_now, send, vn


@pytest.fixture
def day(app, db_session, w):
    app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T12:00"
    areas = areas_of(w, "26743")
    for i, area in enumerate(areas[:4]):
        send(db_session, area, 300 + i, now=vn(11, 35))
    send(db_session, areas[0], 280, now=vn(11, 50), slot=time(11, 30), reason="Cộng nhầm")
    refresh_now(db_session, vn(11, 55))
    db_session.commit()
    yield areas
    app.config.pop("REPORTING_CLOCK_OVERRIDE", None)


def _na(body):
    return next(c for c in body["contests"] if c["contest"] == "na")


def test_the_province_json_counts_stations_and_keeps_confirmed_apart(as_user, w, day):
    response = as_user("tinh").get(f"/api/v1/progress/provinces/{w.province('79').id}")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["level"] == "province" and body["place"]["code"] == "79" and body["as_of"]
    slot = next(s for s in _na(body)["turnout"] if s["at"] == "11:30")
    assert (slot["stations_expected"], slot["stations_reported"], slot["stations_missing"],
            slot["stations_overdue"]) == (40, 4, 36, 36)
    assert slot["provisional"]["stations"] == 4
    assert slot["provisional"]["voters_voted"] == 280 + 301 + 302 + 303
    assert slot["confirmed"] == {"stations": 0, "voters_voted": 0, "voters_on_list": 0, "turnout_percent": None}
    assert slot["due_at"].startswith("2026-03-15T04:45")  # 11:45 in Ho Chi Minh City
    commune = next(c for c in body["children"] if c["code"] == "26743")
    assert next(s for s in _na(commune)["turnout"] if s["at"] == "11:30")["stations_reported"] == 4


def test_the_commune_json_lists_its_stations(as_user, w, day):
    body = as_user("xa").get(f"/api/v1/progress/communes/{w.commune('26743').id}").get_json()
    assert body["level"] == "commune" and len(body["stations"]) == 12
    first = next(s for s in body["stations"] if s["code"] == day[0].code)
    na = next(c for c in first["contests"] if c["contest"] == "na")
    assert {"at": "11:30", "status": "received", "voters_voted": 280, "late": True, "overdue": False} in na["turnout"]
    last = next(s for s in body["stations"] if s["code"] == day[-1].code)
    na_last = next(c for c in last["contests"] if c["contest"] == "na")
    assert {"at": "11:30", "status": None, "voters_voted": None, "late": False, "overdue": True} in na_last["turnout"]


def test_the_nation_json_answers_304_while_nothing_changed(as_user, w, day):
    client = as_user("quantri")
    first = client.get("/api/v1/progress/nation")
    assert first.status_code == 200
    provinces = {c["code"] for c in first.get_json()["children"]}
    assert {"79", "01"} <= provinces
    again = client.get("/api/v1/progress/nation", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_corrections_json(app, as_user, w, day):
    body = as_user("tinh").get("/api/v1/progress/corrections").get_json()
    (c,) = body["corrections"]
    assert (c["kind"], c["change"], c["lowered"], c["slot"], c["station"]["code"]) == (
        "turnout", "figures", True, "11:30", day[0].code)
    assert {(x["before"], x["after"]) for x in c["changes"]} == {(300, 280)}
    other = app.test_client()
    login(other, "hn_tinh")
    assert other.get("/api/v1/progress/corrections").get_json() == {"corrections": []}


def test_the_openapi_document_describes_the_progress_endpoints(client):
    doc = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/progress/nation", "/api/v1/progress/provinces/{province_id}",
                 "/api/v1/progress/communes/{commune_id}", "/api/v1/progress/corrections"):
        assert path in doc["paths"]
    assert "PlaceProgress" in doc["components"]["schemas"]
    refs = str(doc["paths"]["/api/v1/progress/nation"])
    assert "#/components/schemas/PlaceProgress" in refs
