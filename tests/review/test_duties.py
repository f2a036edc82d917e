"""Four-eyes (issue 10 §2): nobody decides on a station's reports who wrote a version of them, by any way of writing
one, or who reset the code of its leader's account after activation; another official of the commune, or the
province, decides. The normal flow (the commune prints every leader's first slip, a leader sends, an official
confirms) is not blocked. The review page shows how the sending account was activated and flags what looks close."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import world

from tests.accounts import pdftext
from tests.api.conftest import count_body
from tests.conftest import create_database, csrf_token, login
from tests.reports.helpers import AREA, good_numbers, links, vn
from tests.reports.test_views import count_form_data, form_values
from tests.review.helpers import send_turnout
from tests.world import NOW, PASSWORD
from webapp.accounts import services as accounts
from webapp.accounts.models import ActivationCode, Role, User
from webapp import migrate
from webapp.api import tokens
from webapp.audit import services as audit
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.db import make_engine
from webapp.elections.models import ContestKind
from webapp.reports import services as reports
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport
from webapp.review import authority
from webapp.review.models import InvolvementKind, StationInvolvement

NA = ContestKind.NATIONAL_ASSEMBLY
NEW_PASSWORD = "Kiem-Phieu-2026!to01"
REVIEWING_ROLES = ("xa", "xa2", "tinh", "quantri")
EVERY_ROLE = ("to01", "tongdai", *REVIEWING_ROLES)


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def clock(app, monkeypatch):
    def set_clock(hour: int, minute: int = 0) -> None:
        monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(hour, minute).isoformat())

    set_clock(20, 0)
    return set_clock


@pytest.fixture
def second_official(db_session, w) -> User:
    """Another official of the same commune as "xa"."""
    xa = w.user("xa")
    user = User(username="xa2", full_name="Cán bộ xã thứ hai", role=Role.COMMUNE, province_id=xa.province_id,
                commune_id=xa.commune_id, password_hash=accounts.hash_secret(PASSWORD), created_at=NOW)
    db_session.add(user)
    db_session.flush()
    return user


@pytest.fixture
def clients(app, second_official) -> Callable[[str], FlaskClient]:
    """``clients("xa")``: a test client of its own, signed in as that account (made once per test; a password
    given makes a new one)."""
    made: dict[str, FlaskClient] = {}

    def get(username: str, password: str | None = None) -> FlaskClient:
        if username not in made or password is not None:
            made[username] = app.test_client()
            login(made[username], username, password or PASSWORD)
        return made[username]

    return get


# --- every way of writing a version ----------------------------------------------------------------------------


def _leader_form(client, db_session, w) -> None:
    area = w.area(AREA)
    url = f"/reports/{area.id}/count/{links(db_session, area)[NA].contest_id}"
    values = count_form_data(db_session, w, soup(client.get(url)))
    readback = soup(client.post(url, data={**values, "step": "review"}))
    assert client.post(url, data={**form_values(readback, "form[data-offline]"), "step": "send"}).status_code == 303


def _outbox(client, db_session, w) -> None:
    area = w.area(AREA)
    url = f"/reports/{area.id}/count/{links(db_session, area)[NA].contest_id}"
    values = count_form_data(db_session, w, soup(client.get(url)))
    token = values.pop("csrf_token")
    sent = client.post(url, data={**values, "step": "send"}, headers={"X-Outbox": "background", "X-CSRFToken": token})
    assert sent.status_code == 200 and sent.headers["X-Outbox-Ack"] == "1"


def _api_session(client, db_session, w) -> None:
    me = client.get("/api/v1/me").json
    sent = client.post(f"/api/v1/stations/{w.area(AREA).id}/count/na", json=count_body(db_session, w),
                       headers={"X-CSRFToken": me["csrf_token"]})
    assert sent.status_code == 201, sent.json


def _api_token(client, db_session, w) -> None:
    secret = tokens.issue_token(db_session, actor=w.user("to01"), name="điện thoại", ttl=None, now=NOW).secret
    sent = client.post(f"/api/v1/stations/{w.area(AREA).id}/count/na", json=count_body(db_session, w),
                       headers={"Authorization": f"Bearer {secret}"})
    assert sent.status_code == 201, sent.json


def _hotline_by_phone(client, db_session, w) -> None:
    area = w.area(AREA)
    contest_id = links(db_session, area)[NA].contest_id
    n = good_numbers(db_session, area, NA)
    url = f"/hotline/stations/{area.id}/count/{contest_id}"
    form = soup(client.get(url)).select_one("#hotline-count-entry")
    body = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    body.update({name: str(getattr(n, name)) for name in
                 ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")})
    body.update({f"votes_{cid}": str(v) for cid, v in n.votes.items()})
    body.update(complaints_received="0", complaints_resolved="0", complaints_forwarded="0",
                witness_1="Nguyễn Văn Chứng", witness_2="Lê Thị Kiến",
                signers=[i["value"] for i in form.select("input[name=signers][checked]")])
    assert client.post(url, data={**body, "step": "review"}).status_code == 200
    assert client.post(url, data={**body, "step": "send", "read_back": "y"}).status_code == 303


def _turnout_form(client, db_session, w) -> None:
    area = w.area(AREA)
    values = form_values(soup(client.get(f"/reports/{area.id}/turnout")), "form[data-offline]")
    assert client.post(f"/reports/{area.id}/turnout", data={**values, "voted": "300"}).status_code == 303


def _future_path(client, db_session, w) -> None:
    """A way of writing a version that does not exist yet (say, the commune importing minutes): a plain INSERT,
    with no code of ours remembering anything. The database still records who wrote it."""
    area = w.area(AREA)
    n = good_numbers(db_session, area, NA)
    link = links(db_session, area)[NA]
    db_session.execute(sa.insert(CountReport.__table__).values(
        polling_area_id=area.id, contest_id=link.contest_id, unit_id=link.unit_id, version=1, is_latest=True,
        status=ReportStatus.RECEIVED, returned_reasons="", voters_on_list=n.voters_on_list,
        voters_voted=n.voters_voted, ballots_issued=n.ballots_issued, ballots_received=n.ballots_received,
        valid=n.valid, invalid=n.invalid, complaints_received=0, complaints_resolved=0, complaints_forwarded=0,
        complaints_note="", signers=[], witness_1="A", witness_2="B", explanations={}, findings=[],
        client_uuid=uuid.uuid4(), receipt="FUT001", channel="import", submitted_by_id=w.user("xa").id,
        submitted_at=vn(20, 0)))


# (how, who writes, the kind of report written)
WRITES = {
    "leader's form": (_leader_form, "to01", CountReport),
    "outbox replay": (_outbox, "to01", CountReport),
    "API with a session": (_api_session, "to01", CountReport),
    "API with a bearer token": (_api_token, "to01", CountReport),
    "hotline's entry by phone": (_hotline_by_phone, "tongdai", CountReport),
    "leader's turnout form": (_turnout_form, "to01", TurnoutReport),
    "a future path": (_future_path, "xa", CountReport),
}


def _set_status(db_session, model, report_id: int, status: ReportStatus) -> None:
    db_session.execute(sa.update(model).where(model.id == report_id).values(status=status))


def _status(db_session, model, report_id: int) -> ReportStatus:
    return db_session.scalar(sa.select(model.status).where(model.id == report_id).execution_options(
        populate_existing=True))


def _decide(client, kind: str, report_id: int, decision: str, shown: str):
    page = f"/review/{kind}/{report_id}"
    data = {"csrf_token": csrf_token(client, "/"), "shown": shown}
    if decision == "return":
        data.update(reasons=["numbers_mismatch"], text="Số cử tri không khớp biên bản giấy")
    if decision == "reopen":
        data.update(reason="Biên bản giấy ghi khác, cần nhập lại")
    return client.post(f"{page}/{decision}", data=data)


def _walk_decisions(db_session, clients, model, report_id: int, barred: set[str]) -> None:
    """Every role tries every decision on the version; only reviewers not in ``barred`` succeed."""
    kind = "count" if model is CountReport else "turnout"
    for username in EVERY_ROLE:
        client = clients(username)
        allowed = username in REVIEWING_ROLES and username not in barred
        for decision, start, after in (("confirm", ReportStatus.RECEIVED, ReportStatus.CONFIRMED),
                                       ("reopen", ReportStatus.CONFIRMED, ReportStatus.RECEIVED),
                                       ("return", ReportStatus.RECEIVED, ReportStatus.RETURNED)):
            _set_status(db_session, model, report_id, start)
            response = _decide(client, kind, report_id, decision, start.value)
            expected = (303, after) if allowed else (403, start)
            assert (response.status_code, _status(db_session, model, report_id)) == expected, (
                username, decision, response.get_data(as_text=True)[:300])
        page = client.get(f"/review/{kind}/{report_id}")
        if username in REVIEWING_ROLES:
            refusal = soup(page).select_one("#decide .rv-refusal")
            assert (refusal is None) == allowed, username
    _set_status(db_session, model, report_id, ReportStatus.RECEIVED)


@pytest.mark.parametrize("how", list(WRITES))
def test_nobody_decides_on_figures_they_wrote(how, clients, db_session, w, clock):
    write, writer, model = WRITES[how]
    if model is TurnoutReport:
        clock(9, 5)
    write(clients(writer), db_session, w)
    clock(20, 30)
    report = db_session.scalars(sa.select(model).where(model.is_latest)).one()
    assert report.submitted_by.username == writer
    _walk_decisions(db_session, clients, model, report.id, barred={writer})
    recorded = db_session.scalars(sa.select(StationInvolvement).where(
        StationInvolvement.polling_area_id == report.polling_area_id)).all()
    assert [(r.user.username, r.kind) for r in recorded] == [(writer, InvolvementKind.WROTE)]


def _reset(client, area_id: int) -> str:
    response = client.post(f"/accounts/leaders/{area_id}/reset",
                           data={"csrf_token": csrf_token(client, "/accounts/leaders")})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return pdftext.slips(response.data)["to01"]


def _activate(client, username: str, code: str) -> None:
    signed = client.post("/login", data={"username": username, "password": code,
                                         "csrf_token": csrf_token(client, "/login")})
    assert signed.status_code == 303 and signed.headers["Location"].endswith("/activate")
    done = client.post("/activate", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                          "csrf_token": csrf_token(client, "/activate")})
    assert done.status_code == 303


def test_an_official_who_reset_an_active_leaders_code_cannot_confirm_what_is_sent(app, clients, db_session, w,
                                                                                 clock):
    """Issue 10 §2 (b): the commune official resets the active leader's code, signs in as the leader with it,
    sends the minutes and confirms them. The leader is signed out everywhere; the official may no longer decide on
    the station's reports (the page says why); another official of the commune, or the province, does."""
    area = w.area(AREA)
    leaders_phone = clients("to01")
    code = _reset(clients("xa"), area.id)
    assert leaders_phone.get("/").status_code == 302  # signed out on the leader's own phone
    as_leader = app.test_client()  # the official's own browser, now holding the leader's code
    _activate(as_leader, "to01", code)
    _leader_form(as_leader, db_session, w)
    report = db_session.scalars(sa.select(CountReport)).one()
    official = clients("xa")
    refused = _decide(official, "count", report.id, "confirm", "received")
    assert refused.status_code == 403 and "đặt lại mã kích hoạt" in refused.get_data(as_text=True)
    assert _status(db_session, CountReport, report.id) is ReportStatus.RECEIVED
    page = official.get(f"/review/count/{report.id}")
    refusal = soup(page).select_one("#decide .rv-refusal").text
    assert "đặt lại mã kích hoạt" in refusal
    assert soup(page).select_one(f"form[action='/review/count/{report.id}/confirm']") is None
    # The page of the report tells every reviewer about the reset, and how the account was activated.
    other = soup(clients("xa2").get(f"/review/count/{report.id}"))
    assert "Ủy ban bầu cử phường Bến Thành" in other.select_one(".rv-reset").text
    provenance = other.select_one("#rv-provenance").text
    assert "127.0.0.1" in provenance
    assert _decide(clients("xa2"), "count", report.id, "confirm", "received").status_code == 303
    assert _status(db_session, CountReport, report.id) is ReportStatus.CONFIRMED
    clients("to01", NEW_PASSWORD)
    _walk_decisions(db_session, clients, CountReport, report.id, barred={"xa"})


