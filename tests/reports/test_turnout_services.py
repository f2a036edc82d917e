from datetime import time

import pytest
import sqlalchemy as sa

from tests.reports.helpers import AREA, links, new_id, vn, voters
from webapp import scope
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind
from webapp.reports import receipts, services
from webapp.reports.models import TurnoutFigure, TurnoutReport
from webapp.reports.services import TurnoutInput


def send(db_session, w, data, *, now, user="to01", client_uuid=None, area=AREA):
    return services.submit_turnout(
        db_session, actor=Actor(w.user(user), Channel.WEB), area_id=w.area(area).id, data=data,
        client_uuid=client_uuid or new_id(), now=now,
    )


def count_rows(db_session, model):
    return db_session.scalar(sa.select(sa.func.count()).select_from(model))


def test_one_number_is_stored_for_every_contest_with_a_receipt(db_session, w):
    result = send(db_session, w, TurnoutInput(voted=250), now=vn(9, 5))
    report = result.report
    assert not result.replayed
    assert report.slot_at == time(9, 0) and report.version == 1 and report.is_latest
    assert receipts.is_well_formed(report.receipt)
    assert report.submitted_by.username == "to01" and report.channel is Channel.WEB
    assert {f.voters_voted for f in report.figures} == {250}
    assert len(report.figures) == len(links(db_session, w.area(AREA)))


def test_the_same_client_id_returns_the_original_and_creates_nothing(db_session, w):
    client_uuid = new_id()
    first = send(db_session, w, TurnoutInput(voted=250), now=vn(9, 5), client_uuid=client_uuid)
    before = (count_rows(db_session, TurnoutReport), count_rows(db_session, TurnoutFigure),
              count_rows(db_session, AuditEntry))
    again = send(db_session, w, TurnoutInput(voted=999), now=vn(9, 20), client_uuid=client_uuid)
    assert again.replayed and again.report.id == first.report.id
    assert again.report.receipt == first.report.receipt
    assert (count_rows(db_session, TurnoutReport), count_rows(db_session, TurnoutFigure),
            count_rows(db_session, AuditEntry)) == before


def test_a_client_id_reused_for_another_area_is_refused(db_session, w):
    client_uuid = new_id()
    send(db_session, w, TurnoutInput(voted=250), now=vn(9, 5), client_uuid=client_uuid)
    with pytest.raises(services.ClientUuidConflict):
        send(db_session, w, TurnoutInput(voted=10), now=vn(9, 5), client_uuid=client_uuid, user="hn_to01",
             area="00070-01")


def test_more_than_the_voters_on_the_list_is_refused(db_session, w):
    area = w.area(AREA)
    na = links(db_session, area)[ContestKind.NATIONAL_ASSEMBLY].contest
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, TurnoutInput(voted=voters(db_session, area, na) + 1), now=vn(9, 5))
    assert "turnout_gt_on_list" in [f.code for f in caught.value.findings]
    assert count_rows(db_session, TurnoutReport) == 0


def test_lower_than_the_last_report_needs_a_reason(db_session, w):
    send(db_session, w, TurnoutInput(voted=400), now=vn(9, 5))
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, TurnoutInput(voted=380), now=vn(11, 35))
    assert [f.code for f in caught.value.findings] == ["turnout_decreased"]
    accepted = send(db_session, w, TurnoutInput(voted=380, reason="Báo cáo 9 giờ đếm trùng 20 cử tri"),
                    now=vn(11, 36)).report
    assert accepted.slot_at == time(11, 30)
    assert accepted.reason == "Báo cáo 9 giờ đếm trùng 20 cử tri"


@pytest.mark.parametrize("now", [vn(4, 59), vn(21, 1), vn(10, 0, day=14), vn(10, 0, day=16)])
def test_a_report_outside_the_days_hours_is_refused(db_session, w, now):
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, TurnoutInput(voted=10), now=now)
    assert "turnout_outside_hours" in [f.code for f in caught.value.findings]


def test_per_contest_numbers_are_kept_apart(db_session, w):
    area = w.area(AREA)
    by_kind = links(db_session, area)
    numbers = {link.contest_id: 300 - i for i, link in enumerate(by_kind.values())}
    report = send(db_session, w, TurnoutInput(per_contest=numbers), now=vn(9, 1)).report
    assert report.per_contest
    assert {f.contest_id: f.voters_voted for f in report.figures} == numbers


