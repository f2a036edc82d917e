import dataclasses

import pytest
import sqlalchemy as sa

from tests.reports.helpers import AREA, count_data, good_numbers, links, new_id, vn
from webapp import scope
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind
from webapp.reports import services
from webapp.reports.models import CountReport, CountVote, ReportStatus
from webapp.reports.services import TurnoutInput

NA = ContestKind.NATIONAL_ASSEMBLY


def send(db_session, w, data, *, kind=NA, now=None, user="to01", client_uuid=None):
    area = w.area(AREA)
    return services.submit_count(
        db_session, actor=Actor(w.user(user), Channel.WEB), area_id=area.id, contest_id=links(db_session, area)[kind].contest_id,
        data=data, client_uuid=client_uuid or new_id(), now=now or vn(20, 0),
    )


def rows(db_session, model):
    return db_session.scalar(sa.select(sa.func.count()).select_from(model))


def changed(numbers, **values):
    return dataclasses.replace(numbers, **values)


def test_consistent_minutes_are_stored_with_every_field(db_session, w):
    numbers = good_numbers(db_session, w.area(AREA), NA)
    report = send(db_session, w, count_data(w, numbers, complaints_note="Không có")).report
    assert report.version == 1 and report.is_latest and report.status is ReportStatus.RECEIVED
    assert (report.voters_voted, report.valid, report.invalid) == (numbers.voters_voted, numbers.valid,
                                                                  numbers.invalid)
    assert {v.candidate_id: v.votes for v in report.votes} == dict(numbers.votes)
    assert [s["name"] for s in report.signers] == [m.full_name for m in w.area(AREA).team[:3]]
    assert (report.witness_1, report.witness_2) == ("Nguyễn Văn Chứng", "Lê Thị Kiến")
    assert report.findings == [] and report.explanations == {}
    assert report.unit.code == "QH-79-01"


def test_replay_returns_the_same_receipt_and_creates_nothing(db_session, w):
    data = count_data(w, good_numbers(db_session, w.area(AREA), NA))
    client_uuid = new_id()
    first = send(db_session, w, data, client_uuid=client_uuid)
    before = rows(db_session, CountReport), rows(db_session, CountVote), rows(db_session, AuditEntry)
    for _ in range(3):  # double tap, retry after a timeout, replay from the offline queue
        again = send(db_session, w, data, client_uuid=client_uuid, now=vn(23, 0))
        assert again.replayed and again.report.receipt == first.report.receipt
    assert (rows(db_session, CountReport), rows(db_session, CountVote), rows(db_session, AuditEntry)) == before


def test_a_correction_is_a_new_version_and_nothing_is_overwritten(db_session, w):
    numbers = good_numbers(db_session, w.area(AREA), NA)
    first = send(db_session, w, count_data(w, numbers)).report
    second = send(db_session, w, count_data(w, good_numbers(db_session, w.area(AREA), NA,
                                                           voted=numbers.voters_voted - 2))).report
    db_session.refresh(first)
    assert (first.is_latest, second.is_latest, second.version, second.supersedes_id) == (False, True, 2, first.id)
    assert first.voters_voted == numbers.voters_voted
    latest = db_session.scalars(sa.select(CountReport).where(CountReport.is_latest)).all()
    assert latest == [second]


def test_a_confirmed_report_is_locked(db_session, w):
    report = send(db_session, w, count_data(w, good_numbers(db_session, w.area(AREA), NA))).report
    report.status = ReportStatus.CONFIRMED
    db_session.flush()
    with pytest.raises(services.ReportLocked):
        send(db_session, w, count_data(w, good_numbers(db_session, w.area(AREA), NA)))


def test_a_returned_report_can_be_corrected(db_session, w):
    report = send(db_session, w, count_data(w, good_numbers(db_session, w.area(AREA), NA))).report
    report.status, report.returned_reasons = ReportStatus.RETURNED, "Thiếu chữ ký"
    db_session.flush()
    again = send(db_session, w, count_data(w, good_numbers(db_session, w.area(AREA), NA))).report
    assert again.version == 2 and again.status is ReportStatus.RECEIVED


