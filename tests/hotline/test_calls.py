"""The call list (late stations, most overdue first, the slot boundary, scope, a bounded number of statements)
and the call log."""

from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlalchemy import event

from tests.conftest import csrf_token
from tests.review.helpers import send_turnout, vn
from tests.world import NOW
from webapp.accounts.models import Role, User
from webapp.elections import services as elections
from webapp.elections.models import PollingArea
from webapp.hotline import calllist
from webapp.hotline.models import CallLog, CallOutcome

HCMC_AREAS = 40  # the demo; Hà Nội holds one more. HCMC's own report times: 09:00, 11:30, 15:00, 19:00.


def test_nobody_is_late_until_the_deadline_has_passed(db_session, w):
    tongdai = w.user("tongdai")
    assert calllist.call_list(db_session, tongdai, vn(9, 15)).total == 0  # 09:00 + 15 minutes' grace
    found = calllist.call_list(db_session, tongdai, vn(9, 16))
    assert found.total == HCMC_AREAS and found.slots == [time(9)]
    assert {r.overdue_minutes for r in found.rows} == {1}


def test_a_station_that_reported_is_not_called(db_session, w):
    send_turnout(db_session, w, 120, slot=time(9), at=(9, 10))
    found = calllist.call_list(db_session, w.user("tongdai"), vn(9, 30))
    assert found.total == HCMC_AREAS - 1
    assert "26743-01" not in [r.code for r in found.rows]


def test_the_most_overdue_come_first(db_session, w):
    send_turnout(db_session, w, 120, slot=time(9), at=(9, 10), area="26743-02", leader=_leader(db_session, w, "26743-02"))
    send_turnout(db_session, w, 120, slot=time(9), at=(9, 10))
    send_turnout(db_session, w, 300, slot=time(11, 30), at=(11, 40))
    found = calllist.call_list(db_session, w.user("tongdai"), vn(12, 0))
    assert found.total == HCMC_AREAS - 1 and found.slots == [time(11, 30)]
    last = found.rows[-1]
    assert (last.code, last.last_reported, last.overdue_minutes) == ("26743-02", time(9), 15)
    assert {r.overdue_minutes for r in found.rows[:-1]} == {165}  # silent since 09:15
    assert [r.code for r in found.rows[:-1]] == sorted(r.code for r in found.rows[:-1])


def _leader(db_session, w, code):
    """A leader account for another demo station (the demo has one, to01)."""
    area = w.area(code)
    user = User(username=f"to_{code}", role=Role.LEADER, province_id=area.province_id, commune_id=area.commune_id,
                polling_area_id=area.id, password_hash="x", created_at=NOW)
    db_session.add(user)
    db_session.flush()
    return user.username


def test_each_hotline_sees_its_own_province(db_session, w):
    at = vn(9, 16)
    hanoi = calllist.call_list(db_session, w.user("hn_tongdai"), at)
    assert [r.code for r in hanoi.rows] == ["00070-01"]
    assert calllist.call_list(db_session, w.user("tongdai_qg"), at).total == HCMC_AREAS + 1


def test_the_rows_carry_the_numbers_to_call(db_session, w):
    found = calllist.call_list(db_session, w.user("tongdai"), vn(9, 16))
    row = next(r for r in found.rows if r.code == "26743-01")
    to01 = w.user("to01")
    assert row.leader_phones == [(to01.full_name, to01.phone)]  # the account's number is the team list's
    assert len(row.others) == len([m for m in w.area("26743-01").team if m.role.value != "leader" and m.phone])


