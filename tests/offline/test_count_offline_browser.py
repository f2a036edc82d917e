"""Count minutes with no network, in Debian's Chromium (issue 4): the read-back on the phone says every number in
the same Vietnamese words as the server (webapp/reports/words.py), the count forms of the polling area open from
the service worker's cache, three contests' minutes and a photo queued after one of them arrive exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from tests.offline.conftest import LiveServer, shot, sign_in
from tests.offline.helpers import controlled, keep_pages, outbox, wait_until
from tests.offline.test_offline_browser import enter_offline, enter_turnout, prepare, stored, wait_empty
from tests.reports.helpers import AREA, good_numbers, jpeg_bytes, links, voters
from webapp.accounts.models import User
from webapp.elections.models import PollingArea
from webapp.reports.check_messages import describe
from webapp.reports.checks import CountContext, check_count
from webapp.reports.forms import count_form
from webapp.reports.models import CountReport, ReportPhoto
from webapp.reports.words import vi_words

pytestmark = pytest.mark.browser

SAMPLES = sorted({0, 1, 4, 5, 10, 11, 14, 15, 20, 21, 24, 25, 55, 100, 101, 104, 105, 110, 111, 115, 121, 999, 1000,
                  1001, 1005, 1010, 1015, 1100, 2024, 10_000, 10_010, 10_105, 100_000, 100_001, 1_000_000, 1_000_001,
                  1_005_000, 1_234_567, 5_000_005, 9_999_999, 10_000_000}
                 | {n * 7919 % 10_000_001 for n in range(300)} | set(range(130)))


@pytest.fixture
def evening(offline_server: LiveServer) -> Iterator[None]:
    """After the polls closed at 19:00 on 15/03/2026: the count minutes are due."""
    config = offline_server.app.config
    before = config["REPORTING_CLOCK_OVERRIDE"]
    config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T19:40"
    yield
    config["REPORTING_CLOCK_OVERRIDE"] = before


def test_words_on_the_phone_are_the_servers(phone):
    page = phone().new_page()
    page.goto("/login")
    page.wait_for_function("() => !!window.viWords")
    assert len(SAMPLES) > 300
    got = page.evaluate("ns => ns.map(n => window.viWords(n))", SAMPLES)
    expected = [vi_words(n) for n in SAMPLES]
    assert [(n, g) for n, g, e in zip(SAMPLES, got, expected, strict=True) if g != e] == []


def _contests(server: LiveServer, code: str = AREA, voted: int | None = None) -> list[tuple[int, dict[str, str]]]:
    """Each contest of a polling area with form values that pass every check."""
    with Session(server.app.extensions["db"].engine) as session:
        area = session.scalars(sa.select(PollingArea).where(PollingArea.code == code)).one()
        out = []
        for kind, link in sorted(links(session, area).items(), key=lambda kv: kv[1].contest_id):
            n = good_numbers(session, area, kind, voted=voted)
            values = {name: str(getattr(n, name)) for name in ("voters_on_list", "voters_voted", "ballots_issued",
                                                                "ballots_received", "valid", "invalid")}
            values.update({f"votes_{cid}": str(v) for cid, v in n.votes.items()})
            out.append((link.contest_id, values))
        return out


def _stored(server: LiveServer, uuids: list[str]) -> tuple[list[CountReport], list[ReportPhoto]]:
    ids = [uuid.UUID(u) for u in uuids]
    with Session(server.app.extensions["db"].engine, expire_on_commit=False) as session:
        reports = session.scalars(sa.select(CountReport).where(CountReport.client_uuid.in_(ids))).all()
        photos = session.scalars(sa.select(ReportPhoto).where(ReportPhoto.count_report_id.in_([r.id for r in reports]))).all()
        return list(reports), list(photos)


def enter_count_offline(page: Page, url: str, values: dict[str, str], screenshot: str | None = None) -> str:
    """Open a count form (from the cache), type the minutes, read them back on the phone, queue them."""
    page.goto(url)
    for name, value in values.items():
        page.fill(f"#count-entry input[name={name}]", value)
    page.fill("#count-entry input[name=witness_1]", "Nguyễn Văn Chứng")
    page.fill("#count-entry input[name=witness_2]", "Lê Thị Kiến")
    client_uuid = page.input_value("#count-entry input[name=client_uuid]")
    page.click("#count-entry button[name=step]")
    readback = page.locator("#readback-local")
    expect(readback).to_be_visible()
    first = readback.locator(".rep-rb-row").first
    expect(first.locator(".rep-words")).to_have_text(vi_words(int(values["voters_on_list"])))
    expect(readback.locator(".rep-rb-row")).to_have_count(len(values) + 3)  # and the three complaint counts
    if screenshot:
        shot(page, screenshot)
    page.click("#readback-local button[data-act=send]")
    expect(page.locator("#count-form .outbox-status.is-saved")).to_be_visible()
    return client_uuid


def test_count_minutes_offline_with_read_back_and_a_photo_after(phone, offline_server, evening):
    """Online once → offline → three contests' minutes read back and queued, a photo after the first → back online
    → the server holds the three minutes and the one photo, each once, the photo on the first minutes."""
    context = phone()
    page = context.new_page()
    sign_in(page, "to01")
    controlled(page)
    counts = page.get_attribute("#leader-home a[href$='/count']", "href")
    assert counts
    contests = _contests(offline_server)
    assert len(contests) == 3
    forms = [f"{counts}/{contest_id}" for contest_id, _ in contests]
    keep_pages(page, ["/", counts, *forms])

    context.set_offline(True)
    page.goto(counts)
    numbers_uuids = []
    for index, (url, (_, values)) in enumerate(zip(forms, contests, strict=True)):
        client_uuid = enter_count_offline(page, url, values, screenshot="count-readback-offline" if index == 0 else None)
        numbers_uuids.append(client_uuid)
        if index == 0:
            photo = page.locator(f"#photo-after-{client_uuid}")
            expect(photo).to_have_attribute("data-offline-after", client_uuid)
            page.set_input_files("#photo-gallery-later", files=[{"name": "bien-ban.jpg", "mimeType": "image/jpeg",
                                                                  "buffer": jpeg_bytes(640, 480)}])
            page.click(f"#photo-after-{client_uuid} button[type=submit]")
            expect(page.locator("#photo-later .outbox-status.is-saved")).to_be_visible()
            shot(page, "count-photo-queued")
    assert len(set(numbers_uuids)) == 3
    items = outbox(page)
    assert [i["kind"] for i in items] == ["numbers", "photo", "numbers", "numbers"]
    assert {i["state"] for i in items} == {"waiting"}
    assert _stored(offline_server, numbers_uuids) == ([], [])

    context.set_offline(False)
    page.goto("/outbox")
    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to empty", page=page)
    reports, photos = _stored(offline_server, numbers_uuids)
    assert sorted(str(r.client_uuid) for r in reports) == sorted(numbers_uuids)
    assert len(photos) == 1 and photos[0].count_report_id == next(r.id for r in reports
                                                           if str(r.client_uuid) == numbers_uuids[0])
    expect(page.locator(".outbox-item.state-sent")).to_have_count(4)


def test_twenty_reports_offline_mix_turnout_and_count(phone, offline_server, leader, evening):
    """Issue 4 §3 with both kinds: 17 turnout reports and the 3 count minutes entered offline, in that order,
    arrive exactly once; the minutes' voters match the last turnout, so they need no explanation."""
    context = phone()
    page = context.new_page()
    turnout = prepare(page, leader)
    counts = page.get_attribute("#leader-home a[href$='/count']", "href")
    assert counts
    with Session(offline_server.app.extensions["db"].engine) as session:
        user = session.scalars(sa.select(User).where(User.username == leader)).one()
        area = session.get(PollingArea, user.polling_area_id)
        code = area.code
        last = min(voters(session, area, link.contest) for link in links(session, area).values()) - 100
    contests = _contests(offline_server, code, voted=last)
    forms = [f"{counts}/{contest_id}" for contest_id, _ in contests]
    keep_pages(page, [counts, *forms])

    context.set_offline(True)
    turnout_uuids = [enter_offline(page, turnout, last - 16 + n) for n in range(17)]
    count_uuids = [enter_count_offline(page, url, values) for url, (_, values) in zip(forms, contests, strict=True)]
    assert [i["kind"] for i in outbox(page)] == ["numbers"] * 20
    page.goto("/")
    expect(page.locator("#outbox-badge")).to_have_text("20 chờ gửi")

    context.set_offline(False)
    wait_empty(page, timeout=90)
    assert stored(offline_server, turnout_uuids) == [last - 16 + n for n in range(17)]
    reports, _ = _stored(offline_server, count_uuids)
    assert sorted(str(r.client_uuid) for r in reports) == sorted(count_uuids)
    assert all(r.voters_voted == last and not r.explanations for r in reports)


