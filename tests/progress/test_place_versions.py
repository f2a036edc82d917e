"""A version per place (issue 14 §2): a page's poll stays 204 while its own place did not change, even while other
places change, and never gets 204 once what it shows changed — through the quick poll and through Flask alike."""

from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.progress.helpers import areas_of, rebuild_now, refresh_now, send, vn
from tests.progress.test_views import clock, day, soup  # noqa: F401 - fixtures
from tests.reports.test_statement_count import statements
from tests.results.helpers import set_status
from webapp.progress.models import PlaceVersion
from webapp.reports.models import ReportStatus, TurnoutReport

HX = {"HX-Request": "true"}


@pytest.fixture(params=["quick", "flask"])
def path(request, app, monkeypatch):
    """Who answers the polls: the quick poll before Flask (the refresher process refreshes, as in production), or
    Flask's ``views.conditional`` (a snapshot older than its TTL is left to Flask, which refreshes after)."""
    monkeypatch.setitem(app.config, "PROGRESS_REFRESH_AFTER_RESPONSE", request.param == "flask")
    return request.param


class Dashboards:
    """One signed-in client per reader, each with the poll URL its page was served with."""

    def __init__(self, app, w):
        self.app, self.w = app, w
        self.clients, self.polls = {}, {}

    def open(self, name, username, page):
        if username not in self.clients:
            self.clients[username] = self.app.test_client()
            login(self.clients[username], username)
        response = self.clients[username].get(page)
        assert response.status_code == 200, (name, response.status_code)
        self.polls[name] = (username, soup(response).select_one("#progress")["hx-get"])

    def poll(self, name):
        username, url = self.polls[name]
        response = self.clients[username].get(url, headers=HX)
        if response.status_code == 200:
            self.polls[name] = (username, soup(response).select_one("#progress")["hx-get"])
        return response

    def statuses(self):
        return {name: self.poll(name).status_code for name in list(self.polls)}


@pytest.fixture
def boards(app, w, day):
    b = Dashboards(app, w)
    ben_thanh, other = w.area("26743-01").commune_id, areas_of(w, "26740")[0].commune_id
    b.open("commune", "xa", f"/progress/communes/{ben_thanh}")
    b.open("hotline's commune", "tongdai", f"/progress/communes/{ben_thanh}")
    b.open("other commune", "tinh", f"/progress/communes/{other}")
    b.open("province", "tinh", f"/progress/provinces/{w.province('79').id}")
    b.open("nation", "quantri", "/progress/")
    b.open("other province's commune", "hn_xa", f"/progress/communes/{w.user('hn_xa').commune_id}")
    b.open("other province", "hn_tinh", f"/progress/provinces/{w.user('hn_tinh').province_id}")
    assert set(b.statuses().values()) == {204}
    return b


UNCHANGED = {"other commune": 204, "other province's commune": 204, "other province": 204}


def test_one_communes_new_figure_changes_its_pages_and_no_other(app, w, db_session, boards, path):
    send(db_session, areas_of(w, "26743")[4], 321, now=vn(11, 58), slot=time(11, 30))
    refresh_now(db_session, vn(11, 59))
    db_session.commit()
    fresh = boards.poll("commune")
    assert fresh.status_code == 200 and "321" in soup(fresh).select_one("#progress .pg-children").get_text()
    assert boards.statuses() | {"commune": 200} == {
        "commune": 200, "hotline's commune": 200, "province": 200, "nation": 200, **UNCHANGED}
    # Served once, the new versions are current again: every poll is 204.
    assert set(boards.statuses().values()) == {204}


def test_a_review_changes_the_communes_pages(app, w, db_session, boards, path):
    report = db_session.scalars(sa.select(TurnoutReport).where(
        TurnoutReport.is_latest, TurnoutReport.polling_area_id == areas_of(w, "26743")[0].id,
        TurnoutReport.slot_at == time(11, 30))).one()
    set_status(db_session, report, ReportStatus.CONFIRMED)
    refresh_now(db_session, vn(11, 59))
    db_session.commit()
    assert boards.statuses() == {"commune": 200, "hotline's commune": 200, "province": 200, "nation": 200,
                                 **UNCHANGED}


def test_a_refresh_that_found_nothing_changes_no_page(app, db_session, boards, path):
    refresh_now(db_session, vn(12, 0))
    db_session.commit()
    assert set(boards.statuses().values()) == {204}


