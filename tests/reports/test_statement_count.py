"""How many SQL statements one submission sends, pinned so that it cannot grow unnoticed.

The count of statements is much of what decides the submission rate through gunicorn on a busy 2-core machine
(every statement is a round trip that waits for the PostgreSQL backend and then for the worker thread; see the
count-submission section of benchmarks/README.md). The budgets are the numbers measured when they were set; a
change that needs more must say why and raise them here. Statements on the ``progress_*`` tables belong to the
progress summaries (webapp.progress.tracking) and are counted apart.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests.conftest import csrf_token, login
from tests.reports.helpers import AREA, count_data, good_numbers, links, new_id, vn, vote_early
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind
from webapp.reports import receipts, services, station
from webapp.reports.services import TurnoutInput

NA = ContestKind.NATIONAL_ASSEMBLY


class Seen(list[str]):
    """The statements sent, in order. The progress summaries are written after the audit entries (by the ORM
    listeners in the same flush, or by the count submission itself), so what comes between the (last) audit
    INSERT and the RELEASE of a SAVEPOINT (or the end) is the progress summaries' work; the rest is the
    submission's own."""

    def _progress_span(self) -> tuple[int, int]:
        audits = [i for i, s in enumerate(self) if s.startswith("INSERT INTO audit_entries")]
        if not audits:
            return len(self), len(self)
        end = next((i for i in range(audits[-1] + 1, len(self)) if self[i].startswith("RELEASE SAVEPOINT")),
                   len(self))
        return audits[-1] + 1, end

    @property
    def own(self) -> list[str]:
        start, end = self._progress_span()
        return self[:start] + self[end:]

    @property
    def progress(self) -> list[str]:
        start, end = self._progress_span()
        return self[start:end]

    def listing(self) -> str:
        start, end = self._progress_span()
        return "\n".join(f"{i:3}. {'[progress] ' if start <= i - 1 < end else ''}{s[:150]}"
                         for i, s in enumerate(self, 1))


@contextlib.contextmanager
def statements(app) -> Iterator[Seen]:
    seen = Seen()

    def on_execute(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def count_args(db_session, w, numbers) -> dict[str, object]:
    """Everything submit_count takes but the client id and the clock, read before counting (the helpers query)."""
    area = w.area(AREA)
    return {"actor": Actor(w.user("to01"), Channel.WEB), "area_id": area.id,
            "contest_id": links(db_session, area)[NA].contest_id,
            "data": count_data(w, numbers)}


def submit(db_session, args, client_uuid: uuid.UUID | None = None, now=None):
    return services.submit_count(db_session, **args, client_uuid=client_uuid or new_id(), now=now or vn(20, 0))


def test_first_count_minutes(app, db_session, w):
    args = count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA))
    station.forget_all()
    with statements(app) as seen:
        submit(db_session, args)
    # This process kept no configuration of the station yet: the token, the area with its team, the election, the
    # contests with units and candidates, the voter counts and the report times (the turnout's part of it). Then the
    # one read of the state (the token again, the latest minutes, any report under this client id, the last turnout
    # figure), INSERT minutes, INSERT votes (one executemany), INSERT audit entry. Once per area and process.
    assert len(seen.own) <= 10, seen.listing()
    # The station's summary row (one upsert) and the commune queued for the refresh.
    assert len(seen.progress) <= 2, seen.listing()


def test_a_correction(app, db_session, w):
    numbers = good_numbers(db_session, w.area(AREA), NA)
    submit(db_session, count_args(db_session, w, numbers))
    args = count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA, voted=numbers.voters_voted - 2))
    with statements(app) as seen:
        report = submit(db_session, args, now=vn(20, 5)).report
    assert report.version == 2
    # The configuration kept: the state read, the conditional UPDATE of the previous version's is_latest (it must
    # not supersede a version the commune confirmed meanwhile), INSERT minutes, votes, audit entries.
    assert len(seen.own) <= 5, seen.listing()
    # The station's row upserted, a correction row (the votes compared were read with the state), the commune
    # queued.
    assert len(seen.progress) <= 3, seen.listing()


def test_a_changed_configuration_is_read_again(app, db_session, w):
    """A write to the configuration (here a team member's name) changes the token the submission reads with its
    state: the kept configuration is read again, and the new name is what the minutes record."""
    area = w.area(AREA)
    submit(db_session, count_args(db_session, w, good_numbers(db_session, area, NA)))
    signer = area.team[0]
    signer.full_name = "Trần Văn Mới"
    db_session.flush()
    args = count_args(db_session, w, good_numbers(db_session, area, NA, voted=90))
    with statements(app) as seen:
        report = submit(db_session, args, now=vn(20, 5)).report
    assert report.signers[0]["name"] == "Trần Văn Mới"
    assert sum(s.startswith("SELECT polling_areas.") for s in seen) == 1, seen.listing()