def test_the_reset_is_on_the_timeline_audited_and_on_reports_sent_afterwards_only(app, clients, db_session, w,
                                                                                  clock):
    area = w.area(AREA)
    before = db_session.scalars(sa.select(CountReport)).all()
    _leader_form(clients("to01"), db_session, w)
    earlier = db_session.scalars(sa.select(CountReport)).one()
    clock(20, 40)
    code = _reset(clients("xa"), area.id)
    leader = app.test_client()
    _activate(leader, "to01", code)
    clock(20, 50)
    _leader_form(leader, db_session, w)
    later = db_session.scalars(sa.select(CountReport).where(CountReport.is_latest)).one()
    assert before == [] and later.id != earlier.id
    reviewer = clients("tinh")
    assert soup(reviewer.get(f"/review/count/{earlier.id}")).select(".rv-reset") == []
    assert len(soup(reviewer.get(f"/review/count/{later.id}")).select(".rv-reset")) == 1
    timeline = soup(clients("tongdai").get(f"/hotline/stations/{area.id}"))
    resets = timeline.select(".hl-event-reset")
    assert len(resets) == 1 and "to01" in resets[0].text and "Ủy ban bầu cử phường Bến Thành" in resets[0].text
    event = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "issue_codes")
                               .order_by(AuditEntry.id.desc())).first()
    assert event.actor_username == "xa" and event.after["reset_after_activation"] == [AREA]
    involvement = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "station_involvements"))
    assert [e.after["kind"] for e in involvement] == ["reset_code"]
    row = db_session.scalars(sa.select(ActivationCode).where(ActivationCode.after_activation)).one()
    assert (row.issued_by.username, row.used_ip) == ("xa", "127.0.0.1") and row.used_at is not None


