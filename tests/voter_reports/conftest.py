"""Voters on the demo world's lists, written as plain rows (the import is the voter-lists branch's): known birth
dates, sexes, ballots, times listed and removed, and cards handed out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from webapp.elections.models import ContestKind, Gender, PollingArea
from webapp.textnorm import fold
from webapp.voters.models import VoterChange, VoterChangeCause, VoterListEntry

A, B, OTHER_COMMUNE_AREA = "26743-01", "26743-02", "26740-01"
POSTED = datetime(2026, 2, 3, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City, the day the lists are posted


def election_id(w: Any) -> int:
    return w.contest(ContestKind.NATIONAL_ASSEMBLY).election_id


class Lists:
    """Adds voters to areas, numbering each area's list from 1."""

    def __init__(self, session: Session, w: Any) -> None:
        self.session, self.w, self.next_id = session, w, 1

    def add(self, area: PollingArea | str, *, born: date = date(1980, 1, 1), gender: Gender = Gender.MALE,
            listed: datetime = POSTED, removed: datetime | None = None, ballots: tuple[bool, bool, bool] = (True,) * 3,
            handed_out: datetime | None = None, household: str | None = None, name: str = "Nguyễn Văn An",
            **extra: Any) -> VoterListEntry:
        area = self.w.area(area) if isinstance(area, str) else area
        stt = 1 + sum(1 for e in self.session.new if isinstance(e, VoterListEntry) and e.polling_area_id == area.id)
        stt += self.session.query(VoterListEntry).filter_by(polling_area_id=area.id).count()
        entry = VoterListEntry(
            election_id=election_id(self.w), polling_area_id=area.id, stt=stt, full_name=name, name_folded=fold(name),
            birth_date=born, gender=gender, id_number=f"079{self.next_id:09d}", created_at=listed, removed_at=removed,
            votes_na=ballots[0], votes_province=ballots[1], votes_commune=ballots[2], card_handed_out_at=handed_out,
            household_key=household, current_address="12 Lê Lợi, Phường Bến Thành", **extra)
        self.next_id += 1
        self.session.add(entry)
        self.session.flush()
        return entry

    def change(self, entry: VoterListEntry, cause: VoterChangeCause, at: datetime, **extra: Any) -> VoterChange:
        change = VoterChange(election_id=entry.election_id, polling_area_id=entry.polling_area_id, entry_id=entry.id,
                             cause=cause, document="Giấy báo tử số 12", effective_at=at, recorded_at=at, channel="web",
                             **extra)
        self.session.add(change)
        self.session.flush()
        return change


@pytest.fixture
def lists(db_session: Session, w: Any) -> Lists:
    return Lists(db_session, w)
