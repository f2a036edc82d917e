import io
import re
import uuid

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.conftest import csrf_token, login
from tests.reports.helpers import AREA, good_numbers, jpeg_bytes, links, vn
from webapp.audit.models import AuditEntry
from webapp.elections.models import ContestKind
from webapp.reports.models import CountReport, ReportPhoto, ReportStatus, TurnoutReport

NA = ContestKind.NATIONAL_ASSEMBLY


@pytest.fixture
def clock(app, monkeypatch):
    """Set the reports' clock (REPORTING_CLOCK_OVERRIDE) for the request under test."""

    def set_clock(moment):
        monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", moment.isoformat())

    set_clock(vn(9, 5))
    return set_clock


@pytest.fixture
def uploads(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def form_values(page, selector):
    form = page.select_one(selector)
    values = {}
    for tag in form.select("input[name], textarea[name]"):
        if tag.get("type") == "checkbox":
            if tag.has_attr("checked"):
                values.setdefault(tag["name"], []).append(tag["value"])
        else:
            values[tag["name"]] = tag.get("value", tag.text.strip())
    return values


def count_url(w, db_session, kind=NA):
    area = w.area(AREA)
    return f"/reports/{area.id}/count/{links(db_session, area)[kind].contest_id}"


def count_form_data(db_session, w, page, **changes):
    values = form_values(page, "#count-entry")
    numbers = good_numbers(db_session, w.area(AREA), NA)
    for name in ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid"):
        values[name] = str(getattr(numbers, name))
    for cid, votes in numbers.votes.items():
        values[f"votes_{cid}"] = str(votes)
    values.update(witness_1="Nguyễn Văn Chứng", witness_2="Lê Thị Kiến")
    values.update(changes)
    return values


# ---- turnout ----------------------------------------------------------------------------------------------------

def test_turnout_page_shows_next_time_deadline_and_lateness(as_user, w, clock):
    client = as_user("to01")
    clock(vn(11, 50))
    response = client.get(f"/reports/{w.area(AREA).id}/turnout")
    page = soup(response)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert page.select_one(".rep-next-time").text == "11:30"
    assert "11:45" in page.select_one(".rep-next").text
    assert "Trễ 5 phút" in page.select_one(".rep-badge-late").text
    voted = page.select_one("input[name=voted]")
    assert voted["inputmode"] == "numeric" and voted["pattern"] == "[0-9]*"
    form = page.select_one("form[data-offline]")
    assert uuid.UUID(form.select_one("input[name=client_uuid]")["value"])


def test_sending_turnout_redirects_303_and_shows_the_receipt(as_user, w, clock, db_session):
    client = as_user("to01")
    area = w.area(AREA)
    values = form_values(soup(client.get(f"/reports/{area.id}/turnout")), "form[data-offline]")
    response = client.post(f"/reports/{area.id}/turnout", data={**values, "voted": "1.234"})
    assert response.status_code == 303
    report = db_session.scalars(sa.select(TurnoutReport)).one()
    assert {f.voters_voted for f in report.figures} == {1234}
    page = soup(client.get(response.headers["Location"]))
    assert report.receipt[:3] in page.select_one("#flash-messages").text
    assert page.select_one("#turnout-history code").text == f"{report.receipt[:3]}-{report.receipt[3:]}"
    again = client.post(f"/reports/{area.id}/turnout", data={**values, "voted": "1.234"})
    assert again.status_code == 303
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 1


def test_refused_turnout_answers_422_and_keeps_the_entries(as_user, w, clock, db_session):
    client = as_user("to01")
    area = w.area(AREA)
    values = form_values(soup(client.get(f"/reports/{area.id}/turnout")), "form[data-offline]")
    response = client.post(f"/reports/{area.id}/turnout", data={**values, "voted": "999999"})
    page = soup(response)
    assert response.status_code == 422
    assert page.select_one("input[name=voted]")["value"] == "999999"
    assert page.select_one("input[name=client_uuid]")["value"] == values["client_uuid"]
    messages = [li.text for li in page.select("[data-error-summary] li")]
    assert messages[0].startswith("Quốc hội: ") and "lớn hơn" in messages[0]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 0


def test_per_contest_toggle_works_without_javascript(as_user, w, clock, db_session):
    client = as_user("to01")
    area = w.area(AREA)
    page = soup(client.get(f"/reports/{area.id}/turnout?per_contest=1"))
    values = form_values(page, "form[data-offline]")
    names = [n for n in values if n.startswith("contest_")]
    assert len(names) == 3 and values["per_contest"] == "1"
    response = client.post(f"/reports/{area.id}/turnout", data={**values, **{n: "300" for n in names}})
    assert response.status_code == 303
    assert db_session.scalars(sa.select(TurnoutReport)).one().per_contest


def test_no_change_is_one_tap(as_user, w, clock, db_session):
    client = as_user("to01")
    area = w.area(AREA)
    values = form_values(soup(client.get(f"/reports/{area.id}/turnout")), "form[data-offline]")
    client.post(f"/reports/{area.id}/turnout", data={**values, "voted": "420"})
    clock(vn(11, 32))
    page = soup(client.get(f"/reports/{area.id}/turnout"))
    repeat = form_values(page, "form.rep-nochange")
    assert client.post(f"/reports/{area.id}/turnout/no-change", data=repeat).status_code == 303
    latest = db_session.scalars(sa.select(TurnoutReport).order_by(TurnoutReport.id.desc())).first()
    assert latest.no_change and latest.slot_at.strftime("%H:%M") == "11:30"
    assert {f.voters_voted for f in latest.figures} == {420}


@pytest.mark.parametrize("user, status", [("hn_to01", 404), ("xa", 403), ("tongdai", 403)])
def test_only_the_areas_leader_may_send_turnout(as_user, w, clock, user, status):
    client = as_user(user)
    area = w.area(AREA)
    token = csrf_token(client, "/")
    response = client.post(f"/reports/{area.id}/turnout",
                           data={"csrf_token": token, "client_uuid": str(uuid.uuid4()), "voted": "10"})
    assert response.status_code == status


@pytest.mark.parametrize("user, status", [("hn_to01", 404), ("hn_xa", 404), ("xa", 200), ("tinh", 200),
                                          ("tongdai", 200)])
def test_who_may_look_at_a_stations_reports(as_user, w, clock, user, status):
    client = as_user(user)
    area = w.area(AREA)
    for path in (f"/reports/{area.id}/turnout", f"/reports/{area.id}", f"/reports/{area.id}/count"):
        assert client.get(path).status_code == status, path


def test_officials_cannot_open_the_count_form(as_user, w, clock, db_session):
    assert as_user("xa").get(count_url(w, db_session)).status_code == 403


# ---- count minutes ----------------------------------------------------------------------------------------------

def test_count_flow_review_read_back_send_receipt(as_user, w, clock, db_session):
    clock(vn(19, 40))
    client = as_user("to01")
    url = count_url(w, db_session)
    page = soup(client.get(url))
    assert all(i["inputmode"] == "numeric" for i in page.select("input.number"))
    values = count_form_data(db_session, w, page)
    review = client.post(url, data={**values, "step": "review"})
    assert review.status_code == 200
    readback = soup(review)
    voted = good_numbers(db_session, w.area(AREA), NA).voters_voted
    assert any(voted == int(re.sub(r"\D", "", b.text)) for b in readback.select(".rep-big"))
    assert readback.select_one(".rep-words").text.strip()
    send_form = readback.select_one("form[data-offline]")
    sent = client.post(url, data={**form_values(readback, "form[data-offline]"), "step": "send"})
    assert send_form and sent.status_code == 303
    report = db_session.scalars(sa.select(CountReport)).one()
    assert sent.headers["Location"].endswith(f"/reports/count/{report.id}")
    receipt_page = soup(client.get(sent.headers["Location"]))
    assert receipt_page.select_one(".rep-code").text.replace("-", "") == report.receipt
    # A replay of the same send (offline queue) creates nothing and lands on the same receipt.
    replay = client.post(url, data={**form_values(readback, "form[data-offline]"), "step": "send"})
    assert replay.headers["Location"] == sent.headers["Location"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CountReport)) == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.entity_type == "count_reports")) == 1


