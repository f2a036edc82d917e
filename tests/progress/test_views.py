"""The pages: who sees which level (404 elsewhere), the figures shown, 204/304 when nothing changed, XLSX."""

from __future__ import annotations

import io
from datetime import time

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from tests.progress.helpers import areas_of, refresh_now, send, vn
from tests.results.helpers import set_status
from webapp.reports.models import ReportStatus


@pytest.fixture
def clock(app):
    app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T12:00"
    yield
    app.config.pop("REPORTING_CLOCK_OVERRIDE", None)


@pytest.fixture
def day(db_session, w, clock):
    areas = areas_of(w, "26743")
    for i, area in enumerate(areas[:5]):
        send(db_session, area, 200 + i, now=vn(9, 5))
    for i, area in enumerate(areas[:3]):
        send(db_session, area, 500 + i, now=vn(11, 40 + 5 * i))  # due 11:45: the third is late
    send(db_session, w.area("00070-01"), 300, now=vn(11, 5))
    refresh_now(db_session, vn(11, 59))
    db_session.commit()
    return areas


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize(("user", "path", "status"), [
    ("quantri", "/progress/", 200),
    ("tongdai_qg", "/progress/", 200),
    ("tinh", "/progress/", 303),
    ("xa", "/progress/", 303),
    ("to01", "/progress/", 403),
    ("hn_tinh", "/progress/provinces/{hcm}", 404),
    ("tinh", "/progress/provinces/{hcm}", 200),
    ("tongdai", "/progress/provinces/{hcm}", 200),
    ("xa", "/progress/provinces/{hcm}", 404),
    ("xa", "/progress/communes/{ben_thanh}", 200),
    ("xa", "/progress/communes/{sai_gon}", 404),
    ("hn_xa", "/progress/communes/{ben_thanh}", 404),
    ("tinh", "/progress/communes/{ben_thanh}", 200),
    ("tinh", "/progress/export.xlsx", 404),
    ("hn_tinh", "/progress/provinces/{hcm}/export.xlsx", 404),
    ("hn_xa", "/progress/corrections?commune={ben_thanh}", 404),
    ("hn_tinh", "/api/v1/progress/provinces/{hcm}", 404),
    ("tinh", "/api/v1/progress/nation", 404),
    ("xa", "/api/v1/progress/communes/{sai_gon}", 404),
    ("to01", "/api/v1/progress/communes/{ben_thanh}", 403),
])
def test_each_user_sees_only_their_level_and_place(as_user, w, day, user, path, status):
    client = as_user(user)
    url = path.format(hcm=w.province("79").id, ben_thanh=w.commune("26743").id, sai_gon=w.commune("26740").id)
    assert client.get(url).status_code == status


def test_the_province_page_says_how_many_stations_each_figure_covers(as_user, w, day):
    page = soup(as_user("tinh").get(f"/progress/provinces/{w.province('79').id}"))
    slots = {li.select_one(".pg-time").get_text(strip=True): li.get_text(" ", strip=True)
             for li in page.select("#progress .pg-slot")}
    assert "09:00" in slots and "11:30" in slots and "15:00" in slots
    assert "5/40 tổ đã báo cáo" in slots["09:00"]
    assert "3/40 tổ đã báo cáo" in slots["11:30"]
    assert "37 quá hạn" in slots["11:30"] and "1 báo cáo trễ" in slots["11:30"]
    assert "0/40" in slots["15:00"] and "quá hạn" not in slots["15:00"]
    rows = page.select("#progress .pg-children > li")
    assert len(rows) == 4  # the four communes of the demo
    assert page.select_one("#progress")["hx-trigger"] == "every 20s"
    assert page.select_one("svg polyline.pg-line") is not None


def test_the_commune_page_lists_its_stations_with_their_state(as_user, w, day):
    page = soup(as_user("xa").get(f"/progress/communes/{w.commune('26743').id}?at=11:30"))
    rows = page.select("#progress .pg-children > li")
    assert len(rows) == 12
    text = [r.get_text(" ", strip=True) for r in rows]
    assert "500" in text[0] and "đã nhận" in text[0]
    assert "trễ" in text[2]
    assert "quá hạn" in text[5]