def test_a_replay_reads_one_statement(app, db_session, w):
    args = count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA))
    client_uuid = new_id()
    first = submit(db_session, args, client_uuid)
    with statements(app) as seen:
        again = submit(db_session, args, client_uuid)
    assert again.replayed and again.report is first.report
    assert len(seen) <= 1, seen.listing()  # the state, with the replayed minutes (already in the session)


def test_turnout_report(app, db_session, w):
    area, leader = w.area(AREA), w.user("to01")
    send = lambda voted, at: services.submit_turnout(
        db_session, actor=Actor(leader, Channel.WEB), area_id=area.id, data=TurnoutInput(voted=voted), client_uuid=new_id(), now=at)
    send(100, vn(9, 0))
    with statements(app) as seen:
        report = send(120, vn(9, 5)).report
    assert report.version == 2
    # One read: the configuration token (the area's place, election, contests, report times and voter counts are
    # kept by this process, webapp.reports.station) with the latest reports of each report time, their figures
    # and any report under this client id; the conditional UPDATE that takes the previous version off unless the
    # commune confirmed it meanwhile, INSERT report (ON CONFLICT DO NOTHING: no SAVEPOINT), INSERT figures, INSERT
    # audit rows (webapp.reports.versions, as the count minutes). 13 before the turnout went that way, 9 before the
    # configuration was kept, 6 before the token came with the latest reports.
    assert len(seen.own) <= 5, seen.listing()
    assert not [s for s in seen if s.startswith("SELECT configuration_version.")], seen.listing()
    # The station's rows replaced (DELETE … RETURNING, INSERT), the correction, the commune queued: the report
    # time's deadline comes with the version (no read of the report times again).
    assert len(seen.progress) <= 4, seen.listing()


def test_count_minutes_through_the_api_logged_in_with_csrf(app, client, db_session, w, clock_at_night):
    """The benchmark's request: session cookie, X-CSRFToken, every check, a new version each time."""
    login(client, "to01")
    token = client.get("/api/v1/me").json["csrf_token"]
    url = f"/api/v1/stations/{w.area(AREA).id}/count/na"
    numbers = good_numbers(db_session, w.area(AREA), NA)
    team = [m.id for m in w.area(AREA).team[:3]]

    def body() -> dict[str, object]:
        return {"client_uuid": str(uuid.uuid4()), **{name: getattr(numbers, name) for name in (
            "voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")},
            "votes": {str(k): v for k, v in numbers.votes.items()}, "signer_ids": team,
            "witnesses": ["Nguyễn Văn Chứng", "Lê Thị Kiến"]}

    assert client.post(url, json=body(), headers={"X-CSRFToken": token}).status_code == 201
    with statements(app) as seen:
        response = client.post(url, json=body(), headers={"X-CSRFToken": token})
    assert response.status_code == 201 and response.json["version"] == 2
    # The correction's statements, plus the account (Flask-Login), plus the SAVEPOINT and RELEASE that only tests
    # add around the request's transaction (conftest.connection). "na" is found in the kept configuration.
    assert len(seen.own) <= 5 + 1 + 2, seen.listing()


@pytest.mark.parametrize("early", [False, True], ids=["no early area", "an early area sealed"])
def test_turnout_through_the_api_logged_in_with_csrf(app, client, db_session, w, monkeypatch, early):
    """The phone's turnout request: the view's scope check and the contests' kinds are the service's own reads
    (kept for the request by reports.common), not statements of their own. The early-vote seal, which holds all
    polling day where an area voted early, costs no statement of its own."""
    if early:
        vote_early(db_session, w)
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 0))
    login(client, "to01")
    token = client.get("/api/v1/me").json["csrf_token"]
    url = f"/api/v1/stations/{w.area(AREA).id}/turnout"
    assert client.post(url, json={"client_uuid": str(uuid.uuid4()), "voters_voted": 100},
                       headers={"X-CSRFToken": token}).status_code == 201
    with statements(app) as seen:
        response = client.post(url, json={"client_uuid": str(uuid.uuid4()), "voters_voted": 120},
                               headers={"X-CSRFToken": token})
    assert response.status_code == 201 and response.json["version"] == 2
    # The account (Flask-Login); the configuration token with the latest reports (the view's scope check and the
    # contests' kinds come from the configuration this process keeps); UPDATE, INSERT report, figures, audit rows;
    # and the SAVEPOINT/RELEASE pair that only tests add. 15 before the view's reads were kept, 13 before the
    # configuration was kept, 10 before the token came with the latest reports.
    assert len(seen.own) <= 1 + 5 + 2, seen.listing()
    assert not [s for s in seen if s.startswith(("SELECT polling_areas.", "SELECT polling_area_units.",
                                                 "SELECT voter_counts.", "SELECT report_times."))], seen.listing()


