"""``flask drill create|list|reset|delete|simulate``: drills for scripts and tests (exit 0 on success)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from webapp import db
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import VN_TZ, reporting_now
from webapp.drills import services
from webapp.drills.words import REFUSALS
from webapp.elections import services as elections
from webapp.elections import working
from webapp.elections.models import PollingArea
from webapp.geo.models import Province


def _session(channel: Channel = Channel.CLI):  # type: ignore[no-untyped-def]
    session = db.get_db().sessionmaker()
    audit.bind(session, audit.AuditContext(None, "cli", channel))
    return session


def _drill(session, code: str):  # type: ignore[no-untyped-def]
    drill = services.find_drill(session, code)
    if drill is None:
        raise click.ClickException(f"No drill {code!r} (flask drill list).")
    return drill


def _remove_photos(paths: list[str]) -> None:
    from flask import current_app

    from webapp.reports.photos import stored_path
    from webapp.reports.views.photos import upload_dir

    for relative in paths:
        try:
            stored_path(upload_dir(), relative).unlink(missing_ok=True)
        except (ValueError, OSError):
            current_app.logger.warning("drill photo not removed: %s", relative)


@click.group("drill")
def drill() -> None:
    """Drills (diễn tập): an election made from the real one, rehearsed on the real accounts."""


@drill.command("create")
@click.option("--from", "source_code", required=True, help="The real election's code.")
@click.option("--province", "province_code", default="all", show_default=True,
              help="A province's code, or 'all' for the whole country.")
@click.option("--start", "start", required=True, help="When voting opens, ISO (Ho Chi Minh City time unless an "
              "offset is given), e.g. 2026-03-14T14:00.")
@click.option("--slot-minutes", type=click.IntRange(1, 180), default=10, show_default=True)
@click.option("--reports", type=click.IntRange(1, 12), default=services.DEFAULT_REPORTS, show_default=True,
              help="Report times; the last is when the polls close.")
@click.option("--count-minutes", type=click.IntRange(1, 600), default=services.DEFAULT_COUNT_MINUTES,
              show_default=True, help="How long the count lasts after the polls close.")
@click.option("--name", default=None)
@with_appcontext
def create(source_code: str, province_code: str, start: str, slot_minutes: int, reports: int, count_minutes: int,
           name: str | None) -> None:
    """Make a drill; its code is printed on the last line."""
    try:
        starts_at = datetime.fromisoformat(start)
    except ValueError as exc:
        raise click.BadParameter("an ISO date and time, e.g. 2026-03-14T14:00", param_hint="--start") from exc
    starts_at = starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=VN_TZ)
    with _session() as session:
        with working.unbound(session):
            source = elections.find_election(session, source_code)
        if source is None or source.source_election_id is not None:
            raise click.ClickException(f"No real election {source_code!r}.")
        province_id = None
        if province_code.lower() != "all":
            province_id = session.scalar(sa.select(Province.id).where(Province.code == province_code))
            if province_id is None:
                raise click.ClickException(f"No province {province_code!r}.")
        try:
            made = services.create_drill(session, actor=None, source=source, province_id=province_id,
                                         starts_at=starts_at, slot_minutes=slot_minutes, reports=reports,
                                         count_minutes=count_minutes, name=name)
        except services.DrillError as exc:
            # The refusal in Vietnamese: its wording needs a request's locale (as the background jobs make one).
            with current_app.test_request_context(), force_locale("vi"):
                message = str(REFUSALS[exc.code])
            raise click.ClickException(message) from exc
        session.commit()
        day = services.schedule(made)
        click.echo(f"Drill of {source.code} for {province_code}: opens {day.starts_at:%Y-%m-%d %H:%M}, report times "
                   f"{', '.join(f'{t:%H:%M}' for t in day.report_times)}, polls close {day.polls_close:%H:%M}, "
                   f"count until {day.count_until:%H:%M}.")
        click.echo(made.code)


@drill.command("list")
@with_appcontext
def list_() -> None:
    """The drills: code, source, place, start, slot minutes."""
    with _session() as session:
        found = services.drills(session)
        with working.unbound(session):
            for d in found:
                day = services.schedule(d)
                place = session.get(Province, d.drill_province_id).code if d.drill_province_id else "all"
                click.echo(f"{d.code}\t{place}\t{day.starts_at:%Y-%m-%d %H:%M}\t{d.drill_slot_minutes} min\t{d.name}")
        if not found:
            click.echo("No drill.")


def _clear(code: str, clear: Callable[..., list[str]]) -> None:
    """Reset or delete the drill (``services.reset_drill``, ``delete_drill``), then remove its photos' files."""
    with _session() as session:
        photos = clear(session, actor=None, drill=_drill(session, code))
        session.commit()
    _remove_photos(photos)


@drill.command("reset")
@click.argument("code")
@with_appcontext
def reset(code: str) -> None:
    """Delete everything sent in the drill; its configuration copied again from the real election."""
    _clear(code, services.reset_drill)
    click.echo(f"Drill {code} reset.")


@drill.command("delete")
@click.argument("code")
@with_appcontext
def delete(code: str) -> None:
    """Delete the drill and everything in it; the real election is untouched."""
    _clear(code, services.delete_drill)
    click.echo(f"Drill {code} deleted.")


@drill.command("simulate")
@click.argument("code")
@click.option("--until-end", is_flag=True, help="Keep going, a pass a minute, until the drill's count ends.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Same seed, same behaviour.")
@click.option("--every", type=float, default=30.0, show_default=True, help="Seconds between passes (--until-end).")
@click.option("--leave", multiple=True, help="A polling area's code whose people take part (repeatable).")
@with_appcontext
def simulate(code: str, until_end: bool, seed: int, every: float, leave: tuple[str, ...]) -> None:
    """Simulated stations: every station of the drill without a human participant reports by itself (channel
    drill-bot), as much as is due by now; with --until-end, until the count ends."""
    import time

    from webapp.drills import simulate as bots

    while True:
        with _session(Channel.DRILL_BOT) as session:
            made = _drill(session, code)
            left = set(session.scalars(sa.select(PollingArea.id).where(PollingArea.code.in_(leave)))) if leave else set()
            if len(left) != len(set(leave)):
                raise click.ClickException("Unknown polling area code in --leave.")
            result = bots.run_pass(session, made, now=reporting_now(), seed=seed, leave=left)
            session.commit()
            end = services.schedule(made).count_until
        click.echo(result.summary())
        if not until_end or reporting_now() >= end:
            return
        time.sleep(every)
