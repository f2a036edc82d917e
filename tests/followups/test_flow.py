"""Additional and repeat elections end to end (issue 17 §2): created through the API and the page, reported in
their own election, decided by their own rules and read through getUnitResult and the unit's page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.reports.helpers import vn
from tests.results.test_forms import get_pdf, text_of
from tests.results.helpers import COMMUNE, NA, put_report, unit_areas
from webapp.audit.models import AuditEntry
from webapp.elections import working
from webapp.elections.models import Election
from webapp.followups.models import FollowUpVote

UNIT = "X-26743-01"  # a commune-council unit of Bến Thành


@pytest.fixture
def clock(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 0, day=16).isoformat())


def _first_vote(db_session, w, *, voted, votes, code=UNIT, kind=COMMUNE):
    unit = w.unit(code)
    for area in unit_areas(db_session, unit):
        put_report(db_session, w, area, kind, on_list=1000, voted=voted, invalid=0, votes=votes)
    db_session.flush()
    return unit


def _in_follow_up(db_session, w, follow_up_id, *, voted, votes, kind=COMMUNE):
    """The follow-up's stations send their minutes in its election (confirmed)."""
    f = db_session.get(FollowUpVote, follow_up_id)
    with working.within(db_session, f.election_id):
        db_session.expire_all()
        for area in unit_areas(db_session, db_session.get(type(f.unit), f.own_unit_id)):
            put_report(db_session, w, area, kind, on_list=1000, voted=voted, invalid=0, votes=votes)
        db_session.flush()
    db_session.expire_all()


def _create(client, unit_id, kind, day):
    return client.post("/api/v1/follow-ups", json={"unit_id": unit_id, "kind": kind, "polling_date": day},
                       headers={"X-CSRFToken": _csrf(client)})


def _csrf(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/")


def test_a_repeat_election_through_the_api_stands_even_at_half_the_voters(as_user, db_session, w, clock):
    unit = _first_vote(db_session, w, voted=400, votes={1: 300, 2: 300, 3: 300, 4: 300})
    client = as_user("xa")
    before = client.get(f"/api/v1/results/units/{unit.id}").get_json()
    assert before["official"]["decision"]["needs_revote"] is True
    assert before["follow_ups"] == []

    # The date: after the first vote, at the latest 7 days after it.
    for day, code in (("2026-03-15", "follow_up_date_not_after"), ("2026-03-23", "follow_up_date_too_late")):
        refused = _create(client, unit.id, "lại", day)
        assert refused.status_code == 422, refused.get_data(as_text=True)
        assert refused.get_json()["errors"][0]["code"] == code
    wrong_kind = _create(client, unit.id, "thêm", "2026-03-22")
    assert wrong_kind.get_json()["errors"][0]["code"] == "follow_up_calls_for_repeat"

    created = _create(client, unit.id, "lại", "2026-03-22")
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["kind"] == "repeat" and body["polling_date"] == "2026-03-22" and body["unit_id"] == unit.id
    # No second repeat election.
    assert _create(client, unit.id, "repeat", "2026-03-21").get_json()["errors"][0]["code"] == \
        "follow_up_not_called_for"

    f = db_session.get(FollowUpVote, body["id"])
    with working.unbound(db_session):
        election = db_session.get(Election, f.election_id)
        assert not election.is_drill and election.polling_date.isoformat() == "2026-03-22"
    audited = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "follow_up_vote")).all()
    assert [a.action for a in audited] == ["create"]

    # The repeat election: every candidate, every seat, every station; turnout at half or below again.
    _in_follow_up(db_session, w, f.id, voted=500, votes={i: 400 - 10 * i for i in range(1, len(unit.candidates) + 1)})
    after = client.get(f"/api/v1/results/units/{unit.id}").get_json()
    assert after["official"]["decision"]["needs_revote"] is True  # the first vote is untouched
    [fu] = after["follow_ups"]
    result = fu["result"]
    assert result["unit"]["seats"] == unit.seats and len(result["official"]["candidates"]) == len(unit.candidates)
    decision = result["official"]["decision"]
    assert decision["valid_election"] is True and decision["needs_revote"] is False
    assert decision["turnout_met"] is False
    assert decision["needs_additional_election"] is False
    elected = [c["full_name"] for c in result["official"]["candidates"] if c["elected"]]
    assert len(elected) == unit.seats
    assert fu["short_of_members"] == 0

    page = client.get(f"/results/units/{unit.id}").get_data(as_text=True)
    assert 'id="follow-ups"' in page and 'data-kind="repeat"' in page


