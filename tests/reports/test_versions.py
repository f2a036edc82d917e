"""The one path that writes report versions (webapp.reports.versions): one announcement per version written, the
actor's channel and address on both the version and its audit entry, the version replaced taken off and audited,
and a status change audited and announced once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from tests.reports.helpers import AREA, count_data, good_numbers, links, new_id, vn
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind
from webapp.reports import services, versions
from webapp.reports.models import CountReport, ReportStatus, TurnoutReport
from webapp.reports.services import TurnoutInput

NA = ContestKind.NATIONAL_ASSEMBLY


@contextlib.contextmanager
def heard(signal) -> Iterator[list[tuple[str, object]]]:
    calls: list[tuple[str, object]] = []

    def receiver(sender: str, **kwargs: object) -> None:
        calls.append((sender, kwargs.get("written") or kwargs.get("change")))

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)


def send_count(db_session, w, actor, *, voted=None, client_uuid=None, now=None):
    area = w.area(AREA)
    return services.submit_count(
        db_session, actor=actor, area_id=area.id, contest_id=links(db_session, area)[NA].contest_id,
        data=count_data(w, good_numbers(db_session, area, NA, voted=voted)), client_uuid=client_uuid or new_id(),
        now=now or vn(20, 0))


def send_turnout(db_session, w, actor, voted, *, client_uuid=None, now=None):
    return services.submit_turnout(db_session, actor=actor, area_id=w.area(AREA).id, data=TurnoutInput(voted=voted),
                                   client_uuid=client_uuid or new_id(), now=now or vn(9, 5))


def test_every_version_written_is_announced_once_and_a_replay_not_at_all(db_session, w):
    leader = Actor(w.user("to01"), Channel.WEB)
    first_id = new_id()
    with heard(versions.version_written) as calls:
        first = send_count(db_session, w, leader, client_uuid=first_id).report
        send_count(db_session, w, leader, client_uuid=first_id)  # a replay
        second = send_count(db_session, w, leader, voted=first.voters_voted - 1, now=vn(20, 5)).report
        turnout = send_turnout(db_session, w, leader, 300).report
    assert [(kind, written.new.report_id) for kind, written in calls] == [
        ("count", first.id), ("count", second.id), ("turnout", turnout.id)]
    _, correction = calls[1]
    assert correction.previous.report_id == first.id and correction.previous.version == 1
    assert correction.new.numbers["voters_voted"] == first.voters_voted - 1
    assert calls[0][1].previous is None and calls[2][1].new.numbers == {f.contest_id: 300 for f in turnout.figures}
    assert calls[2][1].due == vn(9, 15) and calls[2][1].actor is leader


def test_the_actor_feeds_both_the_version_and_its_audit_entry(db_session, w):
    """The session is bound to another context (the tests' CLI one): what the service was given wins on both."""
    by_phone = Actor(w.user("tongdai"), Channel.PHONE, ip="10.1.2.3")
    report = send_turnout(db_session, w, by_phone, 250).report
    assert (report.channel, report.submitted_by.username) == (Channel.PHONE, "tongdai")
    entries = db_session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity_type.in_(["turnout_reports", "turnout_figures"]))).all()
    assert len(entries) == 1 + len(report.figures)
    assert {(e.channel, e.actor_username, e.ip) for e in entries} == {(Channel.PHONE, "tongdai", "10.1.2.3")}
    created = next(e for e in entries if e.entity_type == "turnout_reports")
    assert created.entity_id == str(report.id) and created.after["channel"] == "phone"


def test_a_turnout_correction_takes_the_old_version_off_and_says_so(db_session, w):
    leader = Actor(w.user("to01"), Channel.WEB)
    first = send_turnout(db_session, w, leader, 250).report
    second = send_turnout(db_session, w, leader, 260, now=vn(9, 10)).report
    assert (second.version, second.supersedes_id, first.is_latest) == (2, first.id, False)
    latest = db_session.scalars(sa.select(TurnoutReport.id).where(TurnoutReport.is_latest)).all()
    assert latest == [second.id]
    entry = db_session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "turnout_reports", AuditEntry.entity_id == str(first.id),
        AuditEntry.action == "update")).one()
    assert (entry.before, entry.after, entry.actor_username) == ({"is_latest": True}, {"is_latest": False}, "to01")


def test_a_status_change_is_audited_and_announced_once(db_session, w):
    report = send_count(db_session, w, Actor(w.user("to01"), Channel.WEB)).report
    with heard(versions.status_changed) as calls:
        versions.change_status(db_session, report, ReportStatus.CONFIRMED, by=w.user("xa"), at=vn(20, 30),
                               reviewed_by_id=w.user("xa").id, reviewed_at=vn(20, 30))
        versions.change_status(db_session, report, ReportStatus.CONFIRMED, by=w.user("xa"), at=vn(20, 31))
    assert [(kind, change.before, change.report.status) for kind, change in calls] == [
        ("count", ReportStatus.RECEIVED, ReportStatus.CONFIRMED)]
    stored = db_session.execute(sa.select(CountReport.__table__.c.status).where(
        CountReport.__table__.c.id == report.id)).scalar()
    assert stored is ReportStatus.CONFIRMED and report.reviewed_by_id == w.user("xa").id
    entry = db_session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity_type == "count_reports", AuditEntry.entity_id == str(report.id),
        AuditEntry.action == "update")).one()
    assert entry.before == {"status": "received", "reviewed_by_id": None, "reviewed_at": None}
    assert entry.after["status"] == "confirmed" and entry.after["reviewed_by_id"] == w.user("xa").id