def test_a_missing_per_contest_number_is_refused(db_session, w):
    by_kind = links(db_session, w.area(AREA))
    numbers = {link.contest_id: 300 for link in by_kind.values()}
    numbers[by_kind[ContestKind.COMMUNE_COUNCIL].contest_id] = None
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, TurnoutInput(per_contest=numbers), now=vn(9, 1))
    assert caught.value.contests == [by_kind[ContestKind.COMMUNE_COUNCIL].contest_id]


def test_a_second_report_for_the_same_time_is_a_new_version(db_session, w):
    first = send(db_session, w, TurnoutInput(voted=250), now=vn(9, 5)).report
    second = send(db_session, w, TurnoutInput(voted=260), now=vn(9, 10)).report
    db_session.refresh(first)
    assert (first.version, first.is_latest) == (1, False)
    assert (second.version, second.is_latest, second.supersedes_id) == (2, True, first.id)
    assert first.receipt != second.receipt
    assert {f.voters_voted for f in first.figures} == {250}  # never overwritten


def test_report_times_have_windows_and_deadlines(db_session, w):
    assert send(db_session, w, TurnoutInput(voted=100), now=vn(10, 0)).report.slot_at == time(9, 0)
    assert send(db_session, w, TurnoutInput(voted=200), now=vn(11, 5)).report.slot_at == time(11, 30)
    overview = services.turnout_overview(db_session, w.user("to01"), w.area(AREA).id, vn(15, 40))
    states = {s.at: (s.state, s.late_minutes) for s in overview.slots}
    assert states[time(9, 0)] == ("reported", 45)  # sent 10:00, due 09:15
    assert states[time(11, 30)] == ("reported", 0)
    assert states[time(15, 0)] == ("missed", 25)  # due 15:15, now 15:40
    assert states[time(19, 0)] == ("upcoming", 0)
    assert overview.next.at == time(15, 0)
    assert overview.previous.slot_at == time(11, 30)


def test_a_report_time_that_has_not_started_is_refused(db_session, w):
    with pytest.raises(services.UnknownReportTime):
        send(db_session, w, TurnoutInput(voted=100, slot=time(15, 0)), now=vn(11, 0))
    with pytest.raises(services.UnknownReportTime):
        send(db_session, w, TurnoutInput(voted=100, slot=time(10, 0)), now=vn(11, 0))


def test_a_late_replay_keeps_the_report_time_it_was_made_for(db_session, w):
    report = send(db_session, w, TurnoutInput(voted=100, slot=time(9, 0)), now=vn(12, 0)).report
    assert report.slot_at == time(9, 0)


def test_no_change_repeats_the_numbers_for_the_next_time(db_session, w):
    send(db_session, w, TurnoutInput(voted=420), now=vn(11, 31))
    report = send(db_session, w, TurnoutInput(voted=420, no_change=True), now=vn(15, 2)).report
    assert report.no_change and report.slot_at == time(15, 0)


def test_out_of_scope_leader_gets_not_found_and_officials_cannot_send(db_session, w):
    with pytest.raises(scope.OutOfScope):
        send(db_session, w, TurnoutInput(voted=10), now=vn(9, 5), user="hn_to01")
    with pytest.raises(services.NotAllowed):
        send(db_session, w, TurnoutInput(voted=10), now=vn(9, 5), user="xa")
    with pytest.raises(scope.OutOfScope):
        services.turnout_overview(db_session, w.user("hn_to01"), w.area(AREA).id, vn(9, 5))
    assert services.turnout_overview(db_session, w.user("xa"), w.area(AREA).id, vn(9, 5)).area.code == AREA


def test_every_write_is_audited_with_its_place(db_session, w):
    report = send(db_session, w, TurnoutInput(voted=250), now=vn(9, 5)).report
    entries = db_session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type.in_(["turnout_reports", "turnout_figures"]))
    ).all()
    assert {e.entity_type for e in entries} == {"turnout_reports", "turnout_figures"}
    assert {e.polling_area_id for e in entries} == {report.polling_area_id}
    assert all(e.action == "create" for e in entries)