def test_a_rebuild_changes_every_page(app, db_session, boards, path):
    rebuild_now(db_session, vn(11, 59))
    db_session.commit()
    assert set(boards.statuses().values()) == {200}


def test_a_deadline_passing_changes_every_page(app, db_session, boards, path):
    app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T14:00"  # the 13:30 report time's deadline has passed
    assert set(boards.statuses().values()) == {200}


def test_the_quick_poll_reads_the_pages_place_in_its_one_statement(app, w, db_session, boards, monkeypatch):
    monkeypatch.setitem(app.config, "PROGRESS_REFRESH_AFTER_RESPONSE", False)
    send(db_session, areas_of(w, "26740")[1], 123, now=vn(11, 58), slot=time(11, 30))
    refresh_now(db_session, vn(11, 59))
    db_session.commit()
    with statements(app) as seen:
        assert boards.poll("commune").status_code == 204
    assert len([s for s in seen if "SAVEPOINT" not in s]) == 1, seen.listing()
    assert boards.poll("other commune").status_code == 200


def test_the_refresh_records_the_version_of_each_changed_place(w, db_session, day):
    before = dict(((v.level, v.place_id), v.version) for v in db_session.scalars(sa.select(PlaceVersion)))
    ben_thanh = w.area("26743-01").commune_id
    hcm, other = w.province("79").id, areas_of(w, "26740")[0].commune_id
    send(db_session, areas_of(w, "26743")[4], 321, now=vn(11, 58), slot=time(11, 30))
    refresh_now(db_session, vn(11, 59))
    after = dict(((v.level, v.place_id), v.version) for v in db_session.scalars(sa.select(PlaceVersion)))
    changed = {place for place, version in after.items() if before.get(place) != version}
    assert changed == {("commune", ben_thanh), ("province", hcm), ("nation", 0)}
    assert after[("commune", other)] == before[("commune", other)] < after[("commune", ben_thanh)]


def test_the_api_gives_the_places_version(app, as_user, w, db_session, day):
    client = as_user("tinh")
    other = areas_of(w, "26740")[0].commune_id
    first = client.get(f"/api/v1/progress/communes/{other}")
    send(db_session, areas_of(w, "26743")[4], 321, now=vn(11, 58), slot=time(11, 30))
    refresh_now(db_session, vn(11, 59))
    db_session.commit()
    again = client.get(f"/api/v1/progress/communes/{other}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    province = client.get(f"/api/v1/progress/provinces/{w.province('79').id}").get_json()
    assert province["version"] > first.get_json()["version"] and province["as_of"]


def test_a_kept_fragment_is_served_until_its_own_place_changes(app, as_user, w, day, db_session, monkeypatch):
    from webapp.progress.cache import FRAGMENTS

    monkeypatch.setitem(app.config, "PROGRESS_FRAGMENT_CACHE", 16)
    FRAGMENTS.clear()
    try:
        client = as_user("xa")
        url = f"/progress/communes/{w.area('26743-01').commune_id}"
        first = soup(client.get(url)).select_one("#progress")
        send(db_session, areas_of(w, "26740")[1], 123, now=vn(11, 58), slot=time(11, 30))
        refresh_now(db_session, vn(11, 59))
        db_session.commit()
        assert soup(client.get(url)).select_one("#progress") == first and len(FRAGMENTS._items) == 1
        send(db_session, areas_of(w, "26743")[4], 321, now=vn(11, 58), slot=time(11, 30))
        refresh_now(db_session, vn(12, 0))
        db_session.commit()
        fresh = soup(client.get(url)).select_one("#progress")
        assert len(FRAGMENTS._items) == 2 and "321" in fresh.select_one(".pg-children").get_text()
        monkeypatch.setitem(app.config, "PROGRESS_FRAGMENT_CACHE", 0)
        assert soup(client.get(url)).select_one("#progress") == fresh  # the kept one is what a render gives
    finally:
        FRAGMENTS.clear()


def test_a_place_id_beyond_any_column_is_answered_404_never_500(app, as_user, day, monkeypatch):
    monkeypatch.setitem(app.config, "PROGRESS_REFRESH_AFTER_RESPONSE", False)
    client = as_user("quantri")
    for path in ("/progress/communes/999999999999999999", "/progress/provinces/2147483648"):
        assert client.get(path, query_string={"v": "0" * 24}, headers=HX).status_code == 404
