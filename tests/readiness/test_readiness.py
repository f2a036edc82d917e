"""The readiness check: what the server decides from the phone's results, the leader's page and its outbox
contract, and what the commune, hotline and committees see (scoped: another commune answers 404)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.conftest import csrf_token
from tests.world import NOW
from webapp.accounts.models import User
from webapp.audit.models import AuditEntry
from webapp.elections import services as elections
from webapp.readiness import services
from webapp.readiness.models import ReadinessCheck
from webapp.reports.models import CountReport, TurnoutReport

VERSION = "abc123def0"


def _results(**overrides):
    values = dict(client_uuid=uuid.uuid4(), pages_cached=True, storage_persistent=True, app_version=VERSION,
                  client_time=NOW + timedelta(seconds=30), user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 7) "
                  "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36")
    values.update(overrides)
    return services.PhoneResults(**values)


def _record(db_session, w, username="to01", via_outbox=True, now=NOW, **overrides):
    return services.record_check(db_session, actor=w.user(username), election=elections.current_election(db_session),
                                 results=_results(**overrides), via_outbox=via_outbox, server_version=VERSION,
                                 now=now)


def test_a_phone_that_passes_every_check_is_ready(db_session, w):
    check = _record(db_session, w)
    assert check.passed and check.failed == []
    assert check.clock_skew_seconds == 30
    assert check.polling_area_id == w.user("to01").polling_area_id
    assert check.commune_id == w.user("to01").commune_id
    audit = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "readiness_checks")).all()
    assert [a.action for a in audit] == ["create"] and audit[0].polling_area_id == check.polling_area_id


@pytest.mark.parametrize(("overrides", "failed"), [
    ({"client_time": NOW + timedelta(minutes=2, seconds=1)}, ["clock_ok"]),
    ({"client_time": NOW - timedelta(minutes=5)}, ["clock_ok"]),
    ({"client_time": NOW - timedelta(minutes=2)}, []),
    ({"app_version": "0000000000"}, ["version_current"]),
    ({"app_version": ""}, ["version_current"]),
    ({"pages_cached": False, "missing_pages": ("/reports/1/count",)}, ["pages_cached"]),
    ({"storage_persistent": False}, ["storage_persistent"]),
    ({"via_outbox": False}, ["outbox_works"]),
])
def test_each_check_fails_on_its_own(db_session, w, overrides, failed):
    check = _record(db_session, w, **overrides)
    assert check.failed == failed
    assert check.passed is (not failed)


def test_the_same_run_sent_twice_is_stored_once(db_session, w):
    first = _record(db_session, w)
    again = services.record_check(db_session, actor=w.user("to01"), election=first.election,
                                  results=_results(client_uuid=first.client_uuid), via_outbox=True,
                                  server_version=VERSION, now=NOW + timedelta(seconds=5))
    assert again.id == first.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReadinessCheck)) == 1


def test_only_a_leader_phone_is_checked(db_session, w):
    with pytest.raises(services.ReadinessError):
        _record(db_session, w, username="xa")


def _post(client, *, outbox=True, **fields):
    data = {"csrf_token": csrf_token(client, "/readiness"), "client_uuid": str(uuid.uuid4()), "pages_cached": "1",
            "storage_persistent": "1", "app_version": "", "client_time": "1700000000000", "missing_pages": "",
            "storage_note": "12/300 MB"}
    data.update(fields)
    headers = {"X-Outbox": "foreground", "User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0"} if outbox else {}
    return client.post("/readiness", data=data, headers=headers)


def test_the_leader_page_carries_the_station_pages_to_keep(as_user, w):
    client = as_user("to01")
    response = client.get("/readiness")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    form = BeautifulSoup(response.data, "html.parser").select_one("#readiness-form")
    area = w.user("to01").polling_area_id
    pages = form["data-pages"]
    assert f"/reports/{area}/turnout" in pages and f"/reports/{area}/count" in pages and "/outbox" in pages
    assert form.select_one("input[name=csrf_token]")
    assert BeautifulSoup(response.data, "html.parser").select_one("#readiness-latest .rd-none")  # no check yet


def test_results_sent_through_the_outbox_are_acknowledged_and_create_no_report(as_user, db_session, w):
    client = as_user("to01")
    reports_before = (db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)),
                      db_session.scalar(sa.select(sa.func.count()).select_from(CountReport)))
    from webapp.offline.views import sw_config
    with client.application.test_request_context():
        version = str(sw_config()["version"])
    response = _post(client, app_version=version, client_time=str(int(_now_ms())))
    assert response.status_code == 200, response.data[:500]
    assert response.headers["X-Outbox-Ack"] == "1"
    assert response.headers["X-Outbox-Location"].endswith("/readiness")
    check = db_session.scalars(sa.select(ReadinessCheck)).one()
    assert check.passed, check.failed
    assert check.user_agent.startswith("Mozilla/5.0 (Linux; Android 14)")
    assert check.details == {"storage": "12/300 MB"}
    assert (db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)),
            db_session.scalar(sa.select(sa.func.count()).select_from(CountReport))) == reports_before
    page = client.get("/readiness").get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    assert len(soup.select("#readiness-latest .rd-ok")) == 6, soup.select_one("#readiness-latest")


def _now_ms():
    from webapp.clock import utcnow
    return utcnow().timestamp() * 1000


def test_results_sent_without_the_outbox_fail_that_check(as_user, db_session):
    client = as_user("to01")
    response = _post(client, outbox=False, client_time=str(int(_now_ms())))
    assert response.status_code == 303 and response.headers["Location"].endswith("/readiness")
    check = db_session.scalars(sa.select(ReadinessCheck)).one()
    assert "outbox_works" in check.failed and "version_current" in check.failed
    page = BeautifulSoup(client.get("/readiness").data, "html.parser")
    assert page.select_one("#readiness-latest .rep-badge-late")
    assert len(page.select("#readiness-latest .rd-fix")) == len(check.failed)


@pytest.mark.parametrize("fields", [
    {"client_uuid": "not-a-uuid"}, {"pages_cached": "yes"}, {"client_time": "12345678901234567"},
    {"client_time": "-5"}, {"client_uuid": ""}, {"storage_note": "x" * 500},
])
def test_bad_results_answer_422_and_store_nothing(as_user, db_session, fields):
    client = as_user("to01")
    response = _post(client, outbox=False, **fields)
    assert response.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReadinessCheck)) == 0


def test_officials_are_sent_to_the_stations(as_user):
    client = as_user("xa")
    response = client.get("/readiness")
    assert response.status_code == 303 and response.headers["Location"].endswith("/readiness/stations")


def test_the_commune_sees_each_station_and_not_another_commune(as_user, db_session, w):
    _record(db_session, w, via_outbox=False)
    db_session.commit()  # the savepoint: the client's request sees it
    client = as_user("xa")
    response = client.get("/readiness/stations")
    assert response.status_code == 303
    commune = w.user("xa").commune_id
    page = BeautifulSoup(client.get(f"/readiness/communes/{commune}").data, "html.parser")
    stations = page.select(".rd-station")
    assert len(stations) == len(w.user("xa").commune and _areas_of(db_session, commune))
    to01 = next(s for s in stations if w.user("to01").polling_area.code in s.get_text())
    assert to01.select_one(".rep-badge-late") and to01.select_one(".rd-failed")
    assert client.get(f"/readiness/communes/{w.commune('00070').id}").status_code == 404


def _areas_of(db_session, commune_id):
    from webapp.elections.models import PollingArea
    return db_session.scalars(sa.select(PollingArea.id).where(PollingArea.commune_id == commune_id)).all()


def test_the_call_list_puts_never_checked_first_and_keeps_to_scope(as_user, db_session, w):
    _record(db_session, w, via_outbox=False)
    db_session.commit()
    election = elections.current_election(db_session)
    found = services.not_ready(db_session, w.user("tongdai"), election, NOW)
    hcmc = db_session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == "tongdai"))
    assert hcmc == 1
    assert found.never_checked == found.total - 1
    assert found.rows[0].check is None
    assert all(r.area.province_id == w.user("tongdai").province_id for r in found.rows)
    everyone = services.not_ready(db_session, w.user("tongdai_qg"), election, NOW)
    assert everyone.total == found.total + 1  # and Hà Nội's station
    hanoi = services.not_ready(db_session, w.user("hn_xa"), election, NOW)
    assert [r.code for r in hanoi.rows] == ["00070-01"]
    # The leader whose check failed: still on the list, with what failed and the leader's phone.
    client = as_user("tongdai")
    soup = BeautifulSoup(client.get(f"/readiness/calls?page={found.pages}").data, "html.parser")
    last = soup.select(".hl-call")[-1]
    assert w.user("to01").polling_area.code in last.get_text() and last.select_one(".rep-badge-late")
    assert last.select_one("a[href^='tel:']")


def test_a_passed_check_takes_the_station_off_the_call_list(db_session, w):
    election = elections.current_election(db_session)
    before = services.not_ready(db_session, w.user("xa"), election, NOW).total
    _record(db_session, w, via_outbox=False, now=NOW)
    _record(db_session, w, now=NOW + timedelta(minutes=1), client_time=NOW + timedelta(minutes=1))
    assert services.not_ready(db_session, w.user("xa"), election, NOW).total == before - 1
    summary = {c.commune.id: c for c in services.communes_summary(db_session, w.user("tinh"), election)}
    assert summary[w.user("xa").commune_id].ready == 1


@pytest.mark.parametrize("path", ["/readiness/stations", "/readiness/calls"])
def test_a_leader_cannot_see_the_stations(as_user, path):
    assert as_user("to01").get(path).status_code == 403
