"""``flask voters freeze|snapshot|purge``: freezing the lists as voting starts, the report's snapshots, the purge."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask.cli import with_appcontext

from webapp import db
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import utcnow
from webapp.elections import services as elections
from webapp.elections import working
from webapp.jobs import queue
from webapp.voters import changes, reports, services, snapshots


def _session():  # type: ignore[no-untyped-def]
    session = db.get_db().sessionmaker()
    audit.bind(session, audit.AuditContext(None, "cli", Channel.CLI))
    return session


def _election(session, code: str | None):  # type: ignore[no-untyped-def]
    election = elections.find_election(session, code) if code else elections.real_election(session)
    if election is None:
        raise click.ClickException(f"No election {code!r}.")
    working.bind(session, election.id)
    return election


@queue.every_minute("freeze-voter-lists")
def freeze_now(code: str | None = None) -> changes.FreezeResult:
    """Freezes the lists due now (the command, and the jobs worker's minute task)."""
    with _session() as session:
        if code is None and elections.real_election(session) is None:
            return changes.FreezeResult([], [], [])  # an empty database: nothing to freeze
        election = _election(session, code)
        result = changes.freeze_due(session, utcnow(), election)
        session.commit()
    return result


@queue.every_minute("snapshot-voter-lists", minutes=15)
def snapshot_now(code: str | None = None) -> list[datetime]:
    """Stores the voter-change report's snapshots that are due (the command, and the jobs worker's task)."""
    with _session() as session:
        if code is None and elections.real_election(session) is None:
            return []
        election = _election(session, code)
        taken = snapshots.take_due(session, election, utcnow(), reports.default_times(election))
        session.commit()
    return taken


@click.group("voters")
def voters() -> None:
    """Voter lists (danh sách cử tri)."""


@voters.command("freeze")
@click.option("--election", "code", help="The election's code (default: the real election).")
@with_appcontext
def freeze(code: str | None) -> None:
    """Freeze every list whose voting has started: its totals become the count minutes' voters on the list.
    The jobs worker does it every minute; by hand when no worker runs. Areas frozen before are left alone."""
    result = freeze_now(code)
    click.echo(f"Frozen: {len(result.frozen)} lists.")


@voters.command("snapshot")
@click.option("--election", "code", help="The election's code (default: the real election).")
@with_appcontext
def snapshot(code: str | None) -> None:
    """Store the figures of every list at the voter-change report's scheduled times that have passed, and the
    current figures (every 15 minutes at most), so that a province's report reads them instead of its rows. The
    jobs worker does it every 15 minutes; by hand when no worker runs."""
    taken = snapshot_now(code)
    click.echo(f"Snapshots taken: {len(taken)}.")


@voters.command("purge")
@click.option("--election", "code", required=True, help="The finished election's code.")
@click.option("--older-than", "days", type=click.IntRange(min=0), required=True,
              help="Only when polling day is at least this many days ago.")
@with_appcontext
def purge(code: str, days: int) -> None:
    """Delete the voter lists and their changes of a finished election (Luật 91/2025: kept no longer than
    needed); the voter counts (totals), the freezes and the audit trail stay."""
    with _session() as session:
        election = _election(session, code)
        if utcnow().date() - election.polling_date < timedelta(days=days):
            raise click.ClickException(f"Polling day {election.polling_date} is less than {days} days ago.")
        deleted = services.purge(session, election)
        session.commit()
    click.echo(f"Deleted {deleted} voters of {election.code}; totals and audit trail kept.")
