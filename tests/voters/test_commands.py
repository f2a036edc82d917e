"""``flask voters freeze``, ``flask voters purge`` and ``flask voters snapshot`` on their own database (the commands
commit)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import migrated_database
from webapp import create_app
from webapp.audit.models import AuditEntry
from webapp.clock import utcnow
from webapp.elections.models import Election, Gender, PollingArea, VoterCount, VoterCountSource
from webapp.voters.models import VoterListEntry, VoterListFreeze


@pytest.fixture(scope="module")
def demo_app() -> Iterator[Flask]:
    url, drop = migrated_database(os.environ.get("TEST_DATABASE_URL"), "voters-cli")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    yield app
    app.extensions["db"].engine.dispose()
    drop()


def test_freeze_as_the_polls_open_then_purge_keeping_totals_and_audit(demo_app: Flask):
    cli = demo_app.test_cli_runner()
    with demo_app.extensions["db"].sessionmaker() as session:
        election = session.scalars(sa.select(Election)).one()
        area = session.scalars(sa.select(PollingArea).where(PollingArea.code == "26743-01")).one()
        for stt, gender in ((1, Gender.MALE), (2, Gender.FEMALE)):
            session.add(VoterListEntry(election_id=election.id, polling_area_id=area.id, stt=stt,
                                       full_name=f"Cử tri {stt}", name_folded=f"cu tri {stt}",
                                       birth_date=date(1980, 1, stt), gender=gender, id_number=f"07908000000{stt}",
                                       created_at=utcnow()))
        session.commit()
        code, area_id = election.code, area.id
    # The demo's polling day (15/3/2026) has passed: its lists are due.
    frozen = cli.invoke(args=["voters", "freeze", "--election", code])
    assert frozen.exit_code == 0 and "Frozen: 1 lists" in frozen.output, frozen.output
    assert "Frozen: 0 lists" in cli.invoke(args=["voters", "freeze"]).output  # frozen once
    refused = cli.invoke(args=["voters", "purge", "--election", code, "--older-than", "100000"])
    assert refused.exit_code != 0
    purged = cli.invoke(args=["voters", "purge", "--election", code, "--older-than", "30"])
    assert purged.exit_code == 0 and "Deleted 2 voters" in purged.output, purged.output
    with demo_app.extensions["db"].sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(VoterListEntry)) == 0
        counts = session.scalars(sa.select(VoterCount).where(VoterCount.polling_area_id == area_id,
                                                             VoterCount.source == VoterCountSource.LIST_FROZEN)).all()
        assert sorted(c.total for c in counts) == [2, 2, 2] and {(c.male, c.female) for c in counts} == {(1, 1)}
        assert session.scalar(sa.select(sa.func.count()).select_from(VoterListFreeze)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "purge_voter_lists")) == 1


def test_snapshot_stores_the_moments_passed_once_and_the_current_figures(demo_app: Flask):
    from webapp.voters import reports
    from webapp.voters.models import VoterSnapshot

    cli = demo_app.test_cli_runner()
    with demo_app.extensions["db"].sessionmaker() as session:
        scheduled = len(reports.default_times(session.scalars(sa.select(Election)).one()))
    taken = cli.invoke(args=["voters", "snapshot"])
    # The demo's polling day has passed: every scheduled moment, and the current figures.
    assert taken.exit_code == 0 and f"Snapshots taken: {scheduled + 1}." in taken.output, taken.output
    assert "Snapshots taken: 0." in cli.invoke(args=["voters", "snapshot"]).output
    with demo_app.extensions["db"].sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(VoterSnapshot)) == scheduled + 1
