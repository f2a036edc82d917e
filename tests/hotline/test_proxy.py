"""Entry by phone: the hotline types what the leader reads out, must read it back, and the report is stored as
received by phone, by the hotline user, waiting for the commune's confirmation like any other."""

from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.conftest import csrf_token, login
from tests.reports.helpers import good_numbers, links, new_id
from tests.review.helpers import send_count, vn
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind
from webapp.reports import services as reports
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport
from webapp.reports.services import TurnoutInput
from webapp.review import queries


@pytest.fixture
def clock(app):
    def set_clock(hour: int, minute: int = 0) -> None:
        app.config["REPORTING_CLOCK_OVERRIDE"] = vn(hour, minute).isoformat()

    yield set_clock
    app.config.pop("REPORTING_CLOCK_OVERRIDE", None)


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_turnout_by_phone_is_read_back_then_saved_as_received_by_phone(as_user, clock, db_session, w):
    clock(9, 20)
    area = w.area("26740-04")
    client = as_user("tongdai")
    url = f"/hotline/stations/{area.id}/turnout"
    form = soup(client.get(url)).select_one("#hotline-turnout form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    assert form.select_one("select[name=slot] option[selected]")["value"] == "09:00"
    data.update(voted="1.234", slot="09:00", reason="")
    readback = client.post(url, data={**data, "step": "review"})
    assert readback.status_code == 200
    text = soup(readback).select_one("#hotline-turnout").text
    assert "1.234" in text and "một nghìn hai trăm ba mươi bốn" in text
    refused = client.post(url, data={**data, "step": "send"})  # the read-back box not ticked
    assert refused.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 0
    saved = client.post(url, data={**data, "step": "send", "read_back": "y"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/hotline/stations/{area.id}")
    report = db_session.scalars(sa.select(TurnoutReport)).one()
    assert (report.channel, report.submitted_by.username, report.status, report.slot_at) == (
        Channel.PHONE, "tongdai", ReportStatus.RECEIVED, time(9))
    assert [f.voters_voted for f in report.figures] == [1234] * len(report.figures)
    created = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "turnout_reports")).one()
    assert (created.channel, created.actor_username) == (Channel.PHONE, "tongdai")
    flash = soup(client.get(saved.headers["Location"])).select_one("#flash").text
    assert report.receipt[:3] in flash
    queue = queries.review_queue(db_session, w.user("tinh"), queries.QueueFilters())  # Sài Gòn has no "xa" account
    assert [i.report.id for i in queue.items] == [report.id]


def _count_form_data(session, area, kind: ContestKind) -> tuple[int, dict]:
    link = links(session, area)[kind]
    n = good_numbers(session, area, kind)
    data = {name: str(getattr(n, name)) for name in
            ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")}
    data.update({f"votes_{cid}": str(v) for cid, v in n.votes.items()})
    data.update(complaints_received="0", complaints_resolved="0", complaints_forwarded="0",
                witness_1="Nguyễn Văn Chứng", witness_2="Lê Thị Kiến")
    return link.contest_id, data


def test_count_minutes_by_phone_need_the_read_back_and_wait_for_the_commune(as_user, clock, db_session, w):
    clock(20, 15)
    area = w.area("26743-01")
    contest_id, data = _count_form_data(db_session, area, ContestKind.NATIONAL_ASSEMBLY)
    client = as_user("tongdai")
    url = f"/hotline/stations/{area.id}/count/{contest_id}"
    page = soup(client.get(url))
    form = page.select_one("#hotline-count-entry")
    hidden = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    signers = [i["value"] for i in form.select("input[name=signers][checked]")]
    assert signers
    body = {**hidden, **data, "signers": signers}
    readback = client.post(url, data={**body, "step": "review"})
    assert readback.status_code == 200
    assert soup(readback).select_one("#hotline-count form input[name=read_back]") is not None
    assert client.post(url, data={**body, "step": "send"}).status_code == 422
    saved = client.post(url, data={**body, "step": "send", "read_back": "y"})
    assert saved.status_code == 303
    report = db_session.scalars(sa.select(CountReport)).one()
    assert (report.channel, report.submitted_by.username, report.status) == (
        Channel.PHONE, "tongdai", ReportStatus.RECEIVED)
    items = queries.review_queue(db_session, w.user("xa"), queries.QueueFilters()).items
    assert [(i.kind.value, i.report.id, i.report.channel) for i in items] == [("count", report.id, Channel.PHONE)]


def test_the_queue_marks_what_came_by_phone(as_user, clock, db_session, w):
    area = w.area("26743-01")
    reports.submit_turnout(db_session, actor=Actor(w.user("tongdai"), Channel.PHONE), area_id=area.id, data=TurnoutInput(voted=200),
                           client_uuid=new_id(), now=vn(9, 20))
    page = soup(as_user("xa").get("/review/"))
    assert page.select_one("#review-queue .rv-item .rv-tag-phone") is not None


def test_the_hotline_cannot_send_as_if_it_were_the_leader(db_session, w):
    area = w.area("26743-01")
    for channel in (Channel.WEB, Channel.API):
        with pytest.raises(reports.NotAllowed):
            reports.submit_turnout(db_session, actor=Actor(w.user("tongdai"), channel), area_id=area.id,
                                   data=TurnoutInput(voted=200), client_uuid=new_id(),
                                   now=vn(9, 20))
    with pytest.raises(reports.NotAllowed):  # by phone is the hotline's job, not the province's
        reports.submit_turnout(db_session, actor=Actor(w.user("tinh"), Channel.PHONE), area_id=area.id, data=TurnoutInput(voted=200),
                               client_uuid=new_id(), now=vn(9, 20))


@pytest.mark.parametrize(("username", "status"), [("tinh", 403), ("xa", 403), ("to01", 403), ("hn_tongdai", 404)])
def test_only_the_hotline_in_scope_enters_by_phone(as_user, clock, w, username, status):
    clock(9, 20)
    area = w.area("26743-01")
    contest_id = links(w.session, area)[ContestKind.NATIONAL_ASSEMBLY].contest_id
    client = as_user(username)
    token = csrf_token(client, "/")
    assert client.get(f"/hotline/stations/{area.id}/turnout").status_code == status
    assert client.post(f"/hotline/stations/{area.id}/turnout",
                       data={"csrf_token": token, "voted": "10"}).status_code == status
    assert client.get(f"/hotline/stations/{area.id}/count/{contest_id}").status_code == status


@pytest.mark.parametrize("typed", ["99999", "", "12a"])  # more than on the list, blank, not a number
def test_numbers_the_checks_refuse_are_shown_before_the_read_back(as_user, clock, db_session, w, typed):
    clock(9, 20)
    area = w.area("26740-04")
    client = as_user("tongdai")
    url = f"/hotline/stations/{area.id}/turnout"
    form = soup(client.get(url)).select_one("#hotline-turnout form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    response = client.post(url, data={**data, "voted": typed, "slot": "09:00", "step": "review"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#hotline-turnout [data-error-summary] a[href=\"#voted\"]") is not None
    assert page.select_one("input[name=read_back]") is None
    assert page.select_one("input[name=voted]").get("value", "") == typed
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 0


def test_entry_by_phone_is_the_leaders_page_without_the_outbox_or_live_checks(app, as_user, clock, w):
    """The same templates and forms as the leader's: the leader's page checks as the leader types and keeps what
    cannot be sent in the outbox; by phone neither (the read-back checks), and each page posts to its own route."""
    clock(20, 15)
    area = w.area("26743-01")
    contest_id = links(w.session, area)[ContestKind.NATIONAL_ASSEMBLY].contest_id
    by_leader, by_phone = as_user("to01"), app.test_client()
    login(by_phone, "tongdai")
    leader = soup(by_leader.get(f"/reports/{area.id}/count/{contest_id}"))
    hotline = soup(by_phone.get(f"/hotline/stations/{area.id}/count/{contest_id}"))
    assert leader.select_one("#count-form #count-entry[data-offline-readback]") is not None
    assert leader.select("#count-entry [hx-post]")
    form = hotline.select_one("#hotline-count #hotline-count-entry")
    assert form["action"] == f"/hotline/stations/{area.id}/count/{contest_id}"
    assert not hotline.select("#hotline-count :is([data-offline], [data-offline-readback], [hx-post])")
    shared = ("#count-findings", "input[name=voters_on_list]", "input[name=witness_1]", "input[name=signers]")
    assert all(hotline.select_one(s) is not None and leader.select_one(s) is not None for s in shared)
    clock(9, 20)
    leader = soup(by_leader.get(f"/reports/{area.id}/turnout"))
    hotline = soup(by_phone.get(f"/hotline/stations/{area.id}/turnout"))
    assert leader.select_one("#turnout form[data-offline]") is not None
    assert not hotline.select("#hotline-turnout :is([data-offline], .rep-nochange, [data-queued-for])")
    assert hotline.select_one("#hotline-turnout .rep-slots") is not None  # the day's report times, as the leader's


def test_a_correction_by_phone_starts_from_the_version_that_counts(as_user, clock, db_session, w):
    clock(20, 30)
    first = send_count(db_session, w, at=(20, 10))
    db_session.commit()
    client = as_user("tongdai")
    url = f"/hotline/stations/{first.polling_area_id}/count/{first.contest_id}"
    form = soup(client.get(url)).select_one("#hotline-count-entry")
    assert form.select_one("input[name=voters_on_list]")["value"] == str(first.voters_on_list)
    assert form.select_one("input[name=witness_1]")["value"] == first.witness_1
    body = {i["name"]: i.get("value", "") for i in form.select("input")
            if i.get("type") != "checkbox" and i.get("name")}
    body["signers"] = [i["value"] for i in form.select("input[name=signers][checked]")]
    unticked = client.post(url, data={**body, "step": "send"})
    assert unticked.status_code == 422
    assert soup(unticked).select_one("#hotline-count .rv-check.has-error input[name=read_back]") is not None
    saved = client.post(url, data={**body, "step": "send", "read_back": "y"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/hotline/stations/{first.polling_area_id}")
    latest = db_session.scalars(sa.select(CountReport).where(CountReport.is_latest)).one()
    assert (latest.version, latest.supersedes_id, latest.channel) == (2, first.id, Channel.PHONE)
    audit = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "count_reports",
                                                           AuditEntry.actor_username == "tongdai")).all()
    assert audit and {e.channel for e in audit} == {Channel.PHONE}


def test_a_refused_turnout_by_phone_has_the_leaders_summary(as_user, clock, db_session, w):
    """The hotline's turnout form says what to fix as the leader's does: at its top, each problem a link to its
    field, the field marked invalid; a number not in digits too."""
    clock(9, 20)
    area = w.area("26740-04")
    client = as_user("tongdai")
    url = f"/hotline/stations/{area.id}/turnout"
    form = soup(client.get(url)).select_one("#hotline-turnout form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    data.update(slot="09:00", reason="", step="review")
    for voted in ("999999", "mười"):
        page = soup(client.post(url, data={**data, "voted": voted}))
        summary = page.select_one("#hotline-turnout form [data-error-summary]")
        assert summary is not None, voted
        assert {a["href"] for a in summary.select("a")} == {"#voted"}
        assert page.select_one("#voted")["aria-invalid"] == "true"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 0


def test_a_refused_count_by_phone_names_the_witnesses_with_the_arithmetic(as_user, clock, db_session, w):
    """By phone as on the leader's page: the count form's summary lists the arithmetic and a missing witness
    together, each a link to its field, and nothing is read back or saved."""
    clock(20, 15)
    area = w.area("26743-01")
    contest_id, data = _count_form_data(db_session, area, ContestKind.NATIONAL_ASSEMBLY)
    client = as_user("tongdai")
    url = f"/hotline/stations/{area.id}/count/{contest_id}"
    form = soup(client.get(url)).select_one("#hotline-count-entry")
    hidden = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    signers = [i["value"] for i in form.select("input[name=signers][checked]")]
    body = {**hidden, **data, "signers": signers, "witness_2": "", "invalid": str(int(data["invalid"]) + 5)}
    refused = client.post(url, data={**body, "step": "review"})
    assert refused.status_code == 422
    page = soup(refused)
    links_ = {a["href"] for a in page.select("#hotline-count [data-error-summary] a")}
    assert "#witness_2" in links_ and links_ - {"#witness_2"}, links_
    assert page.select_one("input[name=read_back]") is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CountReport)) == 0