def _server_says(server: LiveServer, page: Page, values: dict[str, str]) -> list[tuple[str, str]]:
    """(code, Vietnamese sentence) of each finding the server's checks give for these minutes on this page's form."""
    form = page.locator("#count-entry")
    seats = int(form.get_attribute("data-check-seats") or 0)
    ids = [int(i) for i in (form.get_attribute("data-check-candidates") or "").split()]
    last = form.get_attribute("data-check-last-turnout")
    names = {cid: page.inner_text(f"label[for=votes_{cid}]").strip() for cid in ids}
    raw = {"complaints_received": "0", "complaints_resolved": "0", "complaints_forwarded": "0", **values}
    with server.app.test_request_context(), force_locale("vi"):
        numbers = count_form(seats, list(names.items()), [], formdata=MultiDict(raw), meta={"csrf": False}).numbers()
        findings = check_count(numbers, CountContext(seats=seats, candidate_ids=frozenset(ids),
                                                     last_turnout=None if last is None else int(last)))
        return [(f.code, describe(f, names)) for f in findings if f.severity.value != "warn"]


def test_the_phone_refuses_what_the_server_would_and_leads_to_the_field(phone, offline_server, leader, evening):
    """Issue 16 §2, offline: minutes with valid + invalid ≠ received are not queued. The read-back says what the
    server would say (same codes, numbers and Vietnamese sentences), hides "send", and "Đến ô cần sửa" goes back to
    the field; fixed, read back again, queued, and accepted once back online."""
    context = phone()
    page = context.new_page()
    prepare(page, leader)
    counts = page.get_attribute("#leader-home a[href$='/count']", "href")
    assert counts
    with Session(offline_server.app.extensions["db"].engine) as session:
        user = session.scalars(sa.select(User).where(User.username == leader)).one()
        code = session.get(PollingArea, user.polling_area_id).code
    contest_id, values = _contests(offline_server, code)[0]
    form = f"{counts}/{contest_id}"
    keep_pages(page, [counts, form])

    context.set_offline(True)
    page.goto(form)
    bad = {**values, "valid": "1"}
    for name, value in bad.items():
        page.fill(f"#count-entry input[name={name}]", value)
    page.fill("#count-entry input[name=witness_1]", "Nguyễn Văn Chứng")
    page.fill("#count-entry input[name=witness_2]", "nguyễn văn  chứng")
    page.click("#count-entry button[name=step]")
    checks = page.locator("#readback-checks")
    expect(checks).to_be_visible()
    found = checks.locator(".rep-finding")
    expected = _server_says(offline_server, page, bad)
    assert "valid_plus_invalid_ne_received" in [c for c, _ in expected]
    # Every problem at once: the law's checks as the server words them, and the witnesses (the same person twice).
    assert [found.nth(i).get_attribute("data-check") for i in range(found.count())] == [
        *(c for c, _ in expected), "same_witness"]
    for i, (_, sentence) in enumerate(expected):
        expect(found.nth(i)).to_contain_text(sentence)
    expect(found.last).to_contain_text("Hai cử tri chứng kiến phải là hai người khác nhau.")
    expect(page.locator("#readback-local button[data-act=send]")).to_be_hidden()
    expect(page.locator("#readback-local button[data-act=field]").first).to_be_focused()
    shot(page, "count-readback-refused")

    page.locator(".rep-finding[data-check=same_witness] button[data-act=field]").click()
    expect(page.locator("#readback-local")).to_have_count(0)
    expect(page.locator("#count-entry input[name=witness_2]")).to_be_focused()
    page.fill("#count-entry input[name=witness_2]", "Lê Thị Kiến")
    page.fill("#count-entry input[name=valid]", values["valid"])
    page.click("#count-entry button[name=step]")
    expect(page.locator("#readback-checks .rep-ok")).to_be_visible()
    assert outbox(page) == []
    page.click("#readback-local button[data-act=send]")
    expect(page.locator("#count-form .outbox-status.is-saved")).to_be_visible()
    client_uuid = outbox(page)[0]["uuid"]

    context.set_offline(False)
    wait_empty(page)
    reports, _ = _stored(offline_server, [client_uuid])
    assert len(reports) == 1 and str(reports[0].valid) == values["valid"]


