"""Finding a station on the phone: code, name or commune with or without diacritics, a phone number, a receipt."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.review.helpers import send_count
from webapp.hotline import services

BEN_THANH = "26743"


def codes(found: services.SearchResult) -> list[str]:
    return [a.code for a in found.areas]


@pytest.mark.parametrize("query", ["ben thanh", "Bến Thành", "BEN  THANH", "phuong ben thanh", "Bến Thanh"])
def test_a_commune_name_with_or_without_diacritics_finds_its_stations(db_session, w, query):
    found = services.search_stations(db_session, w.user("tongdai"), query)
    assert found.how == "text"
    assert len(found.areas) == 12 and all(c.startswith(BEN_THANH + "-") for c in codes(found))


def test_a_code_or_a_name_finds_the_station(db_session, w):
    tongdai = w.user("tongdai")
    assert codes(services.search_stations(db_session, tongdai, "26743-07")) == ["26743-07"]
    by_name = services.search_stations(db_session, tongdai, "ben thanh khu vuc bo phieu so 12")
    assert codes(by_name) == ["26743-12"]


def test_a_team_members_phone_finds_the_station_in_any_form(db_session, w):
    tongdai = w.user("tongdai")
    member = w.area("26740-05").team[2]
    for query in (member.phone, "+84 " + member.phone[1:], f"{member.phone[:4]}.{member.phone[4:7]}.{member.phone[7:]}",
                  member.phone[-7:]):
        found = services.search_stations(db_session, tongdai, query)
        assert "26740-05" in codes(found), query
        assert found.how == "number"


def test_a_leader_accounts_phone_finds_the_station(db_session, w):
    leader = w.user("hn_to01")
    leader.phone = "0987123456"
    db_session.flush()
    assert codes(services.search_stations(db_session, w.user("hn_tongdai"), "0987 123 456")) == ["00070-01"]
    assert codes(services.search_stations(db_session, w.user("tongdai"), "0987123456")) == []


def test_a_receipt_code_finds_the_report_and_its_station(db_session, w):
    report = send_count(db_session, w)
    typed = f"{report.receipt[:3].lower()}-{report.receipt[3:].lower()}"
    found = services.search_stations(db_session, w.user("tongdai"), typed)
    assert (found.how, found.report.id, codes(found)) == ("receipt", report.id, ["26743-01"])
    elsewhere = services.search_stations(db_session, w.user("hn_tongdai"), typed)
    assert elsewhere.report is None and elsewhere.areas == []


def test_the_hotline_of_another_province_finds_nothing_here(db_session, w):
    assert services.search_stations(db_session, w.user("hn_tongdai"), "ben thanh").areas == []
    assert len(services.search_stations(db_session, w.user("tongdai_qg"), "ben thanh").areas) == 12
    assert codes(services.search_stations(db_session, w.user("hn_tongdai"), "hoan kiem")) == ["00070-01"]


def test_the_search_page(as_user, db_session, w):
    client = as_user("tongdai")
    response = client.get("/hotline/?q=ben+thanh")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    links = BeautifulSoup(response.get_data(as_text=True), "html.parser").select("#hotline-search .hl-results a")
    assert len(links) == 12 and links[0]["href"] == f"/hotline/stations/{w.area('26743-01').id}"
    report = send_count(db_session, w)
    page = client.get(f"/hotline/?q={report.receipt}").get_data(as_text=True)
    assert "hl-receipt" in page and f"/reports/count/{report.id}" in page


@pytest.mark.parametrize(("username", "status"), [("xa", 403), ("to01", 403), ("tinh", 200), ("quantri", 200)])
def test_who_may_use_the_hotline_pages(as_user, username, status):
    client = as_user(username)
    assert client.get("/hotline/").status_code == status
    assert client.get("/hotline/calls").status_code == status


def test_the_name_shown_in_the_results_finds_the_station(db_session, w):
    """The leader's name under a result is a way to find it again: accents, dashes and apostrophes optional."""
    tongdai = w.user("tongdai")
    member = w.area("26743-05").team[0]
    member.full_name = "Hoàng Thị Hoà H’Niê"
    db_session.flush()
    assert member.name_folded == "hoang thi hoa h'nie"
    for query in ("Hoàng Thị Hoà H’Niê", "hoang thi hòa h'nie", "Thị Hoà H'Niê", "HOANG THI HOA H\u02bcNIE"):
        found = services.search_stations(db_session, tongdai, query)
        assert codes(found) == ["26743-05"], query
    assert codes(services.search_stations(db_session, w.user("hn_tongdai"), "hoang thi hoa h'nie")) == []


def test_a_team_members_or_the_leader_accounts_name_finds_the_station(db_session, w):
    tongdai = w.user("tongdai")
    w.area("26743-03").team[3].full_name = "Ksor Y–Bhăm"
    w.user("to01").full_name = "Nguyễn Văn Độ"
    db_session.flush()
    assert codes(services.search_stations(db_session, tongdai, "ksor y - bham")) == ["26743-03"]
    assert codes(services.search_stations(db_session, tongdai, "nguyen van do")) == [w.user("to01").polling_area.code]
    # A name is matched whole: its words are not spread over the place and other people.
    assert services.search_stations(db_session, tongdai, "ksor do").areas == []


def test_a_wildcard_in_the_query_is_a_plain_character(db_session, w):
    assert services.search_stations(db_session, w.user("tongdai"), "%").areas == []
    assert services.search_stations(db_session, w.user("tongdai"), "_").areas == []
