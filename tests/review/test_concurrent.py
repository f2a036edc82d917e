"""Two officials act on the same version at the same moment: exactly one decision is stored, and the other
official learns who acted and when. Two real connections and commits, so a database of its own."""

from __future__ import annotations

import os
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests import world
from tests.conftest import migrated_database
from tests.review.helpers import send_count, vn
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.db import make_engine
from webapp.elections.models import ContestKind
from webapp.reports.models import CountReport, ReportStatus
from webapp.review import services
from webapp.review.models import ReportKind, ReviewAction


@pytest.fixture(scope="module")
def engine():
    url, drop = migrated_database(os.environ.get("TEST_DATABASE_URL"), "review")
    engine = make_engine(url)
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        world.build(session)
        session.commit()
    yield engine
    engine.dispose()
    drop()


def _received_minutes(engine, kind: ContestKind) -> int:
    """A first version of one contest's minutes, committed, waiting for review."""
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "tests", Channel.CLI))
        report = send_count(session, world.World(session), kind=kind)
        session.commit()
        return report.id


def _decide(engine, username: str, decision: str, loaded: threading.Barrier, outcome: dict, *,
            after: threading.Event | None = None, claimed: threading.Event | None = None,
            hold: threading.Event | None = None) -> None:
    """One official's request: load the page's report (the transaction starts), then act on it."""
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, username, Channel.WEB))
        actor = world.World(session).user(username)
        report = services.load_report(session, actor, ReportKind.COUNT, outcome["report_id"])
        loaded.wait(10)
        if after is not None:
            after.wait(10)
        try:
            if decision == "confirm":
                services.confirm_report(session, actor=actor, kind=ReportKind.COUNT, report_id=report.id,
                                        shown=ReportStatus.RECEIVED, now=vn(20, 30))
            else:
                services.return_report(session, actor=actor, kind=ReportKind.COUNT, report_id=report.id,
                                       shown=ReportStatus.RECEIVED, reasons=["numbers_mismatch"], text="",
                                       now=vn(20, 31))
        except services.ReviewConflict as exc:
            session.rollback()
            outcome[username] = ("conflict", exc.action.actor.username if exc.action else None)
            return
        if claimed is not None:
            claimed.set()
        if hold is not None:
            hold.wait(10)
        session.commit()
        outcome[username] = ("done", None)


def _both_loaded(engine) -> threading.Barrier:
    """On PostgreSQL both requests read the report before either acts. On SQLite a writing request begins
    IMMEDIATE: the second waits for the first's commit before it reads anything (and then sees its decision)."""
    return threading.Barrier(1 if engine.dialect.name == "sqlite" else 2)


def test_two_officials_acting_at_once_one_wins_and_the_other_sees_who(engine):
    report_id = _received_minutes(engine, ContestKind.NATIONAL_ASSEMBLY)
    outcome: dict = {"report_id": report_id}
    loaded = _both_loaded(engine)
    hold, claimed = threading.Event(), threading.Event()
    first = threading.Thread(target=_decide, args=(engine, "xa", "confirm", loaded, outcome),
                             kwargs={"claimed": claimed, "hold": hold})
    # Both pages were loaded showing "received"; the second official acts once the first holds the row.
    second = threading.Thread(target=_decide, args=(engine, "tinh", "return", loaded, outcome),
                              kwargs={"after": claimed})
    first.start()
    second.start()
    assert claimed.wait(10), outcome  # the first official holds the row, not yet committed
    time.sleep(0.5)  # the second official's UPDATE is now waiting on that row (or on SQLite's write lock)
    assert "tinh" not in outcome
    hold.set()
    first.join(30)
    second.join(30)
    assert outcome["xa"] == ("done", None)
    assert outcome["tinh"] == ("conflict", "xa")
    with Session(engine) as session:
        report = session.get(CountReport, report_id)
        assert report.status is ReportStatus.CONFIRMED
        assert report.reviewed_by_id == world.World(session).user("xa").id
        actions = session.scalars(sa.select(ReviewAction).where(ReviewAction.count_report_id == report_id)).all()
        assert [a.decision.value for a in actions] == ["confirm"]


def test_two_officials_confirming_at_once_store_one_decision(engine):
    report_id = _received_minutes(engine, ContestKind.PROVINCIAL_COUNCIL)
    outcome: dict = {"report_id": report_id}
    loaded = _both_loaded(engine)
    threads = [threading.Thread(target=_decide, args=(engine, name, "confirm", loaded, outcome))
               for name in ("xa", "tinh")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    results = sorted(outcome[name][0] for name in ("xa", "tinh"))
    assert results == ["conflict", "done"], outcome
    with Session(engine) as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(ReviewAction)
                               .where(ReviewAction.count_report_id == report_id))
        assert count == 1