BLOCKING = {
    "voted_gt_on_list": lambda n: changed(n, voters_voted=n.voters_on_list + 1, ballots_issued=n.voters_on_list + 1),
    "received_gt_issued": lambda n: changed(n, ballots_received=n.ballots_issued + 1),
    "valid_plus_invalid_ne_received": lambda n: changed(n, invalid=n.invalid + 2),
    "candidate_votes_gt_valid": lambda n: changed(n, votes={**n.votes, min(n.votes): n.valid + 1}),
    "votes_below_valid": lambda n: changed(n, votes={k: 0 for k in n.votes}),
    "blank": lambda n: changed(n, valid=None),
    "negative": lambda n: changed(n, complaints_received=-1),
    "candidate_missing": lambda n: changed(n, votes={k: v for k, v in n.votes.items() if k != min(n.votes)}),
}


@pytest.mark.parametrize("code", sorted(BLOCKING))
def test_every_blocking_finding_refuses_the_report(db_session, w, code):
    numbers = BLOCKING[code](good_numbers(db_session, w.area(AREA), NA))
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, count_data(w, numbers, explanations={"issued_ne_voted": "x", "received_lt_issued": "x"}))
    assert code in [f.code for f in caught.value.findings]
    assert rows(db_session, CountReport) == 0


def test_minutes_before_voting_closes_are_refused(db_session, w):
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, count_data(w, good_numbers(db_session, w.area(AREA), NA)), now=vn(18, 30))
    assert [f.code for f in caught.value.findings] == ["submitted_before_close"]


def test_a_suspicious_difference_needs_a_written_explanation(db_session, w):
    numbers = good_numbers(db_session, w.area(AREA), NA)
    numbers = changed(numbers, ballots_issued=numbers.voters_voted + 2, ballots_received=numbers.voters_voted + 2,
                      valid=numbers.valid + 2)
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, count_data(w, numbers))
    assert [f.code for f in caught.value.unexplained] == ["issued_ne_voted"]
    with pytest.raises(services.ReportRejected):
        send(db_session, w, count_data(w, numbers, explanations={"issued_ne_voted": "   "}))
    report = send(db_session, w, count_data(w, numbers, explanations={
        "issued_ne_voted": "Hai cử tri làm hỏng phiếu, đã đổi phiếu khác", "unrelated": "dropped"})).report
    assert report.explanations == {"issued_ne_voted": "Hai cử tri làm hỏng phiếu, đã đổi phiếu khác"}
    assert [f["code"] for f in report.findings] == ["issued_ne_voted"]


def test_the_last_turnout_report_is_compared_with_voters_who_voted(db_session, w):
    numbers = good_numbers(db_session, w.area(AREA), NA)
    services.submit_turnout(db_session, actor=Actor(w.user("to01"), Channel.WEB), area_id=w.area(AREA).id,
                            data=TurnoutInput(voted=numbers.voters_voted - 5), client_uuid=new_id(), now=vn(19, 5))
    review = services.review_count(db_session, user=w.user("to01"), area_id=w.area(AREA).id,
                                   contest_id=links(db_session, w.area(AREA))[NA].contest_id, numbers=numbers,
                                   now=vn(20, 0))
    assert [f.code for f in review.to_explain] == ["turnout_ne_voted"]
    assert review.to_explain[0].params["diff"] == 5


def test_checks_across_the_stations_contests_only_warn(db_session, w):
    area = w.area(AREA)
    na = good_numbers(db_session, area, NA)
    send(db_session, w, count_data(w, na))
    provincial = good_numbers(db_session, area, ContestKind.PROVINCIAL_COUNCIL)
    provincial = changed(provincial, voters_on_list=na.voters_on_list + 50)
    report = send(db_session, w, count_data(w, provincial), kind=ContestKind.PROVINCIAL_COUNCIL).report
    assert [(f["code"], f["severity"]) for f in report.findings] == [("on_list_above_wider_contest", "warn")]


