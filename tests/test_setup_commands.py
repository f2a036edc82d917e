"""The commands a real deployment starts with, on an empty database: create-election and create-admin."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, time

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from tests.conftest import migrated_database
from webapp import create_app
from webapp.accounts.models import Role, User
from webapp.audit.models import AuditEntry, Channel
from webapp.elections.models import Contest, Election, ReportTime


@pytest.fixture(scope="module")
def empty_app() -> Iterator[Flask]:
    url, drop = migrated_database(os.environ.get("TEST_DATABASE_URL"), "setup")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})
    yield app
    app.extensions["db"].engine.dispose()
    drop()


@pytest.fixture
def cli(empty_app: Flask) -> FlaskCliRunner:
    return empty_app.test_cli_runner()


def _rows(app: Flask) -> dict[str, int]:
    with app.extensions["db"].sessionmaker() as session:
        return {model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (Election, Contest, ReportTime, User, AuditEntry)}


def _get(app: Flask, model: type, **where: object):  # type: ignore[no-untyped-def]
    with app.extensions["db"].sessionmaker() as session:
        return session.scalars(sa.select(model).filter_by(**where)).one()


def _entries_of(session: Session, table: str, ident: int) -> list[AuditEntry]:
    # A "create" entry names its row in ``after`` (its entity_id is written before the row has an id).
    return [e for e in session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == table))
            if e.entity_id == str(ident) or (e.after or {}).get("id") == ident]


def test_create_election_with_standard_hours_then_again_changes_nothing(empty_app: Flask, cli: FlaskCliRunner):
    result = cli.invoke(args=["create-election", "--code", "2031", "--polling-date", "2031-05-18"])
    assert result.exit_code == 0, result.output
    assert "2031 created" in result.output
    election = _get(empty_app, Election, code="2031")
    assert election.polling_date == date(2031, 5, 18)
    assert (election.standard_open, election.standard_close) == (time(7), time(19))
    assert (election.earliest_open, election.latest_close) == (time(5), time(21))
    assert not election.is_drill
    with empty_app.extensions["db"].sessionmaker() as session:
        kinds = {c.kind.value for c in session.scalars(sa.select(Contest).filter_by(election_id=election.id))}
        entries = _entries_of(session, "elections", election.id)
    assert kinds == {"na", "provincial", "commune"}
    assert [(e.action, e.channel) for e in entries] == [("create", Channel.CLI)]

    before = _rows(empty_app)
    again = cli.invoke(args=["create-election", "--code", "2031", "--polling-date", "2031-06-01", "--open", "06:00"])
    assert again.exit_code == 0, again.output
    assert "already exists; nothing changed" in again.output and "2031-05-18" in again.output
    assert _rows(empty_app) == before


def test_create_election_with_own_hours_and_refused_hours(empty_app: Flask, cli: FlaskCliRunner):
    result = cli.invoke(args=["create-election", "--code", "2031-DT", "--polling-date", "2031-05-11", "--drill",
                              "--open", "06:30", "--close", "18:00", "--earliest-open", "05:30",
                              "--latest-close", "20:00"])
    assert result.exit_code == 0, result.output
    election = _get(empty_app, Election, code="2031-DT")
    assert (election.standard_open, election.standard_close) == (time(6, 30), time(18))
    assert (election.earliest_open, election.latest_close) == (time(5, 30), time(20))
    assert election.is_drill

    before = _rows(empty_app)
    for args in (["--open", "04:30"], ["--close", "22:00"], ["--open", "19:00", "--close", "07:00"],
                 ["--open", "7h"], ["--code", "có dấu"], ["--polling-date", "15/05/2031"]):
        base = {"--code": "2032", "--polling-date": "2032-05-16"}
        extra = dict(zip(args[::2], args[1::2], strict=True))
        argv = [item for pair in {**base, **extra}.items() for item in pair]
        refused = cli.invoke(args=["create-election", *argv])
        assert refused.exit_code == 2, (args, refused.output)
    assert _rows(empty_app) == before


def test_create_admin_prints_a_one_time_password_that_asks_for_a_new_one(empty_app: Flask, cli: FlaskCliRunner):
    # The home page below needs an election: made here (or found made), not left to a test that xdist may run
    # on the other worker, whose database is another one.
    assert cli.invoke(args=["create-election", "--code", "2031", "--polling-date", "2031-05-18"]).exit_code == 0
    result = cli.invoke(args=["create-admin", "quantri-moi"])
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Z0-9]{12}", code)
    user = _get(empty_app, User, username="quantri-moi")
    assert user.role is Role.ADMIN and user.needs_activation and user.is_active
    with empty_app.extensions["db"].sessionmaker() as session:
        entries = _entries_of(session, "users", user.id)
    assert sorted((e.action, e.channel) for e in entries) == [("create", Channel.CLI), ("issue_code", Channel.CLI)]
    assert all(code not in str(e.after) for e in entries)

    before = _rows(empty_app)
    again = cli.invoke(args=["create-admin", "quantri-moi"], input="Another-Passw0rd!\n")
    assert again.exit_code == 0 and "already exists" in again.output
    again = cli.invoke(args=["create-admin", "quantri-moi", "--password-stdin"], input="Another-Passw0rd!\n")
    assert again.exit_code == 0 and "already exists" in again.output
    assert _rows(empty_app) == before

    client = empty_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    signed = client.post("/login", data={"username": "quantri-moi", "password": code, "csrf_token": token})
    assert signed.status_code == 303 and signed.headers["Location"].endswith("/activate")
    page = client.get("/activate").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    chosen = client.post("/activate", data={"password": "Chon-mat-khau-2031", "confirm": "Chon-mat-khau-2031",
                                            "csrf_token": token})
    assert chosen.status_code == 303, chosen.get_data(as_text=True)[:1000]
    assert client.get("/").status_code == 200
    assert not _get(empty_app, User, username="quantri-moi").needs_activation


def test_create_admin_with_password_from_stdin(empty_app: Flask, cli: FlaskCliRunner):
    result = cli.invoke(args=["create-admin", "Admin.Hai", "--password-stdin"], input="Mat-khau-rieng-2031\n")
    assert result.exit_code == 0, result.output
    assert "Mat-khau" not in result.output
    user = _get(empty_app, User, username="admin.hai")
    assert user.role is Role.ADMIN and not user.needs_activation and user.activation_code_hash is None

    client = empty_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    signed = client.post("/login", data={"username": "admin.hai", "password": "Mat-khau-rieng-2031",
                                         "csrf_token": token})
    assert signed.status_code == 303 and not signed.headers["Location"].endswith("/activate")


def test_create_admin_refuses_bad_usernames_and_weak_passwords_and_writes_nothing(empty_app: Flask,
                                                                                 cli: FlaskCliRunner):
    before = _rows(empty_app)
    for name in ("ab", "to07-26743", "có-dấu", "a" * 61):
        assert cli.invoke(args=["create-admin", name]).exit_code == 2
    weak = cli.invoke(args=["create-admin", "yeu", "--password-stdin"], input="12345678\n")
    assert weak.exit_code == 1 and "too easy" in weak.output
    assert _rows(empty_app) == before
