"""A drill's day is defined by the instant it starts (its local day in Ho Chi Minh City): it runs on that one day, or
it is refused when made, with a clear message, whatever the time of day it is made at."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import csrf_token
from tests.drills.test_drills import DRILL_NOW
from webapp.clock import VN_TZ
from webapp.drills import services as drills
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import Election

PAST_MIDNIGHT_VI = "Cuộc diễn tập phải kết thúc trong ngày bắt đầu (trước 24 giờ)."


@settings(deadline=None)  # pure arithmetic; a loaded shared machine must not fail it
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       slot=st.integers(1, 180), reports=st.integers(1, 12), count=st.integers(1, 600))
def test_a_drill_runs_on_the_local_day_of_its_start_or_is_refused(start, slot, reports, count):
    start = start.replace(tzinfo=VN_TZ)
    minute = start.replace(second=0, microsecond=0)
    ends = minute + timedelta(minutes=slot * reports + count)
    try:
        day = drills.plan(start, slot, reports, count)
    except drills.DrillError as refused:
        assert refused.code == "past_midnight"
        assert ends.date() != minute.date()  # refused only when the count would run to midnight or past it
        return
    assert ends.date() == minute.date()
    assert day.starts_at == minute
    assert day.report_times == [minute + timedelta(minutes=slot * k) for k in range(1, reports + 1)]
    assert day.polls_close == day.report_times[-1] and day.count_until == ends
    assert {t.date() for t in (day.starts_at, *day.report_times, day.count_until)} == {minute.date()}


@pytest.mark.parametrize(("start", "fits"), [
    (datetime(2026, 12, 7, 21, 0, tzinfo=VN_TZ), True),  # six times 10 minutes, a 60-minute count: ends 23:00
    (datetime(2026, 12, 7, 21, 59, tzinfo=VN_TZ), True),  # ends 23:59
    (datetime(2026, 12, 7, 22, 0, tzinfo=VN_TZ), False),  # would end at midnight
    (datetime(2026, 12, 7, 23, 0, tzinfo=VN_TZ), False),  # would end at 01:00 the next day
    (datetime(2026, 12, 7, 16, 30, tzinfo=UTC), False),  # 23:30 in Ho Chi Minh City
    (datetime(2026, 12, 7, 17, 30, tzinfo=UTC), True),  # 00:30 on 8 December there: that day, till 02:30
])
def test_worked_examples_of_a_drill_near_midnight(start, fits):
    if not fits:
        with pytest.raises(drills.DrillError, match="past_midnight"):
            drills.plan(start, 10, 6, 60)
        return
    day = drills.plan(start, 10, 6, 60)
    local = start.astimezone(VN_TZ)
    assert day.starts_at == local and day.count_until == local + timedelta(minutes=120)
    assert day.count_until.date() == local.date()


def test_a_drill_made_after_midnight_utc_day_is_its_local_day(db_session, w):
    """Made at 00:30 Ho Chi Minh City time (17:30 UTC the day before): its day, code and schedule are the 8th's."""
    real = elections.current_election(db_session)
    made = drills.create_drill(db_session, actor=w.user("quantri"), source=real, province_id=w.province("79").id,
                               starts_at=datetime(2026, 12, 7, 17, 30, tzinfo=UTC), slot_minutes=10, reports=6,
                               count_minutes=60)
    db_session.flush()
    assert made.polling_date == date(2026, 12, 8) and made.code.startswith("DT2612080030-")
    day = drills.schedule(made)
    assert day.starts_at == datetime(2026, 12, 8, 0, 30, tzinfo=VN_TZ)
    assert [t.time() for t in day.report_times] == [time(0, 40), time(0, 50), time(1), time(1, 10), time(1, 20),
                                                    time(1, 30)]
    assert day.count_until == datetime(2026, 12, 8, 2, 30, tzinfo=VN_TZ)


def _drills(db_session) -> int:
    with working.unbound(db_session):
        return db_session.scalar(sa.select(sa.func.count()).select_from(Election).where(Election.is_drill))


def test_a_drill_that_would_run_past_midnight_is_refused_on_the_page_and_the_command_line(app, as_user, db_session,
                                                                                           w):
    db_session.commit()
    before = _drills(db_session)
    client = as_user("quantri")
    token = csrf_token(client, "/drills")
    bad = client.post("/drills", data={"csrf_token": token, "province": str(w.province("79").id),
                                       "starts_at": "2026-12-07T23:00", "slot_minutes": "10", "reports": "6",
                                       "count_minutes": "60"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and PAST_MIDNIGHT_VI in html and "2026-12-07T23:00" in html
    real = elections.current_election(db_session)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["drill", "create", "--from", real.code, "--province", "79",
                                  "--start", "2026-12-07T23:00", "--slot-minutes", "10", "--count-minutes", "60"])
    assert refused.exit_code == 1 and PAST_MIDNIGHT_VI in refused.output, refused.output
    db_session.expire_all()
    assert _drills(db_session) == before  # nothing written
    # The same drill two hours earlier is made.
    made = runner.invoke(args=["drill", "create", "--from", real.code, "--province", "79",
                               "--start", (DRILL_NOW.replace(hour=21)).strftime("%Y-%m-%dT%H:%M"),
                               "--slot-minutes", "10", "--count-minutes", "60"])
    assert made.exit_code == 0, made.output
    db_session.expire_all()
    assert _drills(db_session) == before + 1
