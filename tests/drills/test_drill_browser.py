"""A compressed drill day in Chromium at 360 × 740, on the real clock: the administrator makes a drill of the demo
election; the leader of 26743-01 switches to it and sends turnout at two report times and the count minutes (one
with a mistake); the commune returns it, the leader corrects it, the commune confirms all three; the results page
and the printed minutes carry the drill's mark; simulated stations report beside. Deleted afterwards, the drill
leaves every row of the real election as it was. Screenshots in test-artifacts/drills/."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser.conftest import HEIGHT, WIDTH, browser_type_launch_args, chromium_path  # noqa: F401
from tests.conftest import ARTIFACTS, migrated_database
from tests.reports.helpers import AREA, good_numbers, links
from tests.world import NOW, PASSWORD, World
from webapp import create_app
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import VN_TZ
from webapp.db import Base, make_engine
from webapp.drills import services as drills
from webapp.elections import working
from webapp.elections.models import ContestKind
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport
from webapp.seed import demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(r"ignore:Exception ignored in.*/static/:pytest.PytestUnraisableExceptionWarning"),
]

SHOTS = ARTIFACTS / "drills"
# The rows of an election (the real one's must not change): configuration, reports, reviews, four-eyes notes,
# calls, progress.
ELECTION_TABLES = ("elections", "contests", "electoral_units", "candidates", "polling_areas", "polling_area_units",
                   "voter_counts", "report_times", "team_members", "turnout_reports", "turnout_figures",
                   "count_reports", "count_votes", "report_photos", "review_actions", "station_involvements",
                   "call_logs",
                   "progress_turnout_stations", "progress_count_stations", "progress_turnout_rollups",
                   "progress_count_rollups", "progress_corrections", "progress_state")


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


def dump(engine) -> dict[str, list[tuple]]:
    tables = Base.metadata.tables
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(sa.select(tables[name]).order_by(
            *tables[name].primary_key.columns))] for name in ELECTION_TABLES}


# The day runs on a clock of its own, started with the server at a fixed afternoon: a compressed drill must
# end the day it starts, which real time would not allow near midnight. It runs RATE times faster than real
# time (the rehearsal's REPORTING_CLOCK_RATE), so that waiting for the second report time and the close of the
# polls takes seconds instead of two minutes of an idle test worker; the server, `flask drill simulate` and
# this test all read the same clock, so the day's order of events is the one a drill on real time has.
AFTERNOON = datetime(2026, 3, 14, 15, 0, tzinfo=VN_TZ)
STARTED = time.time()
RATE = 3


def _now() -> datetime:
    return AFTERNOON + timedelta(seconds=(time.time() - STARTED) * RATE)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, object, object]]:
    if not chromium_path():
        pytest.skip("chromium is not installed (apt-get install chromium); browser test skipped")
    url, drop = migrated_database(os.environ.get("TEST_DATABASE_URL"), "drbrowser")
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        demo.load_demo(session, NOW)
        session.commit()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "drill-browser-test-secret-0123456789abcdef",
                      "UPLOAD_FOLDER": tempfile.mkdtemp(prefix="dr-uploads-"), "PROGRESS_REFRESH_SECONDS": 1,
                      "REPORTING_CLOCK_OVERRIDE": AFTERNOON.isoformat(), "REPORTING_CLOCK_STARTED_AT": str(STARTED),
                      "REPORTING_CLOCK_RATE": RATE,
                      # Forms' PDFs are made as they are queued (huey's immediate mode): tests/jobs runs a consumer.
                      "JOBS_IMMEDIATE": True, "RESULTS_EXPORT_DIR": tempfile.mkdtemp(prefix="dr-exports-")})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", app, engine
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        app.extensions["db"].engine.dispose()
        engine.dispose()
        drop()


@pytest.fixture
def phone(browser, server):  # type: ignore[no-untyped-def]
    base, _app, _engine = server
    contexts = []

    def open_as(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True, locale="vi-VN", base_url=base,
                                      service_workers="block")
        contexts.append(context)
        tab = context.new_page()
        tab.goto("/login")
        tab.fill("input[name=username]", username)
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(base + "/")
        return tab

    yield open_as
    for context in contexts:
        context.close()


def _fits(tab) -> None:  # type: ignore[no-untyped-def]
    assert tab.evaluate("document.documentElement.scrollWidth") <= WIDTH, tab.url


def _shot(tab, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sleep_until(moment: datetime) -> None:
    wait = (moment - _now()).total_seconds() / RATE
    if wait > 0:
        time.sleep(wait)


def _enter_drill(tab) -> None:  # type: ignore[no-untyped-def]
    tab.click(".election-marker a")
    tab.wait_for_selector("#drills")
    tab.click("#drills button:has-text('Vào cuộc diễn tập này')")
    tab.wait_for_selector(".drill-banner")


def _send_count(tab, area_id: int, contest_id: int, numbers) -> None:  # type: ignore[no-untyped-def]
    tab.goto(f"/reports/{area_id}/count/{contest_id}")
    tab.wait_for_selector("#count-entry")
    for name in ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid"):
        tab.fill(f"input[name={name}]", str(getattr(numbers, name)))
    for cid, votes in numbers.votes.items():
        tab.fill(f"input[name=votes_{cid}]", str(votes))
    for box in tab.locator("input[name=signers]").all()[:3]:
        box.check()
    tab.fill("input[name=witness_1]", "Nguyễn Văn Chứng")
    tab.fill("input[name=witness_2]", "Lê Thị Kiến")
    tab.locator("#count-findings .rep-ok").wait_for()
    tab.click("button[value=review]")
    tab.wait_for_selector("#readback")
    tab.click("button[value=send]")
    tab.wait_for_selector(".rep-code")


def _decide(tab, report_id: int, decision: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(f"/review/count/{report_id}")
    tab.wait_for_selector("#decide")
    if decision == "return":
        tab.click("details.rv-return summary")
        tab.check("input[name=reasons][value=numbers_mismatch]")
        tab.fill("textarea[name=text]", "Số phiếu của hai ứng cử viên đầu bị ghi đổi chỗ")
        tab.click("details.rv-return button[type=submit]")
    else:
        tab.click("#decide form.rv-form button.primary")
    tab.wait_for_selector("#review-queue")


def test_a_compressed_drill_day(phone, server):
    base, app, engine = server
    before = dump(engine)
    runner = app.test_cli_runner()

    # The administrator makes the drill: opened 2 minutes ago, two report times 2 minutes apart, the polls close
    # at the second, the count lasts 8 minutes.
    admin = phone("quantri")
    admin.click("nav.mainnav summary")  # "Thêm": the entries not used all day
    admin.click("nav.mainnav a[href='/drills']")
    admin.wait_for_selector("#drills")
    start = _now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    admin.select_option("select[name=province]", label="Thành phố Hồ Chí Minh")
    admin.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    admin.fill("input[name=slot_minutes]", "2")
    admin.fill("input[name=reports]", "2")
    admin.fill("input[name=count_minutes]", "8")
    _fits(admin)
    _shot(admin, "admin-new-drill")
    admin.click("form[action='/drills'] button[type=submit]")
    admin.wait_for_selector(".drill-row")
    code = admin.locator(".drill-row strong").first.inner_text().strip()
    assert re.fullmatch(r"DT\d{10}-79", code)
    _shot(admin, "admin-drills")

    with Session(engine) as session:
        drill = drills.find_drill(session, code)
        day = drills.schedule(drill)
        drill_id = drill.id
        working.bind(session, drill_id)
        w = World(session)
        area = w.area(AREA)
        area_id = area.id
        contest = {kind: link.contest_id for kind, link in links(session, area).items()}
        voted = min(good_numbers(session, area, kind).voters_on_list for kind in contest) - 100
        numbers = {kind: good_numbers(session, area, kind, voted=voted) for kind in contest}
    assert len(day.report_times) == 2 and day.polls_close == day.report_times[-1]

    # Simulated stations beside the people (26743-01 is left to its leader).
    ran = runner.invoke(args=["drill", "simulate", code, "--leave", AREA])
    assert ran.exit_code == 0, ran.output

    # The leader switches to the drill and sends turnout at the first report time...
    leader = phone("to01")
    assert "DIỄN TẬP" not in leader.inner_text("body")
    _enter_drill(leader)
    leader.goto("/")
    assert "DIỄN TẬP" in leader.inner_text(".drill-banner")
    _fits(leader)
    _shot(leader, "leader-home-drill")
    leader.click("#leader-home a[href$='/turnout']")
    leader.wait_for_selector("#turnout")
    leader.fill("input[name=voted]", str(voted // 2))
    # For the first report time (a slow machine may have reached the second one's window by now: then this is
    # a late report for the first, as a leader may send).
    leader.locator("#turnout form[data-offline] input[name=slot]").evaluate(
        "(input, at) => { input.value = at; }", f"{day.report_times[0]:%H:%M}")
    leader.click("#turnout form[data-offline] button[type=submit]")
    leader.locator("#turnout-history code").first.wait_for()
    assert f"{day.report_times[0]:%H:%M}" in leader.locator("#flash-messages").inner_text()
    _fits(leader)
    _shot(leader, "leader-turnout-1")

    # ... and at the second, once its window opens on the day's clock.
    _sleep_until(day.report_times[1] - timedelta(minutes=1) + timedelta(seconds=2))
    leader.reload()
    leader.wait_for_selector("#turnout")
    leader.fill("input[name=voted]", str(voted))
    leader.click("#turnout form[data-offline] button[type=submit]")
    leader.locator("#flash-messages", has_text=f"{day.report_times[1]:%H:%M}").wait_for()
    _shot(leader, "leader-turnout-2")

    # The polls close; the count minutes of the three contests, the National Assembly's with two candidates'
    # votes swapped (every check passes: only the paper shows the mistake).
    _sleep_until(day.polls_close + timedelta(seconds=3))
    na = numbers[ContestKind.NATIONAL_ASSEMBLY]
    ids = list(na.votes)
    swapped = dict(na.votes)
    swapped[ids[0]], swapped[ids[1]] = na.votes[ids[0]] + 7, na.votes[ids[1]] - 7
    wrong = type(na)(**{**na.__dict__, "votes": swapped})
    for kind, figures in numbers.items():
        _send_count(leader, area_id, contest[kind], wrong if kind is ContestKind.NATIONAL_ASSEMBLY else figures)
    _fits(leader)
    _shot(leader, "leader-count-receipt")

    with Session(engine) as session:
        working.bind(session, drill_id)
        sent = {r.contest_id: r.id for r in session.scalars(
            sa.select(CountReport).where(CountReport.polling_area_id == area_id, CountReport.is_latest))}
    assert set(sent) == set(contest.values())

    # The commune works in the drill too: returns the wrong minutes.
    commune = phone("xa")
    _enter_drill(commune)
    commune.click("nav.mainnav >> text=Xác nhận")
    commune.wait_for_selector("#review-queue")
    _fits(commune)
    _shot(commune, "commune-queue")
    _decide(commune, sent[contest[ContestKind.NATIONAL_ASSEMBLY]], "return")
    assert "Đã trả lại" in commune.locator("#flash").inner_text()

    # The leader sees it returned and sends the corrected minutes.
    leader.goto("/")
    assert leader.locator("#returned-reports").count() == 1
    _shot(leader, "leader-home-returned")
    _send_count(leader, area_id, contest[ContestKind.NATIONAL_ASSEMBLY], na)

    with Session(engine) as session:
        working.bind(session, drill_id)
        latest = {r.contest_id: r for r in session.scalars(
            sa.select(CountReport).where(CountReport.polling_area_id == area_id, CountReport.is_latest))}
    assert latest[contest[ContestKind.NATIONAL_ASSEMBLY]].version == 2
    for report in latest.values():
        _decide(commune, report.id, "confirm")
    with Session(engine) as session:
        working.bind(session, drill_id)
        statuses = set(session.scalars(sa.select(CountReport.status).where(
            CountReport.polling_area_id == area_id, CountReport.is_latest)))
    assert statuses == {ReportStatus.CONFIRMED}

    # Results and the printed minutes of the station carry the mark; so does the PDF.
    commune.goto("/results/")
    assert "DIỄN TẬP" in commune.inner_text("body")
    _fits(commune)
    _shot(commune, "commune-results")
    commune.goto(f"/results/stations/{area_id}/minutes")
    assert commune.locator(".drill-watermark").count() == 1 and "DIỄN TẬP" in commune.inner_text(".drill-stamp")
    _shot(commune, "printed-minutes")
    # The toolbar's PDF button posts: the file is made (in the background), then given at the same address.
    token = commune.locator(".toolbar input[name=csrf_token]").get_attribute("value")
    pdf = commune.request.post(f"{base}/results/stations/{area_id}/minutes.pdf", form={"csrf_token": token})
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "minutes.pdf").write_bytes(pdf.body())
    text = subprocess.run(["pdftotext", "-raw", str(SHOTS / "minutes.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert text.startswith("DIỄN TẬP")  # the stamp on top
    assert text.count("TẬP") >= 2  # and the watermark across the page (its two words are placed apart)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(SHOTS / "minutes.pdf"),
                    str(SHOTS / "minutes")], check=False)

    # The simulated stations reported beside; the people's station was left alone.
    ran = runner.invoke(args=["drill", "simulate", code, "--leave", AREA])
    assert ran.exit_code == 0, ran.output
    with Session(engine) as session:
        working.bind(session, drill_id)
        bots = session.scalars(sa.select(TurnoutReport).where(TurnoutReport.channel == Channel.DRILL_BOT)).all()
        assert len({r.polling_area_id for r in bots}) >= 20 and area_id not in {r.polling_area_id for r in bots}
        people = session.scalars(sa.select(TurnoutReport).where(TurnoutReport.polling_area_id == area_id)).all()
        assert sorted(r.slot_at for r in people) == [t.time() for t in day.report_times]
        working.bind(session, None)
        assert session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport).where(
            TurnoutReport.election_id != drill_id)) == 0

    # Back in the real election: no mark; then the drill is deleted and the real election is as it was.
    leader.goto("/drills")
    leader.click("button:has-text('Quay về cuộc bầu cử thật')")
    leader.wait_for_selector(".election-marker")
    assert "DIỄN TẬP" not in leader.inner_text("body")
    assert runner.invoke(args=["drill", "delete", code]).exit_code == 0
    assert dump(engine) == before
