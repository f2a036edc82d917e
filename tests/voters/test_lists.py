"""Importing lists, the totals, changes until the deadlines, the certificate, the freeze and the purge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.voters import helpers
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind, Gender, VoterCount, VoterCountSource
from webapp.elections.services import current_election, latest_voter_counts
from webapp.imports.common import ImportRejected
from webapp.voters import changes, figures, imports, rules, services
from webapp.voters.changes import ChangeRejected, NewVoter
from webapp.voters.models import VoterChange, VoterChangeCause, VoterListEntry, VoterNote

NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
START = datetime(2026, 3, 15, 0, 0, tzinfo=UTC)


def load(db_session, w, data=None, name="ds.xlsx", area="26743-01", user="xa"):  # type: ignore[no-untyped-def]
    return imports.import_voter_list(db_session, actor=Actor(w.user(user), Channel.WEB),
                                     election=current_election(db_session), filename=name,
                                     data=helpers.xlsx() if data is None else data, now=NOW, max_bytes=10 * 2**20,
                                     area_id=w.area(area).id)


def test_a_mau_31_file_imports_and_its_totals_come_from_the_rows(db_session, w):
    result = load(db_session, w)
    assert result.counts.created == 3 and result.rows == 3
    area = w.area("26743-01")
    rows = db_session.scalars(sa.select(VoterListEntry).where(VoterListEntry.polling_area_id == area.id)
                              .order_by(VoterListEntry.stt)).all()
    assert [r.card_number for r in rows] == ["0001", "0002", "0003"]
    assert rows[2].temporary_since == date(2025, 10, 1) and rows[2].note_code is VoterNote.TEMPORARY_RESIDENT
    assert rows[1].name_folded == "tran thi binh"
    t = figures.totals(db_session, current_election(db_session).id, [area.id])[area.id]
    assert t[ContestKind.NATIONAL_ASSEMBLY].as_dict() == {"total": 3, "male": 2, "female": 1}
    assert t[ContestKind.COMMUNE_COUNCIL].as_dict() == {"total": 2, "male": 1, "female": 1}


def test_the_same_file_twice_changes_nothing_and_an_edit_updates_in_place(db_session, w):
    load(db_session, w)
    again = load(db_session, w)
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 3)
    rows = [list(r) for r in helpers.ROWS]
    rows[0][2] = "Nguyễn Văn Ân"
    edited = load(db_session, w, helpers.xlsx(rows))
    assert (edited.counts.created, edited.counts.updated, edited.counts.unchanged) == (0, 1, 2)
    first = db_session.scalars(sa.select(VoterListEntry).where(VoterListEntry.stt == 1)).one()
    db_session.refresh(first)
    # The search key follows the name (the search without diacritics finds the corrected name).
    assert (first.full_name, first.name_folded) == ("Nguyễn Văn Ân", "nguyen van an")
    update = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "voter_list_entries",
                                                            AuditEntry.action == "update")).one()
    assert update.entity_id == str(first.id)


def test_a_csv_without_the_card_column_imports(db_session, w):
    assert load(db_session, w, helpers.csv(), "ds.csv").counts.created == 3


def test_every_problem_is_reported_and_nothing_is_stored(db_session, w):
    rows = [
        helpers.voter(1, "Nguyễn Văn An", "01/02/1960", True, "079060001111"),
        helpers.voter(2, "Trẻ Quá", "16/03/2008", False, "079308002223"),  # 18 the day after polling day
        helpers.voter(3, "Tạm Trú Mới", "20/11/1990", True, "079090003334", note="Tạm trú từ 01/10/2025"),
        helpers.voter(3, "Trùng STT", "20/11/1990", True, "079090003335"),
        helpers.voter(5, "Trùng Số", "20/11/1990", True, "079060001111"),
        helpers.voter(6, "Sai Số", "20/11/1990", True, "12345"),
    ]
    with pytest.raises(ImportRejected) as caught:
        load(db_session, w, helpers.xlsx(rows))
    messages = [(e.row, e.message_id) for e in caught.value.errors]
    assert len(messages) == 5, messages
    assert any("Under 18" in m for _, m in messages)
    assert any("commune council" in m for _, m in messages)
    assert any("appears twice" in m for _, m in messages)
    assert any("listed once" in m for _, m in messages)
    assert any("12 digits" in m for _, m in messages)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(VoterListEntry)) == 0


def test_a_voter_is_listed_once_in_the_country(db_session, w):
    load(db_session, w)
    with pytest.raises(ImportRejected) as caught:
        load(db_session, w, area="26743-02")
    assert all("listed once" in e.message_id for e in caught.value.errors)


def test_a_leader_and_the_hotline_import_nothing_and_another_commune_is_out_of_scope(db_session, w):
    from webapp.scope import OutOfScope
    with pytest.raises(services.NotAllowed):
        load(db_session, w, user="to01")
    with pytest.raises(services.NotAllowed):
        load(db_session, w, user="tongdai")
    with pytest.raises(OutOfScope):
        load(db_session, w, area="00070-01")


def _actor(w, name="xa"):  # type: ignore[no-untyped-def]
    return Actor(w.user(name), Channel.WEB)


def _newcomer(**kw):  # type: ignore[no-untyped-def]
    return NewVoter(**({"full_name": "Phạm Thị Dung", "birth_date": date(1985, 5, 5),
                        "gender": Gender.FEMALE, "id_number": "079185004444"} | kw))


def test_changes_keep_stt_and_follow_the_deadlines(db_session, w):
    load(db_session, w)
    election = current_election(db_session)
    area = w.area("26743-01")
    change = changes.add_voter(db_session, _actor(w), NOW, election, area.id, VoterChangeCause.MOVED_IN,
                                "Giấy xác nhận thường trú 12/2026", _newcomer())
    assert change.entry.stt == 4 and change.entry.added_after_posting and change.channel == "web"
    first = db_session.scalars(sa.select(VoterListEntry).where(VoterListEntry.stt == 1)).one()
    changes.remove_voter(db_session, _actor(w), NOW, election, first.id, VoterChangeCause.DEATH, "Giấy báo tử 7")
    assert first.removed_at == NOW and first.stt == 1
    t = figures.totals(db_session, election.id, [area.id])[area.id][ContestKind.NATIONAL_ASSEMBLY]
    assert t.as_dict() == {"total": 3, "male": 1, "female": 2}
    # 24 hours before voting starts: a move-in is refused, a removal still recorded
    late = START - timedelta(hours=2)
    with pytest.raises(ChangeRejected):
        changes.add_voter(db_session, _actor(w), late, election, area.id, VoterChangeCause.MOVED_IN, "x",
                           _newcomer(id_number="079185005555"))
    second = db_session.scalars(sa.select(VoterListEntry).where(VoterListEntry.stt == 2)).one()
    changes.remove_voter(db_session, _actor(w), late, election, second.id, VoterChangeCause.RIGHTS_LOST, "Bản án 3")
    third = db_session.scalars(sa.select(VoterListEntry).where(VoterListEntry.stt == 3)).one()
    with pytest.raises(ChangeRejected):
        changes.remove_voter(db_session, _actor(w), START, election, third.id, VoterChangeCause.DEATH, "x")
    with pytest.raises(ChangeRejected):  # no document
        changes.remove_voter(db_session, _actor(w), NOW, election, third.id, VoterChangeCause.DEATH, " ")
    audited = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "voter_changes")).all()
    assert len(audited) == 3 and {a.actor_username for a in audited} == {"xa"}


def test_a_certificate_annotates_home_and_adds_at_the_destination_for_two_ballots(db_session, w):
    load(db_session, w)
    election = current_election(db_session)
    home = db_session.scalars(sa.select(VoterListEntry).where(VoterListEntry.stt == 1)).one()
    given, received = changes.give_certificate(db_session, _actor(w), START - timedelta(hours=1), election, home.id,
                                                w.area("26743-02").id, "Mẫu 11/HĐBC", "11-0007")
    assert home.note == "Bỏ phiếu ở nơi khác" and home.note_code is VoterNote.VOTES_ELSEWHERE and home.removed_at
    row = received.entry
    assert (row.polling_area_id, row.stt, row.votes_na, row.votes_province, row.votes_commune) == (
        w.area("26743-02").id, 1, True, True, False)
    assert row.origin_entry_id == home.id and received.certificate_number == "11-0007"


def test_the_freeze_writes_the_counts_the_minutes_start_from(db_session, w):
    load(db_session, w)
    election = current_election(db_session)
    a1, a2 = w.area("26743-01"), w.area("26743-02")
    result = changes.freeze(db_session, _actor(w), START, election, [a1.id, a2.id])
    assert result.frozen == [a1.id] and result.without_list == [a2.id]
    latest = latest_voter_counts(db_session, [a1.id, a2.id])
    na = w.contest(ContestKind.NATIONAL_ASSEMBLY)
    xa = w.contest(ContestKind.COMMUNE_COUNCIL)
    assert latest[(a1.id, na.id)].source is VoterCountSource.LIST_FROZEN
    assert (latest[(a1.id, na.id)].total, latest[(a1.id, xa.id)].total) == (3, 2)
    assert latest[(a2.id, na.id)].source is not VoterCountSource.LIST_FROZEN  # keeps its typed count
    again = changes.freeze(db_session, _actor(w), START, election, [a1.id])
    assert again.already == [a1.id]
    first = db_session.scalars(sa.select(VoterListEntry).where(VoterListEntry.stt == 1)).one()
    with pytest.raises(ChangeRejected):
        changes.remove_voter(db_session, _actor(w), START - timedelta(hours=1), election, first.id,
                              VoterChangeCause.DEATH, "x")


def test_reading_a_list_is_audited_and_scoped(db_session, w):
    load(db_session, w)
    election = current_election(db_session)
    area = w.area("26743-01")
    page = services.list_page(db_session, w.user("to01"), election, area.id, query="binh")
    assert [r.stt for r in page.rows] == [2]
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "search_voters")).one()
    assert entry.actor_username == "to01" or entry.after["rows"] == 1
    assert services.masked_id(w.user("to01"), "079060001111").endswith("1111")
    assert "0790" not in services.masked_id(w.user("tinh"), "079060001111")
    with pytest.raises(services.NotAllowed):
        services.list_page(db_session, w.user("tongdai"), election, area.id)
    from webapp.scope import OutOfScope
    with pytest.raises(OutOfScope):
        services.list_page(db_session, w.user("to01"), election, w.area("26743-02").id)


def test_the_purge_keeps_the_totals_and_the_audit_trail(db_session, w):
    load(db_session, w)
    election = current_election(db_session)
    area = w.area("26743-01")
    changes.freeze(db_session, _actor(w), START, election, [area.id])
    audits = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    assert services.purge(db_session, election) == 3
    assert db_session.scalar(sa.select(sa.func.count()).select_from(VoterListEntry)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(VoterCount).where(
        VoterCount.source == VoterCountSource.LIST_FROZEN)) == 3
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audits + 1


_VOTER = st.tuples(st.text("AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXYàáạảãâầấậẩẫ ", min_size=2, max_size=30).filter(str.strip),
                   st.dates(date(1920, 1, 1), date(2008, 3, 15)), st.booleans(), st.sampled_from(["xxx", "xxo"]),
                   st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2026, 3, 1))))


@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_VOTER, min_size=1, max_size=8))
def test_any_valid_list_imports_twice_to_the_same_rows_and_totals(db_session, w, voters):
    rows = []
    for n, (name, born, male, ballots, since) in enumerate(voters, start=1):
        note = f"Tạm trú từ {since:%d/%m/%Y}" if since else ""
        if since and rules.months_between(since, date(2026, 3, 15)) < 12:
            ballots = "xxo"
        rows.append(helpers.voter(n, name, born.strftime("%d/%m/%Y"), male, f"0790{n:08d}", ballots, note,
                                  "5 Pasteur" if since else ""))
    nested = db_session.begin_nested()
    try:
        first = load(db_session, w, helpers.xlsx(rows))
        again = load(db_session, w, helpers.xlsx(rows))
        assert (first.counts.created, again.counts.unchanged, again.counts.created, again.counts.updated) == (
            len(rows), len(rows), 0, 0)
        area = w.area("26743-01")
        t = figures.totals(db_session, current_election(db_session).id, [area.id])[area.id]
        assert t[ContestKind.NATIONAL_ASSEMBLY].total == len(rows)
        assert t[ContestKind.COMMUNE_COUNCIL].total == sum(1 for r in rows if r[13] == "x")
        assert t[ContestKind.NATIONAL_ASSEMBLY].male == sum(1 for r in rows if r[4] == "x")
    finally:
        nested.rollback()


def test_a_correction_keeps_the_stt_and_checks_the_rules_again(db_session, w):
    load(db_session, w)
    election = current_election(db_session)
    entry = db_session.scalars(sa.select(VoterListEntry).where(VoterListEntry.stt == 1)).one()
    fixed = NewVoter(full_name="Nguyễn Văn Ân", birth_date=entry.birth_date, gender=entry.gender,
                     id_number=entry.id_number)
    change = changes.correct_voter(db_session, _actor(w), NOW, election, entry.id, "Đơn đề nghị 3", fixed)
    assert (entry.stt, entry.full_name, entry.name_folded) == (1, "Nguyễn Văn Ân", "nguyen van an")
    assert change.before["full_name"] == "Nguyễn Văn An" and change.after["full_name"] == "Nguyễn Văn Ân"
    with pytest.raises(ChangeRejected):  # the ID number of another voter on the list
        changes.correct_voter(db_session, _actor(w), NOW, election, entry.id, "x",
                               NewVoter(full_name="A", birth_date=entry.birth_date, gender=entry.gender,
                                        id_number="079308002222"))
    with pytest.raises(ChangeRejected):  # closed a day before voting starts
        changes.correct_voter(db_session, _actor(w), START - timedelta(hours=3), election, entry.id, "x", fixed)


def test_only_lines_that_begin_with_footer_text_end_the_table(db_session, w):
    rows = [*helpers.ROWS, helpers.voter(4, "Chu Tịch Hòa", "01/01/1970", True, "079070004444")]
    # Without a "Số thẻ" column the name is the first text of the row: a name is not the chairman's signature.
    head = ([c for i, c in enumerate(helpers.HEAD_1) if i != 1], [c for i, c in enumerate(helpers.HEAD_2) if i != 1])
    data = helpers.xlsx([[c for i, c in enumerate(r) if i != 1] for r in rows], header=head)
    assert load(db_session, w, data).counts.created == 4