def test_the_first_slips_do_not_bar_the_official_who_printed_them(app, clients, db_session, w, clock):
    """The normal flow: the commune prints every leader's first slip, the leader activates and sends, the same
    official confirms."""
    official = clients("xa")
    response = official.post("/accounts/leaders", data={"csrf_token": csrf_token(official, "/accounts/leaders")})
    code = pdftext.slips(response.data)["to03-26743"]
    area = w.area("26743-03")
    leader = app.test_client()
    _activate(leader, "to03-26743", code)
    clock(9, 5)
    values = form_values(soup(leader.get(f"/reports/{area.id}/turnout")), "form[data-offline]")
    assert leader.post(f"/reports/{area.id}/turnout", data={**values, "voted": "300"}).status_code == 303
    report = db_session.scalars(sa.select(TurnoutReport)).one()
    assert authority.refusal(db_session, w.user("xa"), area.id) is None
    page = soup(official.get(f"/review/turnout/{report.id}", environ_overrides={"REMOTE_ADDR": "10.1.2.3"}))
    assert page.select_one(f"form[action='/review/turnout/{report.id}/confirm']") is not None
    provenance = page.select_one("#rv-provenance").text
    assert "127.0.0.1" in provenance and page.select(".rv-flag") == []  # activated elsewhere: nothing to flag
    assert _decide(official, "turnout", report.id, "confirm", "received").status_code == 303


