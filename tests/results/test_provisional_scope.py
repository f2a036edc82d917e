"""Provisional (unconfirmed) figures only for readers whose area covers the whole unit (issue 10 §5): a commune
official who saw the provisional totals of a unit spanning other communes could subtract its own stations and
read the others' unconfirmed figures. Pages, fragments, XLSX, the API and the service alike; the confirmed
figures are shown as before."""

from __future__ import annotations

import io

from bs4 import BeautifulSoup
from openpyxl import load_workbook

from tests.conftest import login
from tests.results.helpers import BEN_THANH, CONFIRMED, NA, RECEIVED, put_report, unit_areas
from webapp.results import services

SPANNING = "QH-79-01"  # 40 polling areas, 12 of them in Bến Thành (the commune official "xa")
WITHIN = "X-26743-01"  # a Bến Thành council unit: all of its areas are the commune's


def _spanning_unit_with_an_unconfirmed_station_elsewhere(db_session, w):
    """Every station's minutes confirmed, except one station outside Bến Thành whose minutes await review."""
    unit = w.unit(SPANNING)
    areas = unit_areas(db_session, unit)
    elsewhere = next(a for a in areas if a.commune.code != BEN_THANH)
    assert {a.commune.code for a in areas} > {BEN_THANH}  # the unit does span other communes
    for area in areas:
        put_report(db_session, w, area, NA, voted=800, status=RECEIVED if area is elsewhere else CONFIRMED)
    put_report(db_session, w, elsewhere, NA, voted=777, status=RECEIVED)  # a correction: the total changes
    return unit


def test_the_service_gives_provisional_figures_only_to_whole_unit_readers(db_session, w):
    unit = _spanning_unit_with_an_unconfirmed_station_elsewhere(db_session, w)
    commune = services.unit_result(db_session, w.user("xa"), unit.id, confirmed_only=False)
    province = services.unit_result(db_session, w.user("tinh"), unit.id, confirmed_only=False)
    nation = services.unit_result(db_session, w.user("quantri"), unit.id, confirmed_only=False)
    assert commune.provisional is None
    assert province.provisional is not None and nation.provisional is not None
    assert province.provisional.totals.voters_voted == 39 * 800 + 777
    # The confirmed figures stay as they were, for everyone.
    assert commune.official.totals == province.official.totals
    assert commune.official.totals.voters_voted == 39 * 800
    assert (commune.received, commune.confirmed) == (1, 39)

    higher = services.committee_results(db_session, w.user("xa"), province_id=w.user("xa").province_id)
    assert [(o.unit.code, o.provisional) for c in higher.contests for o in c.units] == [
        (SPANNING, None), ("T-79-01", None)]


def test_a_commune_official_keeps_the_provisional_figures_of_its_own_units(db_session, w):
    unit = w.unit(WITHIN)
    for area in unit_areas(db_session, unit):
        put_report(db_session, w, area, unit.contest.kind, voted=812, status=RECEIVED)
    outcome = services.unit_result(db_session, w.user("xa"), unit.id, confirmed_only=False)
    assert outcome.provisional is not None and outcome.provisional.totals.voters_voted == 4 * 812


def test_pages_fragments_exports_and_api_withhold_them_from_a_partial_reader(db_session, w, app, client):
    unit = _spanning_unit_with_an_unconfirmed_station_elsewhere(db_session, w)
    provisional_total = f"{39 * 800 + 777:,}".replace(",", ".")
    for username, sees in (("xa", False), ("tinh", True)):
        client = app.test_client()
        login(client, username)
        for headers in ({}, {"HX-Request": "true"}):
            page = BeautifulSoup(client.get(f"/results/units/{unit.id}", headers=headers).get_data(as_text=True),
                                 "html.parser")
            assert (page.select_one(".result-provisional") is not None) is sees, (username, headers)
            assert (provisional_total in page.get_text()) is sees
        body = client.get(f"/api/v1/results/units/{unit.id}").get_json()
        assert (body["provisional"] is not None) is sees
        assert body["official"]["voters_voted"] == 39 * 800
        committee = client.get(f"/api/v1/results/provinces/{unit.province_id}").get_json()
        assert all((u["provisional"] is not None) is sees for c in committee["contests"] for u in c["units"]
                   if u["unit"]["code"] == SPANNING)
        export = client.get(f"/results/units/{unit.id}/results.xlsx")
        workbook = load_workbook(io.BytesIO(export.data), read_only=True)
        try:
            result = [tuple(r) for r in workbook[workbook.sheetnames[0]].iter_rows(values_only=True)]
            candidates = [tuple(r) for r in workbook[workbook.sheetnames[1]].iter_rows(values_only=True)]
        finally:
            workbook.close()
        assert result[1][9] == 39 * 800  # the confirmed figure, as before
        assert result[1][15] == (39 * 800 + 777 if sees else None)
        provisional_votes = [row[7] if len(row) > 7 else None for row in candidates[1:]]  # read-only drops blanks
        assert provisional_votes and all((votes is not None) is sees for votes in provisional_votes)
        if username == "tinh":
            continue
        overview = client.get(f"/results/provinces/{unit.province_id}").get_data(as_text=True)
        assert "provisional-line" not in overview
