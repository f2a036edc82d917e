"""The rollups against an independent GROUP BY over the raw reports, at every level, after incremental
refreshes and after a full rebuild (field lesson 8)."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from tests.progress.helpers import areas_of, raw_turnout, rebuild_now, refresh_now, send, vn
from tests.results.helpers import put_report, set_status
from webapp.elections.models import ContestKind, PollingAreaUnit
from webapp.progress.models import Level, TurnoutRollup
from webapp.progress.services import nation_progress
from webapp.reports.models import ReportStatus


def _rollups(session, level: str) -> dict[tuple, tuple[int, int, int, int, int]]:
    if level == "nation":
        figures = nation_progress(session, _admin(session), vn(12)).figures
        return {(0, cid, at): (s.reported, s.returned, s.confirmed, s.voted, s.confirmed_voted)
                for cid, by_time in figures.slots.items() for at, s in by_time.items() if s.reported or s.returned}
    rows = session.scalars(sa.select(TurnoutRollup).where(TurnoutRollup.level == Level(level))).all()
    out: dict[tuple, list[int]] = {}
    for r in rows:
        if not (r.reported or r.returned):
            continue
        acc = out.setdefault((r.place_id, r.contest_id, r.slot_at), [0, 0, 0, 0, 0])
        for i, v in enumerate((r.reported, r.returned, r.confirmed, r.voted, r.confirmed_voted)):
            acc[i] += v
    return {k: tuple(v) for k, v in out.items()}


def _admin(session):
    from webapp.accounts.models import Role, User

    return session.scalars(sa.select(User).where(User.role == Role.ADMIN)).first()


def _day(db_session, w) -> None:
    """Reports at several times in three communes and two provinces; a correction, a return, a confirmation."""
    ben_thanh, sai_gon = areas_of(w, "26743"), areas_of(w, "26740")
    for i, area in enumerate(ben_thanh[:6]):
        send(db_session, area, 100 + i, now=vn(9, 5))
        send(db_session, area, 300 + i, now=vn(11, 40 + i))  # 11:30 + 15 min grace: the last ones are late
    for i, area in enumerate(sai_gon[:4]):
        send(db_session, area, 150 + i, now=vn(9, 20 + i))
    hanoi = w.area("00070-01")
    send(db_session, hanoi, 90, now=vn(9, 2))
    send(db_session, hanoi, 400, now=vn(11, 5))
    corrected = send(db_session, ben_thanh[0], 280, now=vn(11, 50), slot=time(11, 30), reason="Đếm nhầm")
    assert corrected.version == 2


def _check_all_levels(db_session) -> None:
    for level in ("commune", "province", "nation"):
        assert _rollups(db_session, level) == raw_turnout(db_session, level=level), level


def test_rollups_equal_a_group_by_over_the_reports_after_each_refresh(db_session, w):
    refresh_now(db_session)  # the first refresh builds everything
    _day(db_session, w)
    refresh_now(db_session)
    _check_all_levels(db_session)
    from webapp.reports.models import TurnoutReport

    latest = db_session.scalars(sa.select(TurnoutReport).where(TurnoutReport.is_latest)
                                .order_by(TurnoutReport.id)).all()
    set_status(db_session, latest[0], ReportStatus.CONFIRMED)
    set_status(db_session, latest[1], ReportStatus.RETURNED)
    set_status(db_session, latest[2], ReportStatus.CONFIRMED)
    db_session.flush()
    refresh_now(db_session)
    _check_all_levels(db_session)


def test_a_full_rebuild_gives_the_same_rollups_as_the_incremental_refreshes(db_session, w):
    refresh_now(db_session)
    _day(db_session, w)
    refresh_now(db_session)
    incremental = {level: _rollups(db_session, level) for level in ("commune", "province", "nation")}
    rows_before = sorted(tuple(getattr(r, c.key) for c in TurnoutRollup.__table__.columns)
                         for r in db_session.scalars(sa.select(TurnoutRollup)))
    rebuild_now(db_session)
    db_session.expire_all()
    assert {level: _rollups(db_session, level) for level in incremental} == incremental
    rows_after = sorted(tuple(getattr(r, c.key) for c in TurnoutRollup.__table__.columns)
                        for r in db_session.scalars(sa.select(TurnoutRollup)))
    assert rows_after == rows_before


def test_count_minutes_roll_up_with_confirmed_and_provisional_apart(db_session, w):
    refresh_now(db_session)
    areas = areas_of(w, "26743")
    put_report(db_session, w, areas[0], ContestKind.NATIONAL_ASSEMBLY, on_list=1000, voted=900,
               status=ReportStatus.CONFIRMED)
    put_report(db_session, w, areas[1], ContestKind.NATIONAL_ASSEMBLY, on_list=800, voted=600,
               status=ReportStatus.RECEIVED)
    put_report(db_session, w, areas[2], ContestKind.NATIONAL_ASSEMBLY, on_list=700, voted=500,
               status=ReportStatus.RETURNED)
    db_session.flush()
    refresh_now(db_session)
    na = w.contest(ContestKind.NATIONAL_ASSEMBLY)
    counts = nation_progress(db_session, _admin(db_session), vn(21)).figures.counts[na.id]
    assert (counts.received, counts.confirmed, counts.returned, counts.sent) == (1, 1, 1, 2)
    assert (counts.voted, counts.voted_on_list) == (1500, 1800)
    assert (counts.confirmed_voted, counts.confirmed_on_list) == (900, 1000)
    expected = db_session.scalar(sa.select(sa.func.count()).select_from(PollingAreaUnit)
                                 .where(PollingAreaUnit.contest_id == na.id))
    assert counts.expected == expected
