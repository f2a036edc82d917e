"""Turnout report times per province: the national default, a province's own set overriding it, validation."""

from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.conftest import csrf_token, login
from webapp.audit.models import AuditEntry
from webapp.elections import services as elections
from webapp.elections.models import ReportTime
from webapp.settings import services


def _times(db_session, province_id):
    election = elections.current_election(db_session)
    return [(r.at, r.grace_minutes) for r in elections.report_times(db_session, election, province_id)]


def _post(client, path, rows):
    data = {"csrf_token": csrf_token(client, path)}
    for i, (at, grace) in enumerate(rows):
        data[f"rows-{i}-at"], data[f"rows-{i}-grace"] = at, grace
    return client.post(path, data=data)


def test_a_province_goes_to_its_own_times(as_user, w):
    client = as_user("tinh")
    response = client.get("/settings/report-times")
    hcmc = w.province("79")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/settings/report-times/{hcmc.id}"
    )
    soup = BeautifulSoup(
        client.get(f"/settings/report-times/{hcmc.id}").get_data(as_text=True), "html.parser"
    )
    values = [i["value"] for i in soup.select('#report-times input[type="time"]') if i.get("value")]
    assert values == ["09:00", "11:30", "15:00", "19:00"]
    assert len(soup.select('#report-times input[type="time"]')) == 6  # two blank rows to add times
    assert "Dùng giờ chung toàn quốc" in soup.get_text()


def test_a_province_without_its_own_times_starts_from_the_national_default(as_user, w):
    client = as_user("hn_tinh")
    page = client.get(f"/settings/report-times/{w.province('01').id}").get_data(as_text=True)
    assert "đang dùng giờ chung toàn quốc" in page
    soup = BeautifulSoup(page, "html.parser")
    assert [i["value"] for i in soup.select('input[type="time"]') if i.get("value")] == [
        "09:00",
        "11:00",
        "14:00",
        "17:00",
        "19:00",
    ]


def test_saving_replaces_the_provinces_set_sorted(as_user, db_session, w):
    client = as_user("tinh")
    hcmc, hanoi = w.province("79"), w.province("01")
    path = f"/settings/report-times/{hcmc.id}"
    national = _times(db_session, None)
    response = _post(
        client, path, [("13:00", "20"), ("08:00", ""), ("", ""), ("11:30", "15"), ("21:00", "0")]
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    db_session.expire_all()
    assert _times(db_session, hcmc.id) == [(time(8), 15), (time(11, 30), 15), (time(13), 20), (time(21), 0)]
    assert _times(db_session, hanoi.id) == national == _times(db_session, None)
    assert "Đã lưu giờ báo cáo" in client.get(path).get_data(as_text=True)


def test_only_what_changed_is_written_and_audited(as_user, db_session, w):
    client = as_user("tinh")
    hcmc = w.province("79")
    kept = db_session.scalars(
        sa.select(ReportTime).where(ReportTime.province_id == hcmc.id, ReportTime.at == time(11, 30))
    ).one()
    last = db_session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    _post(
        client,
        f"/settings/report-times/{hcmc.id}",
        [("09:00", "15"), ("11:30", "30"), ("15:00", "15"), ("20:00", "15")],
    )
    entries = db_session.scalars(
        sa.select(AuditEntry).where(AuditEntry.id > last, AuditEntry.entity_type == "report_times")
    ).all()
    assert sorted(e.action for e in entries) == ["create", "delete", "update"]
    assert {e.actor_username for e in entries} == {"tinh"} and {e.province_id for e in entries} == {hcmc.id}
    db_session.expire_all()
    assert db_session.get(ReportTime, kept.id).grace_minutes == 30


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("04:30", "15"), ("09:00", "15")], "từ 05:00 đến 21:00"),
        ([("21:01", "15")], "từ 05:00 đến 21:00"),
        ([("09:00", "15"), ("9:00", "10")], "Giờ này đã có trong danh sách"),
        ([("", ""), ("", "")], "Cần ít nhất một mốc giờ báo cáo"),
        ([("9 giờ", "15")], "GG:PP"),
        ([("25:00", "15")], "GG:PP"),
        ([("09:00", "300")], "từ 0 đến 240 phút"),
        ([("09:00", "-5")], "số nguyên"),
    ],
)
def test_invalid_times_answer_422_with_the_entries_kept(as_user, db_session, w, rows, message):
    client = as_user("tinh")
    hcmc = w.province("79")
    before = _times(db_session, hcmc.id)
    response = _post(client, f"/settings/report-times/{hcmc.id}", rows)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    soup = BeautifulSoup(page, "html.parser")
    for i, (at, grace) in enumerate(rows):
        assert soup.select_one(f"#rows-{i}-at").get("value", "") == at
        assert soup.select_one(f"#rows-{i}-grace").get("value", "") == grace
    db_session.expire_all()
    assert _times(db_session, hcmc.id) == before


