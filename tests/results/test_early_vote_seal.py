"""Early-vote secrecy (issue 17 §1; voters-and-drills.md §6): the minutes of an area that voted early are stored
but no page, fragment, API answer, feed, export or PDF shows a figure of them to anyone but the team that sent
them until voting ends on polling day; afterwards they count like any other. Worked examples of the rule, the
API's ``"sealed": true``, and a sweep of every GET route for every role (the scope sweep's route enumeration)."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import zipfile
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from tests.results.helpers import COMMUNE, CONFIRMED, NA, PROV, RECEIVED, put_report, unit_areas
from tests.test_scope_sweep import ROUTES, Route, lasting_sessions, sign_in, value_for  # noqa: F401 (autouse)
from webapp.clock import VN_TZ
from webapp.elections.models import Election, PollingArea
from webapp.progress import refresh
from webapp.reports import secrecy

POLLING_DAY = date(2026, 3, 15)
BEFORE, AFTER = "2026-03-15T18:59", "2026-03-15T19:00"
# The early area's figures: numbers that appear nowhere else in the test world, and their display forms.
VOTED, INVALID, VOTES = 6529, 83, {1: 5813, 2: 4957, 3: 4432}
SECRETS = (VOTED, VOTED - INVALID, *VOTES.values())
# One account of each kind of reader (the team, a commune, the hotline, the nation): the province and the national
# hotline are left to the results tests.
ROLES = ["to01", "xa", "tongdai", "quantri"]
RESULT_READERS = ["xa", "tinh", "quantri"]  # see the early area's unit's figures once the seal lifts


def _forms(n: int) -> tuple[str, ...]:
    return (str(n), f"{n:,}".replace(",", "."), f"{n:,}")


PATTERNS = [re.compile(r"(?<![\d.,])" + re.escape(form) + r"(?![\d])") for n in SECRETS for form in _forms(n)]


# --- the rule ---------------------------------------------------------------------------------------------------


def _election(day: date = POLLING_DAY, close: time = time(19)) -> Election:
    return Election(code="x", name="x", polling_date=day, standard_close=close)


@pytest.mark.parametrize(("early", "all_early", "now", "sealed"), [
    # An area voting on polling day is never sealed.
    (None, False, datetime(2026, 3, 15, 10, tzinfo=VN_TZ), False),
    # Voted a week early: sealed until 19:00 on polling day, Ho Chi Minh City time ...
    (date(2026, 3, 8), False, datetime(2026, 3, 9, 8, tzinfo=VN_TZ), True),
    (date(2026, 3, 8), False, datetime(2026, 3, 15, 18, 59, 59, tzinfo=VN_TZ), True),
    # ... and open from the close (11:59 UTC is 18:59 in Hà Nội).
    (date(2026, 3, 8), False, datetime(2026, 3, 15, 19, tzinfo=VN_TZ), False),
    (date(2026, 3, 8), False, datetime(2026, 3, 15, 11, 59, tzinfo=VN_TZ).astimezone(VN_TZ), True),
    # Every area of the unit voted early: nothing to keep secret from (Câu 154's exception).
    (date(2026, 3, 8), True, datetime(2026, 3, 9, 8, tzinfo=VN_TZ), False),
])
def test_worked_examples(early, all_early, now, sealed):
    assert secrecy.is_sealed(_election(), early, now, unit_all_early=all_early) is sealed


def test_a_drill_keeps_its_own_day_and_close():
    drill = _election(date(2026, 2, 2), time(10, 30))
    assert secrecy.sealed_until(drill, date(2026, 2, 1)) == datetime(2026, 2, 2, 10, 30, tzinfo=VN_TZ)


# --- the world: the leader's area voted early -------------------------------------------------------------------


@pytest.fixture
def early_area(app, db_session, w):
    """to01's area voted a week early and sent its three minutes (two confirmed, one awaiting review), with
    numbers found nowhere else; the progress rollups refreshed as the refresher does."""
    area = w.user("to01").polling_area
    area.early_voting_date = POLLING_DAY - timedelta(days=7)
    for kind, status in ((NA, CONFIRMED), (PROV, RECEIVED), (COMMUNE, CONFIRMED)):
        unit = next(link.unit for link in area.unit_links if link.contest.kind is kind)
        assert len(unit_areas(db_session, unit)) > 1, "the unit must hold an area that votes on polling day"
        put_report(db_session, w, area, kind, voted=VOTED, invalid=INVALID, votes=VOTES, status=status)
    db_session.flush()
    yield area
    app.config.pop("REPORTING_CLOCK_OVERRIDE", None)


def _at(app, moment: str) -> None:
    app.config["REPORTING_CLOCK_OVERRIDE"] = moment


def _refresh(app, db_session) -> None:
    from webapp.clock import election_now

    with app.test_request_context():
        secrecy.bind(db_session, clock=election_now)
        refresh.refresh(db_session, now=datetime.now(VN_TZ))
        db_session.info.pop(secrecy.SEAL)
        db_session.flush()


def _text(response) -> str:
    """What a reader gets to see: the page, or the text inside a workbook, a PDF or a zip of them."""
    return _unpack(response.get_data(), response.mimetype or "")


def _unpack(body: bytes, mimetype: str) -> str:
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            if "xl/workbook.xml" in archive.namelist():
                book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
                return "\n".join(" ".join(str(c) for c in row if c is not None)
                                 for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
            return "\n".join(_unpack(archive.read(name), "") for name in archive.namelist())
    if body[:5] == b"%PDF-":
        with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
            pdf.write(body)
            pdf.flush()
            return subprocess.run(["pdftotext", "-q", pdf.name, "-"], capture_output=True, check=False,
                                  timeout=60).stdout.decode("utf-8", "replace")
    return body.decode("utf-8", "replace")


def _found(text: str) -> list[str]:
    return [p.pattern for p in PATTERNS if p.search(text)]


GET_ROUTES = [r for r in ROUTES if "GET" in r.methods and not r.rule.startswith("/static")]
# After the close it is enough that the results show them (before it, every route is swept).
RESULT_ROUTES = [r for r in GET_ROUTES if "/results" in r.rule and ".pdf" not in r.rule and "pdf" not in r.params]


def _sweep(client, db_session, w, username: str, area: PollingArea, routes: list[Route], unit_id: int,
           first: bool = False) -> dict[str, list[str]]:
    """{URL: the secret numbers it shows} over ``routes``, as ``username``, with the early area wherever a route
    names an area and ``unit_id`` (one of its units) wherever it names a unit; with ``first``, up to the first URL
    that shows one."""
    user = w.user(username)
    sign_in(client, username)
    shown: dict[str, list[str]] = {}
    for route in routes:
        values = {p: value_for(db_session, route, p, user) for p in route.params}
        for param in set(route.params) & AREA_PARAMS:
            values[param] = area.id if param != "area_code" else area.code
        if "unit_id" in route.params:
            values["unit_id"] = unit_id
        url = route.url(values)
        response = client.get(url)
        if "POST" in route.methods and b'id="form-file"' in response.get_data():
            # A form's PDF is made on request (results/printing.py): make it, then read it.
            token = re.search(rb'name="csrf-token" content="([^"]+)"', response.get_data()).group(1).decode()
            assert client.post(url, data={"csrf_token": token}).status_code == 303, url
            response.close()
            response = client.get(url)
        assert response.status_code < 500, f"GET {url} as {username}: {response.status_code}"
        text = _text(response)
        response.close()
        if found := _found(text):
            shown[url] = found
            if first:
                return shown
    if not first:
        url = "/api/v1/changes?since=0&limit=1000"
        if found := _found(_text(client.get(url))):
            shown[url] = found
    return shown


AREA_PARAMS = {"area_id", "polling_area_id", "station_id", "area_code"}
# The team's own pages: enough to show that the sweep finds the minutes where they are shown (it may see them).
TEAM_ROUTES = [r for r in GET_ROUTES if set(r.params) & (AREA_PARAMS | {"unit_id"})]
# The voter rolls' pages, lists and PDFs read no table the seal narrows (webapp.voters: the team's audit entries
# only): swept once, by the commune, whose scope holds the early area; the other readers sweep the rest.
VOTER_ROLLS = [r for r in GET_ROUTES if r.rule.startswith("/voters/")]
OTHER_ROUTES = [r for r in GET_ROUTES if r not in VOTER_ROLLS]


def test_no_route_shows_the_early_minutes_before_the_close(app, client, db_session, w, early_area):
    """Every GET route, as every kind of reader (the team, a commune, the hotline, the nation): not one figure of
    the early minutes before 19:00 on polling day (the team's own pages excepted), and the results readers see
    them from 19:00. One database, one refresh per moment; a route naming a unit takes each of the early area's
    units in turn (one per reader: every unit is swept, each reader sweeps every route shape once)."""
    units = [link.unit_id for link in early_area.unit_links]
    _at(app, BEFORE)
    _refresh(app, db_session)
    for i, username in enumerate(ROLES):
        routes = TEAM_ROUTES if username == "to01" else GET_ROUTES if username == "xa" else OTHER_ROUTES
        shown = _sweep(client, db_session, w, username, early_area, routes, units[i % len(units)],
                       first=username == "to01")
        if username == "to01":
            assert shown, "the team that sent the minutes sees them"
        else:
            assert not shown, f"{username} sees the sealed minutes: {shown}"
    _at(app, AFTER)
    _refresh(app, db_session)
    for i, username in enumerate(RESULT_READERS):
        shown = _sweep(client, db_session, w, username, early_area, RESULT_ROUTES, units[i % len(units)],
                       first=True)
        assert shown, f"{username} still sees nothing of the early minutes after the close"


def test_the_api_says_sealed_with_no_figures_until_the_close(app, client, db_session, w, early_area):
    """getUnitResult: ``"sealed": true`` and no figures before 19:00; the figures from 19:00."""
    unit = next(link.unit for link in early_area.unit_links if link.contest.kind is NA)
    sign_in(client, "tinh")
    _at(app, BEFORE)
    body = client.get(f"/api/v1/results/units/{unit.id}").get_json()
    assert body["sealed"] is True and body["official"] is None and body["provisional"] is None
    assert body["sealed_until"] == "2026-03-15T12:00:00+00:00"
    _at(app, AFTER)
    body = client.get(f"/api/v1/results/units/{unit.id}").get_json()
    assert body["sealed"] is False and body["sealed_until"] is None
    assert body["provisional"]["voters_voted"] == VOTED
    assert {c["votes"] for c in body["official"]["candidates"]} >= set(VOTES.values())


def test_reviewer_and_hotline_see_the_receipt_and_state_only(app, client, db_session, w, early_area):
    receipts = [r.receipt for r in early_area_reports(db_session, early_area)]
    _at(app, BEFORE)
    for username, url in (("xa", "/review/"), ("tongdai", f"/hotline/stations/{early_area.id}")):
        sign_in(client, username)
        page = client.get(url).get_data(as_text=True)
        assert all(receipt in page for receipt in receipts), username
        assert not _found(page), username
    _at(app, AFTER)
    sign_in(client, "xa")
    assert 'id="sealed-receipts"' not in client.get("/review/").get_data(as_text=True)


def early_area_reports(db_session, area):
    from webapp.reports.models import CountReport

    return db_session.scalars(sa.select(CountReport).where(CountReport.polling_area_id == area.id,
                                                           CountReport.is_latest)).all()


def test_the_kept_seal_follows_every_change_of_the_early_areas(db_session, w):
    """What the seal seals is kept per process by configuration token (webapp.reports.secrecy.kept_sealed): the
    next request after an area is marked early, or no longer early, reads the new set, never the kept one."""
    def at_three(_election: Election) -> datetime:
        return datetime(2026, 3, 15, 15, tzinfo=VN_TZ)

    def sealed_next_request() -> set[int]:
        secrecy.bind(db_session, clock=at_three)
        sealed = secrecy.sealed_now(db_session)
        db_session.info.pop(secrecy.SEAL)
        return set(sealed.all_areas) if sealed is not None else set()

    area = w.user("to01").polling_area
    assert sealed_next_request() == set()
    area.early_voting_date = POLLING_DAY - timedelta(days=7)
    db_session.flush()
    assert sealed_next_request() == {area.id}
    assert sealed_next_request() == {area.id}  # from the kept set
    area.early_voting_date = None
    db_session.flush()
    assert sealed_next_request() == set()
