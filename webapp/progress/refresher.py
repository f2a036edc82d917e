"""The progress rollups' refresh in the background (làm mới tiến độ), after a reader's response has gone out or in
a ``flask progress-refresher`` process: its own session and transactions, never a request's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask

from webapp import db
from webapp.clock import election_now
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.elections import services as elections
from webapp.elections import working
from webapp.progress import refresh
from webapp.reports import secrecy

log = logging.getLogger(__name__)


def run_refresh(app: Flask, clock: Callable[[], datetime], election_id: int | None = None) -> None:
    """Claim the refresh (single flight across processes), then refresh; a failure releases the claim.
    ``election_id``: a drill's (webapp.drills), else the real election. ``clock`` is the wall clock: staleness
    is measured in real time even when the reports' clock is frozen (``REPORTING_CLOCK_OVERRIDE``)."""
    ttl = timedelta(seconds=float(app.config.get("PROGRESS_REFRESH_SECONDS", 10)))
    lease = timedelta(seconds=float(app.config.get("PROGRESS_REFRESH_LEASE", 300)))
    with app.app_context():
        session = db.get_db(app).sessionmaker()
        audit.bind(session, audit.AuditContext(None, "progress", Channel.SYSTEM))
        if election_id is not None:
            working.bind(session, election_id)
        secrecy.bind(session, clock=election_now)  # the rollups never hold sealed minutes (webapp.reports.secrecy)
        try:
            election = elections.current_election(session)
            now = clock()
            if not refresh.claim(session, election.id, now, ttl=ttl, lease=lease):
                session.rollback()
                return
            session.commit()
            try:
                refresh.refresh(session, now=now)
                session.commit()
            except Exception:
                session.rollback()
                refresh.release(session, election.id)
                session.commit()
                raise
        except Exception:
            log.exception("progress refresh failed")
        finally:
            session.close()
