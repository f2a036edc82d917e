"""Mẫu 32/HĐBC, the inventory of ballots used (issue 17 §3): the check (worked examples and a property), stored with
the count minutes' version, shown to the leader and the reviewer, sent through the API, printed."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.reports.helpers import AREA, count_data, good_numbers, links, new_id, vn
from tests.reports.test_checks import CTX, report
from tests.results.test_forms import get_pdf
from tests.reports.test_views import clock, count_form_data, count_url, soup  # noqa: F401  (clock: a fixture)
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind
from webapp.reports import services
from webapp.reports.checks import Finding, Severity, check_count, needing_explanation
from webapp.reports.models import CountReport

NA = ContestKind.NATIONAL_ASSEMBLY
INVENTORY = ("ballots_from_commune", "ballots_spoiled", "ballots_unused", "ballots_issued")


def inventory(received: int | None, spoiled: int | None, unused: int | None, **changes: object):
    return report(ballots_from_commune=received, ballots_spoiled=spoiled, ballots_unused=unused, **changes)


def tenth(data) -> list[Finding]:  # type: ignore[no-untyped-def]
    return [f for f in check_count(data, CTX) if f.check == 10 or f.fields[:1] in (
        ("ballots_from_commune",), ("ballots_spoiled",), ("ballots_unused",))]


# --- worked examples (the minutes of test_checks.report: 812 voted, 812 ballots issued) --------------------------

def test_a_balanced_inventory_has_no_finding() -> None:
    # 900 received from the commune: 812 issued to the voters who voted, 3 spoiled and exchanged, 85 unused.
    assert check_count(inventory(900, 3, 85), CTX) == []
    assert check_count(inventory(812, 0, 0), CTX) == []


def test_minutes_without_an_inventory_are_checked_as_before() -> None:
    assert check_count(inventory(None, None, None), CTX) == []


def test_a_ballot_unaccounted_for_needs_a_written_reason_with_the_numbers() -> None:
    # 900 received, but 812 + 3 + 80 = 895: five ballots are not accounted for.
    (f,) = tenth(inventory(900, 3, 80))
    assert f == Finding(10, "inventory_ne_received", Severity.EXPLAIN, INVENTORY,
                        {"from_commune": 900, "issued": 812, "spoiled": 3, "unused": 80, "sum": 895, "diff": 5})
    assert needing_explanation([f]) == [f]


def test_spoiled_ballots_are_kept_apart_from_the_ballots_issued() -> None:
    # Counting the 3 exchanged ballots inside "issued" (815) as well would count them twice.
    (f,) = tenth(inventory(900, 3, 85, ballots_issued=815, ballots_received=812))
    assert (f.params["sum"], f.params["diff"]) == (903, 3)


def test_a_partly_entered_inventory_names_what_is_missing() -> None:
    found = tenth(inventory(900, None, 85))
    assert [(f.code, f.severity, f.fields) for f in found] == [("blank", Severity.BLOCK, ("ballots_spoiled",))]
    assert [f.code for f in tenth(inventory(900, -1, 85))] == ["negative"]


def test_the_message_says_how_the_inventory_disagrees(app) -> None:  # type: ignore[no-untyped-def]
    from webapp.reports.check_messages import describe

    (f,) = tenth(inventory(900, 3, 80))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert describe(f) == ("Ballots received from the commune = 900 but issued 812 + spoiled and exchanged 3 + "
                               "not used 80 = 895: off by 5. Count the ballots again or write the reason.")


@given(issued=st.integers(0, 5000), spoiled=st.integers(0, 50), unused=st.integers(0, 5000),
       error=st.integers(-30, 30))
def test_the_inventory_balances_exactly_when_every_ballot_is_accounted_for(issued, spoiled, unused, error) -> None:
    assume(issued + spoiled + unused + error >= 0)  # a negative count is check 1's
    one_per_voter = {name: issued for name in ("voters_voted", "ballots_issued", "ballots_received", "valid")}
    data = inventory(issued + spoiled + unused + error, spoiled, unused, invalid=0, votes={}, names_kept=None,
                     **one_per_voter)
    found = [f for f in check_count(data, CTX) if f.check == 10]
    assert bool(found) == (error != 0)
    if found:
        assert found[0].params["diff"] == abs(error) and found[0].severity is Severity.EXPLAIN


# --- stored with the minutes' version -------------------------------------------------------------------------------

def _send(db_session, w, numbers, **data):  # type: ignore[no-untyped-def]
    area = w.area(AREA)
    return services.submit_count(db_session, actor=Actor(w.user("to01"), Channel.WEB), area_id=area.id,
                                 contest_id=links(db_session, area)[NA].contest_id, data=count_data(w, numbers, **data),
                                 client_uuid=new_id(), now=vn(20, 0))


def with_inventory(numbers, spoiled: int = 2, unused: int = 40, extra: int = 0):  # type: ignore[no-untyped-def]
    return dataclasses.replace(numbers, ballots_from_commune=numbers.ballots_issued + spoiled + unused + extra,
                               ballots_spoiled=spoiled, ballots_unused=unused)


def test_the_inventory_is_stored_audited_and_kept_with_each_version(db_session, w) -> None:
    numbers = good_numbers(db_session, w.area(AREA), NA)
    first = _send(db_session, w, with_inventory(numbers)).report
    assert (first.ballots_from_commune, first.ballots_spoiled, first.ballots_unused) == (
        numbers.ballots_issued + 42, 2, 40)
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "count_reports")).one()
    assert entry.after["ballots_from_commune"] == numbers.ballots_issued + 42
    second = _send(db_session, w, with_inventory(numbers, spoiled=1, unused=41)).report
    db_session.refresh(first)
    assert (first.ballots_spoiled, second.ballots_spoiled, second.version) == (2, 1, 2)
    third = _send(db_session, w, numbers).report  # a correction without it: the version has none
    assert third.ballots_from_commune is None and third.version == 3


def test_an_unbalanced_inventory_is_refused_until_explained(db_session, w) -> None:
    numbers = with_inventory(good_numbers(db_session, w.area(AREA), NA), extra=4)
    with pytest.raises(services.ReportRejected) as refused:
        _send(db_session, w, numbers)
    assert [f.code for f in refused.value.unexplained] == ["inventory_ne_received"]
    sent = _send(db_session, w, numbers, explanations={"inventory_ne_received": "4 phiếu rơi, đã tìm thấy"}).report
    assert sent.explanations == {"inventory_ne_received": "4 phiếu rơi, đã tìm thấy"}


# --- the leader's form, the hotline's, the reviewer, the print --------------------------------------------------------

def test_the_leader_enters_the_inventory_with_the_minutes(as_user, w, clock, db_session) -> None:
    clock(vn(19, 40))
    client = as_user("to01")
    url = count_url(w, db_session)
    page = soup(client.get(url))
    assert all(page.select_one(f"#count-entry input[name={n}][inputmode=numeric]") for n in INVENTORY[:3])
    values = count_form_data(db_session, w, page)
    issued = int(values["ballots_issued"])
    values.update(ballots_from_commune=str(issued + 50), ballots_spoiled="2", ballots_unused="45")
    refused = client.post(url, data={**values, "step": "review"})
    assert refused.status_code == 422
    assert soup(refused).select_one("textarea[name=explain_inventory_ne_received]") is not None
    values["ballots_unused"] = "48"
    readback = soup(client.post(url, data={**values, "step": "review"}))
    assert "Mẫu 32" in readback.text or "Form 32" in readback.text
    sent = client.post(url, data={**values, "step": "send"})
    assert sent.status_code == 303
    stored = db_session.scalars(sa.select(CountReport)).one()
    assert (stored.ballots_from_commune, stored.ballots_spoiled, stored.ballots_unused) == (issued + 50, 2, 48)
    shown = soup(client.get(sent.headers["Location"])).select_one("#inventory").text
    assert f"{issued + 50:,}".replace(",", ".") in shown


def test_the_hotline_by_phone_gets_the_inventory_fields(as_user, w, clock, db_session) -> None:
    clock(vn(19, 40))
    client = as_user("tongdai")
    area = w.area(AREA)
    page = soup(client.get(f"/hotline/stations/{area.id}/count/{links(db_session, area)[NA].contest_id}"))
    form = page.select_one("#hotline-count-entry")
    assert form is not None and all(form.select_one(f"input[name={n}]") for n in INVENTORY[:3])


def test_the_reviewer_sees_it_and_prints_form_32(as_user, w, clock, db_session) -> None:
    numbers = good_numbers(db_session, w.area(AREA), NA)
    sent = _send(db_session, w, with_inventory(numbers)).report
    db_session.commit()
    client = as_user("xa")
    detail = soup(client.get(f"/review/count/{sent.id}")).select_one("#inventory")
    assert detail is not None and "40" in detail.text
    printed = client.get(f"/results/stations/{w.area(AREA).id}/inventory")
    assert printed.status_code == 200
    text = soup(printed).text
    assert "Mẫu số 32/HĐBC" in text and "BIÊN BẢN KIỂM KÊ" in text and "Nguyễn Văn Chứng" in text
    print_entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "form")
                                     .order_by(AuditEntry.id.desc())).first()
    assert print_entry.entity_id == "32/HĐBC" and f"report {sent.id} v1" in print_entry.after["data_version"]


def test_form_32_of_another_communes_station_is_not_found(as_user, w, db_session) -> None:
    client = as_user("hn_xa")
    assert client.get(f"/results/stations/{w.area(AREA).id}/inventory").status_code == 404
    assert client.get(f"/results/stations/{w.area(AREA).id}/inventory.pdf").status_code == 404


def test_form_32_of_a_station_that_sent_no_minutes_is_not_found(as_user, w, db_session) -> None:
    assert as_user("xa").get(f"/results/stations/{w.area(AREA).id}/inventory").status_code == 404


def test_form_32_prints_as_a_pdf(as_user, w, db_session, tmp_path) -> None:
    numbers = good_numbers(db_session, w.area(AREA), NA)
    _send(db_session, w, with_inventory(numbers))
    db_session.commit()
    data = get_pdf(as_user("xa"), f"/results/stations/{w.area(AREA).id}/inventory.pdf")
    assert data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        (tmp_path / "f.pdf").write_bytes(data)
        text = subprocess.run(["pdftotext", str(tmp_path / "f.pdf"), "-"], capture_output=True, text=True).stdout
        assert "32/HĐBC" in text and "KIỂM KÊ" in text