def test_refused_minutes_are_fixed_from_the_outbox_and_sent_once(phone, offline_server, leader, evening):
    """The phone checks with what its kept page knows; the server knows more. A turnout report sent after the count
    form was kept makes the minutes' voters need a written explanation (check 13) that the kept form could not ask
    for: the send step refuses (422), the minutes wait as "cần sửa", are fixed in /outbox (the phone's read-back now
    asks for the explanation, and sends only once it is written), and are sent once."""
    context = phone()
    page = context.new_page()
    turnout = prepare(page, leader)
    counts = page.get_attribute("#leader-home a[href$='/count']", "href")
    assert counts
    with Session(offline_server.app.extensions["db"].engine) as session:
        user = session.scalars(sa.select(User).where(User.username == leader)).one()
        code = session.get(PollingArea, user.polling_area_id).code
    contest_id, values = _contests(offline_server, code)[0]
    form = f"{counts}/{contest_id}"
    keep_pages(page, [counts, form])
    sent = enter_turnout(page, turnout, int(values["voters_voted"]) - 5)  # online, after the form was kept
    wait_until(lambda: stored(offline_server, [sent]), message="the turnout report", page=page)
    # That page still moves on to the receipt by itself (after the server's answer): a navigation that would
    # land after the next goto. The minutes are typed in a tab of their own.
    page.close()
    page = context.new_page()

    context.set_offline(True)
    client_uuid = enter_count_offline(page, form, values)
    context.set_offline(False)
    page.goto("/outbox")
    wait_until(lambda: [i["state"] for i in outbox(page)] == ["needs_fix"], timeout=60, message="the 422 to stay",
               page=page)
    assert _stored(offline_server, [client_uuid]) == ([], [])
    page.click(".outbox-item.state-needs_fix button[data-act=fix]")
    fix = "#outbox-fix form#count-entry"
    assert page.input_value(f"{fix} input[name=voters_voted]") == values["voters_voted"]
    page.click(f"{fix} button[name=step]")
    expect(page.locator("#readback-local")).to_be_visible()
    box = page.locator("#readback-explain-turnout_ne_voted")
    expect(box).to_be_focused()
    expect(page.locator("#readback-local button[data-act=send]")).to_be_disabled()
    box.fill("Năm cử tri bỏ phiếu sau lần báo cáo cuối.")
    page.click("#readback-local button[data-act=send]")
    wait_until(lambda: not outbox(page), timeout=60, message="the outbox to empty", page=page)
    reports, _ = _stored(offline_server, [client_uuid])
    assert len(reports) == 1 and "Năm cử tri bỏ phiếu" in str(reports[0].explanations)