def test_a_mistake_answers_422_explains_and_keeps_every_entry(as_user, w, clock, db_session):
    clock(vn(19, 40))
    client = as_user("to01")
    url = count_url(w, db_session)
    page = soup(client.get(url))
    values = count_form_data(db_session, w, page)
    values["invalid"] = str(int(values["invalid"]) + 2)
    response = client.post(url, data={**values, "step": "review"})
    result = soup(response)
    assert response.status_code == 422
    text = result.select_one("#count-findings").text
    assert "lệch 2" in text
    for name, value in values.items():
        if name not in ("csrf_token", "signers"):
            field = result.select_one(f"[name={name}]")
            assert (field.get("value") if field.name == "input" else field.text.strip()) == value, name
    assert result.select_one("input[name=invalid]")["aria-invalid"] == "true"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CountReport)) == 0


def test_a_suspicious_difference_asks_for_an_explanation(as_user, w, clock, db_session):
    clock(vn(19, 40))
    client = as_user("to01")
    url = count_url(w, db_session)
    values = count_form_data(db_session, w, soup(client.get(url)))
    for name in ("ballots_issued", "ballots_received", "valid"):
        values[name] = str(int(values[name]) + 1)
    response = client.post(url, data={**values, "step": "review"})
    assert response.status_code == 422
    assert soup(response).select_one("textarea[name=explain_issued_ne_voted]") is not None
    values["explain_issued_ne_voted"] = "Một cử tri làm hỏng phiếu và được đổi phiếu khác"
    assert client.post(url, data={**values, "step": "review"}).status_code == 200


