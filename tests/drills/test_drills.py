"""Drills: made from the real election, kept apart on every read, reset and deleted leaving every real row as it was,
managed only from its scope, switched to and marked on every page, driven from the command line."""

from __future__ import annotations

import io
import time
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import csrf_token, login
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.clock import VN_TZ
from webapp.db import Base
from webapp.drills import services as drills
from webapp.drills import simulate
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import Contest, Election, ElectoralUnit, PollingAreaUnit, VoterCount
from webapp.hotline import services as hotline
from webapp.hotline.models import CallOutcome
from webapp.progress.models import Dirty, RefreshState
from webapp.reports.common import area_contests
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport
from webapp.reports.turnout import TurnoutInput, submit_turnout
from webapp.review.services import ReportKind, return_report

# Not rows of an election: the append-only log, the configuration's change token and the progress queue (places to
# recompute, for every election). The four-eyes notes are compared too: a drill's are the drill's.
NOT_ELECTION_ROWS = {"audit_entries", "configuration_version", "progress_dirty", "alembic_version"}


def dump(session) -> dict[str, list[tuple]]:
    """Every row of every table but those above, in primary-key order."""
    out = {}
    conn = session.connection()
    for table in Base.metadata.sorted_tables:
        if table.name in NOT_ELECTION_ROWS:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        out[table.name] = [tuple(row) for row in conn.execute(sa.select(table).order_by(*order))]
    return out


# The drills' "now" in these tests: a fixed afternoon, so that a drill made around it never runs past midnight
# whatever the real time of day (one that opened 75 minutes before 23:30 would: creating it is refused). The services
# take it as ``now``; the command line and the pages read it through REPORTING_CLOCK_OVERRIDE (webapp.clock).
DRILL_NOW = datetime(2026, 3, 14, 15, 0, tzinfo=VN_TZ)


def started(minutes_ago: int) -> datetime:
    return DRILL_NOW - timedelta(minutes=minutes_ago)


@pytest.fixture
def real(db_session):
    return elections.current_election(db_session)


@pytest.fixture
def drill(db_session, w, real):
    """A drill of Ho Chi Minh City that opened 75 minutes ago: six report times 10 minutes apart, polls closed
    15 minutes ago, count until 45 minutes from now."""
    made = drills.create_drill(db_session, actor=w.user("quantri"), source=real, province_id=w.province("79").id,
                               starts_at=started(75), slot_minutes=10, reports=6, count_minutes=60)
    db_session.flush()
    return made


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def count_of(session, model, *where):
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_drill_copies_the_province_configuration_into_its_own_contests(db_session, w, real, drill):
    with working.unbound(db_session):
        contests = {c.kind: c.id for c in db_session.scalars(sa.select(Contest).where(Contest.election_id == drill.id))}
        assert len(contests) == 3
        real_contests = sa.select(Contest.id).where(Contest.election_id == real.id)
        drill_contests = sa.select(Contest.id).where(Contest.election_id == drill.id)
        hcm = w.province("79").id
        assert count_of(db_session, ElectoralUnit, ElectoralUnit.contest_id.in_(drill_contests)) == count_of(
            db_session, ElectoralUnit, ElectoralUnit.contest_id.in_(real_contests), ElectoralUnit.province_id == hcm)
        # Hà Nội's area takes no part in a drill of Ho Chi Minh City.
        drill_links = db_session.scalars(sa.select(PollingAreaUnit).where(
            PollingAreaUnit.contest_id.in_(drill_contests))).all()
        assert drill_links and w.area("00070-01").id not in {link.polling_area_id for link in drill_links}
        assert all(link.unit.contest_id == link.contest_id for link in drill_links)
        assert count_of(db_session, VoterCount, VoterCount.contest_id.in_(drill_contests)) >= len(drill_links)
    day = drills.schedule(drill)
    assert [t.strftime("%H:%M") for t in day.report_times][-1] == day.polls_close.strftime("%H:%M")
    assert day.count_until - day.polls_close == timedelta(minutes=60)


def test_a_session_bound_to_a_drill_sees_only_the_drill_and_the_real_one_only_the_real(db_session, w, real, drill):
    area = w.area("26743-01")
    working.bind(db_session, drill.id)
    assert elections.current_election(db_session).id == drill.id
    assert {link.contest.election_id for link in area_contests(db_session, area)} == {drill.id}
    day = drills.schedule(drill)
    sent = submit_turnout(db_session, actor=Actor(w.user("to01"), Channel.WEB), area_id=area.id,
                          data=TurnoutInput(voted=100, slot=day.report_times[0].time()), client_uuid=uuid.uuid4(),
                          now=day.report_times[0] + timedelta(minutes=2)).report
    assert sent.election_id == drill.id
    db_session.flush()
    db_session.expire_all()
    working.bind(db_session, real.id)
    assert elections.current_election(db_session).id == real.id
    assert {link.contest.election_id for link in area_contests(db_session, area)} == {real.id}
    assert db_session.scalars(sa.select(TurnoutReport)).all() == []
    working.bind(db_session, None)
    assert db_session.scalars(sa.select(TurnoutReport)).all() != []


