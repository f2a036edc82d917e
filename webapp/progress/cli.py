"""``flask --app wsgi rebuild-progress``: recompute every progress summary from the reports."""

from __future__ import annotations

import logging
import time

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from webapp import db
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import utcnow
from webapp.progress import refresh

log = logging.getLogger(__name__)


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


@click.command("progress-refresher")
@click.option("--every", type=float, default=5.0, show_default=True, help="Seconds between two looks at the queue.")
@click.option("--once", is_flag=True, help="Refresh once (if something is queued) and stop.")
@with_appcontext
def progress_refresher(every: float, once: bool) -> None:
    """Refresh the progress rollups in this process, in a loop: run one beside the web server and set
    WEBAPP_PROGRESS_REFRESH_AFTER_RESPONSE=false so that readers never refresh in a web worker."""
    from flask import current_app

    from webapp.progress.refresher import run_refresh

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    while True:
        started = time.perf_counter()
        run_refresh(app, utcnow)  # staleness on the wall clock, whatever the reports' clock says
        for drill_id in _drills_today(app):  # a drill running today is refreshed beside the real election
            run_refresh(app, utcnow, drill_id)
        if once:
            return
        time.sleep(max(0.0, every - (time.perf_counter() - started)))


def _drills_today(app: object) -> list[int]:
    """The drills to refresh this round; none while the database cannot answer (a restart, a failover): the loop
    must outlive it as ``run_refresh`` does, not leave the dashboards without a refresher until someone restarts it."""
    from webapp.clock import to_local
    from webapp.elections.models import Election

    try:
        with db.get_db(app).sessionmaker() as session:  # type: ignore[arg-type]
            return list(session.scalars(sa.select(Election.id).where(
                Election.source_election_id.is_not(None), Election.polling_date == to_local(utcnow()).date())))
    except sa.exc.SQLAlchemyError:
        log.exception("the drills to refresh could not be read")
        return []