def test_an_activation_or_sending_from_the_reviewers_address_is_flagged(app, clients, db_session, w, clock):
    official = clients("xa")
    response = official.post("/accounts/leaders", data={"csrf_token": csrf_token(official, "/accounts/leaders")})
    code = pdftext.slips(response.data)["to03-26743"]
    area = w.area("26743-03")
    leader = app.test_client()
    _activate(leader, "to03-26743", code)  # from 127.0.0.1, as the official's own requests
    clock(9, 5)
    values = form_values(soup(leader.get(f"/reports/{area.id}/turnout")), "form[data-offline]")
    leader.post(f"/reports/{area.id}/turnout", data={**values, "voted": "300"},
                environ_overrides={"REMOTE_ADDR": "10.9.9.9"})
    report = db_session.scalars(sa.select(TurnoutReport)).one()
    same_as_activation = soup(official.get(f"/review/turnout/{report.id}"))
    assert [f["class"][-1] for f in same_as_activation.select(".rv-flag")] == ["rv-flag-activation"]
    same_as_sending = soup(official.get(f"/review/turnout/{report.id}",
                                        environ_overrides={"REMOTE_ADDR": "10.9.9.9"}))
    assert [f["class"][-1] for f in same_as_sending.select(".rv-flag")] == ["rv-flag-sending"]
    assert "10.9.9.9" in same_as_sending.select_one("#rv-provenance").text


