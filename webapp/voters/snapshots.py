"""Snapshots of the voter lists' figures, precomputed: at each scheduled moment of the voter-change report once it
has passed, and the current figures every ``EVERY``, the jobs worker stores each area's voters on the list per
contest and sex, first-time voters and voters 80 or older (``VoterSnapshot``, ``VoterSnapshotArea``). A report
sums the stored areas by its groups instead of reading every row of a province (5–7 s at 3 million voters); a
moment not stored is read from the rows, as before. The stored figures are those the rows give at that moment
(tests/voter_reports/test_snapshots.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.db import insert_rows
from webapp.elections.models import ContestKind, Election, Gender, PollingArea
from webapp.readiness.services import taking_part
from webapp.voters.figures import BALLOT_COLUMNS, Totals, elderly_born_by, first_time_window, voting_starts
from webapp.voters.models import VoterChangeCause, VoterListEntry, VoterSnapshot, VoterSnapshotArea

#: How often the current figures are taken again (the jobs worker's task runs at this pace).
EVERY = timedelta(minutes=15)
#: A province's report shows the current snapshot instead of reading the rows when it is at most this old.
CURRENT_WITHIN = 2 * EVERY
#: The stored columns of each contest, by sex.
STORED = {ContestKind.NATIONAL_ASSEMBLY: ("na_male", "na_female"),
          ContestKind.PROVINCIAL_COUNCIL: ("province_male", "province_female"),
          ContestKind.COMMUNE_COUNCIL: ("commune_male", "commune_female")}
#: The preparation progress's figures of each list: its rows, the first listed, the cards handed out and the last.
PROGRESS = ("listed", "listed_since", "cards", "cards_at")
COLUMNS = ("snapshot_id", "polling_area_id", *(c for pair in STORED.values() for c in pair), "first_time", "elderly",
           *PROGRESS)
FIGURES = COLUMNS[2:-len(PROGRESS)]


@dataclasses.dataclass
class Figures:
    """One place at one moment."""

    contests: dict[ContestKind, Totals] = dataclasses.field(
        default_factory=lambda: {kind: Totals() for kind in ContestKind})
    first_time: int = 0
    elderly: int = 0
    changes: dict[VoterChangeCause, int] = dataclasses.field(default_factory=dict)
    delta: int | None = None  # NA voters since the previous snapshot; None for the first

    def merge(self, other: Figures) -> None:
        for kind, sex in other.contests.items():
            self.contests[kind].merge(sex)
        self.first_time += other.first_time
        self.elderly += other.elderly
        for cause, n in other.changes.items():
            self.changes[cause] = self.changes.get(cause, 0) + n


def from_rows(session: Session, election: Election, key: Any, where: Any,
              moments: Sequence[datetime]) -> list[dict[int, Figures]]:
    """The figures of every group at each moment, read from the rows in one pass (a province's millions are read
    once, however many moments): a row counts at a moment when it was listed by then and not yet removed."""
    born_lo, born_hi = first_time_window(election)
    elderly = elderly_born_by(election)
    e = VoterListEntry
    first_time = sa.and_(e.birth_date > born_lo, e.birth_date <= born_hi)
    columns = []
    for at in moments:
        listed = sa.and_(e.created_at <= at, sa.or_(e.removed_at.is_(None), e.removed_at > at))
        columns += [sa.func.sum(sa.case((sa.and_(listed, flag), 1), else_=0))
                    for flag in (*BALLOT_COLUMNS.values(), first_time, e.birth_date <= elderly)]
    rows = session.execute(
        sa.select(key, e.gender, *columns).select_from(e).join(PollingArea, PollingArea.id == e.polling_area_id)
        .where(where, e.election_id == election.id, e.created_at <= max(moments)).group_by(key, e.gender))
    out: list[dict[int, Figures]] = [{} for _ in moments]
    width = len(BALLOT_COLUMNS) + 2
    for group, gender, *counts in rows:
        for i, snap in enumerate(out):
            figures = snap.setdefault(group, Figures())
            mine = [int(n or 0) for n in counts[i * width:(i + 1) * width]]
            for kind, n in zip(BALLOT_COLUMNS, mine, strict=False):
                figures.contests[kind].add(Gender(gender), n)
            figures.first_time += mine[-2]
            figures.elderly += mine[-1]
    return out


def _stored(session: Session, snapshot_id: int, key: Any, where: Any) -> dict[int, Figures]:
    s = VoterSnapshotArea
    sums = [sa.func.sum(getattr(s, c)) for c in FIGURES]
    out: dict[int, Figures] = {}
    for group, *counts in session.execute(
            sa.select(key, *sums).select_from(s).join(PollingArea, PollingArea.id == s.polling_area_id)
            .where(s.snapshot_id == snapshot_id, where).group_by(key)):
        figures = out.setdefault(group, Figures())
        values = dict(zip(FIGURES, (int(n or 0) for n in counts), strict=True))
        for kind, (male, female) in STORED.items():
            figures.contests[kind].add(Gender.MALE, values[male])
            figures.contests[kind].add(Gender.FEMALE, values[female])
        figures.first_time, figures.elderly = values["first_time"], values["elderly"]
    return out


def figures_at(session: Session, election: Election, key: Any, where: Any,
               moments: Sequence[datetime]) -> list[dict[int, Figures]]:
    """The figures of every group at each moment: stored ones where the moment was taken, the rows' otherwise."""
    stored = dict(session.execute(sa.select(VoterSnapshot.at, VoterSnapshot.id).where(
        VoterSnapshot.election_id == election.id, VoterSnapshot.at.in_(list(moments)))).all())
    missing = [at for at in moments if at not in stored]
    live = dict(zip(missing, from_rows(session, election, key, where, missing), strict=True)) if missing else {}
    return [_stored(session, stored[at], key, where) if at in stored else live[at] for at in moments]


