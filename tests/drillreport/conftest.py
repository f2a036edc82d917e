"""The day the drill report tests read: reports, a return and its correction, calls, an entry by phone and
readiness checks, each at a known time."""

from __future__ import annotations

import uuid
from datetime import time

import pytest

from tests.reports.helpers import vn
from tests.review.helpers import send_count, send_turnout
from tests.world import NOW
from webapp.accounts.models import Role, User
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.elections import services as elections
from webapp.hotline import services as hotline
from webapp.hotline.models import CallOutcome
from webapp.readiness import services as readiness
from webapp.reports import services as reports
from webapp.reports.models import ReportStatus
from webapp.reports.services import TurnoutInput
from webapp.review import services as review
from webapp.review.models import ReportKind

A, B, C = "26743-01", "26743-02", "26743-03"


def _leader(db_session, w, code):
    area = w.area(code)
    user = User(username=f"to_{code}", role=Role.LEADER, province_id=area.province_id, commune_id=area.commune_id,
                polling_area_id=area.id, password_hash="x", created_at=NOW)
    db_session.add(user)
    db_session.flush()
    return user


@pytest.fixture
def day(db_session, w):
    """A day at known times: A reports at 09:07 (on time) and 11:50 (late: 15 minutes' grace), sends its NA minutes
    at 19:40, which the commune returns at 20:00 and A corrects at 20:25; B's 09:00 report is entered by the hotline
    at 09:31; C is called twice and never reports; A's phone passed the readiness check, B's failed."""
    election = elections.current_election(db_session)
    send_turnout(db_session, w, 120, slot=time(9), at=(9, 7))
    send_turnout(db_session, w, 300, slot=time(11, 30), at=(11, 50))
    reports.submit_turnout(db_session, actor=Actor(w.user("tongdai"), Channel.PHONE), area_id=w.area(B).id,
                           data=TurnoutInput(voted=80, slot=time(9)), client_uuid=uuid.uuid4(), now=vn(9, 31))
    minutes = send_count(db_session, w, voted=300, at=(19, 40))
    review.return_report(db_session, actor=w.user("xa"), kind=ReportKind.COUNT, report_id=minutes.id,
                         shown=ReportStatus.RECEIVED, reasons=["numbers_mismatch"], text="", now=vn(20, 0))
    send_count(db_session, w, voted=300, at=(20, 25))
    hotline.record_call(db_session, actor=w.user("tongdai"), area_id=w.area(C).id, outcome=CallOutcome.NO_ANSWER,
                        now=vn(9, 20))
    hotline.record_call(db_session, actor=w.user("tongdai"), area_id=w.area(C).id, outcome=CallOutcome.REACHED,
                        note="Điện thoại hết pin", now=vn(9, 35))
    for username, via_outbox in (("to01", True), (_leader(db_session, w, B).username, False)):
        readiness.record_check(db_session, actor=w.user(username), election=election, results=readiness.PhoneResults(
            client_uuid=uuid.uuid4(), pages_cached=True, storage_persistent=True, app_version="v1",
            client_time=vn(16, 0, day=14), user_agent="test"), via_outbox=via_outbox, server_version="v1",
            now=vn(16, 0, day=14))
    return election


