"""A correction never supersedes a version the commune confirmed in the meantime (the race between a leader's
correction and an official's confirmation)."""

import pytest
import sqlalchemy as sa

from tests.reports.test_statement_count import NA, count_args, submit
from tests.reports.helpers import AREA, good_numbers
from webapp.audit.models import AuditEntry
from webapp.reports import counts
from webapp.reports.models import CountReport, ReportStatus
from webapp.reports.services import ReportLocked


def test_a_version_confirmed_after_it_was_read_is_not_superseded(db_session, w):
    report = submit(db_session, count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA))).report
    # The official's confirmation lands after the leader's request read the version as "received".
    db_session.execute(sa.update(CountReport).where(CountReport.id == report.id)
                       .values(status=ReportStatus.CONFIRMED).execution_options(synchronize_session=False))
    assert report.status is ReportStatus.RECEIVED
    with pytest.raises(ReportLocked):
        counts._supersede(db_session, report)
    assert db_session.scalar(sa.select(CountReport.is_latest).where(CountReport.id == report.id)) is True


def test_superseding_is_audited(db_session, w):
    first = submit(db_session, count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA))).report
    second = submit(db_session, count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA,
                                                                          voted=first.voters_voted - 1))).report
    assert second.version == 2 and first.is_latest is False
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "count_reports",
                                                           AuditEntry.entity_id == str(first.id),
                                                           AuditEntry.action == "update")).one()
    assert entry.before == {"is_latest": True} and entry.after == {"is_latest": False}