def current(session: Session, election: Election, now: datetime) -> datetime | None:
    """The moment of the latest snapshot of the current figures, if it is recent enough to stand for ``now``."""
    at = session.scalar(sa.select(sa.func.max(VoterSnapshot.at)).where(
        VoterSnapshot.election_id == election.id, VoterSnapshot.scheduled.is_(False), VoterSnapshot.at <= now))
    return at if at is not None and now - at <= CURRENT_WITHIN else None


def take(session: Session, election: Election, at: datetime, *, now: datetime, scheduled: bool) -> VoterSnapshot:
    """Stores every area's figures at ``at``, a province at a time (one pass over its rows each)."""
    snapshot = VoterSnapshot(election_id=election.id, at=at, taken_at=now, scheduled=scheduled)
    session.add(snapshot)
    session.flush()
    provinces = session.scalars(sa.select(PollingArea.province_id).where(taking_part(election)).distinct())
    for province_id in sorted(provinces):
        where = sa.and_(PollingArea.province_id == province_id, taking_part(election))
        areas = from_rows(session, election, PollingArea.id, where, [at])[0]
        progress = _progress(session, election, where, at)
        insert_rows(session, VoterSnapshotArea.__table__, COLUMNS, _area_rows(snapshot.id, areas.items(), progress))
    return snapshot


def _progress(session: Session, election: Election, where: Any, at: datetime) -> dict[int, tuple[Any, ...]]:
    """Per area, as the preparation progress counts them at ``at``: the rows on the list, the first of them
    listed, the cards handed out by then and the last one."""
    e = VoterListEntry
    listed = sa.and_(e.created_at <= at, sa.or_(e.removed_at.is_(None), e.removed_at > at))
    handed = sa.and_(e.card_handed_out_at.is_not(None), e.card_handed_out_at <= at)
    return {area: (n, since, int(cards or 0), cards_at) for area, n, since, cards, cards_at in session.execute(
        sa.select(e.polling_area_id, sa.func.count(), sa.func.min(e.created_at),
                  sa.func.sum(sa.case((handed, 1), else_=0)), sa.func.max(sa.case((handed, e.card_handed_out_at))))
        .join(PollingArea, PollingArea.id == e.polling_area_id)
        .where(where, e.election_id == election.id, listed).group_by(e.polling_area_id))}


def _area_rows(snapshot_id: int, areas: Iterable[tuple[int, Figures]],
               progress: dict[int, tuple[Any, ...]]) -> Iterable[tuple[Any, ...]]:
    for area_id, f in areas:
        yield (snapshot_id, area_id, *(n for kind in STORED for n in (f.contests[kind].male, f.contests[kind].female)),
               f.first_time, f.elderly, *progress.get(area_id, (0, None, 0, None)))


def progress_areas(session: Session, election: Election, at: datetime) -> Any:
    """The preparation progress's per-area figures stored at ``at``, as a subquery shaped like the one the
    progress report reads from the rows (``area_id``, ``listed_at``, ``voters``, ``cards``, ``cards_at``)."""
    s = VoterSnapshotArea
    return (sa.select(s.polling_area_id.label("area_id"), s.listed_since.label("listed_at"), s.listed.label("voters"),
                      s.cards.label("cards"), s.cards_at.label("cards_at"))
            .join(VoterSnapshot, VoterSnapshot.id == s.snapshot_id)
            .where(VoterSnapshot.election_id == election.id, VoterSnapshot.at == at, s.listed > 0).subquery())


def take_due(session: Session, election: Election, now: datetime, schedule: Sequence[datetime]) -> list[datetime]:
    """Takes the scheduled moments that have passed and are not stored yet, and the current figures when the last
    ones are ``EVERY`` old (until voting starts: the lists are frozen then); the older current snapshots are
    dropped. Returns the moments taken."""
    taken = set(session.scalars(sa.select(VoterSnapshot.at).where(VoterSnapshot.election_id == election.id)))
    done = []
    for at in schedule:
        if at <= now and at not in taken:
            take(session, election, at, now=now, scheduled=True)
            done.append(at)
    last = session.scalar(sa.select(sa.func.max(VoterSnapshot.at)).where(
        VoterSnapshot.election_id == election.id, VoterSnapshot.scheduled.is_(False)))
    if (last is None or (now - last >= EVERY and last < voting_starts(election))) and now not in taken:
        session.execute(sa.delete(VoterSnapshot).where(VoterSnapshot.election_id == election.id,
                                                       VoterSnapshot.scheduled.is_(False)))
        take(session, election, now, now=now, scheduled=False)
        done.append(now)
    return done
