"""The leaders' page and its activation slips: printed once, usable once, replaced by a reset."""

from __future__ import annotations

import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.accounts import pdftext
from tests.conftest import csrf_token, login
from webapp.accounts import slips
from webapp.accounts.models import Role, User
from webapp.accounts.services import IssuedCode
from webapp.audit.models import AuditEntry

COMMUNE = "26743"  # Phường Bến Thành: 12 polling areas, only 26743-01 has an account (to01)


def _print_sheet(client, commune_id=None):
    token = csrf_token(client, "/accounts/leaders")
    data = {"csrf_token": token}
    if commune_id is not None:
        data["commune"] = str(commune_id)
    return client.post("/accounts/leaders", data=data)


def _sign_in_with_code(client, username, code):
    return client.post(
        "/login", data={"username": username, "password": code, "csrf_token": csrf_token(client)}
    )


def test_leaders_page_lists_every_area_with_its_account_state(as_user):
    client = as_user("xa")
    response = client.get("/accounts/leaders")
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert response.status_code == 200
    rows = soup.select("#leaders .acct-row")
    assert len(rows) == 12
    assert "to01" in rows[0].get_text() and "Đang hoạt động" in rows[0].get_text()
    assert "Chưa có tài khoản" in rows[1].get_text()
    form = soup.select_one('form[action="/accounts/leaders"]')
    assert form["hx-boost"] == "false"  # the answer is a PDF download, not a page to swap in


def test_sheet_holds_every_new_account_with_its_code(as_user, db_session):
    client = as_user("xa")
    response = _print_sheet(client)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="phieu-kich-hoat-{COMMUNE}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    found = pdftext.slips(response.data)
    assert set(found) == {f"to{n:02d}-{COMMUNE}" for n in range(2, 13)}
    assert pdftext.pages(response.data) == 2  # 11 slips, 8 to a page
    text = pdftext.text(response.data)
    assert "Đăng nhập lần đầu: nhập mã này vào ô mật khẩu, sau đó chọn mật khẩu mới" in " ".join(text.split())
    assert "http://127.0.0.1:5000" in text and "Khu vực bỏ phiếu số 12" in text and "11:30" in text
    flat = "".join(text.split())
    for username, code in found.items():
        assert username in text and code in flat
        assert len(code) == 9 and code[4] == "-"
    # Only hashes are kept.
    db_session.expire_all()
    stored = db_session.scalars(sa.select(User).where(User.username == f"to02-{COMMUNE}")).one()
    assert (
        stored.activation_code_hash.startswith("$argon2")
        and found[stored.username] not in stored.activation_code_hash
    )
    assert (
        db_session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "issue_codes").order_by(AuditEntry.id.desc())
        )
        .first()
        .actor_username
        == "xa"
    )


def test_a_code_works_once_then_the_slip_is_useless(app, as_user):
    client = as_user("xa")
    code = pdftext.slips(_print_sheet(client).data)[f"to03-{COMMUNE}"]
    leader = app.test_client()
    response = _sign_in_with_code(leader, f"to03-{COMMUNE}", code)
    assert response.status_code == 303 and response.headers["Location"].endswith("/activate")
    token = csrf_token(leader, "/activate")
    response = leader.post(
        "/activate", data={"password": "to03-moi-2026", "confirm": "to03-moi-2026", "csrf_token": token}
    )
    assert response.status_code == 303
    assert "Khu vực bỏ phiếu số 3" in leader.get("/").get_data(as_text=True)
    other = app.test_client()
    assert _sign_in_with_code(other, f"to03-{COMMUNE}", code).status_code == 422
    assert _sign_in_with_code(other, f"to03-{COMMUNE}", "to03-moi-2026").status_code == 303


def test_printing_again_replaces_unused_codes_and_leaves_active_accounts(app, as_user):
    client = as_user("xa")
    first = pdftext.slips(_print_sheet(client).data)
    second = pdftext.slips(_print_sheet(client).data)
    assert set(first) == set(second) and "to01-26743" not in second
    leader = app.test_client()
    assert _sign_in_with_code(leader, f"to04-{COMMUNE}", first[f"to04-{COMMUNE}"]).status_code == 422
    assert _sign_in_with_code(leader, f"to04-{COMMUNE}", second[f"to04-{COMMUNE}"]).status_code == 303
    # to01 was not touched: its password still works.
    login(app.test_client(), "to01")