@pytest.mark.parametrize("change", ["voter count", "report time"])
def test_a_changed_voter_count_or_report_time_reaches_the_kept_turnout_configuration(db_session, w, change):
    """The turnout keeps each area's report times and voters on the list with its configuration: a write to either
    table changes the token (migration triggers), and the next report is judged by the new figures."""
    from webapp.elections.models import ReportTime, VoterCount
    from webapp.reports.common import NoReportTimes, ReportRejected

    area, leader = w.area(AREA), w.user("to01")
    send = lambda voted, at: services.submit_turnout(
        db_session, actor=Actor(leader, Channel.WEB), area_id=area.id, data=TurnoutInput(voted=voted),
        client_uuid=new_id(), now=at)
    send(100, vn(9, 0))
    if change == "voter count":
        db_session.execute(sa.update(VoterCount).where(VoterCount.polling_area_id == area.id).values(total=110))
        with pytest.raises(ReportRejected) as refused:
            send(120, vn(9, 5))
        assert [f.code for f in refused.value.findings] == ["turnout_gt_on_list"]
    else:
        db_session.execute(sa.delete(ReportTime))  # the day's report times withdrawn
        with pytest.raises(NoReportTimes):
            send(120, vn(9, 5))


def test_the_leader_form_sends_with_one_review(app, client, db_session, w, clock_at_night):
    """The read-back's "send" (what the phone's outbox replays): the form is built from the station's kept
    configuration, and the checks run once, in the service."""
    login(client, "to01")
    area = w.area(AREA)
    link = links(db_session, area)[NA]
    numbers = good_numbers(db_session, area, NA)
    path = f"/reports/{area.id}/count/{link.contest_id}"
    form = {"csrf_token": csrf_token(client, path), "client_uuid": str(uuid.uuid4()), "step": "send",
            "witness_1": "Nguyễn Văn Chứng", "witness_2": "Lê Thị Kiến",
            **{name: str(getattr(numbers, name)) for name in (
                "voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")},
            **{name: "0" for name in ("complaints_received", "complaints_resolved", "complaints_forwarded")},
            **{f"votes_{cid}": str(v) for cid, v in numbers.votes.items()},
            "signers": [str(m.id) for m in area.team[:3]]}
    station.load(db_session, area.id)  # kept by this process (a cold start reads it once: test_first_count_minutes)
    with statements(app) as seen:
        response = client.post(path, data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    # The account, then the service's state read (the form is built from the kept configuration, not from the
    # page's reads), INSERT minutes, votes, audit entry (first minutes: no UPDATE), and the SAVEPOINT/RELEASE
    # pair that only tests add.
    assert len(seen.own) <= 5 + 2, seen.listing()


@pytest.fixture
def clock_at_night(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(20, 0))


def test_receipts_of_the_two_kinds_never_share_a_code(db_session, w):
    count = submit(db_session, count_args(db_session, w, good_numbers(db_session, w.area(AREA), NA))).report
    turnout = services.submit_turnout(db_session, actor=Actor(w.user("to01"), Channel.WEB), area_id=w.area(AREA).id,
                                      data=TurnoutInput(voted=100), client_uuid=new_id(),
                                      now=vn(9, 0)).report
    assert count.receipt[0] in receipts.FIRST["count"] and receipts.is_well_formed(count.receipt)
    assert turnout.receipt[0] in receipts.FIRST["turnout"] and receipts.is_well_formed(turnout.receipt)
    assert not set(receipts.FIRST["count"]) & set(receipts.FIRST["turnout"])
    assert set(receipts.FIRST["count"]) | set(receipts.FIRST["turnout"]) == set(receipts.ALPHABET)
    for kind in ("count", "turnout"):
        assert all(receipts.generate(kind)[0] in receipts.FIRST[kind] for _ in range(200))


def test_kept_turnout_configurations_share_what_areas_hold_alike(db_session, w, monkeypatch):
    """Up to 80,000 areas are kept per process: what many hold alike (the province's report times, the day, the
    units' contests, the token) is held once, while each area keeps its own place and voters on the list, and a
    table of shared values started again loses only the sharing."""
    station.forget_all()
    first, second = (station.load(db_session, w.area(code).id, full=False) for code in ("26743-01", "26743-02"))
    assert first.area_id != second.area_id and first.report_times
    assert first.report_times is second.report_times and first.day is second.day and first.token is second.token
    assert first.voters == {c.contest_id: total for c, total in zip(first.contests, first.voter_totals)}
    assert all(total is not None for total in first.voter_totals)
    monkeypatch.setattr(station, "MAX_SHARED", 1)
    again = station.load(db_session, w.area("26743-01").id, full=False)
    assert again == first and again.voters == first.voters