def test_an_additional_election_fills_the_empty_seats_and_never_repeats(as_user, db_session, w, clock):
    # 1000 voters, 800 voted: only candidate 1 has more than half of the valid ballots: 2 seats are empty.
    unit = _first_vote(db_session, w, voted=800, votes={1: 700, 2: 300, 3: 300, 4: 300})
    client = as_user("xa")
    first = client.get(f"/api/v1/results/units/{unit.id}").get_json()["official"]["decision"]
    assert first["needs_additional_election"] is True and len(first["winners"]) == 1

    # Through the page: the form, a refused date (422, the entries kept), then created (303).
    page = client.get(f"/follow-ups/units/{unit.id}")
    assert page.status_code == 200
    token = _csrf(client)
    bad = client.post(f"/follow-ups/units/{unit.id}", data={"kind": "additional", "polling_date": "2026-04-30",
                                                            "csrf_token": token})
    assert bad.status_code == 422 and "2026-04-30" in bad.get_data(as_text=True)
    ok = client.post(f"/follow-ups/units/{unit.id}", data={"kind": "additional", "polling_date": "2026-03-20",
                                                           "csrf_token": token})
    assert ok.status_code == 303, ok.get_data(as_text=True)[:3000]

    [f] = db_session.scalars(sa.select(FollowUpVote)).all()
    # Those not elected, for the empty seats; nobody reaches half: the unit stays short, no second additional.
    empty, standing = unit.seats - 1, len(unit.candidates) - 1
    _in_follow_up(db_session, w, f.id, voted=600, votes={i: 250 for i in range(1, standing + 1)})
    [fu] = client.get(f"/api/v1/results/units/{unit.id}").get_json()["follow_ups"]
    assert fu["follow_up"]["kind"] == "additional"
    assert fu["result"]["unit"]["seats"] == empty and len(fu["result"]["official"]["candidates"]) == standing
    assert unit.candidates[0].full_name not in [c["full_name"] for c in fu["result"]["official"]["candidates"]]
    decision = fu["result"]["official"]["decision"]
    assert decision["valid_election"] is True and decision["winners"] == []
    assert decision["needs_additional_election"] is False
    assert fu["short_of_members"] == empty
    assert _create(client, unit.id, "additional", "2026-03-21").get_json()["errors"][0]["code"] == \
        "follow_up_not_called_for"


def test_only_the_units_committee_creates_it(as_user, db_session, w, clock):
    unit = _first_vote(db_session, w, voted=400, votes={1: 300, 2: 300, 3: 300, 4: 300})
    client = as_user("tinh")
    assert _create(client, unit.id, "repeat", "2026-03-20").status_code == 403
    assert client.get(f"/follow-ups/units/{unit.id}").status_code == 403
    assert db_session.scalars(sa.select(FollowUpVote)).all() == []


def test_another_communes_unit_answers_404(as_user, w, clock):
    client = as_user("xa")
    other = w.unit("X-00070-01")
    assert _create(client, other.id, "repeat", "2026-03-20").status_code == 404
    assert client.get(f"/follow-ups/units/{other.id}").status_code == 404


