"""Polling teams and accounts: keyed in place, one leader per team, and no account beyond the importer's reach."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.imports.helpers import counts, headers, rejected, run, xlsx
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.audit.models import AuditEntry, Channel
from webapp.accounts import services as accounts
from webapp.accounts.models import UserSession
from webapp.clock import utcnow
from webapp.elections.models import TeamMember, TeamRole
from webapp.imports.datasets import TEAM_ROLE_WORDS, word


def team_file(*rows: list[object]) -> bytes:
    return xlsx([headers("teams"), *rows])


def account_file(*rows: list[object]) -> bytes:
    return xlsx([headers("accounts"), *rows])


def members(db_session, w, code: str) -> dict[int, TeamMember]:  # type: ignore[no-untyped-def]
    area = w.area(code)
    return {m.position: m for m in db_session.scalars(
        sa.select(TeamMember).where(TeamMember.polling_area_id == area.id))}


def test_team_members_added_and_edited_in_place(db_session, w) -> None:
    rows = [["26743-01", 20, "Phạm Thị Mười", "Thành viên", "091 234 5678"],
            ["26743-01", 21, "Lý Văn Mười Một", "Ủy viên", 912345679.0]]
    assert counts(run(db_session, w, "xa", "teams", team_file(*rows))) == (2, 0, 0)
    team = members(db_session, w, "26743-01")
    assert (team[20].phone, team[21].phone, team[21].role) == ("0912345678", "0912345679", TeamRole.MEMBER)
    assert counts(run(db_session, w, "xa", "teams", team_file(*rows))) == (0, 0, 2)
    rows[1][3] = "Thư ký"
    assert counts(run(db_session, w, "xa", "teams", team_file(*rows))) == (0, 1, 1)
    assert members(db_session, w, "26743-01")[21].role is TeamRole.SECRETARY



def test_imported_names_are_folded_for_the_hotlines_search(db_session, w) -> None:
    """Members are written with Core, past the model's validator: the import folds their names itself."""
    rows = [["26743-01", 20, "Y – Đrăng H’Niê", "Thành viên", None]]
    run(db_session, w, "xa", "teams", team_file(*rows))
    assert members(db_session, w, "26743-01")[20].name_folded == "y-drang h'nie"
    rows[0][2] = "Hoà Bình"
    run(db_session, w, "xa", "teams", team_file(*rows))
    db_session.expire_all()
    assert members(db_session, w, "26743-01")[20].name_folded == "hoa binh"


def test_a_team_has_one_leader(db_session, w) -> None:
    errors = rejected(db_session, w, "xa", "teams", team_file(["26743-01", 20, "Người Thứ Hai", "Tổ trưởng", None]))
    assert [(e.row, e.column, e.params) for e in errors] == [(2, "Chức vụ", {"n": 2})]
    swap = [["26743-01", 0, members(db_session, w, "26743-01")[0].full_name, "Tổ phó", None],
            ["26743-01", 20, "Người Thứ Hai", "Tổ trưởng", None]]
    assert counts(run(db_session, w, "xa", "teams", team_file(*swap))) == (1, 1, 0)


@pytest.mark.parametrize(("row", "column"), [
    (["26743-99", 1, "A B", "Thành viên", None], "Mã KVBP"),
    (["26743-01", 1, "A B", "Tổ trưởng bầu cử", None], "Chức vụ"),
    (["26743-01", 1, "A B", "Thành viên", "12345"], "Số điện thoại"),
    (["26743-01", "một", "A B", "Thành viên", None], "Thứ tự"),
    (["26740-01", 1, "A B", "Thành viên", None], "Mã KVBP"),
])
def test_team_rows(db_session, w, row: list[object], column: str) -> None:
    errors = rejected(db_session, w, "xa", "teams", team_file(row))
    assert [(e.row, e.column) for e in errors] == [(2, column)]


def test_hn_commune_cannot_touch_hcmc_teams(db_session, w) -> None:
    errors = rejected(db_session, w, "hn_xa", "teams", team_file(["26743-01", 0, "X Y", "Tổ trưởng", None]))
    assert [e.message_id for e in errors] == ["Not within your area."]


def test_leader_accounts_created_without_password(db_session, w) -> None:
    rows = [["to02-26743", "Nguyễn Văn Hai", "0912 000 002", "Tổ trưởng", None, None, "26743-02"]]
    assert counts(run(db_session, w, "xa", "accounts", account_file(*rows))) == (1, 0, 0)
    user = w.user("to02-26743")
    assert (user.role, user.polling_area.code, user.commune.code, user.province.code) == (
        Role.LEADER, "26743-02", "26743", "79")
    assert user.password_hash is None and user.activation_code_hash is None and user.needs_activation
    assert counts(run(db_session, w, "xa", "accounts", account_file(*rows))) == (0, 0, 1)


