"""One commit per request, in db.unit_of_work: the answer decides (below 400 commits, 4xx/5xx and exceptions roll
back), and what waits for the commit runs only after it. The views' own tests check the same through HTTP; these
pin the rule itself, on the test database (SQLite or PostgreSQL), inside the test's outer transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.world import NOW
from webapp import db
from webapp.accounts.models import Role, User


def _stored(connection: sa.Connection, username: str) -> bool:
    return connection.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == username)) == 1


def _writing_view(username: str, status: int, ran: list[str]):  # type: ignore[no-untyped-def]
    def view():  # type: ignore[no-untyped-def]
        db.session.add(User(username=username, role=Role.ADMIN, created_at=NOW))
        db.session.flush()
        db.after_commit(lambda: ran.append("after commit"))
        return "answer", status

    return view


@pytest.mark.parametrize(("status", "kept"), [(200, True), (303, True), (409, False), (422, False), (503, False)])
def test_the_answer_decides_whether_the_writes_are_committed(app: Flask, connection: sa.Connection, status: int,
                                                              kept: bool) -> None:
    username, ran = f"uow-{status}", []
    with app.test_request_context("/", method="POST"):
        response = db.unit_of_work(_writing_view(username, status, ran), retry_locked=False)()
    assert response.status_code == status
    assert _stored(connection, username) is kept
    assert ran == (["after commit"] if kept else [])


def test_an_exception_rolls_back_and_nothing_waits_for_a_commit(app: Flask, connection: sa.Connection) -> None:
    ran: list[str] = []

    def view():  # type: ignore[no-untyped-def]
        _writing_view("uow-raises", 303, ran)()
        raise RuntimeError("after the write")

    with app.test_request_context("/", method="POST"), pytest.raises(RuntimeError):
        db.unit_of_work(view, retry_locked=False)()
    assert not _stored(connection, "uow-raises")
    assert ran == []


def test_a_view_that_never_touched_the_database_opens_no_session(app: Flask) -> None:
    from flask import g

    with app.test_request_context("/", method="GET"):
        assert db.unit_of_work(lambda: "ok", retry_locked=True)().status_code == 200
        assert "db_session" not in g