def test_the_provinces_minutes_wait_for_a_pending_repeat_election(as_user, db_session, w, clock):
    unit = _first_vote(db_session, w, voted=400, votes={1: 300, 2: 300, 3: 300}, code="QH-79-01", kind=NA)
    province = w.province("79")
    client = as_user("tinh")
    record = client.get(f"/results/provinces/{province.id}/record?contest=na").get_data(as_text=True)
    assert "Mẫu số 20/HĐBC-QH" in record and "BÁO CÁO" not in record
    created = _create(client, unit.id, "repeat", "2026-03-22")
    assert created.status_code == 201, created.get_data(as_text=True)
    report = client.get(f"/results/provinces/{province.id}/record?contest=na").get_data(as_text=True)
    assert "BÁO CÁO" in report and "Bầu cử lại" in report and "22/03/2026" in report
    assert "Mẫu số 20/HĐBC-QH" not in report.replace("— Mẫu số 20/HĐBC-QH —", "")
    text = text_of(get_pdf(client, f"/results/provinces/{province.id}/record.pdf?contest=na"), "pending-report-na")
    assert "BÁO CÁO" in text and "không quá một nửa" in text and "Bầu cử lại" in text
    # The committee's preliminary report (Mẫu 27/HĐBC) lists the repeat election still to be held.
    text = text_of(get_pdf(client, f"/results/provinces/{province.id}/report.pdf?kind=preliminary"), "report-27-pending")
    assert "Mẫu số 27/HĐBC" in text and "Bầu cử lại" in text and "22/03/2026" in text
    # Once the repeat election's minutes are all confirmed, the minutes are drawn up.
    _in_follow_up(db_session, w, created.get_json()["id"], voted=800, votes={1: 600, 2: 500, 3: 450}, kind=NA)
    record = client.get(f"/results/provinces/{province.id}/record?contest=na").get_data(as_text=True)
    assert "BÁO CÁO" not in record


def test_a_leader_works_in_the_follow_up_and_back(as_user, db_session, w, clock):
    unit = _first_vote(db_session, w, voted=400, votes={1: 300, 2: 300, 3: 300, 4: 300})
    leader_area = w.user("to01").polling_area_id
    assert leader_area in [a.id for a in unit_areas(db_session, unit)]
    from webapp.followups import services

    f = services.create_follow_up(db_session, actor=w.user("xa"), now=vn(9, day=16), unit_id=unit.id,
                                  kind="repeat", polling_date=vn(9, day=20).date())
    db_session.flush()
    client = as_user("to01")
    home = client.get("/").get_data(as_text=True)
    assert "Bầu cử lại" in home or "/drills" in home  # the way into the follow-up vote
    listed = client.get("/drills").get_data(as_text=True)
    assert f.election.name in listed
    switched = client.post("/drills/switch", data={"election": str(f.election_id), "next": "/",
                                                   "csrf_token": _csrf(client)})
    assert switched.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert "follow-up-banner" in page and "DIỄN TẬP" not in page
    me = client.get("/api/v1/me").get_json()
    assert me["election"]["id"] == f.election_id and me["election"]["is_drill"] is False
    client.post("/drills/switch", data={"election": "real", "next": "/", "csrf_token": _csrf(client)})
    assert client.get("/api/v1/me").get_json()["election"]["code"] == "2026"


def test_an_additional_election_at_half_the_voters_is_repeated_once_from_the_first_units_page(
        as_user, db_session, w, clock):
    from webapp.elections.models import ElectoralUnit
    from webapp.followups import services

    unit = _first_vote(db_session, w, voted=800, votes={1: 700, 2: 300, 3: 300, 4: 300})
    xa = w.user("xa")
    extra = services.create_follow_up(db_session, actor=xa, now=vn(9, day=16), unit_id=unit.id, kind="additional",
                                      polling_date=vn(9, day=18).date())
    standing = len(unit.candidates) - 1
    _in_follow_up(db_session, w, extra.id, voted=500, votes={i: 400 for i in range(1, standing + 1)})
    with working.within(db_session, extra.election_id):
        own = db_session.get(ElectoralUnit, extra.own_unit_id)
        assert services.plan(db_session, xa, own).kind is None  # never created from the copy
    found = services.plan(db_session, xa, db_session.get(ElectoralUnit, unit.id))
    assert found.kind.value == "repeat" and found.follows.id == extra.id
    assert found.latest_date.isoformat() == "2026-03-25"  # 7 days after the additional election
    client = as_user("xa")
    again = _create(client, unit.id, "repeat", "2026-03-25")
    assert again.status_code == 201, again.get_data(as_text=True)
    assert again.get_json()["follows_id"] == extra.id
    [_, fu] = client.get(f"/api/v1/results/units/{unit.id}").get_json()["follow_ups"]
    assert len(fu["result"]["official"]["candidates"]) == standing and fu["result"]["unit"]["seats"] == unit.seats - 1
