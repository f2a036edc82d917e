"""Objects the test world holds none of, made at a given polling area inside a test's transaction, for the scope
sweep (tests/test_scope_sweep.py). Plain rows, no services (report versions through the one path that writes
them, without the checks): the sweep needs something to look up, not a story."""

from __future__ import annotations

import uuid
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.world import NOW
from webapp.accounts.models import User
from webapp.api.models import ApiToken
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.elections.models import Election, Gender, PollingArea
from webapp.jobs.models import Job, JobKind, JobState
from webapp.progress.tracking import due_at
from webapp.reports import versions
from webapp.reports.models import CountReport, ReportPhoto, ReportStatus, TurnoutReport
from webapp.voters.models import VoterListEntry


def audit_entry(session: Session, area: PollingArea) -> AuditEntry:
    """An import's log entry at ``area`` (both the audit log and the import result pages show these)."""
    probe = f"sweep-probe-{area.code}"
    entry = AuditEntry(at=NOW, actor_username=probe, channel=Channel.IMPORT, action="import",
                       entity_type="imports", entity_id="polling_areas", province_id=area.province_id,
                       commune_id=area.commune_id, polling_area_id=area.id,
                       after={"dataset": "polling_areas", "file": f"{probe}.xlsx", "sha256": "0" * 64, "rows": 1,
                              "created": 0, "updated": 1, "unchanged": 0, "voter_counts_added": 0})
    session.add(entry)
    session.flush()
    return entry


def someone_at(session: Session, area: PollingArea) -> User:
    """The account closest to ``area``: its leader, else its commune's, else its province's."""
    for clause in (User.polling_area_id == area.id, User.commune_id == area.commune_id,
                   User.province_id == area.province_id):
        user = session.scalars(sa.select(User).where(clause).order_by(User.id)).first()
        if user is not None:
            return user
    raise AssertionError(f"no account near {area.code}")


def count_report(session: Session, area: PollingArea) -> CountReport:
    """Count minutes of the area's first contest (one per area: made once, then found)."""
    link = min(area.unit_links, key=lambda lnk: lnk.contest_id)
    found = session.scalars(sa.select(CountReport).where(CountReport.polling_area_id == area.id,
                                                         CountReport.contest_id == link.contest_id)).first()
    if found:
        return found
    values = {"polling_area_id": area.id, "contest_id": link.contest_id, "unit_id": link.unit_id, "is_latest": True,
              "status": ReportStatus.RECEIVED, "voters_on_list": 0, "voters_voted": 0, "ballots_issued": 0,
              "ballots_received": 0, "valid": 0, "invalid": 0, "witness_1": f"Chứng kiến {area.code}",
              "witness_2": "Người thứ hai", "client_uuid": uuid.uuid4(), "submitted_at": NOW}
    return versions.write(session, versions.COUNT, _by(session, area), place=_place(area),
                          election_id=link.contest.election_id, values=values, children={}, current=None,
                          current_children={}).report


def _by(session: Session, area: PollingArea) -> Actor:
    return Actor(someone_at(session, area), Channel.WEB)


def _place(area: PollingArea) -> tuple[int, int, int]:
    return (area.province_id, area.commune_id, area.id)


def photo(session: Session, area: PollingArea) -> ReportPhoto:
    report = count_report(session, area)
    photo = ReportPhoto(count_report_id=report.id, sha256=uuid.uuid4().hex * 2, content_type="image/jpeg",
                        size=1, width=1, height=1, path=f"sweep/{area.code}.jpg", client_uuid=uuid.uuid4(),
                        channel=Channel.WEB, uploaded_by_id=report.submitted_by_id, uploaded_at=NOW)
    session.add(photo)
    session.flush()
    return photo


def api_token(session: Session, area: PollingArea) -> ApiToken:
    user = someone_at(session, area)
    token = ApiToken(user_id=user.id, name=f"sweep-token-{area.code}", token_hash=uuid.uuid4().hex * 2,
                     prefix="bc26_sweep", created_by_id=user.id, created_at=NOW)
    session.add(token)
    session.flush()
    return token


def turnout_report(session: Session, area: PollingArea) -> TurnoutReport:
    """A turnout report of the area at 09:00 (one per area: made once, then found)."""
    found = session.scalars(sa.select(TurnoutReport).where(TurnoutReport.polling_area_id == area.id)).first()
    if found:
        return found
    election = session.scalars(sa.select(Election).order_by(Election.polling_date.desc())).first()
    assert election is not None
    values = {"election_id": election.id, "polling_area_id": area.id, "slot_at": time(9), "is_latest": True,
              "status": ReportStatus.RECEIVED, "client_uuid": uuid.uuid4(), "submitted_at": NOW}
    day = area.early_voting_date or election.polling_date
    return versions.write(session, versions.TURNOUT, _by(session, area), place=_place(area),
                          election_id=election.id, values=values, children={}, current=None, current_children={},
                          day=day, due=due_at(day, time(9), None)).report


def job(session: Session, area: PollingArea) -> Job:
    """A finished import job of the account nearest ``area`` (its page names the file)."""
    owner = someone_at(session, area)
    made = Job(kind=JobKind.IMPORT, dataset="polling_areas", owner_id=owner.id, state=JobState.REJECTED,
               params={"filename": f"sweep-job-{area.code}.xlsx"}, done=1, message="", message_params={},
               result={"errors": [], "error_total": 0}, created_at=NOW)
    session.add(made)
    session.flush()
    return made


def drill(session: Session, area: PollingArea) -> Election:
    """A drill of the area's province (one per province: made once, then found)."""
    from datetime import datetime

    from webapp.clock import VN_TZ
    from webapp.drills import services as drills

    found = session.scalars(sa.select(Election).where(Election.drill_province_id == area.province_id)).first()
    if found:
        return found
    real = session.scalars(sa.select(Election).where(Election.source_election_id.is_(None))
                           .order_by(Election.polling_date.desc())).first()
    return drills.create_drill(session, actor=None, source=real, province_id=area.province_id,
                               starts_at=datetime(2026, 3, 14, 14, 0, tzinfo=VN_TZ), slot_minutes=10)


def voter_entry(session: Session, area: PollingArea) -> VoterListEntry:
    """A voter on ``area``'s list (one per area: made once, then found)."""
    link = min(area.unit_links, key=lambda lnk: lnk.contest_id)
    election_id = link.contest.election_id
    found = session.scalars(sa.select(VoterListEntry).where(VoterListEntry.polling_area_id == area.id)).first()
    if found:
        return found
    name = f"Cử tri {area.code}"
    entry = VoterListEntry(election_id=election_id, polling_area_id=area.id, stt=1, full_name=name,
                           name_folded=name.lower(), birth_date=date(1980, 1, 1), gender=Gender.FEMALE,
                           id_number=f"0{area.id:011d}", created_at=NOW)
    session.add(entry)
    session.flush()
    return entry