def test_live_check_returns_the_findings_fragment(as_user, w, clock, db_session):
    clock(vn(19, 40))
    client = as_user("to01")
    area = w.area(AREA)
    contest_id = links(db_session, area)[NA].contest_id
    values = count_form_data(db_session, w, soup(client.get(count_url(w, db_session))))
    values["valid"] = str(int(values["valid"]) - 2)
    response = client.post(f"/_/reports/{area.id}/count/{contest_id}/check", data=values,
                           headers={"HX-Request": "true", "X-CSRFToken": values["csrf_token"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" not in html
    fragment = BeautifulSoup(html, "html.parser")
    assert fragment.select_one("#count-findings")
    assert "lệch 2" in fragment.text


def test_count_page_for_htmx_is_the_fragment_and_boosted_is_the_page(as_user, w, clock, db_session):
    client = as_user("to01")
    url = count_url(w, db_session)
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="count-form"' in fragment
    page = client.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"}).get_data(as_text=True)
    assert "<html" in page


def test_a_contest_the_area_does_not_vote_in_is_not_found(as_user, w, clock, db_session):
    area = w.area(AREA)
    commune = links(db_session, area)[ContestKind.COMMUNE_COUNCIL]
    db_session.delete(commune)
    db_session.commit()
    assert as_user("to01").get(f"/reports/{area.id}/count/{commune.contest_id}").status_code == 404


def test_confirmed_minutes_cannot_be_reopened_by_the_form(as_user, w, clock, db_session):
    clock(vn(19, 40))
    client = as_user("to01")
    url = count_url(w, db_session)
    readback = soup(client.post(url, data={**count_form_data(db_session, w, soup(client.get(url))), "step": "review"}))
    client.post(url, data={**form_values(readback, "form[data-offline]"), "step": "send"})
    report = db_session.scalars(sa.select(CountReport)).one()
    report.status = ReportStatus.CONFIRMED
    db_session.commit()
    response = client.get(url)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/reports/count/{report.id}")


def test_send_answers_like_the_page_for_everyone_else(app, as_user, w, clock, db_session):
    """The read-back's "send" (what the outbox replays) builds its form from the station's kept configuration:
    another province's leader gets 404, an official 403, a contest the area does not vote in 404, a form that
    does not validate the page with its errors and every entry kept; nothing is stored meanwhile."""
    clock(vn(19, 40))
    url = count_url(w, db_session)
    leader = as_user("to01")
    values = {**count_form_data(db_session, w, soup(leader.get(url))), "step": "send"}
    missing = leader.post(url, data={**values, "witness_2": ""})
    assert missing.status_code == 422
    kept = form_values(soup(missing), "#count-entry")
    assert kept["witness_1"] == "Nguyễn Văn Chứng" and kept["voters_voted"] == values["voters_voted"]
    area = w.area(AREA)
    assert leader.post(f"/reports/{area.id}/count/999999", data=values).status_code == 404
    for username, status in (("hn_to01", 404), ("xa", 403)):
        client = app.test_client()
        login(client, username)
        assert client.post(url, data={**values, "csrf_token": csrf_token(client, "/")}).status_code == status
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CountReport)) == 0
    sent = leader.post(url, data=values)
    assert sent.status_code == 303 and db_session.scalar(sa.select(sa.func.count()).select_from(CountReport)) == 1


# ---- photo -----------------------------------------------------------------------------------------------------

def _sent_report(client, db_session, w):
    url = count_url(w, db_session)
    readback = soup(client.post(url, data={**count_form_data(db_session, w, soup(client.get(url))), "step": "review"}))
    client.post(url, data={**form_values(readback, "form[data-offline]"), "step": "send"})
    return db_session.scalars(sa.select(CountReport)).one()


def test_photo_upload_then_visible_in_scope(as_user, w, clock, db_session, uploads, client):
    clock(vn(19, 40))
    leader = as_user("to01")
    report = _sent_report(leader, db_session, w)
    page = soup(leader.get(f"/reports/count/{report.id}/photo"))
    camera = page.select_one("input[capture=environment]")
    assert camera["accept"] == "image/*" and camera["type"] == "file"
    values = form_values(page, "form[data-photo-form]")
    values.pop("photo", None)
    response = leader.post(f"/reports/count/{report.id}/photo",
                           # The camera input (unused, empty) comes first, then the gallery's picture.
                           data={**values, "photo": [(io.BytesIO(b""), ""), (io.BytesIO(jpeg_bytes()), "IMG_0001.jpg")]},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    photo = db_session.scalars(sa.select(ReportPhoto)).one()
    served = leader.get(f"/reports/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    served.close()
    leader.post("/logout", data={"csrf_token": csrf_token(leader, "/")})
    assert as_user("hn_xa").get(f"/reports/photos/{photo.id}").status_code == 404


def test_a_text_file_named_jpg_is_refused_with_422(as_user, w, clock, db_session, uploads):
    clock(vn(19, 40))
    leader = as_user("to01")
    report = _sent_report(leader, db_session, w)
    values = form_values(soup(leader.get(f"/reports/count/{report.id}/photo")), "form[data-photo-form]")
    values.pop("photo", None)
    response = leader.post(f"/reports/count/{report.id}/photo",
                           data={**values, "photo": (io.BytesIO(b"hello, not a photo" * 50), "bien-ban.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert soup(response).select_one(".error").text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReportPhoto)) == 0


def test_leader_home_links_to_the_reports(as_user, w):
    page = soup(as_user("to01").get("/"))
    area = w.area(AREA)
    hrefs = {a["href"] for a in page.select("#leader-home a")}
    assert f"/reports/{area.id}/turnout" in hrefs and f"/reports/{area.id}/count" in hrefs