def test_nothing_to_print_when_every_leader_is_active(as_user, db_session, w):
    client = as_user("xa")
    _print_sheet(client)
    db_session.expire_all()
    for user in db_session.scalars(
        sa.select(User).where(User.role == Role.LEADER, User.commune_id == w.commune(COMMUNE).id)
    ):
        user.password_hash, user.activation_code_hash = "x", None
    db_session.flush()
    response = _print_sheet(client)
    assert response.status_code == 303
    page = client.get("/accounts/leaders").get_data(as_text=True)
    assert "không có phiếu nào cần in" in page


def test_reset_gives_a_new_code_and_the_old_one_stops_working(app, as_user, w):
    client = as_user("xa")
    old = pdftext.slips(_print_sheet(client).data)[f"to05-{COMMUNE}"]
    area = w.area(f"{COMMUNE}-05")
    response = client.post(
        f"/accounts/leaders/{area.id}/reset", data={"csrf_token": csrf_token(client, "/accounts/leaders")}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert (
        response.headers["Content-Disposition"] == f'attachment; filename="phieu-kich-hoat-{COMMUNE}-05.pdf"'
    )
    found = pdftext.slips(response.data)
    assert list(found) == [f"to05-{COMMUNE}"] and found[f"to05-{COMMUNE}"] != old
    assert pdftext.pages(response.data) == 1
    leader = app.test_client()
    assert _sign_in_with_code(leader, f"to05-{COMMUNE}", old).status_code == 422
    assert _sign_in_with_code(leader, f"to05-{COMMUNE}", found[f"to05-{COMMUNE}"]).status_code == 303


def test_reset_of_an_active_leader_ends_the_password_and_sessions(app, as_user, w):
    leader = app.test_client()
    login(leader, "to01")
    client = as_user("xa")
    area = w.area(f"{COMMUNE}-01")
    response = client.post(
        f"/accounts/leaders/{area.id}/reset", data={"csrf_token": csrf_token(client, "/accounts/leaders")}
    )
    code = pdftext.slips(response.data)["to01"]
    assert leader.get("/").status_code == 302  # signed out on its phone
    assert _sign_in_with_code(app.test_client(), "to01", "baucu2026").status_code == 422
    assert _sign_in_with_code(app.test_client(), "to01", code).status_code == 303


def test_reset_from_the_account_page_prints_that_leaders_slip(as_user, w):
    client = as_user("tinh")
    to01 = w.user("to01")
    response = client.post(
        f"/accounts/{to01.id}/activation", data={"csrf_token": csrf_token(client, "/accounts/")}
    )
    assert response.status_code == 200 and list(pdftext.slips(response.data)) == ["to01"]


def test_a_province_prints_slips_for_a_commune_it_picks(as_user, w):
    client = as_user("tinh")
    page = client.get("/accounts/leaders").get_data(as_text=True)
    assert "Phường Bến Thành" in page and "Hoàn Kiếm" not in page
    commune = w.commune("26740")
    assert client.get(f"/accounts/leaders?commune={commune.id}").status_code == 200
    found = pdftext.slips(_print_sheet(client, commune.id).data)
    assert len(found) == 10 and all(u.endswith("-26740") for u in found)


def test_slips_render_names_in_nfc_and_codes_grouped(app, w):
    decomposed = "Nguye\u0302\u0303n Va\u0306n A"  # some keyboards send this
    user = User(username="to02-26743", full_name=decomposed, role=Role.LEADER)
    with app.test_request_context():
        slip = slips.leader_slip(IssuedCode(w.area("26743-02"), user, "ACDEFGHJ"))
        pdf = slips.render_pdf([slip])
    assert slip.code == "ACDE-FGHJ" and slip.holder == "Nguyễn Văn A"
    assert "Nguyễn Văn A" in pdftext.text(pdf)
    assert pdftext.slips(pdf) == {"to02-26743": "ACDE-FGHJ"}
