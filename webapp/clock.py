"""Time in one place: UTC in the database, Asia/Ho_Chi_Minh on screen, and the reports' clock."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(VN_TZ)


def reporting_now() -> datetime:
    """The clock of the reports (giờ báo cáo). ``REPORTING_CLOCK_OVERRIDE`` (e.g. ``2026-03-15T11:20``, Ho Chi
    Minh City time unless an offset is given) freezes it for demos run on another day. With
    ``REPORTING_CLOCK_STARTED_AT`` (a Unix time) it runs instead from the override, ``REPORTING_CLOCK_RATE`` times
    faster than real time: the rehearsal of a whole day in a compressed hour (benchmarks/election_day.py), the same
    on every worker. A drill runs on this clock too (the pages and `flask drill simulate`): real time unless
    overridden."""
    config = current_app.config
    override = config.get("REPORTING_CLOCK_OVERRIDE")
    if not override:
        return utcnow()
    moment = datetime.fromisoformat(str(override))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)
    if started := config.get("REPORTING_CLOCK_STARTED_AT"):
        elapsed = utcnow() - datetime.fromtimestamp(float(started), UTC)
        moment += elapsed * float(config.get("REPORTING_CLOCK_RATE", 1))
    return moment


def election_now(election: object) -> datetime:
    """The clock of an election's day: the reports' clock. A drill runs on real time (webapp.drills), never on a
    frozen demo clock; a running one (``REPORTING_CLOCK_STARTED_AT``: a rehearsal, a test's fixed afternoon) moves
    as real time does, so a drill follows it like everything else."""
    drill = getattr(election, "is_drill", False) or getattr(election, "source_election_id", None) is not None
    if drill and not current_app.config.get("REPORTING_CLOCK_STARTED_AT"):
        return utcnow()
    return reporting_now()
