"""``flask --app wsgi rebuild-progress``: recompute every progress summary from the reports."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from webapp import db
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import utcnow
from webapp.progress import refresh


@click.command("rebuild-progress")
@with_appcontext
def rebuild_progress() -> None:
    """Recompute the progress summaries (station rows, rollups) from the reports: after bulk loads, or to repair."""
    started = time.perf_counter()
    with db.get_db().sessionmaker() as session:
        audit.bind(session, audit.AuditContext(None, "cli", Channel.CLI))
        result = refresh.rebuild(session, now=utcnow())
        session.commit()
    click.echo(f"Progress rebuilt: {result.communes:,} communes, {result.provinces:,} provinces "
               f"in {time.perf_counter() - started:.1f} s.")
