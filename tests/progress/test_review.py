"""The commune's review (webapp.review) changes statuses through the ORM: the summaries follow, and taking a
confirmed report back is in the corrections feed with who confirmed it."""

from __future__ import annotations

from datetime import time

from tests.progress.helpers import areas_of, refresh_now, send, vn
from webapp.elections.models import ContestKind
from webapp.progress.feed import corrections
from webapp.progress.models import Change
from webapp.progress.services import province_progress
from webapp.reports.models import ReportStatus
from webapp.review import services as review
from webapp.review.models import ReportKind


def test_confirm_return_and_reopen_through_the_review(db_session, w):
    a, b = areas_of(w, "26743")[:2]
    refresh_now(db_session, vn(8))
    first = send(db_session, a, 400, now=vn(11, 35))
    second = send(db_session, b, 300, now=vn(11, 36))
    xa = w.user("xa")
    review.confirm_report(db_session, actor=xa, kind=ReportKind.TURNOUT, report_id=first.id,
                          shown=ReportStatus.RECEIVED, now=vn(11, 40))
    review.return_report(db_session, actor=xa, kind=ReportKind.TURNOUT, report_id=second.id,
                         shown=ReportStatus.RECEIVED, reasons=["numbers_mismatch"], text="", now=vn(11, 41))
    refresh_now(db_session, vn(11, 42))
    na = w.contest(ContestKind.NATIONAL_ASSEMBLY).id
    slot = province_progress(db_session, w.user("tinh"), a.province_id, vn(11, 43)).figures.slot(na, time(11, 30))
    assert (slot.reported, slot.returned, slot.confirmed, slot.voted, slot.confirmed_voted) == (1, 1, 1, 400, 400)
    review.reopen_report(db_session, actor=xa, kind=ReportKind.TURNOUT, report_id=first.id,
                         reason="Tổ báo nhầm số, cần gửi lại", now=vn(11, 50))
    refresh_now(db_session, vn(11, 51))
    slot = province_progress(db_session, w.user("tinh"), a.province_id, vn(11, 52)).figures.slot(na, time(11, 30))
    assert (slot.confirmed, slot.confirmed_voted, slot.voted) == (0, 0, 400)
    changes = {r.correction.change: r for r in corrections(db_session, xa)}
    assert set(changes) == {Change.RETURNED, Change.REOPENED}
    reopened = changes[Change.REOPENED]
    assert reopened.confirmed_by.username == "xa" and reopened.confirmed_at == vn(11, 40)
