"""Voters for the synthetic national dataset (``flask gen-national --voters``): one row per voter on each polling
area's list, as many as the area's latest voter counts say, per contest and (for the National Assembly) per sex.

Every area draws from its own ``Random(seed, area code)``, so the same seed gives the same voters whichever
areas are generated, and in any order. Rows go to the database as they are made, a chunk at a time: ``COPY``
on PostgreSQL, Core ``executemany`` on SQLite; memory stays bounded whatever the size.

The counts of the councils' lists are a few below the National Assembly's (``national.py``): the voters left off
them are newcomers who, under the law, vote for fewer councils (a temporary resident of under 12 months votes
for the National Assembly and the province, a certificate holder from another province for the National
Assembly only). The sex split of the councils' lists follows from that choice and may differ from the typed
count by the few voters left off.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.audit import services as audit
from webapp.db import insert_rows
from webapp.elections.models import Contest, ContestKind, Election, PollingArea, VoterCount
from webapp.geo.models import Commune, CommuneKind, Province
from webapp.seed import demo
from webapp.seed.names import FAMILY, GIVEN_F, GIVEN_M, MIDDLE_F, MIDDLE_M
from webapp.textnorm import fold
from webapp.voters.figures import years_before

CHUNK = 5_000
BATCH = "gen-national"
# Ages on polling day: (first age, last age, weight of each year); ~2 % are 18, ~3.5 % over 80 (2019 census).
AGE_BANDS = [(18, 18, 2.0), (19, 29, 1.85), (30, 49, 1.95), (50, 64, 1.55), (65, 79, 0.95), (80, 89, 0.42),
             (90, 99, 0.1)]
ETHNICITIES = [("Kinh", 85.3), ("Tày", 1.9), ("Thái", 1.9), ("Mường", 1.5), ("Khmer", 1.3), ("Hoa", 0.8),
               ("Nùng", 1.1), ("H'Mông", 1.5), ("Dao", 0.9), ("Gia Rai", 0.5), ("Ê Đê", 0.4), ("Ba Na", 0.3),
               ("Chăm", 0.2), ("Sán Dìu", 0.2), ("Xơ Đăng", 0.2)]
HOUSEHOLD_SIZES = [(1, 14), (2, 30), (3, 27), (4, 19), (5, 7), (6, 3)]


class VotersExist(RuntimeError):
    """Some of the chosen areas already have voters on their lists; the generator only fills empty lists."""


@dataclasses.dataclass(frozen=True)
class VotersResult:
    areas: int
    voters: int


def _cumulative(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values, weights = zip(*pairs, strict=True)
    return list(values), list(itertools.accumulate(weights))


_AGES, _AGE_CUM = _cumulative([(age, w) for lo, hi, w in AGE_BANDS for age in range(lo, hi + 1)])
_ETHNIC, _ETHNIC_CUM = _cumulative(ETHNICITIES)
_SIZES, _SIZE_CUM = _cumulative(HOUSEHOLD_SIZES)
_fold = functools.lru_cache(maxsize=100_000)(fold)


class _IdNumbers:
    """12-digit personal ID numbers in the format of the citizen ID card: province of birth (3 digits), century and
    sex (1), year of birth (2), then 6 digits, distinct within each (province, century and sex, year) by a
    counter that an affine map mod 10⁶ makes look random."""

    def __init__(self) -> None:
        self.buckets: dict[tuple[str, bool, int], list[Any]] = {}

    def make(self, province_code: str, female: bool, year: int) -> str:
        bucket = self.buckets.get((province_code, female, year))
        if bucket is None:
            century = (0 if year < 2000 else 2) + female
            offset = (int(province_code) * 15_485_863 + year * 7_919 + female * 104_729) % 10**6
            bucket = self.buckets[(province_code, female, year)] = [f"{int(province_code):03d}{century}{year % 100:02d}",
                                                                    offset]
        prefix, at = bucket
        bucket[1] = (at + 73_457) % 10**6
        return f"{prefix}{at:06d}"


@dataclasses.dataclass
class _Area:
    area: PollingArea
    commune: Commune
    province: Province
    counts: dict[ContestKind, VoterCount]


def _latest_counts(session: Session, election_id: int, area_ids: Sequence[int]) -> dict[int, dict[ContestKind, VoterCount]]:
    ranked = (
        sa.select(VoterCount, Contest.kind,
                  sa.func.row_number().over(partition_by=(VoterCount.polling_area_id, VoterCount.contest_id),
                                            order_by=(VoterCount.as_of.desc(), VoterCount.id.desc())).label("n"))
        .join(Contest, Contest.id == VoterCount.contest_id)
        .where(Contest.election_id == election_id, VoterCount.polling_area_id.in_(area_ids))
        .subquery()
    )
    counts: dict[int, dict[ContestKind, VoterCount]] = {}
    vc = sa.orm.aliased(VoterCount, ranked)
    for count, kind in session.execute(sa.select(vc, ranked.c.kind).where(ranked.c.n == 1)):
        counts.setdefault(count.polling_area_id, {})[kind] = count
    return counts


COLUMNS = ("election_id", "polling_area_id", "stt", "card_number", "full_name", "name_folded", "birth_date", "gender",
           "id_number", "ethnicity", "permanent_address", "temporary_address", "current_address", "temporary_since",
           "votes_na", "votes_province", "votes_commune", "household_key", "household_order", "note_code", "note",
           "removed_at", "removal_cause", "added_after_posting", "card_handed_out_at", "card_handed_out_by_id",
           "created_at", "import_batch", "origin_entry_id")


def area_rows(area: _Area, *, election_id: int, polling_day: date, seed: int,
              ids: _IdNumbers) -> Iterator[tuple[Any, ...]]:
    """The voters of one area (values in ``COLUMNS`` order), in list order (STT 1…), grouped by household, head
    of household first; listed (``created_at``) as of the count they match."""
    rng = random.Random(f"{seed}:{area.area.code}")
    rand = rng.random
    na = area.counts.get(ContestKind.NATIONAL_ASSEMBLY)
    if na is None:
        return
    total, created = na.total, na.as_of
    females = na.female if na.female is not None else total // 2
    genders = [True] * females + [False] * (total - females)
    rng.shuffle(genders)
    # Who is left off the councils' lists: NA-only voters first, then NA + province only.
    provincial = area.counts.get(ContestKind.PROVINCIAL_COUNCIL)
    commune_count = area.counts.get(ContestKind.COMMUNE_COUNCIL)
    na_only = set(rng.sample(range(total), max(0, total - (provincial.total if provincial else 0))))
    rest = [i for i in range(total) if i not in na_only]
    no_commune = set(rng.sample(rest, max(0, len(rest) - commune_count.total))) if commune_count else set(rest)
    province_code, area_id, code = area.province.code, area.area.id, area.area.code
    # Birth dates: the ordinal of polling day minus each age in years; a voter of that age was born in the year up to it.
    age_day = {age: years_before(polling_day, age).toordinal() for age in _AGES}
    streets, n_streets = demo.STREETS, len(demo.STREETS)
    family_n, middle_f, middle_m, given_f, given_m = len(FAMILY), len(MIDDLE_F), len(MIDDLE_M), len(GIVEN_F), len(GIVEN_M)
    ethnic_total, age_total, size_total = _ETHNIC_CUM[-1], _AGE_CUM[-1], _SIZE_CUM[-1]
    ward = area.commune.kind is CommuneKind.WARD
    place = f"Tổ dân phố {area.area.number}, {area.commune.name}, {area.province.name}" if ward else \
        f"Thôn {area.area.number}, {area.commune.name}, {area.province.name}"
    elsewhere = f"ngoài {area.province.name}"
    stt, household = 0, 0
    while stt < total:
        household += 1
        size = min(_SIZES[bisect.bisect(_SIZE_CUM, rand() * size_total)], total - stt)
        address = f"{int(rand() * 400) + 1} {streets[int(rand() * n_streets)]}, {place}" if ward else place
        family = FAMILY[int(rand() * family_n)]
        key = f"{code}-{household}"
        for order in range(1, size + 1):
            index = stt
            stt += 1
            female = genders[index]
            born = date.fromordinal(age_day[_AGES[bisect.bisect(_AGE_CUM, rand() * age_total)]] - int(rand() * 365))
            surname = family if order == 1 or (not female and rand() < 0.8) else FAMILY[int(rand() * family_n)]
            if female:
                name = f"{surname} {MIDDLE_F[int(rand() * middle_f)]} {GIVEN_F[int(rand() * given_f)]}"
            else:
                name = f"{surname} {MIDDLE_M[int(rand() * middle_m)]} {GIVEN_M[int(rand() * given_m)]}"
            note_code, note, temporary, since, permanent = None, "", "", None, address
            votes_province = index not in na_only
            votes_commune = votes_province and index not in no_commune
            if not votes_province:
                note_code, note, permanent = "other", "Nhận giấy chứng nhận từ tỉnh khác", elsewhere
            elif commune_count and not votes_commune:
                since = polling_day - timedelta(days=30 + int(rand() * 330))
                note_code, note = "temporary_resident", f"Tạm trú từ {since:%d/%m/%Y}"
                temporary, permanent = address, elsewhere
            yield (election_id, area_id, index + 1, None, name, _fold(name), born, "female" if female else "male",
                   ids.make(province_code, female, born.year), _ETHNIC[bisect.bisect(_ETHNIC_CUM, rand() * ethnic_total)],
                   permanent, temporary, address, since, True, votes_province, votes_commune, key, order, note_code,
                   note, None, None, False, None, None, created, BATCH, None)


def _areas(session: Session, election_id: int, province_code: str | None, limit: int | None) -> list[int]:
    query = sa.select(PollingArea.id).order_by(PollingArea.id)
    # Only areas of this election: those linked to its contests' units.
    from webapp.elections.models import PollingAreaUnit

    query = query.where(sa.exists().where(PollingAreaUnit.polling_area_id == PollingArea.id,
                                          PollingAreaUnit.contest_id.in_(
                                              sa.select(Contest.id).where(Contest.election_id == election_id))))
    if province_code:
        query = query.join(Province, Province.id == PollingArea.province_id).where(Province.code == province_code)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def generate_voters(
    session: Session,
    *,
    election_id: int | None = None,
    province_code: str | None = None,
    areas: int | None = None,
    seed: int = 2026,
    chunk: int = CHUNK,
    progress: Callable[[str], None] | None = None,
) -> VotersResult:
    """Write the voters of the chosen areas (all areas of the election, or one province's, or the first
    ``areas``); raises VotersExist if any of them already has voters."""
    from webapp.voters.models import VoterListEntry

    say = progress or (lambda _message: None)
    election = session.get(Election, election_id) if election_id else session.scalars(
        sa.select(Election).order_by(Election.id)).first()
    if election is None:
        raise LookupError("No election: run gen-national first.")
    area_ids = _areas(session, election.id, province_code, areas)
    table = VoterListEntry.__table__
    for start in range(0, len(area_ids), 1000):
        some = area_ids[start:start + 1000]
        if session.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.polling_area_id.in_(some))):
            raise VotersExist("Some of these polling areas already have voters; nothing written.")
    provinces = {p.id: p for p in session.scalars(sa.select(Province))}
    communes = {c.id: c for c in session.scalars(sa.select(Commune))}
    ids = _IdNumbers()
    pending: list[tuple[Any, ...]] = []
    voters = 0
    for start in range(0, len(area_ids), 500):
        some = area_ids[start:start + 500]
        counts = _latest_counts(session, election.id, some)
        for polling_area in session.scalars(sa.select(PollingArea).where(PollingArea.id.in_(some))
                                            .order_by(PollingArea.id)):
            area = _Area(polling_area, communes[polling_area.commune_id], provinces[polling_area.province_id],
                         counts.get(polling_area.id, {}))
            for row in area_rows(area, election_id=election.id, polling_day=election.polling_date, seed=seed,
                                 ids=ids):
                pending.append(row)
                if len(pending) >= chunk:
                    insert_rows(session, table, COLUMNS, pending)
                    voters += len(pending)
                    pending = []
        session.expunge_all()
        say(f"{min(start + 500, len(area_ids)):,} of {len(area_ids):,} polling areas, {voters + len(pending):,} voters.")
    if pending:
        insert_rows(session, table, COLUMNS, pending)
        voters += len(pending)
    result = VotersResult(len(area_ids), voters)
    audit.record_event(
        session, action="generate_voters", entity_type="elections", entity_id=str(election.id),
        after={"seed": seed, "province": province_code, "areas": result.areas, "voters": voters},
    )
    session.flush()
    return result