def test_reset_and_delete_leave_every_real_row_as_it_was(db_session, w, real):
    db_session.flush()
    before = dump(db_session)
    made = drills.create_drill(db_session, actor=None, source=real, province_id=None, starts_at=started(75),
                               slot_minutes=10, reports=6, count_minutes=60)
    result = simulate.run_pass(db_session, made, now=DRILL_NOW, seed=7)
    assert result.turnout > 100 and result.counts > 0, result.summary()
    call = hotline.record_call(db_session, actor=w.user("tongdai"), area_id=w.area("26743-02").id,
                               outcome=CallOutcome.NO_ANSWER, now=DRILL_NOW)
    assert call.election_id == made.id
    working.bind(db_session, real.id)
    real_events = hotline.station_timeline(db_session, w.user("tongdai"), w.area("26743-02").id).events
    assert [e for e in real_events if e.kind in ("call", "turnout", "count")] == []
    working.bind(db_session, None)
    db_session.flush()
    assert count_of(db_session, TurnoutReport, TurnoutReport.election_id == made.id) == result.turnout
    assert count_of(db_session, TurnoutReport, TurnoutReport.election_id == real.id) == 0
    drills.reset_drill(db_session, actor=None, drill=made)
    assert count_of(db_session, TurnoutReport, TurnoutReport.election_id == made.id) == 0
    simulate.run_pass(db_session, made, now=DRILL_NOW, seed=8)
    working.bind(db_session, None)
    drills.delete_drill(db_session, actor=None, drill=made)
    db_session.flush()
    db_session.expire_all()
    assert dump(db_session) == before


def test_simulated_stations_report_on_time_late_never_and_correct_a_returned_minutes(db_session, w, real, drill):
    moment = DRILL_NOW
    result = simulate.run_pass(db_session, drill, now=moment, seed=11)
    db_session.flush()
    assert result.turnout > 0 and result.counts > 0 and result.silent >= 1, result.summary()
    assert not result.refused, result.summary()
    reports = db_session.scalars(sa.select(TurnoutReport)).all()
    assert {r.channel for r in reports} == {Channel.DRILL_BOT}
    slots = {rt.at: rt.grace_minutes for rt in drill.report_times}
    day = drills.schedule(drill)
    lateness = [(r.submitted_at - datetime.combine(day.starts_at.date(), r.slot_at, tzinfo=VN_TZ)).total_seconds()
                / 60 - slots[r.slot_at] for r in reports]
    on_time = sum(1 for m in lateness if m <= 0)
    assert on_time > len(lateness) * 0.6 and on_time < len(lateness)  # most on time, some late
    assert all(r.submitted_at <= moment for r in reports)
    # A second pass at the same moment sends nothing new.
    again = simulate.run_pass(db_session, drill, now=moment, seed=11)
    assert again.turnout == 0 and again.counts == 0
    # The commune returns a minutes; the station sends a corrected version a few minutes later.
    first = db_session.scalars(sa.select(CountReport).where(CountReport.is_latest).order_by(CountReport.id)).first()
    return_report(db_session, actor=w.user("quantri"), kind=ReportKind.COUNT, report_id=first.id,
                  shown=ReportStatus.RECEIVED, reasons=["numbers_mismatch"], text="Số phiếu phát ra không khớp",
                  now=moment)
    db_session.flush()
    fixed = simulate.run_pass(db_session, drill, now=moment + timedelta(minutes=10), seed=11)
    assert fixed.corrections == 1, fixed.summary()
    latest = db_session.scalars(sa.select(CountReport).where(
        CountReport.polling_area_id == first.polling_area_id, CountReport.contest_id == first.contest_id,
        CountReport.is_latest)).one()
    assert latest.version == first.version + 1 and latest.status is ReportStatus.RECEIVED


@pytest.mark.parametrize(("username", "province", "allowed"), [
    ("quantri", None, True), ("quantri", "79", True), ("tinh", "79", True), ("tinh", None, False),
    ("hn_tinh", "79", False), ("xa", "79", False), ("tongdai_qg", None, False), ("to01", "79", False),
])
def test_only_the_national_administrator_or_the_provincial_committee_makes_a_drill(db_session, w, real, username,
                                                                                     province, allowed):
    province_id = w.province(province).id if province else None
    # A morning start: a drill must end before midnight, whatever time of day the test runs.
    make = lambda: drills.create_drill(db_session, actor=w.user(username), source=real,  # noqa: E731
                                       province_id=province_id, starts_at=started(0).replace(hour=6, minute=0),
                                       slot_minutes=10)
    if allowed:
        assert make().is_drill
    else:
        with pytest.raises(drills.NotAllowed):
            make()


