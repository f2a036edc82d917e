"""Each role's home page answers "what do I do now?" at each phase of the day, on a 360 × 740 phone in real
Chromium: the leader's phase, report times, minutes and photos with the next step as the first button; the
officials' waiting, returned and late stations first; the menu without sideways scrolling, the rest behind
"Thêm". Screenshots go to test-artifacts/homes/; axe-core runs on every page shown."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser.axe import assert_accessible, violations
from tests.browser.conftest import HEIGHT, WIDTH, browser_type_launch_args, chromium_path  # noqa: F401
from tests.conftest import ARTIFACTS, migrated_database
from tests.reports.helpers import jpeg_bytes, new_id
from tests.review.helpers import send_count, send_turnout, vn
from tests.world import NOW, PASSWORD, World
from webapp import create_app
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.db import make_engine
from webapp.elections.models import ContestKind
from webapp.reports import services as reports
from webapp.seed import demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(r"ignore:Exception ignored in.*/static/:pytest.PytestUnraisableExceptionWarning"),
]
SHOTS = ARTIFACTS / "homes"
NO_SIDEWAYS = "document.documentElement.scrollWidth"
WIDEST = """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361)
    .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')"""
LATE_VOTERS = {"turnout_ne_voted": "Cử tri đi bầu sau 09 giờ"}


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


@dataclass
class Day:
    """The demo served on its own port, its clock, and a session to write the day's reports with."""

    base: str
    app: Flask
    session: Session
    uploads: Path

    def at(self, hour: int, minute: int = 0) -> None:
        self.app.config["REPORTING_CLOCK_OVERRIDE"] = vn(hour, minute).isoformat()

    @property
    def w(self) -> World:
        return World(self.session)


@pytest.fixture(scope="module")
def day() -> Iterator[Day]:
    if not chromium_path():
        pytest.skip("chromium is not installed (apt-get install chromium); browser test skipped")
    url, drop = migrated_database(os.environ.get("TEST_DATABASE_URL"), "homes")
    engine = make_engine(url)
    uploads = Path(tempfile.mkdtemp(prefix="homes-uploads-"))
    session = Session(engine)
    audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
    demo.load_demo(session, NOW)
    session.commit()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "homes-browser-test-secret-0123456789abcdef",
                      "UPLOAD_FOLDER": str(uploads)})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Day(f"http://127.0.0.1:{httpd.server_port}", app, session, uploads)
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        session.close()
        app.extensions["db"].engine.dispose()
        engine.dispose()
        drop()


@pytest.fixture
def phone(browser, day):  # type: ignore[no-untyped-def]
    """``phone("xa")``: a 360 × 740 page signed in on this module's server."""
    contexts = []

    def open_as(username: str) -> Page:
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True, locale="vi-VN", base_url=day.base,
                                      service_workers="block")
        contexts.append(context)
        tab = context.new_page()
        tab.goto("/login")
        tab.fill("input[name=username]", username)
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(day.base + "/")
        return tab

    yield open_as
    for context in contexts:
        context.close()


