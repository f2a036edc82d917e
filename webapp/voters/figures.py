"""The figures of the voter lists, always derived from the rows: per area, contest and sex the voters on the list
(rows not removed, ticked for the contest), whether an area has a list and when it was frozen, and when voting
starts (the deadlines of the changes and the freeze count back from it), who votes for the first time and who is
80 or older.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.clock import VN_TZ
from webapp.elections.models import ContestKind, Election, Gender, PollingArea
from webapp.voters.models import VoterListEntry, VoterListFreeze

# The last general election (23/5/2021): voters born since 18 years before it vote for the first time.
PREVIOUS_ELECTION = date(2021, 5, 23)
ELDERLY_AGE = 80


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def first_time_window(election: Election, previous: date = PREVIOUS_ELECTION) -> tuple[date, date]:
    """Birth dates (exclusive, inclusive] of the voters who turned 18 since the previous election: too young to
    vote on its polling day, 18 or older on this one."""
    return years_before(previous, 18), years_before(election.polling_date, 18)


def elderly_born_by(election: Election) -> date:
    """Voters born on or before this day are 80 or older on polling day."""
    return years_before(election.polling_date, ELDERLY_AGE)


def voting_starts(election: Election, area: PollingArea | None = None) -> datetime:
    """The moment voting starts at the area (an area voting early starts on its own day)."""
    day: date = area.early_voting_date if area is not None and area.early_voting_date else election.polling_date
    return datetime.combine(day, election.standard_open or time(7), tzinfo=VN_TZ)



@dataclasses.dataclass
class Totals:
    total: int = 0
    male: int = 0
    female: int = 0

    def add(self, gender: Gender, n: int) -> None:
        self.total += n
        if gender is Gender.FEMALE:
            self.female += n
        else:
            self.male += n

    def merge(self, other: Totals) -> None:
        self.total += other.total
        self.male += other.male
        self.female += other.female

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


BALLOT_COLUMNS = {
    ContestKind.NATIONAL_ASSEMBLY: VoterListEntry.votes_na,
    ContestKind.PROVINCIAL_COUNCIL: VoterListEntry.votes_province,
    ContestKind.COMMUNE_COUNCIL: VoterListEntry.votes_commune,
}


def totals(session: Session, election_id: int, polling_area_ids: Iterable[int]) -> dict[int, dict[ContestKind, Totals]]:
    """Per area and contest: the voters on the list (rows not removed) ticked for the contest, and by sex. Always
    derived from the rows. An area without a list is absent."""
    ids = list(polling_area_ids)
    out: dict[int, dict[ContestKind, Totals]] = {}
    if not ids:
        return out
    cols = [sa.func.sum(sa.case((col.is_(True), 1), else_=0)).label(kind.value) for kind, col in BALLOT_COLUMNS.items()]
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            sa.select(VoterListEntry.polling_area_id, VoterListEntry.gender, *cols)
            .where(VoterListEntry.election_id == election_id, VoterListEntry.polling_area_id.in_(ids[start:start + 1000]),
                   VoterListEntry.removed_at.is_(None))
            .group_by(VoterListEntry.polling_area_id, VoterListEntry.gender)
        ).all()
        for row in rows:
            per_area = out.setdefault(row.polling_area_id, {kind: Totals() for kind in BALLOT_COLUMNS})
            for kind in BALLOT_COLUMNS:
                n = int(getattr(row, kind.value) or 0)
                t = per_area[kind]
                t.total += n
                if row.gender is Gender.MALE:
                    t.male += n
                else:
                    t.female += n
    return out


def has_list(session: Session, election_id: int, area_id: int) -> bool:
    return session.scalar(sa.select(sa.exists().where(VoterListEntry.election_id == election_id,
                                                      VoterListEntry.polling_area_id == area_id))) or False


def frozen_at(session: Session, election_id: int, area_id: int) -> datetime | None:
    return session.scalar(sa.select(VoterListFreeze.frozen_at).where(
        VoterListFreeze.election_id == election_id, VoterListFreeze.polling_area_id == area_id))