def test_a_contest_the_area_does_not_vote_in_is_refused(db_session, w):
    area = w.area(AREA)
    commune_link = links(db_session, area)[ContestKind.COMMUNE_COUNCIL]
    numbers = good_numbers(db_session, area, ContestKind.COMMUNE_COUNCIL)
    db_session.delete(commune_link)
    db_session.flush()
    with pytest.raises(services.ContestNotHeld):
        services.submit_count(db_session, actor=Actor(w.user("to01"), Channel.WEB), area_id=area.id,
                              contest_id=commune_link.contest_id, data=count_data(w, numbers),
                              client_uuid=new_id(), now=vn(20, 0))


@pytest.mark.parametrize("overrides, code", [
    ({"signer_ids": ()}, "no_signers"),
    ({"signer_ids": (999999,)}, "unknown_signer"),
    ({"witnesses": ("Nguyễn Văn Chứng", " ")}, "witnesses_missing"),
    ({"witnesses": ("Lê Thị Kiến", "lê thị  kiến")}, "witnesses_same"),
])
def test_signers_and_two_witnesses_are_required(db_session, w, overrides, code):
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, count_data(w, good_numbers(db_session, w.area(AREA), NA), **overrides))
    assert (caught.value.signatures, caught.value.findings) == ([code], [])
    assert rows(db_session, CountReport) == 0


def test_every_problem_of_the_minutes_is_reported_at_once(db_session, w):
    """The arithmetic, the explanation still owed, the signers and the witnesses: one refusal names them all."""
    numbers = good_numbers(db_session, w.area(AREA), NA)
    numbers = changed(numbers, valid=numbers.valid + 1, ballots_issued=numbers.voters_voted + 2)
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, count_data(w, numbers, signer_ids=(), witnesses=("Lê Thị Kiến", " lê thị kiến")))
    assert "valid_plus_invalid_ne_received" in [f.code for f in caught.value.findings]
    assert "issued_ne_voted" in [f.code for f in caught.value.unexplained]
    assert caught.value.signatures == ["no_signers", "witnesses_same"]
    with pytest.raises(services.ReportRejected) as caught:
        send(db_session, w, count_data(w, numbers, signer_ids=(999999,), witnesses=("", "Lê Thị Kiến")))
    assert caught.value.signatures == ["unknown_signer", "witnesses_missing"]
    assert rows(db_session, CountReport) == 0


def test_scope_out_of_area_is_not_found_and_officials_cannot_send(db_session, w):
    data = count_data(w, good_numbers(db_session, w.area(AREA), NA))
    with pytest.raises(scope.OutOfScope):
        send(db_session, w, data, user="hn_to01")
    with pytest.raises(services.NotAllowed):
        send(db_session, w, data, user="xa")
    report = send(db_session, w, data).report
    with pytest.raises(scope.OutOfScope):
        services.count_report_for(db_session, w.user("hn_to01"), report.id)
    for viewer in ("xa", "tinh", "tongdai", "quantri"):
        assert services.count_report_for(db_session, w.user(viewer), report.id) is report
    assert services.find_receipt(db_session, w.user("tongdai"), report.receipt.lower()) is report
    assert services.find_receipt(db_session, w.user("hn_tongdai"), report.receipt) is None


def test_each_write_leaves_audit_rows(db_session, w):
    report = send(db_session, w, count_data(w, good_numbers(db_session, w.area(AREA), NA))).report
    types = db_session.scalars(
        sa.select(AuditEntry.entity_type).where(AuditEntry.polling_area_id == report.polling_area_id)
    ).all()
    assert types.count("count_reports") == 1
    # The votes are recorded inside their version's entry, not one entry each.
    assert "count_votes" not in types
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "count_reports",
                                                           AuditEntry.entity_id == str(report.id))).one()
    assert entry.after["votes"] == {str(v.candidate_id): v.votes for v in report.votes} and entry.after["votes"]
    assert entry.after["voters_voted"] == report.voters_voted and entry.after["receipt"] == report.receipt
