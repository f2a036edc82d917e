from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import csrf_token, login
from tests.world import NOW, PASSWORD
from webapp.accounts import services
from webapp.accounts.models import Role, User
from webapp.audit.models import AuditEntry
from webapp.clock import utcnow


def test_password_is_hashed_with_argon2(w):
    user = w.user("to01")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_login_page_is_vietnamese_and_carries_csrf(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'lang="vi"' in html
    assert "Đăng nhập" in html
    assert 'name="csrf-token"' in html


def test_login_without_csrf_is_refused(client):
    response = client.post("/login", data={"username": "to01", "password": PASSWORD})
    assert response.status_code == 400


def test_wrong_password_keeps_the_username_and_answers_422(client):
    token = csrf_token(client)
    response = client.post("/login", data={"username": "to01", "password": "sai-mat-khau", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="to01"' in html
    assert "Sai tên đăng nhập" in html


def test_leader_login_shows_the_station_home(client, w):
    login(client, "to01")
    html = client.get("/").get_data(as_text=True)
    area = w.area("26743-01")
    assert area.name in html
    assert "Phường Bến Thành" in html
    assert "11:30" in html  # the province's own report times
    for unit in (l.unit for l in area.unit_links):
        assert unit.candidates[0].full_name in html


def test_activation_code_then_password(client, db_session, w):
    issued = services.issue_leader_codes(db_session, actor=w.user("xa"), commune=w.commune("26743"), now=utcnow(),
                                         ttl=timedelta(days=3))
    # to01 is already active; every other area of the commune gets a new account with a code.
    assert len(issued) == 11
    first = issued[0]
    assert first.user.username == "to02-26743"
    assert first.user.role is Role.LEADER and first.user.password_hash is None
    db_session.flush()
    token = csrf_token(client)
    response = client.post("/login", data={"username": first.user.username,
                                           "password": first.code.lower(), "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/activate")
    # The session is renewed at sign-in, and with it the CSRF token.
    token = csrf_token(client, "/activate")
    response = client.post("/activate", data={"password": "kvbp-02-moi", "confirm": "kvbp-02-moi",
                                              "csrf_token": token})
    assert response.status_code == 303
    assert "Khu vực bỏ phiếu số 2" in client.get("/").get_data(as_text=True)
    db_session.expire_all()
    assert w.user("to02-26743").password_hash is not None
    # The code works only once.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    token = csrf_token(client)
    assert client.post("/login", data={"username": first.user.username, "password": first.code,
                                       "csrf_token": token}).status_code == 422


def test_expired_activation_code_is_refused(db_session, w):
    issued = services.issue_leader_codes(db_session, actor=w.user("xa"), commune=w.commune("26743"), now=NOW,
                                         ttl=timedelta(days=3))
    later = NOW + timedelta(days=4)
    assert services.authenticate(db_session, username=issued[0].user.username, secret=issued[0].code,
                                 now=later) is None


def test_log_out_everywhere_ends_other_sessions(app, client, connection):
    login(client, "tinh")
    other = app.test_client()
    login(other, "tinh")
    assert other.get("/").status_code == 200
    client.post("/logout-everywhere", data={"csrf_token": csrf_token(client, "/")})
    response = other.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_login_and_account_change_is_audited(client, db_session, w):
    login(client, "tinh")
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "login")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_username == "tinh" and entry.channel == "web" and entry.ip == "127.0.0.1"
    user = db_session.get(User, w.user("tinh").id)
    user.phone = "0909000000"
    db_session.flush()
    change = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "users",
                                                            AuditEntry.action == "update")
                                .order_by(AuditEntry.id.desc())).first()
    assert change.after == {"phone": "0909000000"} and change.before == {"phone": ""}


def test_requests_of_a_signed_in_user_do_not_send_the_session_back(client):
    """Only a change of the session sets its cookie. A response that re-sent an unchanged session would, if it
    was in flight while the user logged out (the service worker's outbox or pre-caching), put the old session
    back after the logout deleted it: the user would still be signed in on a shared phone."""
    login(client, "to01")
    client.get("/")  # shows (and so removes from the session) the welcome message
    for path in ("/", "/_/csrf", "/outbox", "/api/v1/me"):
        response = client.get(path)
        assert response.status_code in (200, 302, 303, 404), path
        assert not any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie")), path
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 303
    assert any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie"))  # the user taken out
    assert client.get("/", follow_redirects=False).status_code in (302, 303)
