"""Accounts in scope: list, search, one account's page, creation, deactivation, sessions, access rules."""

from __future__ import annotations

import unicodedata

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.accounts import pdftext
from tests.conftest import csrf_token, login
from tests.world import NOW
from webapp.accounts import admin_services as admin
from webapp.accounts.models import Role, User
from webapp.api import tokens
from webapp.audit.models import AuditEntry
from webapp.textnorm import fold

PAGES = ["/accounts/", "/accounts/leaders", "/accounts/new", "/audit/", "/settings/report-times"]


@pytest.mark.parametrize("username", ["tongdai", "hn_tongdai", "tongdai_qg", "to01", "hn_to01"])
@pytest.mark.parametrize("path", PAGES)
def test_hotline_and_leaders_cannot_reach_the_pages(as_user, username, path):
    assert as_user(username).get(path).status_code == 403


@pytest.mark.parametrize("path", ["/accounts/new", "/settings/report-times"])
def test_commune_officials_cannot_create_accounts_or_edit_times(as_user, path):
    assert as_user("xa").get(path).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/accounts/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _names(response) -> list[str]:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return [s.get_text() for s in soup.select("#account-list li strong")]


def test_the_list_keeps_to_the_users_scope(app, as_user):
    assert _names(as_user("xa").get("/accounts/")) == ["to01", "xa"]
    province = app.test_client()
    login(province, "tinh")
    assert _names(province.get("/accounts/")) == ["tinh", "to01", "tongdai", "xa"]


def test_the_admin_sees_every_account_and_filters_by_role(as_user):
    client = as_user("quantri")
    assert {"hn_tinh", "tongdai_qg", "quantri", "xa"} <= set(_names(client.get("/accounts/")))
    assert _names(client.get("/accounts/?role=hotline")) == ["hn_tongdai", "tongdai", "tongdai_qg"]


def test_search_by_username_name_or_phone(as_user, w):
    client = as_user("tinh")
    to01 = w.user("to01")
    assert _names(client.get("/accounts/?q=TO0")) == ["to01"]
    assert _names(client.get(f"/accounts/?q={to01.phone[-6:]}")) == ["to01"]
    assert _names(client.get("/accounts/?q=" + to01.full_name.split()[-1])) == ["to01"]
    assert _names(client.get("/accounts/?q=100%25")) == []  # % is literal, not a wildcard


def test_the_account_search_ignores_diacritics_case_and_marks(as_user, w):
    """The name as shown in the results finds the account, typed with or without diacritics, in any case."""
    client = as_user("tinh")
    name = w.user("to01").full_name  # "Võ Ngọc Quyên"
    for query in (name, name.upper(), fold(name), "VO NGOC", unicodedata.normalize("NFD", name)):
        assert _names(client.get("/accounts/", query_string={"q": query})) == ["to01"], query