def test_drill_pages_reset_and_delete_answer_by_scope(app, client, db_session, w, drill):
    db_session.commit()
    client = signed_in(app, "hn_tinh")
    token = csrf_token(client, "/drills")
    assert client.post(f"/drills/{drill.id}/reset", data={"csrf_token": token}).status_code == 404
    assert client.post("/drills/switch", data={"csrf_token": token, "election": drill.id}).status_code == 404
    client = signed_in(app, "xa")
    token = csrf_token(client, "/drills")
    assert client.post(f"/drills/{drill.id}/delete", data={"csrf_token": token}).status_code == 404
    assert client.post("/drills", data={"csrf_token": token, "starts_at": "2026-12-01T14:00"}).status_code == 403
    client = signed_in(app, "tinh")
    token = csrf_token(client, "/drills")
    bad = client.post("/drills", data={"csrf_token": token, "province": str(w.province("79").id),
                                       "starts_at": "2026-12-01T23:00", "slot_minutes": "30", "reports": "6",
                                       "count_minutes": "90"})
    assert bad.status_code == 422 and "2026-12-01T23:00" in bad.get_data(as_text=True)
    assert client.post(f"/drills/{drill.id}/delete", data={"csrf_token": token}).status_code == 303
    assert db_session.scalar(sa.select(Election.id).where(Election.id == drill.id)) is None


def test_a_user_switches_to_the_drill_sees_the_banner_everywhere_and_me_says_so(as_user, db_session, w, real, drill):
    db_session.commit()
    client = as_user("xa")
    home = client.get("/").get_data(as_text=True)
    assert "DIỄN TẬP" not in home and "election-marker" in home
    assert client.get("/api/v1/me").get_json()["election"]["code"] == real.code
    token = csrf_token(client, "/drills")
    assert client.post("/drills/switch", data={"csrf_token": token, "election": drill.id}).status_code == 303
    for path in ("/", "/stations", "/drills", f"/progress/communes/{w.commune('26743').id}"):
        page = client.get(path, follow_redirects=True)
        assert page.status_code == 200 and "DIỄN TẬP" in page.get_data(as_text=True), path
    me = client.get("/api/v1/me").get_json()["election"]
    assert me == {"id": drill.id, "code": drill.code, "name": drill.name, "is_drill": True}
    # Writes to what the drill shares with the real election are refused inside it.
    assert client.post("/accounts/leaders", data={"csrf_token": token}).status_code == 403
    sheet = client.get(f"/progress/communes/{w.commune('26743').id}/export.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.data))
    assert all(ws.cell(1, 1).value.startswith("DIỄN TẬP") for ws in book.worksheets)
    assert client.post("/drills/switch", data={"csrf_token": token, "election": "real"}).status_code == 303
    assert "DIỄN TẬP" not in client.get("/").get_data(as_text=True)
    assert client.get("/api/v1/me").get_json()["election"]["code"] == real.code


def test_the_command_line_creates_lists_simulates_resets_and_deletes(app, db_session, real, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", DRILL_NOW.isoformat())  # simulate: as of DRILL_NOW
    runner = app.test_cli_runner()
    start = started(75).strftime("%Y-%m-%dT%H:%M")
    made = runner.invoke(args=["drill", "create", "--from", real.code, "--province", "79", "--start", start,
                               "--slot-minutes", "10"])
    assert made.exit_code == 0, made.output
    code = made.output.strip().splitlines()[-1]
    assert code.startswith("DT") and code.endswith("-79")
    listed = runner.invoke(args=["drill", "list"])
    assert listed.exit_code == 0 and code in listed.output
    ran = runner.invoke(args=["drill", "simulate", code])
    assert ran.exit_code == 0 and "turnout reports" in ran.output, ran.output
    assert runner.invoke(args=["drill", "reset", code]).exit_code == 0
    assert runner.invoke(args=["drill", "delete", code]).exit_code == 0
    assert code not in runner.invoke(args=["drill", "list"]).output
    assert runner.invoke(args=["drill", "delete", code]).exit_code == 1
    assert runner.invoke(args=["drill", "create", "--from", "NOPE", "--start", start]).exit_code == 1


def test_progress_refreshes_under_a_frozen_reports_clock(app, as_user, db_session, w):
    """Staleness is measured on the wall clock: with REPORTING_CLOCK_OVERRIDE the snapshot still ages."""
    app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T12:00"
    app.config["PROGRESS_REFRESH_SECONDS"] = 1
    try:
        client = as_user("tinh")
        path = f"/progress/provinces/{w.province('79').id}"
        first = client.get(path)
        first.close()  # the server closes the response once sent: the refresh runs then
        version = db_session.scalar(sa.select(RefreshState.version))
        assert version
        db_session.add(Dirty(province_id=None, commune_id=w.commune("26743").id))
        db_session.commit()
        time.sleep(1.2)
        client.get(path).close()
        db_session.expire_all()
        assert db_session.scalar(sa.select(RefreshState.version)) == version + 1
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Dirty)) == 0
    finally:
        app.config.pop("REPORTING_CLOCK_OVERRIDE", None)
        app.config.pop("PROGRESS_REFRESH_SECONDS", None)