def test_the_call_list_reads_a_bounded_number_of_statements(app, db_session, w):
    """One query finds the late stations, whatever their number; the page loads names and phones in a few."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for username in ("tongdai", "tongdai_qg"):
            user = w.user(username)
            statements.clear()
            found = calllist.call_list(db_session, user, vn(9, 16))
            assert found.rows
            assert len(statements) <= 10, (username, statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_call_list_page_has_tap_to_call_links(as_user, app, w):
    app.config["REPORTING_CLOCK_OVERRIDE"] = vn(9, 40).isoformat()
    try:
        page = BeautifulSoup(as_user("tongdai").get("/hotline/calls").get_data(as_text=True), "html.parser")
    finally:
        app.config.pop("REPORTING_CLOCK_OVERRIDE")
    calls = page.select("#call-list .hl-call")
    assert len(calls) == HCMC_AREAS
    assert calls[0].select_one("a.hl-tel-main")["href"].startswith("tel:0")
    assert "25" in calls[0].select_one(".rep-badge-late").text


def test_recording_a_call(as_user, app, db_session, w):
    area = w.area("26740-03")
    client = as_user("tongdai")
    token = csrf_token(client, f"/hotline/stations/{area.id}")
    app.config["REPORTING_CLOCK_OVERRIDE"] = vn(9, 40).isoformat()
    try:
        response = client.post(f"/hotline/stations/{area.id}/calls?next=calls", data={
            "csrf_token": token, "outcome": "no_answer", "phone": "0912 345 678", "note": "Gọi 2 lần", "slot": "09:00"})
    finally:
        app.config.pop("REPORTING_CLOCK_OVERRIDE")
    assert response.status_code == 303 and response.headers["Location"].endswith("/hotline/calls")
    call = db_session.scalars(sa.select(CallLog).where(CallLog.polling_area_id == area.id)).one()
    assert (call.outcome, call.number, call.note, call.slot_at, call.at) == (
        CallOutcome.NO_ANSWER, "0912345678", "Gọi 2 lần", time(9), vn(9, 40))
    assert call.caller_id == w.user("tongdai").id and call.commune_id == area.commune_id
    row = next(r for r in calllist.call_list(db_session, w.user("tongdai"), vn(9, 45)).rows if r.code == "26740-03")
    assert row.last_call.id == call.id


def test_a_call_without_an_outcome_answers_422(as_user, db_session, w):
    area = w.area("26740-03")
    client = as_user("tongdai")
    token = csrf_token(client, f"/hotline/stations/{area.id}")
    response = client.post(f"/hotline/stations/{area.id}/calls", data={"csrf_token": token, "note": "giữ lại"})
    assert response.status_code == 422
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.select_one("#call-form textarea[name=note]").text.strip() == "giữ lại"
    assert page.select_one("#call-form .hl-outcomes .error") is not None


@pytest.mark.parametrize(("username", "status"), [("hn_tongdai", 404), ("xa", 403), ("to01", 403)])
def test_who_may_record_a_call_about_a_station(as_user, db_session, w, username, status):
    area = w.area("26740-03")
    client = as_user(username)
    token = csrf_token(client, "/")
    response = client.post(f"/hotline/stations/{area.id}/calls", data={"csrf_token": token, "outcome": "reached"})
    assert response.status_code == status
    assert client.get(f"/hotline/stations/{area.id}").status_code == status
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CallLog)) == 0


def test_the_database_cuts_the_list_to_the_page(db_session, w):
    """Only the most overdue come back from the query, with the number of late stations."""
    send_turnout(db_session, w, 120, slot=time(9), at=(9, 10))
    tongdai = w.user("tongdai")
    election = elections.current_election(db_session)
    slots = ((time(9), 15), (time(11, 30), 15), (time(15), 15), (time(19), 15))
    rows, total = calllist._late_in(db_session, tongdai, election, election.polling_date, [tongdai.province_id],
                                    slots, vn(12, 0), None, None, 5)
    assert total == HCMC_AREAS
    assert [r.overdue_minutes for r in rows] == [165] * 5
    assert [r.code for r in rows] == sorted(a.code for a in db_session.scalars(sa.select(PollingArea))
                                            if a.province_id == tongdai.province_id and a.code != "26743-01")[:5]


@pytest.mark.parametrize("username", ["tongdai", "tongdai_qg"])
def test_the_pages_follow_each_other_by_keyset_forwards_and_back(db_session, w, monkeypatch, username):
    """Walking the pages (a small page size) lists every late station once, in the order of the whole list, and
    walking back from the last page gives the same pages; the national list merges provinces whose report times
    differ (HCMC's own against the national default)."""
    send_turnout(db_session, w, 120, slot=time(9), at=(9, 10), area="26743-02", leader=_leader(db_session, w, "26743-02"))
    send_turnout(db_session, w, 300, slot=time(11, 30), at=(11, 40))
    user, at = w.user(username), vn(12, 0)
    monkeypatch.setattr(calllist, "PAGE_SIZE", 1000)
    whole = calllist.call_list(db_session, user, at)
    assert whole.older is None and whole.newer is None
    monkeypatch.setattr(calllist, "PAGE_SIZE", 7)
    pages = [calllist.call_list(db_session, user, at)]
    assert pages[0].newer is None
    while pages[-1].older is not None:
        pages.append(calllist.call_list(db_session, user, at, after=str(pages[-1].older)))
    assert [r.code for p in pages for r in p.rows] == [r.code for r in whole.rows]
    assert {p.total for p in pages} == {whole.total} and len(pages) == -(-whole.total // 7)
    back = [pages[-1]]
    while back[-1].newer is not None:
        back.append(calllist.call_list(db_session, user, at, before=str(back[-1].newer)))
    assert [[r.code for r in p.rows] for p in reversed(back)] == [[r.code for r in p.rows] for p in pages]


@pytest.mark.parametrize("cursor", ["", "25:00,x", "09:15", "abc", "09:15," + "x" * 100, "23:59,zzzz"])
def test_a_malformed_or_exhausted_cursor_gives_a_page_not_an_error(as_user, app, cursor):
    app.config["REPORTING_CLOCK_OVERRIDE"] = vn(9, 40).isoformat()
    try:
        response = as_user("tongdai").get("/hotline/calls", query_string={"after": cursor})
    finally:
        app.config.pop("REPORTING_CLOCK_OVERRIDE")
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert str(HCMC_AREAS) in page.select_one("#call-list .card").text