def test_the_list_answers_a_fragment_to_htmx(as_user):
    response = as_user("tinh").get("/accounts/?q=xa", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="account-list"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_the_list_pages_by_username(db_session, w):
    page = admin.search_accounts(db_session, user=w.user("quantri"), limit=3)
    seen = [u.username for u in page.accounts]
    while page.next_after:
        page = admin.search_accounts(db_session, user=w.user("quantri"), limit=3, after=page.next_after)
        seen += [u.username for u in page.accounts]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == db_session.scalar(
        sa.select(sa.func.count()).select_from(User)
    )


@pytest.mark.parametrize(
    "username, target",
    [("xa", "hn_to01"), ("xa", "tinh"), ("tinh", "hn_xa"), ("hn_tinh", "to01"), ("hn_xa", "xa")],
)
def test_out_of_scope_accounts_answer_404(as_user, w, username, target):
    client = as_user(username)
    ident = w.user(target).id
    token = csrf_token(client, "/accounts/")
    assert client.get(f"/accounts/{ident}").status_code == 404
    for action in ("deactivate", "reactivate", "logout-everywhere", "activation"):
        assert client.post(f"/accounts/{ident}/{action}", data={"csrf_token": token}).status_code == 404


def test_xa_cannot_see_or_reset_another_provinces_station(as_user, w):
    client = as_user("xa")
    token = csrf_token(client, "/accounts/leaders")
    hn_area = w.area("00070-01")
    assert client.post(f"/accounts/leaders/{hn_area.id}/reset", data={"csrf_token": token}).status_code == 404
    commune = w.commune("00070")
    assert client.get(f"/accounts/leaders?commune={commune.id}").status_code == 404
    assert (
        client.post("/accounts/leaders", data={"csrf_token": token, "commune": commune.id}).status_code == 404
    )
    assert client.get("/accounts/leaders?commune=abc").status_code == 404


def test_actions_need_csrf(as_user, w):
    client = as_user("xa")
    assert client.post(f"/accounts/{w.user('to01').id}/deactivate").status_code == 400
    assert client.post("/accounts/leaders").status_code == 400


@pytest.mark.parametrize("username, target", [("xa", "xa"), ("tinh", "tinh"), ("quantri", "quantri")])
def test_nobody_changes_their_own_account_here(as_user, w, username, target):
    client = as_user(username)
    ident = w.user(target).id
    page = client.get(f"/accounts/{ident}").get_data(as_text=True)
    assert "Khóa tài khoản" not in page
    assert (
        client.post(
            f"/accounts/{ident}/deactivate", data={"csrf_token": csrf_token(client, "/accounts/")}
        ).status_code
        == 403
    )


def test_a_province_may_not_change_a_fellow_provincial_account(as_user, db_session, w):
    peer = User(
        username="tinh2",
        role=Role.PROVINCE,
        province_id=w.province("79").id,
        created_at=w.user("tinh").created_at,
    )
    db_session.add(peer)
    db_session.flush()
    client = as_user("tinh")
    assert client.get(f"/accounts/{peer.id}").status_code == 200
    assert (
        client.post(
            f"/accounts/{peer.id}/deactivate", data={"csrf_token": csrf_token(client, "/accounts/")}
        ).status_code
        == 403
    )


def test_deactivation_ends_sessions_and_sign_in_until_reactivated(app, as_user, db_session, w):
    official = app.test_client()
    login(official, "xa")
    client = as_user("tinh")
    ident = w.user("xa").id
    token = csrf_token(client, "/accounts/")
    response = client.post(f"/accounts/{ident}/deactivate", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/accounts/{ident}")
    assert "Đã khóa" in client.get(f"/accounts/{ident}").get_data(as_text=True)
    assert official.get("/").status_code == 302
    fresh = app.test_client()
    assert (
        fresh.post(
            "/login", data={"username": "xa", "password": "baucu2026", "csrf_token": csrf_token(fresh)}
        ).status_code
        == 422
    )
    change = db_session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.entity_type == "users",
            AuditEntry.entity_id == str(ident),
            AuditEntry.action == "update",
        )
        .order_by(AuditEntry.id.desc())
    ).first()
    assert change.actor_username == "tinh" and change.after["is_active"] is False
    assert client.post(f"/accounts/{ident}/reactivate", data={"csrf_token": token}).status_code == 303
    login(app.test_client(), "xa")


def test_log_out_everywhere_for_another_account(app, as_user, db_session, w):
    leader = app.test_client()
    login(leader, "to01")
    issued = tokens.issue_token(db_session, actor=w.user("to01"), name="phone", ttl=None, now=NOW)
    client = as_user("xa")
    ident = w.user("to01").id
    response = client.post(
        f"/accounts/{ident}/logout-everywhere", data={"csrf_token": csrf_token(client, "/accounts/")}
    )
    assert response.status_code == 303
    assert leader.get("/").status_code == 302
    db_session.refresh(issued.token)
    assert issued.token.revoked_at is not None and issued.token.revoked_by_id == w.user("xa").id
    event = db_session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "logout_everywhere").order_by(AuditEntry.id.desc())
    ).first()
    assert event.entity_id == str(ident) and event.actor_username == "xa" and event.after == {"by": "xa"}
    login(app.test_client(), "to01")  # the password still works


