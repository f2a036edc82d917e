"""A correction never supersedes a version the commune confirmed in the meantime (the race between a leader's
correction and an official's confirmation)."""

import pytest
import sqlalchemy as sa

from tests.reports.helpers import AREA, good_numbers
from tests.reports.test_statement_count import NA, count_args, submit
from webapp.audit.models import AuditEntry
from webapp.reports import count_state
from webapp.reports.models import CountReport, ReportStatus
from webapp.reports.services import ReportLocked


def _meanwhile(monkeypatch, action):
    """Run ``action`` once, right after the next submission read the area's state (another request landing
    between our read and our write)."""
    read = count_state.read_state
    pending = [action]

    def read_then_act(conn, *args):  # type: ignore[no-untyped-def]
        state = read(conn, *args)
        while pending:
            pending.pop()(conn)
        return state

    monkeypatch.setattr(count_state, "read_state", read_then_act)


def test_a_version_confirmed_after_it_was_read_is_not_superseded(db_session, w, monkeypatch):
    report = submit(db_session, count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA))).report
    # The official's confirmation lands after the leader's request read the version as "received".
    _meanwhile(monkeypatch, lambda conn: conn.execute(
        sa.update(CountReport).where(CountReport.id == report.id).values(status=ReportStatus.CONFIRMED)))
    correction = count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA, voted=report.voters_voted - 1))
    with pytest.raises(ReportLocked):
        submit(db_session, correction)
    rows = db_session.execute(sa.select(CountReport.id, CountReport.is_latest)
                              .where(CountReport.polling_area_id == report.polling_area_id,
                                     CountReport.contest_id == report.contest_id)).all()
    assert [tuple(r) for r in rows] == [(report.id, True)]


def test_a_correction_that_came_first_is_superseded_in_turn(db_session, w, monkeypatch):
    first = submit(db_session, count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA))).report
    other = count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA, voted=first.voters_voted - 1))
    ours = count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA, voted=first.voters_voted - 2))
    landed = []
    _meanwhile(monkeypatch, lambda conn: landed.append(submit(db_session, other).report))
    third = submit(db_session, ours).report
    assert [r.version for r in landed] == [2] and third.version == 3 and third.supersedes_id == landed[0].id
    latest = db_session.scalars(sa.select(CountReport.id).where(CountReport.polling_area_id == first.polling_area_id,
                                                                CountReport.contest_id == first.contest_id,
                                                                CountReport.is_latest)).all()
    assert latest == [third.id]


def test_superseding_is_audited(db_session, w):
    first = submit(db_session, count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA))).report
    second = submit(db_session, count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA,
                                                                          voted=first.voters_voted - 1))).report
    assert second.version == 2 and first.is_latest is False
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "count_reports",
                                                           AuditEntry.entity_id == str(first.id),
                                                           AuditEntry.action == "update")).one()
    assert entry.before == {"is_latest": True} and entry.after == {"is_latest": False}
