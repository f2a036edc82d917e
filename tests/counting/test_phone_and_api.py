"""Count progress by phone (the hotline marks a station's count when its leader calls in: channel phone, audited)
and as an API operation (x / N teams finished per Ban, commune and province, with the ballots in each state)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from tests.counting.test_count_progress import _mark
from tests.results.helpers import NA, RECEIVED, put_report
from tests.test_scope_sweep import lasting_sessions, sign_in  # noqa: F401 (autouse)
from webapp.audit.models import AuditEntry
from webapp.clock import VN_TZ
from webapp.counting.models import CountMark, Mark


def _post(client, url, token, contest_id, mark, client_uuid=None):
    return client.post(url, data={"csrf_token": token, "contest_id": contest_id, "mark": mark,
                                  "client_uuid": str(client_uuid or uuid.uuid4())})


def test_the_hotline_marks_a_stations_count_by_phone(app, client, db_session, w):
    area = w.user("to01").polling_area
    na = next(link.contest_id for link in area.unit_links if link.contest.kind is NA)
    url = f"/hotline/stations/{area.id}/count-progress"
    token = sign_in(client, "tongdai")
    try:
        app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T18:30"
        assert _post(client, url, token, na, "counting").status_code == 422  # no count before 19:00
        app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T20:10"
        page = client.get(url)
        assert page.status_code == 200
        assert f'action="{url}"' in page.get_data(as_text=True)
        assert "data-offline" not in page.get_data(as_text=True)  # the hotline is online: no outbox
        same = uuid.uuid4()
        sent = _post(client, url, token, na, "counted", same)
        assert sent.status_code == 303 and sent.headers["Location"].endswith(url)
        assert _post(client, url, token, na, "counted", same).status_code == 303  # a double tap: one mark
        assert _post(client, url, token, na, "bogus").status_code == 422
        marks = db_session.scalars(sa.select(CountMark).where(CountMark.polling_area_id == area.id)).all()
        assert [(m.mark, m.channel.value, m.marked_by_id) for m in marks] == [
            (Mark.COUNTED, "phone", w.user("tongdai").id)]
        audited = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "count_marks")).all()
        assert [(e.after["mark"], e.channel.value, e.actor_username) for e in audited] == [
            ("counted", "phone", "tongdai")]
        station = client.get(f"/hotline/stations/{area.id}").get_data(as_text=True)
        assert f'href="{url}"' in station
        assert "counted" in client.get(url).get_data(as_text=True) or "kiểm xong" in client.get(url).get_data(
            as_text=True).lower()
    finally:
        app.config.pop("REPORTING_CLOCK_OVERRIDE", None)


def test_the_hotline_of_another_province_and_other_roles_may_not_mark(app, client, db_session, w):
    area = w.user("to01").polling_area
    url = f"/hotline/stations/{area.id}/count-progress"
    sign_in(client, "hn_tongdai")
    assert client.get(url).status_code == 404  # another province's station
    sign_in(client, "xa")
    assert client.get(url).status_code == 403  # the hotline's page only


def _api(client, path):
    return client.get(path, headers={"Accept": "application/json"})


def test_the_api_gives_x_of_n_teams_finished_with_the_states(app, client, db_session, w):
    """Worked example: one team of the commune counted every ballot but sent only its NA minutes; the API says what
    the page says."""
    area = w.user("to01").polling_area
    na = next(link for link in area.unit_links if link.contest.kind is NA)
    for link in area.unit_links:
        if link.contest_id != na.contest_id:
            _mark(db_session, area, link.contest_id, Mark.SIGNED, datetime(2026, 3, 15, 20, 50, tzinfo=VN_TZ))
    report = put_report(db_session, w, area, NA, status=RECEIVED)
    report.submitted_at = datetime(2026, 3, 15, 21, 40, tzinfo=VN_TZ)
    db_session.commit()
    xa = w.user("xa")
    try:
        app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T23:30"
        sign_in(client, "xa")
        answer = _api(client, f"/api/v1/progress/count/communes/{xa.commune_id}")
        assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
        body = answer.json
        page = client.get(f"/count-progress/communes/{xa.commune_id}").get_data(as_text=True)
        total = body["total"]
        assert f"{total['finished']} / {total['teams']}" in page
        assert total["summary"]["vi"] == f"{total['finished']} / {total['teams']} tổ hoàn thành"
        assert total["finished"] >= 1 and total["teams"] >= total["finished"]
        assert total["ballots_by_state"]["sent"] == 1 and total["ballots_by_state"]["signed"] == len(
            area.unit_links) - 1
        assert sum(total["ballots_by_state"].values()) == sum(u["teams"] for u in body["units"])
        unit = next(u for u in body["units"] if u["unit"]["id"] == na.unit_id)
        assert unit["contest"] == "na" and unit["ballots_by_state"]["sent"] == 1
        assert [c["code"] for c in body["communes"]] == [w.area("26743-01").commune.code]
        assert all(s["polling_area"]["code"] != area.code for s in body["still_counting"])
        earlier = _api(client, f"/api/v1/progress/count/communes/{xa.commune_id}?at=2026-03-15T20:00").json
        assert earlier["total"]["ballots_by_state"]["sent"] == 0 and earlier["at"].startswith("2026-03-15T20:00")
        assert [t[11:16] for t in body["times"]] == ["20:00", "21:00", "22:00", "23:00"]
    finally:
        app.config.pop("REPORTING_CLOCK_OVERRIDE", None)


def test_the_api_is_scoped_like_the_pages(app, client, db_session, w):
    xa, other = w.user("xa"), w.user("hn_xa")
    sign_in(client, "xa")
    assert _api(client, f"/api/v1/progress/count/communes/{other.commune_id}").status_code == 404
    assert _api(client, f"/api/v1/progress/count/provinces/{xa.province_id}").status_code == 403
    sign_in(client, "tinh")
    assert _api(client, f"/api/v1/progress/count/provinces/{xa.province_id}").status_code == 200
    assert _api(client, f"/api/v1/progress/count/provinces/{other.province_id}").status_code == 404
    sign_in(client, "to01")
    assert _api(client, f"/api/v1/progress/count/communes/{xa.commune_id}").status_code == 403
    spec = client.get("/api/openapi.json").json
    assert {"getProvinceCountProgress", "getCommuneCountProgress"} <= {
        op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op}