def test_changing_role_or_place_ends_old_sessions(db_session, w) -> None:
    user = w.user("to01")

    def live() -> int:
        return db_session.scalar(sa.select(sa.func.count()).select_from(UserSession)
                                 .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None)))

    accounts.start_session(db_session, user=user, now=utcnow(), lifetime=timedelta(hours=1))
    before = live()
    row = ["to01", "Tên Mới", user.phone, "Tổ trưởng", None, None, user.polling_area.code]
    assert counts(run(db_session, w, "tinh", "accounts", account_file(row))) == (0, 1, 0)
    assert (user.full_name, live()) == ("Tên Mới", before)  # a new name only: the sessions go on
    row[6] = "26743-03"
    assert counts(run(db_session, w, "tinh", "accounts", account_file(row))) == (0, 1, 0)
    assert (user.polling_area_id, live()) == (w.area("26743-03").id, 0)


@pytest.mark.parametrize(("username", "row", "column", "message"), [
    ("tinh", ["tinh2", "X", None, "Quản trị", None, None, None], "Vai trò",
     "You may not create or change accounts with this role."),
    ("tinh", ["tongdai_moi", "X", None, "Tổng đài", None, None, None], "Tên đăng nhập", "Not within your area."),
    ("xa", ["xa2", "X", None, "Cán bộ xã", None, "26743", None], "Vai trò",
     "You may not create or change accounts with this role."),
    ("xa", ["to01-26740", "X", None, "Tổ trưởng", None, None, "26740-01"], "Tên đăng nhập", "Not within your area."),
    ("hn_tinh", ["tinh", "X", None, "Ủy ban bầu cử tỉnh", "01", None, None], "Tên đăng nhập",
     "The account %(username)s exists and is not within your area."),
    ("tinh", ["quantri", "X", None, "Ủy ban bầu cử tỉnh", "79", None, None], "Tên đăng nhập",
     "The account %(username)s exists and is not within your area."),
    ("tinh", ["tinh", "Tên khác", None, "Ủy ban bầu cử tỉnh", "79", None, None], "Tên đăng nhập",
     "You cannot change your own account by import."),
    ("xa", ["to99", "X", None, "Tổ trưởng", None, None, "26743-01"], "Mã KVBP",
     "Polling area %(code)s already has a leader account (%(username)s)."),
    ("tinh", ["ab", "X", None, "Cán bộ xã", None, None, None], "Mã xã", "An account with this role needs this code."),
    ("tinh", ["ab", "X", None, "Ủy ban bầu cử tỉnh", "79", "26743", None], "Mã xã",
     "Leave this empty for an account with this role."),
    ("tinh", ["ab", "X", None, "Tổ trưởng", "79", "26740", "26743-01"], "Mã xã", "The polling area is not in this commune."),
    ("tinh", ["Tên Có Dấu", "X", None, "Cán bộ xã", None, "26743", None], "Tên đăng nhập",
     ("A username has 2 to 60 letters without accents, digits, dots, dashes or underscores, and starts with a "
     "letter or digit.")),
])
def test_account_rules(db_session, w, username: str, row: list[object], column: str, message: str) -> None:
    before = {u.username: (u.role, u.full_name) for u in db_session.scalars(sa.select(User))}
    errors = rejected(db_session, w, username, "accounts", account_file(row))
    assert [(e.row, e.column, e.message_id) for e in errors] == [(2, column, message)]
    assert {u.username: (u.role, u.full_name) for u in db_session.scalars(sa.select(User))} == before


def test_passwords_are_never_read_from_files(db_session, w) -> None:
    data = xlsx([[*headers("accounts"), "Mật khẩu"], ["ab12", "X", None, "Cán bộ xã", None, "26743", None, "secret"]])
    errors = rejected(db_session, w, "tinh", "accounts", data)
    assert [(e.column, e.message_id[:14]) for e in errors] == [("Mật khẩu", "Unknown column")]


def test_team_writes_are_audited_as_the_orm_would_audit_them(db_session, w) -> None:
    """Members are written with Core in batches; each still has its own entry, the listener's very entry."""
    area = w.area("26743-01")
    first = min(members(db_session, w, "26743-01").values(), key=lambda m: m.position)
    rows = [["26743-01", 30, "Phạm Thị Ba Mươi", "Thành viên", "0912345678"],
            ["26743-01", first.position, "Tên Mới", word(TEAM_ROLE_WORDS, first.role), first.phone]]
    old_name = first.full_name
    assert counts(run(db_session, w, "xa", "teams", team_file(*rows))) == (1, 1, 0)
    db_session.expire_all()
    created = members(db_session, w, "26743-01")[30]
    entries = {e.entity_id: e for e in db_session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "team_members", AuditEntry.channel == Channel.IMPORT,
                                    AuditEntry.entity_id.in_([str(created.id), str(first.id)])))}
    made, changed = entries[str(created.id)], entries[str(first.id)]
    assert (made.action, made.before, made.after) == ("create", None, audit.snapshot(created))
    assert (changed.action, changed.before, changed.after) == ("update", {"full_name": old_name},
                                                               {"full_name": "Tên Mới"})
    for entry in (made, changed):
        assert (entry.province_id, entry.commune_id, entry.polling_area_id) == (area.province_id, area.commune_id,
                                                                                area.id)
