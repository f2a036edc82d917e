"""The voter reports' pages, exports and prints over HTTP: who may see what, the audit of every print of personal
data, the PDFs' text (kept under test-artifacts/results to look at), and the cards handed out on a phone."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import sqlalchemy as sa

from tests.conftest import csrf_token, login
from tests.results.test_forms import text_of  # the PDFs are kept under test-artifacts/results
from tests.voter_reports.conftest import A, B, POSTED
from webapp.audit.models import AuditEntry
from webapp.elections.models import Gender
from webapp.voters.models import VoterChangeCause, VoterNote


def prints(db_session) -> list[AuditEntry]:
    return list(db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "print_voters")
                                   .order_by(AuditEntry.id)).all())


def test_the_change_report_page_xlsx_and_pdf(db_session, w, lists, as_user):
    lists.add(A, born=date(2008, 1, 1), gender=Gender.FEMALE)
    gone = lists.add(A, removed=POSTED + timedelta(days=3))
    lists.change(gone, VoterChangeCause.MOVED_AWAY, POSTED + timedelta(days=3))
    lists.add(B)
    commune = w.user("xa").commune_id
    client = as_user("xa")
    query = "?at=2026-02-03T17:00&at=2026-02-10T17:00"
    page = client.get(f"/voters/changes/communes/{commune}{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "KVBP số 1" in html and "-1" in html  # the area lost a voter between the two times

    book = client.get(f"/voters/changes/communes/{commune}.xlsx{query}")
    assert book.status_code == 200 and book.headers["Cache-Control"] == "private, no-store"
    sheets = openpyxl.load_workbook(io.BytesIO(book.data)).worksheets
    assert len(sheets) == 3  # two times asked for, and now
    first = [row for row in sheets[0].iter_rows(values_only=True) if row[0] == A][0]
    assert first[2:5] == (2, 1, 1)  # NA: total, male, female
    second = [row for row in sheets[1].iter_rows(values_only=True) if row[0] == A][0]
    assert second[2] == 1 and second[13] == -1

    pdf = client.get(f"/voters/changes/communes/{commune}.pdf{query}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = text_of(pdf.data, "bien-dong-cu-tri")
    assert "BÁO CÁO BIẾN ĐỘNG CỬ TRI" in text and "Chuyển đi" in text  # the cause of the change
    assert "In bởi xa" in text


def test_a_wrong_snapshot_time_is_shown_not_a_500(w, as_user):
    client = as_user("xa")
    page = client.get(f"/voters/changes/communes/{w.user('xa').commune_id}?at=2026-13-45")
    assert page.status_code == 200 and "2026-13-45" in page.get_data(as_text=True)


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def test_who_sees_the_reports(app, w, as_user):
    area, other_area, commune = w.area(A), w.area(B), w.user("xa").commune_id
    leader = as_user("to01")
    assert leader.get(f"/voters/changes/areas/{area.id}").status_code == 200
    assert leader.get(f"/voters/changes/areas/{other_area.id}").status_code == 404
    assert leader.get(f"/voters/changes/communes/{commune}").status_code == 403
    assert leader.get(f"/voters/progress/communes/{commune}").status_code == 403
    hotline = signed_in(app, "tongdai")
    for url in (f"/voters/changes/areas/{area.id}", f"/voters/progress/communes/{commune}",
                f"/voters/areas/{area.id}/list.pdf", f"/voters/areas/{area.id}/cards"):
        assert hotline.get(url).status_code == 403, url
    outsider = signed_in(app, "hn_xa")
    assert outsider.get(f"/voters/progress/communes/{commune}").status_code == 404
    assert outsider.get(f"/voters/areas/{area.id}/list.pdf").status_code == 404


def test_the_progress_page_and_workbook(w, lists, as_user):
    lists.add(A)
    client = as_user("tinh")
    province = w.user("tinh").province_id
    page = client.get(f"/voters/progress/provinces/{province}")
    assert page.status_code == 200 and "Bến Thành" in page.get_data(as_text=True)
    book = client.get(f"/voters/progress/provinces/{province}.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(book.data)).active.iter_rows(values_only=True))
    total = rows[-1]
    assert total[3] == 1 and total[4] == total[2] == sum(row[2] for row in rows[1:-1])  # one list in, of every area


def test_the_list_for_posting_is_grouped_by_household_with_its_totals_and_audited(db_session, w, lists, as_user):
    lists.add(A, name="Trần Văn Hùng", household="h1", gender=Gender.MALE)
    lists.add(A, name="Lê Thị Mai", household="h1", gender=Gender.FEMALE, ballots=(True, True, False),
              note_code=VoterNote.TEMPORARY_RESIDENT, note="Tạm trú từ 01/12/2025", temporary_since=date(2025, 12, 1))
    lists.add(A, name="Phạm Văn Nam", household="h2", removed=POSTED + timedelta(days=2))
    area = w.area(A)
    client = as_user("xa")
    response = client.get(f"/voters/areas/{area.id}/list.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.data, "mau-31")
    assert "DANH SÁCH CỬ TRI" in text and "Mẫu số 31/HĐBC" in text
    assert "Tổng số cử tri của khu vực bỏ phiếu là 2 người; trong đó có 1 Nam; 1 Nữ" in text
    assert "Đã xóa tên" in text and "079000000001" not in text  # the ID number is masked on a posted list
    entry = prints(db_session)[-1]
    assert (entry.actor_username, entry.polling_area_id, entry.after["rows"], entry.after["form"]) == \
        ("xa", area.id, 3, "31/HĐBC")


def test_the_card_and_the_certificate(app, db_session, w, lists, as_user):
    home = lists.add(A, name="Võ Thị Lan", gender=Gender.FEMALE, note_code=VoterNote.VOTES_ELSEWHERE)
    plain = lists.add(A, name="Đặng Văn Sơn")
    lists.change(home, VoterChangeCause.CERTIFICATE_GIVEN, POSTED + timedelta(days=20), certificate_number="12/GCN")
    client = as_user("xa")
    card = client.get(f"/voters/entries/{plain.id}/card.pdf")
    assert card.status_code == 200
    text = text_of(card.data, "mau-10")
    assert "THẺ CỬ TRI" in text and "ĐẶNG VĂN SƠN" in text and "Số thẻ cử tri: 2" in text
    certificate = client.get(f"/voters/entries/{home.id}/certificate.pdf")
    assert certificate.status_code == 200
    text = text_of(certificate.data, "mau-11")
    assert "GIẤY CHỨNG NHẬN" in text and "Võ Thị Lan" in text and "12/GCN" in text
    assert client.get(f"/voters/entries/{plain.id}/certificate.pdf").status_code == 404
    assert [e.after["form"] for e in prints(db_session)[-2:]] == ["10/HĐBC", "11/HĐBC"]
    assert signed_in(app, "to01").get(f"/voters/entries/{plain.id}/card.pdf").status_code == 403


def test_the_commune_lists_in_one_file_made_in_the_background(db_session, w, lists, as_user, app, tmp_path,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "RESULTS_EXPORT_DIR", str(tmp_path))
    for _ in range(3):
        lists.add(A)
    lists.add(B)
    commune = w.user("xa").commune_id
    client = as_user("xa")
    assert "2" in client.get(f"/voters/communes/{commune}/lists").get_data(as_text=True)
    token = csrf_token(client, f"/voters/communes/{commune}/lists")
    assert client.post(f"/voters/communes/{commune}/lists", data={"csrf_token": token}).status_code == 303
    with client.get(f"/voters/communes/{commune}/lists.pdf") as download:
        assert download.status_code == 200 and download.data[:5] == b"%PDF-"
        text = text_of(download.data, "mau-31-commune")
    assert text.count("DANH SÁCH CỬ TRI") == 2
    assert prints(db_session)[-1].after["rows"] == 4


def test_the_team_marks_cards_handed_out_one_tap_each(app, db_session, w, lists, as_user):
    first = lists.add(A)
    lists.add(A), lists.add(A)
    area = w.area(A)
    client = as_user("to01")
    url = f"/voters/areas/{area.id}/cards"
    page = client.get(url).get_data(as_text=True)
    assert "0</strong> / 3" in page and 'value="1"' in page
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, "stt": "1", "handed_out": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{url}?after=1")
    db_session.refresh(first)
    assert first.card_handed_out_at is not None and first.card_handed_out_by_id == w.user("to01").id
    page = client.get(f"{url}?after=1").get_data(as_text=True)
    assert "1</strong> / 3" in page and '<input type="hidden" name="stt" value="2">' in page  # the next card
    entries = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "voter_list_entries",
                                                             AuditEntry.action == "update")).all()
    assert [(e.actor_username, e.entity_id) for e in entries] == [("to01", str(first.id))]
    # A wrong number is refused with the entries kept; undo clears the mark.
    assert client.post(url, data={"csrf_token": token, "stt": "99"}).status_code == 422
    assert client.post(url, data={"csrf_token": token, "stt": "1", "handed_out": "0"}).status_code == 303
    db_session.refresh(first)
    assert first.card_handed_out_at is None
    assert signed_in(app, "hn_to01").get(url).status_code == 404
