"""Count progress (issue 17 §5): the leader's marks per ballot, the minutes' own states, and "x / N tổ hoàn thành"
per Ban, commune and province at a time of the night."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.results.helpers import NA, RECEIVED, put_report
from tests.test_scope_sweep import lasting_sessions, sign_in  # noqa: F401 (autouse)
from webapp.accounts.models import User
from webapp.audit.models import AuditEntry
from webapp.clock import VN_TZ
from webapp.counting import services
from webapp.counting.models import CountMark, Mark


def _post(client, token, contest_id, mark, client_uuid=None):
    return client.post("/count-progress", data={"csrf_token": token, "contest_id": contest_id, "mark": mark,
                                                "client_uuid": str(client_uuid or uuid.uuid4())})


def test_the_leader_marks_each_ballot_after_the_close(app, client, db_session, w):
    area = w.user("to01").polling_area
    na = next(link.contest_id for link in area.unit_links if link.contest.kind is NA)
    token = sign_in(client, "to01")
    try:
        app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T18:30"
        assert _post(client, token, na, "counting").status_code == 422  # no count before 19:00
        app.config["REPORTING_CLOCK_OVERRIDE"] = "2026-03-15T19:20"
        same = uuid.uuid4()
        assert _post(client, token, na, "counting", same).status_code == 303
        assert _post(client, token, na, "counting", same).status_code == 303  # the outbox sends it again
        assert _post(client, token, na, "bogus").status_code == 422
        assert _post(client, token, 2_000_000_000, "counted").status_code == 422
        marks = db_session.scalars(sa.select(CountMark).where(CountMark.polling_area_id == area.id)).all()
        assert [(m.mark, m.channel.value) for m in marks] == [(Mark.COUNTING, "web")]
        audited = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "count_marks")).all()
        assert [e.after["mark"] for e in audited] == ["counting"]
        assert 'href="/count-progress"' in client.get(f"/reports/{area.id}/count").get_data(as_text=True)
        page = client.get("/count-progress").get_data(as_text=True)
        assert "Counting finished" in page or "Kiểm phiếu xong" in page
    finally:
        app.config.pop("REPORTING_CLOCK_OVERRIDE", None)


def _mark(db_session, area, contest_id, mark, at):
    db_session.add(CountMark(election_id=w_election(db_session), polling_area_id=area.id,
                             province_id=area.province_id, commune_id=area.commune_id, contest_id=contest_id,
                             mark=mark, client_uuid=uuid.uuid4(), channel="web",
                             marked_by_id=db_session.scalar(sa.select(User.id).limit(1)), marked_at=at))
    db_session.flush()


def w_election(db_session):
    from webapp.elections import services as elections

    return elections.current_election(db_session).id


def test_x_of_n_finished_at_each_time_of_the_night(db_session, w):
    """Worked example: an NA team counting by 20:00, counted by 21:00, its minutes sent by 22:00."""
    user = w.user("xa")
    area = w.user("to01").polling_area
    na = next(link for link in area.unit_links if link.contest.kind is NA)
    _mark(db_session, area, na.contest_id, Mark.COUNTING, datetime(2026, 3, 15, 19, 40, tzinfo=VN_TZ))
    _mark(db_session, area, na.contest_id, Mark.COUNTED, datetime(2026, 3, 15, 20, 40, tzinfo=VN_TZ))
    for link in area.unit_links:
        if link.contest_id != na.contest_id:  # the team's other ballots are counted by 21:00 too
            _mark(db_session, area, link.contest_id, Mark.SIGNED, datetime(2026, 3, 15, 20, 50, tzinfo=VN_TZ))
    report = put_report(db_session, w, area, NA, status=RECEIVED)
    report.submitted_at = datetime(2026, 3, 15, 21, 40, tzinfo=VN_TZ)
    db_session.flush()
    now = datetime(2026, 3, 15, 23, 30, tzinfo=VN_TZ)

    def at(hour: int) -> services.Progress:
        return services.progress(db_session, user, at=datetime(2026, 3, 15, hour, tzinfo=VN_TZ), now=now,
                                 commune_id=user.commune_id)

    states = [services.states(db_session, sa.select(sa.literal(area.id)),
                              datetime(2026, 3, 15, h, tzinfo=VN_TZ)).get((area.id, na.contest_id))
              for h in (19, 20, 21, 22)]
    assert states == [None, "counting", "counted", "sent"]
    before, after = at(20), at(21)
    assert (area, na.contest, "counting") in {u.id: t for u, t in before.units}[na.unit_id].still
    unit_before, unit_after = ({u.id: t for u, t in p.units}[na.unit_id] for p in (before, after))
    assert unit_after.finished == unit_before.finished + 1
    assert after.total.finished == before.total.finished + 1  # the team finished every ballot
    assert after.total.expected == before.total.expected
    assert [t.strftime("%H:%M") for t in after.times] == ["20:00", "21:00", "22:00", "23:00"]
