"""gen-national --voters: the rows match the counts they were made from, per contest and (NA) per sex; the same
seed gives the same voters; ID numbers are well-formed and distinct; the ballots follow the law's reasons."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from webapp.elections import services as elections
from webapp.elections.models import Contest, ContestKind, VoterCount
from webapp.seed import voters as generator
from webapp.voters.models import VoterListEntry


def _latest(db_session, area_id):
    out = {}
    for count, kind in db_session.execute(sa.select(VoterCount, Contest.kind).join(Contest)
                                          .where(VoterCount.polling_area_id == area_id)
                                          .order_by(VoterCount.as_of, VoterCount.id)):
        out[kind] = count
    return out


def test_the_voters_match_the_counts_per_contest_and_sex(db_session, w):
    election = elections.current_election(db_session)
    result = generator.generate_voters(db_session, election_id=election.id, areas=2, seed=7)
    assert result.areas == 2
    area_ids = db_session.scalars(sa.select(VoterListEntry.polling_area_id).distinct()).all()
    assert len(area_ids) == 2
    total = 0
    for area_id in area_ids:
        counts = _latest(db_session, area_id)
        rows = db_session.scalars(sa.select(VoterListEntry).where(VoterListEntry.polling_area_id == area_id)
                                  .order_by(VoterListEntry.stt)).all()
        total += len(rows)
        na = counts[ContestKind.NATIONAL_ASSEMBLY]
        assert [r.stt for r in rows] == list(range(1, na.total + 1))
        assert sum(r.gender.value == "female" for r in rows) == na.female
        assert sum(r.votes_province for r in rows) == counts[ContestKind.PROVINCIAL_COUNCIL].total
        assert sum(r.votes_commune for r in rows) == counts[ContestKind.COMMUNE_COUNCIL].total
        for r in rows:
            assert r.votes_na and (r.votes_province or not r.votes_commune)
            if not r.votes_province:
                assert r.note_code.value == "other" and "giấy chứng nhận" in r.note
            elif not r.votes_commune:  # a temporary resident of under 12 months
                assert r.note_code.value == "temporary_resident" and (date(2026, 3, 15) - r.temporary_since).days < 365
            assert (date(2026, 3, 15) - r.birth_date).days >= 18 * 365
            assert r.created_at == na.as_of
        households = Counter(r.household_key for r in rows)
        assert max(households.values()) <= 6 and all(
            [r.household_order for r in rows if r.household_key == key] == list(range(1, n + 1))
            for key, n in households.items())
    assert result.voters == total
    ids = db_session.scalars(sa.select(VoterListEntry.id_number)).all()
    assert len(set(ids)) == len(ids) and all(len(i) == 12 and i.isdigit() for i in ids)
    with pytest.raises(generator.VotersExist):
        generator.generate_voters(db_session, election_id=election.id, areas=2, seed=7)


def test_the_same_seed_gives_the_same_voters(db_session, w):
    election = elections.current_election(db_session)
    area = w.area("26743-03")
    counts = _latest(db_session, area.id)

    def rows(seed):
        made = generator._Area(area, area.commune, area.province, counts)
        return list(generator.area_rows(made, election_id=election.id, polling_day=election.polling_date, seed=seed,
                                        ids=generator._IdNumbers()))

    first, again, other = rows(2026), rows(2026), rows(2027)
    assert first == again and first != other
    assert len(first) == counts[ContestKind.NATIONAL_ASSEMBLY].total


@given(st.lists(st.tuples(st.sampled_from(["01", "79", "31"]), st.booleans(), st.integers(1926, 2008)),
                max_size=300))
def test_id_numbers_are_distinct_and_say_the_province_sex_and_year(people):
    ids = generator._IdNumbers()
    made = [(p, f, y, ids.make(p, f, y)) for p, f, y in people]
    assert len({m[3] for m in made}) == len(made)
    for province, female, year, number in made:
        assert number[:3] == f"{int(province):03d}" and number[4:6] == f"{year % 100:02d}"
        assert int(number[3]) == (0 if year < 2000 else 2) + female