def test_the_admin_edits_the_national_default_which_provinces_without_their_own_follow(
    as_user, db_session, w
):
    client = as_user("quantri")
    page = client.get("/settings/report-times").get_data(as_text=True)
    assert "Giờ chung toàn quốc" in page and "Hà Nội" in page  # with the list of provinces
    assert _post(client, "/settings/report-times", [("10:00", "15"), ("16:00", "15")]).status_code == 303
    db_session.expire_all()
    assert _times(db_session, None) == [(time(10), 15), (time(16), 15)]
    assert _times(db_session, w.province("01").id) == [(time(10), 15), (time(16), 15)]  # Hà Nội: no own times
    assert _times(db_session, w.province("79").id)[1] == (time(11, 30), 15)  # HCMC keeps its own


def test_a_province_goes_back_to_the_national_default(as_user, db_session, w):
    client = as_user("tinh")
    hcmc = w.province("79")
    response = client.post(
        f"/settings/report-times/{hcmc.id}/default", data={"csrf_token": csrf_token(client, "/accounts/")}
    )
    assert response.status_code == 303
    db_session.expire_all()
    assert _times(db_session, hcmc.id) == _times(db_session, None)


def test_the_admin_edits_any_province(as_user, db_session, w):
    client = as_user("quantri")
    hanoi = w.province("01")
    assert (
        _post(client, f"/settings/report-times/{hanoi.id}", [("11:30", "15"), ("15:00", "15")]).status_code
        == 303
    )
    db_session.expire_all()
    assert _times(db_session, hanoi.id) == [(time(11, 30), 15), (time(15), 15)]


def test_another_provinces_times_answer_404(as_user, w):
    client = as_user("tinh")
    hanoi = w.province("01")
    token = csrf_token(client, "/accounts/")
    assert client.get(f"/settings/report-times/{hanoi.id}").status_code == 404
    assert client.post(f"/settings/report-times/{hanoi.id}", data={"csrf_token": token}).status_code == 404
    assert (
        client.post(f"/settings/report-times/{hanoi.id}/default", data={"csrf_token": token}).status_code
        == 404
    )


def test_the_service_refuses_what_the_role_may_not_do(db_session, w):
    election = elections.current_election(db_session)
    slot = [(0, services.TimeSlot(time(9)))]
    with pytest.raises(services.NotAllowed):
        services.replace_report_times(
            db_session, actor=w.user("tinh"), election=election, province_id=None, slots=slot
        )
    with pytest.raises(services.NotAllowed):
        services.replace_report_times(
            db_session, actor=w.user("tinh"), election=election, province_id=w.province("01").id, slots=slot
        )
    with pytest.raises(services.NotAllowed):
        services.use_national_default(
            db_session, actor=w.user("xa"), election=election, province_id=w.province("79").id
        )


def test_the_leader_home_follows_the_override(app, as_user, db_session, w):
    client = as_user("tinh")
    _post(client, f"/settings/report-times/{w.province('79').id}", [("10:15", "15")])
    leader = app.test_client()
    login(leader, "to01")
    home = leader.get("/").get_data(as_text=True)
    assert "10:15" in home and "11:30" not in home