def _home(tab: Page, name: str) -> str:
    """Reload the home page, check it at 360 px (no sideways scrolling, axe-core), keep a screenshot, and return
    where its first primary button leads (texts are the catalog's: the tests look at addresses and classes)."""
    tab.goto("/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert tab.evaluate(NO_SIDEWAYS) <= WIDTH, f"{name} scrolls sideways: " + tab.evaluate(WIDEST)
    assert_accessible(tab)
    primary = tab.locator("#main .button.primary")
    return primary.first.get_attribute("href") or "" if primary.count() else ""


def _commit(day: Day) -> None:
    day.session.commit()
    day.session.expire_all()


def test_the_leader_home_through_the_day(phone, day):
    """Before opening, voting (due, then late), counting ballot by ballot with photos, done: the phase, the report
    time and its deadline, and the next step as the first button at each moment."""
    tab = phone("to01")
    day.at(6, 0)
    area = day.w.area("26743-01").id
    turnout, counts = f"/reports/{area}/turnout", f"/reports/{area}/count/"
    assert _home(tab, "leader-0600-before") == turnout
    assert tab.locator("#lh-phase.lh-phase-before").count() == 1
    assert "09:00" in tab.inner_text(".lh-now")

    day.at(9, 5)
    assert _home(tab, "leader-0905-due") == turnout
    assert tab.locator("#lh-phase.lh-phase-voting").count() == 1
    assert "09:00" in tab.inner_text(".lh-step") and "09:15" in tab.inner_text(".rep-next")

    day.at(9, 40)
    assert _home(tab, "leader-0940-late") == turnout
    assert tab.locator(".lh-now .rep-badge-late").count() == 1

    send_turnout(day.session, day.w, 312, slot=time(9), at=(9, 41))
    _commit(day)
    day.at(10, 0)
    _home(tab, "leader-1000-waiting")
    assert "11:30" in tab.inner_text(".rep-next-time")

    day.at(19, 30)
    na = day.w.contest(ContestKind.NATIONAL_ASSEMBLY).id
    assert _home(tab, "leader-1930-counting") == f"{counts}{na}"
    assert tab.locator("#lh-phase.lh-phase-counting").count() == 1

    first = send_count(day.session, day.w, at=(19, 40), explanations=LATE_VOTERS)
    _commit(day)
    day.at(19, 45)
    button = _home(tab, "leader-1945-next-ballot")
    assert button.startswith(counts) and button != f"{counts}{na}"  # the next ballot
    assert tab.locator(".lh-minutes .lh-photo-missing").count() == 1
    # The receipt of the minutes leads to the same next ballot, first; the photo can come later.
    tab.goto(f"/reports/count/{first.id}")
    tab.screenshot(path=str(SHOTS / "leader-1945-receipt.png"), full_page=True)
    assert tab.evaluate(NO_SIDEWAYS) <= WIDTH, "the receipt scrolls sideways: " + tab.evaluate(WIDEST)
    assert_accessible(tab)
    assert tab.locator("#main .button.primary").first.get_attribute("href") == button
    assert tab.locator("#next-ballot").bounding_box()["y"] < HEIGHT

    for kind in (ContestKind.PROVINCIAL_COUNCIL, ContestKind.COMMUNE_COUNCIL):
        send_count(day.session, day.w, kind=kind, at=(20, 0), explanations=LATE_VOTERS)
    _commit(day)
    day.at(20, 5)
    assert _home(tab, "leader-2005-photos") == f"/reports/count/{first.id}/photo"

    w = day.w
    for link, report in reports.station_counts(day.session, w.user("to01"), first.polling_area_id):
        assert report is not None
        reports.attach_photo(day.session, actor=w.user("to01"), report_id=report.id, content=jpeg_bytes(),
                             client_uuid=new_id(), channel=Channel.WEB, now=vn(20, 10), upload_dir=day.uploads)
    _commit(day)
    day.at(20, 15)
    assert _home(tab, "leader-2015-done") == f"/reports/{area}"
    assert tab.locator("#lh-phase.lh-phase-done").count() == 1

    _the_photo_stays_above_the_numbers_on_a_phone(phone, day)


def _the_photo_stays_above_the_numbers_on_a_phone(phone, day):
    """Reviewing the minutes sent above (with their photos): scrolled down to the candidates' votes, the photo is
    still on screen; one tap on its title folds it away. Part of the day's test, since it needs the minutes that
    test sends: a test of its own could run on another xdist worker, against another server, with none."""
    day.at(20, 30)
    tab = phone("xa")
    tab.goto("/review/")
    tab.locator("#review-queue .rv-item a").first.click()
    tab.wait_for_selector("#review-detail .rv-photos img")
    tab.locator("#review-detail h2", has_text="Số phiếu bầu cho từng người").scroll_into_view_if_needed()
    tab.screenshot(path=str(SHOTS / "review-photo-pinned.png"))
    box = tab.locator(".rv-photos img").first.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT * 0.5, box
    tab.click(".rv-photos > summary")
    assert not tab.locator(".rv-photos img").first.is_visible()
    tab.screenshot(path=str(SHOTS / "review-photo-folded.png"))
    assert_accessible(tab)


@pytest.mark.parametrize("username", ["xa", "tinh", "tongdai", "quantri"])
def test_the_officials_homes_put_what_is_due_first(phone, day, username):
    """At 09:40 (stations late for 09:00) and 20:30: waiting for confirmation, returned, late stations come
    before the area's figures; the menu fits 360 px, and "Thêm" opens the rest without JavaScript."""
    tab = phone(username)
    for hour, minute in ((9, 40), (20, 30)):
        day.at(hour, minute)
        _home(tab, f"{username}-{hour:02d}{minute:02d}")
        order = tab.locator("#official-home > .card:not(.oh-head)").evaluate_all("cards => cards.map(c => c.className)")
        first_summary = next(i for i, c in enumerate(order) if "oh-now" not in c)
        assert all("oh-now" in c for c in order[:first_summary]) and first_summary >= 1, order
        assert tab.locator(".oh-late").count() == 1
        if (hour, minute) == (9, 40):  # stations late for 09:00, listed with the number to call
            assert tab.locator(".oh-late .oh-list li").count() >= 1
    assert tab.locator(".oh-waiting").count() == (1 if username in ("xa", "tinh", "quantri") else 0)
    nav = tab.locator("nav.mainnav")
    for link in nav.locator(":scope > a").all():
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= WIDTH, link.inner_text()
    more = nav.locator("details.mainnav-more")
    if more.count():
        assert not more.locator(".mainnav-more-list a").first.is_visible()
        more.locator("summary").click()
        entries = more.locator(".mainnav-more-list a")
        assert entries.first.is_visible()
        for link in entries.all():
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
        tab.screenshot(path=str(SHOTS / f"{username}-menu-more.png"))
        assert_accessible(tab)


CRAWL_SKIP = re.compile(r"^/(logout|lang|static|api|sw\.js|manifest)|\.(xlsx|pdf|csv|png|jpe?g|json)$|/photos/\d+$|/logout")
LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"


def _pages_of(tab: Page, base: str, limit: int) -> list[str]:
    """The pages a role reaches by following links from its home, one of each URL shape (ids and query values
    folded), breadth first."""
    seen: set[str] = set()
    queue, pages = ["/"], []
    while queue and len(pages) < limit:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "N", path.split("?")[0]) + ("?" + "&".join(sorted(
            p.split("=")[0] for p in path.split("?")[1].split("&"))) if "?" in path else "")
        if shape in seen:
            continue
        seen.add(shape)
        response = tab.goto(path)
        if response is None or response.status >= 400 or not response.headers.get("content-type", "").startswith(
                "text/html"):
            continue
        pages.append(path)
        for href in tab.evaluate(LINKS):
            target = urlsplit(urljoin(tab.url, href))
            if target.netloc != urlsplit(base).netloc or CRAWL_SKIP.search(target.path):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


@pytest.mark.parametrize("username", ["to01", "xa", "tinh", "tongdai", "quantri"])
def test_every_page_of_every_role_passes_axe_core(phone, day, username):
    """axe-core over every page a role reaches from its home (one per URL shape): no serious or critical
    violation. Runs after the day above, so reports, decisions-to-make and photos are on the pages."""
    day.at(20, 30)
    tab = phone(username)
    found = []
    pages = _pages_of(tab, day.base, limit=40)
    for path in pages:
        tab.goto(path)
        found += [f"{path}: {v['impact']} {v['id']} {v['nodes']}" for v in violations(tab)]
    assert len(pages) >= 3, pages
    assert not found, "\n".join(found)
