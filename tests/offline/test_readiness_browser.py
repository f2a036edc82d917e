"""The readiness check in a real Chromium at 360×740 with the real service worker: the phone keeps the station's
pages, sends its results through the outbox (no report created), and a phone whose clock is ten minutes off fails
that check; the commune sees both runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.offline.conftest import shot, sign_in
from tests.offline.helpers import controlled, wait_until
from tests.reports.helpers import vn
from tests.world import NOW
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.elections.models import PollingArea
from webapp.readiness.models import ReadinessCheck
from webapp.reports import services as reports
from webapp.reports.models import CountReport, TurnoutReport
from webapp.reports.services import TurnoutInput

pytestmark = pytest.mark.browser


def _checks(server, user_id):
    return server.scalar(sa.select(sa.func.count()).select_from(ReadinessCheck).where(ReadinessCheck.user_id == user_id))


def _latest(server, user_id):
    with Session(server.app.extensions["db"].engine) as session:
        return session.scalars(sa.select(ReadinessCheck).where(ReadinessCheck.user_id == user_id)
                               .order_by(ReadinessCheck.id.desc())).first()


def _send_reports(server):
    """A report on time from one station of Bến Thành (its own leader) and one late, entered by the hotline."""
    with Session(server.app.extensions["db"].engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        area = session.scalars(sa.select(PollingArea).where(PollingArea.code == "26743-11")).one()
        leader = User(username="rd_26743_11", role=Role.LEADER, province_id=area.province_id,
                      commune_id=area.commune_id, polling_area_id=area.id, password_hash="x", created_at=NOW)
        session.add(leader)
        session.flush()
        reports.submit_turnout(session, actor=audit.Actor(leader, Channel.WEB), area_id=area.id,
                               data=TurnoutInput(voted=90, slot=time(9)), client_uuid=uuid.uuid4(), now=vn(9, 7))
        hotline = session.scalars(sa.select(User).where(User.username == "tongdai")).one()
        other = session.scalars(sa.select(PollingArea).where(PollingArea.code == "26743-12")).one()
        reports.submit_turnout(session, actor=audit.Actor(hotline, Channel.PHONE), area_id=other.id,
                               data=TurnoutInput(voted=70, slot=time(9)), client_uuid=uuid.uuid4(), now=vn(9, 31))
        session.commit()


def _reports(server):
    return (server.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)),
            server.scalar(sa.select(sa.func.count()).select_from(CountReport)))


def test_the_leaders_phone_runs_the_check_and_the_commune_sees_it(phone, offline_server, leader):
    user_id = offline_server.scalar(sa.select(User.id).where(User.username == leader))
    area_id = offline_server.scalar(sa.select(User.polling_area_id).where(User.username == leader))
    reports_before = _reports(offline_server)
    context = phone()
    page = context.new_page()
    # What an installed app (added to the home screen) gets from Chromium: persistent storage granted.
    cdp = context.new_cdp_session(page)
    context_id = cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"]
    cdp.send("Browser.grantPermissions", {"origin": offline_server.url, "permissions": ["durableStorage"],
                                          "browserContextId": context_id})
    sign_in(page, leader)
    controlled(page)
    page.goto("/readiness")
    run = page.locator("[data-readiness-run]")
    expect(run).to_be_visible()
    shot(page, "readiness-before")
    run.click()
    page.wait_for_selector("#readiness-latest .rep-status-confirmed", timeout=60_000)
    shot(page, "readiness-passed")
    check = _latest(offline_server, user_id)
    assert check is not None and check.passed, (check.failed, check.details)
    assert check.polling_area_id == area_id
    assert "Chrome" in check.user_agent and abs(check.clock_skew_seconds) < 60
    assert _reports(offline_server) == reports_before  # the test item created no report
    # The pages are on the phone: they open with no network.
    context.set_offline(True)
    for path in (f"/reports/{area_id}/turnout", f"/reports/{area_id}/count"):
        page.goto(path)
        assert page.locator("#main").count() == 1 and "offline" not in page.url
    context.set_offline(False)
    # The outbox's list of sent items shows the test item.
    page.goto("/outbox")
    wait_until(lambda: page.evaluate("async () => (await window.Outbox.sent()).length"), page=page,
               message="the test item among the sent items")


def test_a_phone_with_a_wrong_clock_is_not_ready(phone, offline_server, leader):
    user_id = offline_server.scalar(sa.select(User.id).where(User.username == leader))
    context = phone()
    page = context.new_page()
    page.clock.install(time=datetime.now(UTC) + timedelta(minutes=10))
    sign_in(page, leader)
    controlled(page)
    page.goto("/readiness")
    page.locator("[data-readiness-run]").click()
    page.wait_for_selector("#readiness-latest .rep-badge-late", timeout=60_000)
    shot(page, "readiness-failed-clock")
    check = _latest(offline_server, user_id)
    assert "clock_ok" in check.failed and check.clock_skew_seconds >= 9 * 60
    assert page.locator("#readiness-latest .rd-fail").count() == len(check.failed)
    assert _checks(offline_server, user_id) == 1

    official = phone().new_page()
    sign_in(official, "xa")
    official.goto("/readiness")
    expect(official.locator("#readiness-commune")).to_be_visible()
    shot(official, "readiness-commune")
    official.goto("/readiness/calls")
    expect(official.locator("#readiness-calls .hl-call").first).to_be_visible()
    shot(official, "readiness-calls")
    # The drill report of the commune (here of the demo election: it reads any election), with two reports.
    _send_reports(offline_server)
    official.goto("/drill-reports/")
    official.locator("#drill-reports a.button").first.click()
    expect(official.locator("#drill-report .dr-grid")).to_be_visible()
    shot(official, "drill-report-commune")


def test_a_check_run_without_network_stores_nothing_and_leaves_nothing_behind(phone, offline_server, leader):
    """The page is open but the network is gone: the results cannot be sent now, so nothing is stored and the test
    item does not wait in the outbox to be stored later with a stale clock."""
    user_id = offline_server.scalar(sa.select(User.id).where(User.username == leader))
    context = phone()
    page = context.new_page()
    sign_in(page, leader)
    controlled(page)
    page.goto("/readiness")
    context.set_offline(True)
    page.locator("[data-readiness-run]").click()
    expect(page.locator("#readiness-status")).to_contain_text("mạng", timeout=90_000)
    expect(page.locator("[data-readiness-run]")).to_be_enabled()
    shot(page, "readiness-offline")
    assert page.evaluate("async () => (await window.Outbox.items()).length") == 0
    context.set_offline(False)
    assert _checks(offline_server, user_id) == 0