def _new_account(client, **fields):
    data = {
        "csrf_token": csrf_token(client, "/accounts/new"),
        "username": "",
        "full_name": "",
        "phone": "",
        "role": "commune",
        "province_id": "",
        "commune_code": "",
    }
    data.update(fields)
    return client.post("/accounts/new", data=data)


def test_a_province_creates_a_commune_official_then_prints_the_slip(app, as_user, db_session, w):
    client = as_user("tinh")
    response = _new_account(
        client,
        username="CanBo.SaiGon",
        full_name="Ủy ban bầu cử phường Sài Gòn",
        phone="0909 123 456",
        role="commune",
        commune_code="26740",
    )
    assert response.status_code == 303
    user = db_session.scalars(sa.select(User).where(User.username == "canbo.saigon")).one()
    assert response.headers["Location"].endswith(f"/accounts/{user.id}")
    assert (user.role, user.commune_id, user.province_id, user.phone) == (
        Role.COMMUNE,
        w.commune("26740").id,
        w.province("79").id,
        "0909123456",
    )
    assert user.needs_activation and user.activation_code_hash is None
    response = client.post(
        f"/accounts/{user.id}/activation", data={"csrf_token": csrf_token(client, "/accounts/")}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    code = pdftext.slips(response.data)["canbo.saigon"]
    assert "Cán bộ xã/phường" in pdftext.text(response.data)
    official = app.test_client()
    response = official.post(
        "/login", data={"username": "canbo.saigon", "password": code, "csrf_token": csrf_token(official)}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/activate")


def test_a_province_creates_its_hotline_in_its_own_province_only(as_user, db_session, w):
    client = as_user("tinh")
    # The province field is ignored for a provincial committee: its own province is used.
    assert (
        _new_account(
            client, username="tongdai2", role="hotline", province_id=str(w.province("01").id)
        ).status_code
        == 303
    )
    user = db_session.scalars(sa.select(User).where(User.username == "tongdai2")).one()
    assert user.province_id == w.province("79").id


@pytest.mark.parametrize(
    "fields, field_id",
    [
        ({"username": "xa"}, "username"),
        ({"username": "to07-26743"}, "username"),
        ({"username": "có dấu"}, "username"),
        ({"username": "moi01", "commune_code": "00070"}, "commune_code"),  # Hà Nội: not in tinh's scope
        ({"username": "moi01", "commune_code": ""}, "commune_code"),
        ({"username": "moi01", "commune_code": "26740", "phone": "12ab"}, "phone"),
        ({"username": "moi01", "role": "admin"}, "role"),
        ({"username": "moi01", "role": "province"}, "role"),
    ],
)
def test_invalid_accounts_answer_422_with_the_entries_kept(as_user, fields, field_id):
    client = as_user("tinh")
    response = _new_account(client, full_name="Nguyễn Văn Mới", **fields)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert response.status_code == 422
    assert soup.select_one(f"#{field_id}")["aria-invalid"] == "true"
    assert soup.select_one("#full_name")["value"] == "Nguyễn Văn Mới"


def test_the_admin_creates_a_provincial_committee_and_a_national_hotline(as_user, db_session, w):
    client = as_user("quantri")
    assert (
        _new_account(
            client, username="tinh_hn2", role="province", province_id=str(w.province("01").id)
        ).status_code
        == 303
    )
    assert _new_account(client, username="tongdai_qg2", role="hotline").status_code == 303
    assert _new_account(client, username="tinh_x", role="province").status_code == 422
    made = {
        u.username: u
        for u in db_session.scalars(sa.select(User).where(User.username.in_(["tinh_hn2", "tongdai_qg2"])))
    }
    assert made["tinh_hn2"].province_id == w.province("01").id and made["tongdai_qg2"].province_id is None


def test_a_deactivated_account_gets_no_new_slip(as_user, w):
    client = as_user("xa")
    to01 = w.user("to01")
    token = csrf_token(client, "/accounts/")
    client.post(f"/accounts/{to01.id}/deactivate", data={"csrf_token": token})
    assert client.post(f"/accounts/{to01.id}/activation", data={"csrf_token": token}).status_code == 409
    assert (
        client.post(f"/accounts/leaders/{to01.polling_area_id}/reset", data={"csrf_token": token}).status_code
        == 409
    )