def test_a_refused_read_back_leads_to_each_field_and_survives_a_reload(phone, offline_server, leader, evening):
    """Issue 16 §3, online at 360 px: the server refuses the read-back (a sum off and a witness missing); the summary
    at the top names both, the focus is on its first link, a link puts the focus in its field, and a reload shows
    the form again (not "Lỗi 405")."""
    page = phone().new_page()
    sign_in(page, leader)
    counts = page.get_attribute("#leader-home a[href$='/count']", "href")
    with Session(offline_server.app.extensions["db"].engine) as session:
        user = session.scalars(sa.select(User).where(User.username == leader)).one()
        code = session.get(PollingArea, user.polling_area_id).code
    contest_id, values = _contests(offline_server, code)[0]
    form = f"{counts}/{contest_id}"
    page.goto(form)
    for name, value in {**values, "valid": str(int(values["valid"]) + 1)}.items():
        page.fill(f"#count-entry input[name={name}]", value)
    page.fill("#count-entry input[name=witness_1]", "Nguyễn Văn Chứng")
    page.click("#count-entry button[name=step]")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Ghi tên hai cử tri chứng kiến")
    expect(summary.locator("a").first).to_be_focused()
    assert summary.bounding_box()["y"] < 740 * 2, "the summary is near the top, not 3,000 px down"
    shot(page, "count-refused-summary")
    summary.locator("a[href='#witness_2']").click()
    expect(page.locator("#count-entry input[name=witness_2]")).to_be_focused()
    page.once("dialog", lambda dialog: dialog.accept())  # "leave with unsent changes?": yes
    response = page.reload()
    assert response is not None and response.status == 200
    expect(page.locator("#count-entry")).to_be_visible()
