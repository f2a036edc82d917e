"""The rules of a voter list: worked examples from the doc (voters-and-drills.md §1, domain.md) and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.elections.models import PollingAreaKind
from webapp.voters import rules
from webapp.voters.models import VoterChangeCause, VoterNote
from webapp.voters.rules import ALL, HIGHER_ONLY, Ballots

# Runs on SQLite only (scripts/test.sh): the voter-list rules are plain functions, no database.
pytestmark = pytest.mark.no_database

POLLING = date(2026, 3, 15)
START = datetime(2026, 3, 15, 0, 0, tzinfo=UTC)  # 07:00 in Ho Chi Minh City


def allowed(**kw):  # type: ignore[no-untyped-def]
    base = dict(polling_date=POLLING, area_kind=PollingAreaKind.REGULAR, note_code=None, temporary_since=None,
                by_certificate=False)
    return rules.allowed_ballots(**(base | kw))


def test_worked_examples_of_age():
    assert rules.check_age(date(2008, 3, 15), POLLING) is None  # 18 on polling day itself
    assert rules.check_age(date(2008, 3, 16), POLLING) is not None  # 18 the day after: not a voter
    assert rules.check_age(date(1930, 1, 1), POLLING) is None
    assert rules.check_age(date(2027, 1, 1), POLLING).message_id == "The date of birth is after polling day."
    # Born on 29 February 2008: 18 on 1 March 2026, not on 28 February.
    assert rules.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert rules.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_worked_examples_of_ballots():
    assert allowed() == ALL  # a permanent resident
    assert allowed(temporary_since=date(2025, 3, 15)) == ALL  # 12 months of tạm trú on polling day
    assert allowed(temporary_since=date(2025, 3, 16)) == HIGHER_ONLY  # one day short
    assert allowed(note_code=VoterNote.TEMPORARY_RESIDENT) == HIGHER_ONLY  # start unknown
    assert allowed(by_certificate=True) == HIGHER_ONLY  # Mẫu 11: NA + tỉnh
    assert allowed(note_code=VoterNote.DETAINED_CUSTODY) == HIGHER_ONLY
    assert allowed(note_code=VoterNote.MEASURE) == HIGHER_ONLY
    assert allowed(area_kind=PollingAreaKind.ARMED_FORCES) == HIGHER_ONLY  # soldiers at the garrison
    assert allowed(area_kind=PollingAreaKind.HOSPITAL) == ALL
    assert rules.check_ballots(Ballots(True, True, True), HIGHER_ONLY) is not None
    assert rules.check_ballots(Ballots(True, True, False), HIGHER_ONLY) is None
    assert rules.check_ballots(Ballots(False, False, False), ALL) is not None


def test_worked_examples_of_the_deadlines():
    window = rules.ChangeWindow(START)
    day_before = START - timedelta(hours=24)
    assert window.check(VoterChangeCause.MOVED_IN, day_before - timedelta(minutes=1), removal=False) is None
    assert window.check(VoterChangeCause.MOVED_IN, day_before, removal=False) is not None  # closed at 07:00 on 14/3
    assert window.check(VoterChangeCause.DEATH, START - timedelta(minutes=1), removal=True) is None
    assert window.check(VoterChangeCause.CERTIFICATE_RECEIVED, START - timedelta(minutes=1), removal=False) is None
    assert window.check(VoterChangeCause.DEATH, START, removal=True) is not None  # nothing once voting starts
    assert window.check(VoterChangeCause.CERTIFICATE_RECEIVED, START, removal=False) is not None


def test_worked_examples_of_id_numbers():
    assert rules.check_id_number("079201001234") is None
    assert rules.check_id_number("07920100123") is not None
    assert rules.check_id_number("07920100123A") is not None
    assert rules.check_id_number("０７９２０１００１２３４") is not None  # full-width digits are not ASCII


@given(st.dates(date(1900, 1, 1), date(2030, 12, 31)), st.dates(date(2000, 1, 1), date(2030, 12, 31)))
def test_age_is_whole_years_and_grows_with_the_day(birth, day):
    age = rules.age_on(birth, day)
    if day >= birth:
        assert age >= 0
        assert rules.age_on(birth, day + timedelta(days=366)) >= age + 1
    # of age exactly when the eighteenth birthday (1 March for 29 February) is on or before the day
    try:
        birthday = birth.replace(year=birth.year + 18)
    except ValueError:
        birthday = date(birth.year + 18, 3, 1)
    assert (rules.check_age(birth, day) is None) == (birthday <= day)


@given(st.dates(date(2000, 1, 1), date(2026, 3, 15)))
def test_temporary_residents_vote_for_the_commune_after_twelve_months(since):
    twelve = rules.months_between(since, POLLING) >= 12
    assert (allowed(temporary_since=since) == ALL) == twelve
    assert allowed(temporary_since=since).na and allowed(temporary_since=since).province


@given(st.sampled_from(list(VoterNote) + [None]), st.sampled_from(list(PollingAreaKind)), st.booleans(),
       st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2026, 3, 15))))
def test_everyone_on_a_list_votes_for_the_assembly_and_the_province(note, kind, certificate, since):
    ballots = allowed(note_code=note, area_kind=kind, by_certificate=certificate, temporary_since=since)
    assert ballots.na and ballots.province
    if certificate or note in rules.DETAINED or kind is PollingAreaKind.ARMED_FORCES:
        assert not ballots.commune


@given(st.sampled_from(list(VoterChangeCause)), st.integers(-3 * 24 * 60, 24 * 60))
def test_nothing_changes_after_voting_starts_and_most_close_a_day_before(cause, minutes):
    now = START + timedelta(minutes=minutes)
    removal = cause in rules.REMOVALS
    refused = rules.ChangeWindow(START).check(cause, now, removal=removal) is not None
    if now >= START:
        assert refused
    elif now < START - timedelta(hours=24):
        assert not refused
    else:
        assert refused == (not removal and cause not in rules.LATE_ADDITIONS)


@given(st.one_of(st.none(), st.integers(1, 10**6)))
def test_additions_go_at_the_end(last):
    assert rules.next_stt(last) == (last or 0) + 1
