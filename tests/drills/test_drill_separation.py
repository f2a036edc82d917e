"""A drill's rows and the real election's never mix: the four-eyes notes, the files made in the background, and
the statements written in SQLAlchemy Core that bypass the ORM's narrowing (webapp.elections.working)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.accounts import pdftext
from tests.conftest import ARTIFACTS, csrf_token
from tests.drills.test_drills import DRILL_NOW, started
from tests.reports.helpers import AREA
from webapp.audit.models import Channel
from webapp.drills import marking as drills_marking
from webapp.drills import services as drills
from webapp.drills import simulate
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import Contest, ElectoralUnit, PollingArea, PollingAreaUnit
from webapp.progress import refresh as progress
from webapp.reports import count_state
from webapp.reports.models import CountReport, ReportStatus, TurnoutFigure, TurnoutReport
from webapp.review import authority
from webapp.review.models import InvolvementKind, StationInvolvement


@pytest.fixture
def real(db_session):
    return elections.current_election(db_session)


@pytest.fixture
def drill(db_session, w, real):
    made = drills.create_drill(db_session, actor=w.user("quantri"), source=real, province_id=w.province("79").id,
                               starts_at=started(75), slot_minutes=10, reports=6, count_minutes=60)
    db_session.flush()
    return made


def _turnout(db_session, election_id: int, area_id: int, user_id: int) -> None:
    """A version written by a plain INSERT (any way of writing one): the database notes its writer."""
    db_session.execute(sa.insert(TurnoutReport.__table__).values(
        election_id=election_id, polling_area_id=area_id, slot_at=started(60).time(), version=1, is_latest=True,
        status=ReportStatus.RECEIVED, per_contest=False, no_change=False, reason="", client_uuid=uuid.uuid4(),
        receipt=uuid.uuid4().hex[:6].upper(), channel=Channel.WEB, submitted_by_id=user_id,
        submitted_at=started(58)))


def _count(db_session, contest_id: int, area_id: int, user_id: int) -> None:
    with working.unbound(db_session):
        link = db_session.scalars(sa.select(PollingAreaUnit).where(
            PollingAreaUnit.polling_area_id == area_id, PollingAreaUnit.contest_id == contest_id)).one()
    db_session.execute(sa.insert(CountReport.__table__).values(
        polling_area_id=area_id, contest_id=contest_id, unit_id=link.unit_id, version=1, is_latest=True,
        status=ReportStatus.RECEIVED, returned_reasons="", voters_on_list=10, voters_voted=0, ballots_issued=0,
        ballots_received=0, valid=0, invalid=0, complaints_received=0, complaints_resolved=0,
        complaints_forwarded=0, complaints_note="", signers=[], witness_1="A", witness_2="B", explanations={},
        findings=[], client_uuid=uuid.uuid4(), receipt=uuid.uuid4().hex[:6].upper(), channel="web",
        submitted_by_id=user_id, submitted_at=started(5)))


def _refusal(db_session, election_id: int, username: str, area_id: int, w) -> authority.Refusal | None:
    working.bind(db_session, election_id)
    db_session.expire_all()
    return authority.refusal(db_session, w.user(username), area_id)


def test_writing_in_a_drill_bars_nobody_in_the_real_election_and_the_reverse(db_session, w, real, drill):
    area = w.area(AREA)
    other = w.area("26743-02")
    # "xa" writes a turnout report of AREA in the drill, "tinh" the count minutes of the other area in the drill.
    _turnout(db_session, drill.id, area.id, w.user("xa").id)
    working.bind(db_session, drill.id)
    drill_contest = elections.current_election(db_session).contests[0].id
    _count(db_session, drill_contest, other.id, w.user("tinh").id)
    # "quantri" writes AREA's turnout in the real election.
    _turnout(db_session, real.id, area.id, w.user("quantri").id)
    db_session.flush()

    assert _refusal(db_session, drill.id, "xa", area.id, w) is authority.Refusal.WROTE
    assert _refusal(db_session, drill.id, "tinh", other.id, w) is authority.Refusal.WROTE
    assert _refusal(db_session, drill.id, "quantri", area.id, w) is None
    assert _refusal(db_session, real.id, "xa", area.id, w) is None
    assert _refusal(db_session, real.id, "tinh", other.id, w) is None
    assert _refusal(db_session, real.id, "quantri", area.id, w) is authority.Refusal.WROTE

    # Each session sees its own election's notes only.
    working.bind(db_session, real.id)
    assert {(n.election_id, n.user.username) for n in db_session.scalars(sa.select(StationInvolvement))} == {
        (real.id, "quantri")}
    working.bind(db_session, drill.id)
    assert {(n.election_id, n.user.username) for n in db_session.scalars(sa.select(StationInvolvement))} == {
        (drill.id, "xa"), (drill.id, "tinh")}

    # A code reset holds in every election; deleting the drill deletes its notes and keeps the rest.
    authority.record_involvement(db_session, user=w.user("xa"), polling_area_id=other.id,
                                 kind=InvolvementKind.RESET_CODE, now=started(0))
    assert _refusal(db_session, real.id, "xa", other.id, w) is authority.Refusal.RESET_CODE
    assert _refusal(db_session, drill.id, "xa", other.id, w) is authority.Refusal.RESET_CODE
    with pytest.raises(ValueError):
        authority.record_involvement(db_session, user=w.user("xa"), polling_area_id=other.id,
                                     kind=InvolvementKind.WROTE, now=started(0))
    working.bind(db_session, None)
    drills.delete_drill(db_session, actor=None, drill=drill)
    db_session.flush()
    left = {(n.election_id, n.user.username, n.kind) for n in db_session.scalars(sa.select(StationInvolvement))}
    assert left == {(real.id, "quantri", InvolvementKind.WROTE), (None, "xa", InvolvementKind.RESET_CODE)}


# --- files made in the background ------------------------------------------------------------------------------


def _switch(client, election) -> None:
    token = csrf_token(client, "/drills")
    assert client.post("/drills/switch", data={"csrf_token": token, "election": election}).status_code == 303


def _export(client, dataset: str):
    started = client.post(f"/data/export/{dataset}", data={"csrf_token": csrf_token(client, "/")})
    assert started.status_code == 303, started.status_code
    job = started.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    with client.get(f"/jobs/{job}/file") as response:
        assert response.status_code == 200
        return load_workbook(io.BytesIO(response.data))


def test_an_export_job_started_in_a_drill_holds_the_drills_rows_under_its_mark(as_user, db_session, w, real, drill):
    db_session.commit()
    client = as_user("quantri")
    plain = _export(client, "units")
    real_codes = {row[1] for row in plain.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert plain.worksheets[0].cell(1, 1).value != drills_marking.banner(drill.code)
    _switch(client, drill.id)
    marked = _export(client, "units")
    for sheet in marked.worksheets:
        assert sheet.cell(1, 1).value == drills_marking.banner(drill.code), sheet.title
        assert sheet.sheet_properties.tabColor.rgb.endswith(drills_marking.RED)
        assert drills_marking.MARK in sheet.oddHeader.center.text
    data = marked.worksheets[0]
    assert [c.value for c in data[2]] == [c.value for c in plain.worksheets[0][1]]  # the headers, one row lower
    with working.unbound(db_session):
        drill_units = set(db_session.scalars(sa.select(ElectoralUnit.code).join(Contest).where(
            Contest.election_id == drill.id)))
    assert {row[1] for row in data.iter_rows(min_row=3, values_only=True)} == drill_units
    assert drill_units < real_codes  # Hồ Chí Minh City's units only, not Hà Nội's
    # Inside the drill nothing is imported (the shared rows would reach the real election).
    assert client.post("/data/import", data={"csrf_token": csrf_token(client, "/")}).status_code == 403


def test_the_communes_pdf_batch_of_a_drill_is_its_own_file_and_carries_the_mark(as_user, app, db_session, w, drill,
                                                                                tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "RESULTS_EXPORT_DIR", str(tmp_path))
    commune = w.commune("26743")
    areas = set(db_session.scalars(sa.select(PollingArea.id).where(PollingArea.commune_id == commune.id)))
    result = simulate.run_pass(db_session, drill, now=DRILL_NOW + timedelta(minutes=50), seed=3, only=areas)
    assert result.counts > 0, result.summary()
    working.bind(db_session, None)
    db_session.commit()
    real_file = tmp_path / f"bien-ban-kiem-phieu-{commune.code}-0123456789abcdef0123.pdf"
    real_file.write_bytes(b"%PDF-1.7 the real election's batch")
    client = as_user("xa")
    _switch(client, drill.id)
    url = f"/results/communes/{commune.id}/batch"
    assert client.post(url, data={"csrf_token": csrf_token(client, url)}).status_code == 303
    with client.get(f"{url.removesuffix('/batch')}/batch.pdf") as download:
        assert download.status_code == 200, download.status_code
        assert "dien-tap-" in download.headers["Content-Disposition"]
        text = pdftext.text(download.data)
        (ARTIFACTS / "drills").mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "drills" / "batch-drill.pdf").write_bytes(download.data)  # to look at
    assert text.count(drills_marking.MARK) >= result.counts  # on every form
    assert drill.code in text
    assert real_file.exists()  # the drill's batch replaced nothing of the real election's
    assert [p.name for p in tmp_path.glob("dien-tap-*.pdf")]


# --- statements in SQLAlchemy Core -------------------------------------------------------------------------------


def test_the_count_submissions_core_read_sees_the_last_turnout_of_its_own_election_only(db_session, w, real, drill):
    """``count_state.read_state`` runs on the connection (no ORM narrowing): the last turnout figure it hands the
    checks is the real election's even when a drill's report of the same area has a later report time."""
    area = w.area(AREA)
    working.bind(db_session, real.id)
    real_contest = elections.current_election(db_session).contests[0].id
    _turnout(db_session, real.id, area.id, w.user("to01").id)
    report = db_session.scalars(sa.select(TurnoutReport).where(TurnoutReport.election_id == real.id)).one()
    db_session.add(TurnoutFigure(report_id=report.id, contest_id=real_contest, voters_voted=321))
    db_session.flush()
    before = count_state.read_state(db_session.connection(), area.id, real_contest, uuid.uuid4())
    assert before.last_turnout == 321
    # The drill's report of the same area, at a later time of day, with its own figure.
    with working.unbound(db_session):
        drill_contest = db_session.scalars(sa.select(Contest.id).where(Contest.election_id == drill.id)
                                           .order_by(Contest.id)).first()
    db_session.execute(sa.insert(TurnoutReport.__table__).values(
        election_id=drill.id, polling_area_id=area.id, slot_at=started(0).replace(hour=23, minute=59).time(),
        version=1, is_latest=True, status=ReportStatus.RECEIVED, per_contest=False, no_change=False, reason="",
        client_uuid=uuid.uuid4(), receipt="DRL001", channel=Channel.DRILL_BOT, submitted_by_id=w.user("to01").id,
        submitted_at=started(1)))
    with working.unbound(db_session):
        later = db_session.scalars(sa.select(TurnoutReport).where(TurnoutReport.receipt == "DRL001")).one()
    db_session.add(TurnoutFigure(report_id=later.id, contest_id=drill_contest, voters_voted=999))
    db_session.flush()
    after = count_state.read_state(db_session.connection(), area.id, real_contest, uuid.uuid4())
    assert after.last_turnout == 321
    assert count_state.read_state(db_session.connection(), area.id, drill_contest, uuid.uuid4()).last_turnout == 999


def _real_answers(client, w) -> dict[str, object]:
    province, commune, area = w.province("79").id, w.commune("26743").id, w.area(AREA).id
    unit = w.unit("QH-79-01").id
    paths = [f"/api/v1/progress/provinces/{province}", f"/api/v1/progress/communes/{commune}",
             "/api/v1/progress/corrections", f"/api/v1/results/provinces/{province}",
             f"/api/v1/results/communes/{commune}", f"/api/v1/results/units/{unit}",
             f"/api/v1/results/provinces/{province}/turnout", f"/api/v1/results/communes/{commune}/turnout",
             "/api/v1/review/queue", f"/api/v1/stations/{area}", f"/progress/communes/{commune}/export.xlsx"]
    out = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if path.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(response.data))
            out[path] = [[c for c in row] for ws in book.worksheets for row in ws.iter_rows(values_only=True)]
        else:
            body = response.get_json()
            body.pop("now", None) if isinstance(body, dict) else None  # the moment asked: the one thing that moves
            out[path] = body
    return out


def test_the_real_elections_answers_are_unchanged_by_a_drill_full_of_reports(app, as_user, db_session, w, real):
    """Progress, results, the review queue, a station and the commune's progress workbook of the real election, as
    the province sees them, before and after a national drill in which every station sent turnout and minutes
    (its progress refreshed too)."""
    _turnout(db_session, real.id, w.area(AREA).id, w.user("to01").id)
    db_session.commit()
    client = as_user("tinh")
    before = _real_answers(client, w)
    made = drills.create_drill(db_session, actor=None, source=real, province_id=None, starts_at=started(75),
                               slot_minutes=10, reports=6, count_minutes=60)
    result = simulate.run_pass(db_session, made, now=DRILL_NOW, seed=5)
    assert result.turnout > 50 and result.counts > 0, result.summary()
    working.bind(db_session, made.id)
    progress.refresh(db_session, now=DRILL_NOW, full=True)
    working.bind(db_session, real.id)
    db_session.commit()
    after = _real_answers(client, w)
    for path in before:
        assert after[path] == before[path], path