def test_an_unchanged_view_answers_204_to_a_poll_and_304_to_a_conditional_request(as_user, w, day, db_session):
    client = as_user("tinh")
    url = f"/progress/provinces/{w.province('79').id}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    poll = soup(first).select_one("#progress")["hx-get"]
    assert client.get(poll, headers={"HX-Request": "true"}).status_code == 204
    # Something new, refreshed: the poll gets the new fragment, the conditional request a 200.
    send(db_session, areas_of(w, "26740")[0], 250, now=vn(11, 58))
    refresh_now(db_session, vn(11, 59))
    db_session.commit()
    fresh = client.get(poll, headers={"HX-Request": "true"})
    assert fresh.status_code == 200 and "<html" not in fresh.get_data(as_text=True)
    assert soup(fresh).select_one("#progress")["hx-get"] != poll
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200
    assert "HX-Request" in fresh.headers["Vary"]


def test_the_province_export_holds_the_figures_of_the_page(as_user, w, day):
    response = as_user("tinh").get(f"/progress/provinces/{w.province('79').id}/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    summary, communes = book.worksheets
    rows = list(summary.iter_rows(values_only=True))
    na_1130 = next(r for r in rows if r[1] == "11:30" and "Quốc hội" in r[0])
    assert na_1130[3:10] == (40, 3, 37, 37, 1, 0, 0)
    assert na_1130[10] == 500 + 501 + 502
    assert any(r[0] == "26743" and r[3] == "11:30" and r[5:7] == (12, 3) for r in communes.iter_rows(values_only=True))


def test_a_return_and_a_confirmation_show_apart(as_user, w, day, db_session):
    from sqlalchemy import select

    from webapp.reports.models import TurnoutReport

    latest = {r.polling_area_id: r for r in db_session.scalars(
        select(TurnoutReport).where(TurnoutReport.is_latest, TurnoutReport.slot_at == time(11, 30)))}
    set_status(db_session, latest[day[0].id], ReportStatus.CONFIRMED)
    set_status(db_session, latest[day[1].id], ReportStatus.RETURNED)
    refresh_now(db_session, vn(11, 59))
    db_session.commit()
    page = soup(as_user("tinh").get(f"/progress/provinces/{w.province('79').id}"))
    slot = next(li.get_text(" ", strip=True) for li in page.select("#progress .pg-slot")
                if "11:30" in li.get_text())
    assert "2/40 tổ đã báo cáo" in slot and "1 bị trả lại" in slot
    assert "Đã xác nhận" in slot and "(500/" in slot
    feed = page.select("#progress .pg-feed li.pg-corr")
    assert len(feed) == 1 and day[1].code in feed[0].get_text()


def test_the_rendered_fragment_is_shared_until_the_snapshot_changes(app, as_user, w, day, db_session):
    from webapp.progress.cache import FRAGMENTS

    app.config["PROGRESS_FRAGMENT_CACHE"] = 16
    FRAGMENTS.clear()
    try:
        client = as_user("tinh")
        url = f"/progress/provinces/{w.province('79').id}"
        first = soup(client.get(url)).select_one("#progress")
        assert soup(client.get(url)).select_one("#progress") == first
        assert len(FRAGMENTS._items) == 1
        send(db_session, areas_of(w, "26740")[0], 250, now=vn(11, 58))
        refresh_now(db_session, vn(11, 59))
        db_session.commit()
        fresh = soup(client.get(url)).select_one("#progress")
        assert fresh != first and len(FRAGMENTS._items) == 2
        assert "4/40" in fresh.select_one(".pg-slot-current").get_text(" ", strip=True)
    finally:
        app.config.pop("PROGRESS_FRAGMENT_CACHE", None)
        FRAGMENTS.clear()


@pytest.mark.parametrize("early", [False, True], ids=["no early area", "an early area sealed"])
def test_a_poll_answered_204_reads_the_account_its_place_and_one_statement(app, as_user, db_session, w, day,
                                                                          monkeypatch, early):
    """What a dashboard's poll costs (7,300 of them poll every 20 s on election day, issue 14): the account, the
    commune's scope check and services.poll_state; the refresh runs in its own process, as in production. The
    early-vote seal, which holds all polling day where an area voted early, costs no statement of its own."""
    from tests.reports.helpers import vote_early
    from tests.reports.test_statement_count import statements

    if early:
        vote_early(db_session, w, areas_of(w, "26743")[-1].code)
        db_session.commit()

    monkeypatch.setitem(app.config, "PROGRESS_REFRESH_AFTER_RESPONSE", False)
    client = as_user("xa")
    commune = client.get(f"/progress/communes/{w.area('26743-01').commune_id}")
    poll = soup(commune).select_one("#progress")["hx-get"]
    with statements(app) as seen:
        assert client.get(poll, headers={"HX-Request": "true"}).status_code == 204
    own = [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(own) <= 3, seen.listing()