def test_flags_compare_in_one_place():
    viewer = authority.Presence("10.0.0.1")
    assert authority.flags(viewer, activation=None, sending=None) == []
    assert authority.flags(viewer, activation=authority.Presence(""), sending=authority.Presence("10.0.0.2")) == []
    both = authority.flags(viewer, activation=authority.Presence("10.0.0.1"), sending=authority.Presence("10.0.0.1"))
    assert [(f.kind, f.match) for f in both] == [(authority.FlagKind.ACTIVATION, authority.Match.ADDRESS),
                                                 (authority.FlagKind.SENDING, authority.Match.ADDRESS)]


def test_the_audit_entry_of_a_new_row_names_it(db_session, w, clock):
    """Found on the way: the ORM listener wrote every "create" entry with an empty entity id (a new row has its
    key but not yet its identity after the flush), so a turnout report's entry could not be found by its id."""
    report = send_turnout(db_session, w, 300)
    db_session.flush()
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "turnout_reports",
                                                           AuditEntry.action == "create")).one()
    assert entry.entity_id == str(report.id)


def test_upgrading_mid_election_remembers_who_already_wrote():
    """Deployed during the election: the migration records the writers of the versions already stored, so the
    rule holds for them too; and the triggers it installs record the next ones."""
    url, drop = create_database(os.environ.get("TEST_DATABASE_URL"), "duties")
    engine = None
    try:
        # The data is written with today's models, then the schema goes back to the revision before the duties
        # migration (which drops what it recorded) and up again: as a deployment upgraded mid-election.
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
            world.build(session)
            send_turnout(session, world.World(session), 300)
            session.commit()
        engine.dispose()
        migrate.downgrade(url, "c3a91f7e5d20")  # the revision before the duties migration
        engine = make_engine(url)
        with engine.connect() as conn:
            assert "station_involvements" not in sa.inspect(conn).get_table_names()
        migrate.upgrade(url)
        with Session(engine) as session:
            audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
            w = world.World(session)
            wrote = "SELECT user_id FROM station_involvements WHERE kind = 'wrote' ORDER BY id"
            assert session.scalars(sa.text(wrote)).all() == [w.user("to01").id]
            reports.submit_turnout(session, actor=Actor(w.user("tongdai"), Channel.PHONE), area_id=w.area(AREA).id,
                                   data=reports.TurnoutInput(voted=320), client_uuid=uuid.uuid4(), now=vn(11, 35))
            assert session.scalars(sa.text(wrote)).all() == [w.user("to01").id, w.user("tongdai").id]
            assert authority.refusal(session, w.user("xa"), w.area(AREA).id) is None
    finally:
        if engine is not None:
            engine.dispose()
        drop()
