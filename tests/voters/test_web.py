"""The voter-list pages and API operations: import, read, totals, change, freeze; scope and roles."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tests.voters import helpers
from tests.world import NOW
from webapp.api import tokens
from webapp.audit.models import AuditEntry
from webapp.elections.models import ContestKind, VoterCountSource
from webapp.elections.services import latest_voter_counts
from webapp.voters.models import VoterListEntry


@pytest.fixture
def bearer(db_session, w):  # type: ignore[no-untyped-def]
    def issue(username: str) -> dict[str, str]:
        issued = tokens.issue_token(db_session, actor=w.user(username), name="tests", ttl=None, now=NOW)
        db_session.flush()
        return {"Authorization": f"Bearer {issued.secret}"}
    return issue


@pytest.fixture
def before_the_day(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", "2026-03-10T09:00")


def _import(client, headers, area_id, data=None, name="ds.xlsx"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/voter-lists/import", headers=headers,
                       data={"area_id": str(area_id), "file": (io.BytesIO(data or helpers.xlsx()), name)},
                       content_type="multipart/form-data")


def test_the_api_imports_reads_changes_and_freezes(client, db_session, w, bearer, before_the_day, app, monkeypatch):
    xa = bearer("xa")
    area = w.area("26743-01")
    response = _import(client, xa, area.id)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 3
    assert _import(client, xa, area.id).get_json()["unchanged"] == 3
    bad = _import(client, xa, area.id, helpers.xlsx([helpers.voter(9, "Trẻ", "01/01/2010", True, "079210009999")]))
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["code"] == "voter_row"
    assert "18" in bad.get_json()["errors"][0]["message"]["vi"]

    page = client.get(f"/api/v1/polling-areas/{area.id}/voters?q=binh", headers=xa).get_json()
    assert [v["stt"] for v in page["voters"]] == [2] and page["voters"][0]["id_number"] == "079308002222"
    leader = client.get(f"/api/v1/polling-areas/{area.id}/voters", headers=bearer("to01")).get_json()
    assert leader["voters"][0]["id_number"].endswith("1111") and "0790" not in leader["voters"][0]["id_number"]
    totals = client.get(f"/api/v1/polling-areas/{area.id}/voter-totals", headers=xa).get_json()
    assert totals["totals"]["na"] == {"total": 3, "male": 2, "female": 1} and totals["frozen_at"] is None

    entry_id = page["voters"][0]["id"]
    change = client.post(f"/api/v1/polling-areas/{area.id}/voter-changes", headers=xa,
                         json={"cause": "death", "document": "Giấy báo tử số 7", "entry_id": entry_id})
    assert change.status_code == 201, change.get_json()
    added = client.post(f"/api/v1/polling-areas/{area.id}/voter-changes", headers=xa, json={
        "cause": "moved_in", "document": "Xác nhận cư trú", "voter": {
            "full_name": "Phạm Thị Dung", "birth_date": "1985-05-05", "gender": "female",
            "id_number": "079185004444"}})
    assert added.status_code == 201 and added.get_json()["changes"][0]["entry"]["stt"] == 4
    refused = client.post(f"/api/v1/polling-areas/{area.id}/voter-changes", headers=xa, json={
        "cause": "moved_in", "document": "x", "voter": {"full_name": "Trùng", "birth_date": "1985-05-05",
                                                         "gender": "male", "id_number": "079060001111"}})
    assert refused.status_code == 422 and "listed once" in refused.get_json()["errors"][0]["message"]["en"]
    assert client.post("/api/v1/voter-lists/freeze", headers=xa, json={"area_ids": [area.id]}).status_code == 409
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", "2026-03-15T07:00")
    frozen = client.post("/api/v1/voter-lists/freeze", headers=xa, json={"area_ids": [area.id]})
    assert frozen.status_code == 200 and frozen.get_json()["frozen"] == [area.id]
    na = w.contest(ContestKind.NATIONAL_ASSEMBLY)
    latest = latest_voter_counts(db_session, [area.id])[(area.id, na.id)]
    assert (latest.source, latest.total) == (VoterCountSource.LIST_FROZEN, 3)
    late = client.post(f"/api/v1/polling-areas/{area.id}/voter-changes", headers=xa,
                       json={"cause": "death", "document": "x", "entry_id": page["voters"][0]["id"] + 1})
    assert late.status_code == 422


def test_scope_and_roles_of_the_api(client, db_session, w, bearer, before_the_day):
    area = w.area("26743-01")
    assert _import(client, bearer("xa"), area.id).status_code == 200
    other = w.area("00070-01")
    assert client.get(f"/api/v1/polling-areas/{other.id}/voters", headers=bearer("xa")).status_code == 404
    assert client.get(f"/api/v1/polling-areas/{w.area('26743-02').id}/voters",
                      headers=bearer("to01")).status_code == 404
    assert client.get(f"/api/v1/polling-areas/{area.id}/voters", headers=bearer("tongdai")).status_code == 403
    assert _import(client, bearer("hn_xa"), area.id).status_code == 404
    assert _import(client, bearer("to01"), area.id).status_code == 403


def test_the_pages(client, db_session, w, as_user, before_the_day):
    as_user("xa")
    commune = w.commune("26743")
    page = client.get(f"/voters/communes/{commune.id}")
    assert page.status_code == 200 and "26743-01" in page.get_data(as_text=True)
    from tests.conftest import csrf_token
    token = csrf_token(client, f"/voters/communes/{commune.id}")
    data = helpers.xlsx([[1, 1, *helpers.voter(1, "Nguyễn Văn An", "01/02/1960", True, "079060001111")[1:]]],
                        header=(["KVBP", *helpers.HEAD_1], [None, *helpers.HEAD_2]))
    done = client.post(f"/voters/communes/{commune.id}/import", data={"csrf_token": token,
                       "file": (io.BytesIO(data), "xa.xlsx")}, content_type="multipart/form-data")
    assert done.status_code == 303, done.get_data(as_text=True)[-3000:]
    area = w.area("26743-01")
    listing = client.get(f"/voters/areas/{area.id}?q=an")
    assert listing.status_code == 200 and "Nguyễn Văn An" in listing.get_data(as_text=True)
    entry = db_session.scalars(sa.select(VoterListEntry)).one()
    form = client.get(f"/voters/entries/{entry.id}/remove")
    assert form.status_code == 200
    refused = client.post(f"/voters/entries/{entry.id}/remove", data={"csrf_token": token, "cause": "death",
                                                                     "document": ""})
    assert refused.status_code == 422
    done = client.post(f"/voters/entries/{entry.id}/remove", data={"csrf_token": token, "cause": "death",
                                                                  "document": "Giấy báo tử 1"})
    assert done.status_code == 303
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "search_voters")) == 1


def test_the_api_imports_a_large_commune_file_by_the_pages_background_job(client, db_session, w, bearer, app,
                                                                          monkeypatch, before_the_day):
    monkeypatch.setitem(app.config, "VOTER_IMPORT_INLINE_BYTES", 0)
    xa = bearer("xa")
    commune = w.commune("26743")
    rows = [[n, *helpers.voter(n, f"Cử Tri {n}", "01/02/1960", n % 2 == 0, f"07906000{n:04d}")] for n in (1, 2)]
    data = helpers.xlsx(rows, header=(["KVBP", *helpers.HEAD_1], [None, *helpers.HEAD_2]))
    answer = client.post("/api/v1/voter-lists/import", headers=xa, content_type="multipart/form-data",
                         data={"commune_id": str(commune.id), "file": (io.BytesIO(data), "xa.xlsx")})
    assert answer.status_code == 202, answer.get_json()
    job = client.get(answer.headers["Location"], headers=xa).get_json()
    assert (job["kind"], job["dataset"], job["state"], job["errors"]) == ("import", "voter_list", "done", [])
    assert db_session.scalar(sa.select(sa.func.count()).select_from(VoterListEntry)) == 2
    # Another commune's id answers 404 and queues nothing.
    other = client.post("/api/v1/voter-lists/import", headers=bearer("xa"), content_type="multipart/form-data",
                        data={"commune_id": str(w.commune("26740").id), "file": (io.BytesIO(data), "xa.xlsx")})
    assert other.status_code == 404


def test_a_commune_file_above_the_inline_size_is_imported_by_a_background_job(client, db_session, w, as_user, app,
                                                                               monkeypatch, before_the_day):
    monkeypatch.setitem(app.config, "VOTER_IMPORT_INLINE_BYTES", 0)
    as_user("xa")
    commune = w.commune("26743")
    from tests.conftest import csrf_token
    token = csrf_token(client, f"/voters/communes/{commune.id}")
    rows = [[n, *helpers.voter(n, f"Cử Tri {n}", "01/02/1960", n % 2 == 0, f"07906000{n:04d}")] for n in (1, 2)]
    data = helpers.xlsx(rows, header=(["KVBP", *helpers.HEAD_1], [None, *helpers.HEAD_2]))
    started = client.post(f"/voters/communes/{commune.id}/import", data={"csrf_token": token,
                          "file": (io.BytesIO(data), "xa.xlsx")}, content_type="multipart/form-data")
    assert started.status_code == 303 and "/jobs/" in started.headers["Location"]
    page = client.get(started.headers["Location"])
    assert page.status_code == 200 and "Danh sách cử tri" in page.get_data(as_text=True)
    stored = db_session.scalars(sa.select(VoterListEntry).order_by(VoterListEntry.polling_area_id)).all()
    assert [(e.polling_area.code, e.stt) for e in stored] == [("26743-01", 1), ("26743-02", 2)]
    bad = helpers.xlsx([[99, *helpers.voter(3, "Sai KVBP", "01/02/1960", True, "079060009999")]],
                       header=(["KVBP", *helpers.HEAD_1], [None, *helpers.HEAD_2]))
    refused = client.post(f"/voters/communes/{commune.id}/import", data={"csrf_token": token,
                          "file": (io.BytesIO(bad), "xa.xlsx")}, content_type="multipart/form-data")
    text = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Xã không có khu vực bỏ phiếu số 99" in text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(VoterListEntry)) == 2


def test_the_leaders_minutes_start_from_the_frozen_list(client, db_session, w, as_user, app, monkeypatch):
    from datetime import UTC, datetime

    from webapp.audit.models import Channel
    from webapp.audit.services import Actor
    from webapp.elections.services import current_election
    from webapp.voters import changes, imports

    area = w.area("26743-01")
    election = current_election(db_session)
    imports.import_voter_list(db_session, actor=Actor(w.user("xa"), Channel.WEB), election=election,
                              filename="a.xlsx", data=helpers.xlsx(), now=NOW, max_bytes=10**7, area_id=area.id)
    changes.freeze(db_session, Actor(w.user("xa"), Channel.WEB), datetime(2026, 3, 15, 0, 0, tzinfo=UTC),
                    election, [area.id])
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", "2026-03-15T20:00")
    as_user("to01")
    xa = w.contest(ContestKind.COMMUNE_COUNCIL)
    html = client.get(f"/reports/{area.id}/count/{xa.id}").get_data(as_text=True)
    import re
    field = re.search(r'<input[^>]*name="voters_on_list"[^>]*>', html)
    assert field and 'value="2"' in field.group(0), field  # three voters, one a recent temporary resident
    assert 'data-check-frozen-voters="2"' in html  # the phone checks the typed figure against it
    # The server's checks, on the page (review) and on sending (the state read before writing), use it too.
    import uuid

    from webapp.reports import count_state, counts
    assert count_state.read_state(db_session.connection(), area.id, xa.id, uuid.uuid4()).frozen_voters == 2
    base = counts.review_count(db_session, user=w.user("to01"), area_id=area.id, contest_id=xa.id, numbers=None,
                               now=NOW)
    numbers = counts.CountInput(voters_on_list=5, voters_voted=1, ballots_issued=1, ballots_received=1, valid=1,
                                invalid=0, votes={c.id: 0 for c in base.candidates})
    review = counts.review_count(db_session, user=w.user("to01"), area_id=area.id, contest_id=xa.id, numbers=numbers,
                                 now=NOW)
    assert [(f.code, dict(f.params)) for f in review.to_explain if f.code == "on_list_ne_frozen"] == [
        ("on_list_ne_frozen", {"on_list": 5, "frozen": 2, "diff": 3})]


def test_the_addition_form(client, db_session, w, as_user, before_the_day):
    as_user("xa")
    area = w.area("26743-01")
    assert client.get(f"/voters/areas/{area.id}/add").status_code == 200
    from tests.conftest import csrf_token
    token = csrf_token(client, f"/voters/areas/{area.id}/add")
    data = {"csrf_token": token, "cause": "moved_in", "document": "Xác nhận thường trú 4", "full_name": "Đỗ Văn Em",
            "birth_date": "1990-04-04", "gender": "male", "id_number": "079090007777", "ethnicity": "Kinh",
            "permanent_address": "3 Lê Lợi"}
    young = client.post(f"/voters/areas/{area.id}/add", data={**data, "birth_date": "2010-01-01"})
    assert young.status_code == 422 and "Chưa đủ 18 tuổi" in young.get_data(as_text=True)
    assert "Đỗ Văn Em" in young.get_data(as_text=True)  # the entries are kept
    added = client.post(f"/voters/areas/{area.id}/add", data=data)
    assert added.status_code == 303
    entry = db_session.scalars(sa.select(VoterListEntry)).one()
    assert (entry.stt, entry.added_after_posting, entry.votes_commune) == (1, True, True)
