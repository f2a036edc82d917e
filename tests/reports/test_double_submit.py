"""Two requests carrying the same client id at the same moment (a double tap): one row, one receipt.

This needs two real connections and commits, so it runs on a database of its own."""

import os
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests import world
from tests.conftest import migrated_database
from tests.reports.helpers import AREA, count_data, good_numbers, new_id, vn
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.db import make_engine
from webapp.elections.models import ContestKind
from webapp.reports import services
from webapp.reports.models import CountReport


@pytest.fixture(scope="module")
def engine():
    url, drop = migrated_database(os.environ.get("TEST_DATABASE_URL"), "race")
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        world.build(session)
        session.commit()
    yield engine
    engine.dispose()
    drop()


def _submit(engine, client_uuid, hold: threading.Event | None = None, flushed: threading.Event | None = None):
    with Session(engine) as session:
        w = world.World(session)
        area = w.area(AREA)
        contest_id = next(l.contest_id for l in area.unit_links if l.contest.kind is ContestKind.NATIONAL_ASSEMBLY)
        result = services.submit_count(
            session, actor=Actor(w.user("to01"), Channel.WEB), area_id=area.id, contest_id=contest_id,
            data=count_data(w, good_numbers(session, area, ContestKind.NATIONAL_ASSEMBLY)),
            client_uuid=client_uuid, now=vn(20, 0),
        )
        if flushed:
            flushed.set()
        if hold:
            hold.wait(10)
        receipt = result.report.receipt
        session.commit()
        return receipt, result.replayed


def test_a_double_tap_racing_itself_stores_one_report(engine):
    client_uuid = new_id()
    outcome: dict[str, object] = {}
    hold, flushed = threading.Event(), threading.Event()

    def first():
        outcome["first"] = _submit(engine, client_uuid, hold, flushed)

    def second():
        try:
            outcome["second"] = _submit(engine, client_uuid)
        except OperationalError as exc:  # SQLite: "database is locked" once the first commits; the phone retries
            outcome["second_error"] = exc

    a = threading.Thread(target=first)
    a.start()
    assert flushed.wait(10)
    b = threading.Thread(target=second)
    b.start()
    time.sleep(0.5)  # the second request is now waiting on the first one's insert
    hold.set()
    a.join(20)
    b.join(40)
    receipt, replayed = outcome["first"]
    assert not replayed
    if "second_error" in outcome:
        assert engine.dialect.name == "sqlite", outcome["second_error"]
        outcome["second"] = _submit(engine, client_uuid)
    assert outcome["second"] == (receipt, True)
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CountReport)
                              .where(CountReport.client_uuid == client_uuid)) == 1
