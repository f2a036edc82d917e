"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys
from datetime import datetime, time

import click
from flask import Flask, current_app

from webapp import db
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import utcnow


def _cli_session():  # type: ignore[no-untyped-def]
    session = db.get_db().sessionmaker()
    audit.bind(session, audit.AuditContext(None, "cli", Channel.CLI))
    return session


class _Time(click.ParamType):
    name = "HH:MM"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> time:
        if isinstance(value, time):
            return value
        try:
            return datetime.strptime(str(value), "%H:%M").time()
        except ValueError:
            self.fail(f"{value!r} is not a time of day like 07:00.", param, ctx)


def _hours_option(name: str, dest: str, default: str, what: str):  # type: ignore[no-untyped-def]
    return click.option(name, dest, type=_Time(), default=default, show_default=True, help=what)


def register(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Migrate the database to the latest schema."""
        from webapp import migrate

        migrate.upgrade(db.get_db().url)
        click.echo("Database is at the latest migration.")

    @app.cli.command("jobs-worker")
    @click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
                  help="Jobs run at the same time (threads).")
    def jobs_worker(workers: int) -> None:
        """Run the background jobs (imports, exports, PDF batches) from the queue until stopped."""
        import logging

        from webapp.jobs import queue, runner

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        queue.bind(app)
        runner.reap()  # jobs left running by a consumer that died
        click.echo(f"Jobs worker: {workers} thread(s), queue {queue.queue_url(app).split('@')[-1]}")
        queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()

    @app.cli.command("load-units")
    def load_units() -> None:
        """Load or refresh the 34 provinces and 3,321 communes with their official codes."""
        from webapp.geo import services as geo

        with _cli_session() as session:
            result = geo.load_units(session)
            session.commit()
        click.echo(f"Provinces added: {result.provinces_added}, communes added: {result.communes_added}, "
                   f"updated: {result.updated}.")

    @app.cli.command("gen-national")
    @click.option("--areas", type=click.IntRange(min=1), help="Exactly this many polling areas [72,195].")
    @click.option("--scale", type=click.FloatRange(min=0, min_open=True), help="A fraction of 72,195.")
    @click.option("--seed", type=int, default=2026, show_default=True, help="Same seed, same data.")
    @click.option("--drill", is_flag=True, help="Make the election a drill (code 2026-DIENTAP).")
    @click.option("--voters", is_flag=True, help="Also write the voters on every list (as many as the counts); "
                  "on a database that already holds the generated election, only the voters.")
    @click.option("--province", "province_code", help="With --voters: only this province's areas (code, e.g. 79).")
    @click.option("--voter-areas", type=click.IntRange(min=1), help="With --voters: only the first N areas.")
    def gen_national(areas: int | None, scale: float | None, seed: int, drill: bool, voters: bool,
                     province_code: str | None, voter_areas: int | None) -> None:
        """Generate a synthetic national dataset (72,195 polling areas) into an empty database; with --voters,
        the voters on the lists too."""
        import time

        from webapp.seed import national

        if areas and scale:
            raise click.UsageError("Give --areas or --scale, not both.")
        if (province_code or voter_areas) and not voters:
            raise click.UsageError("--province and --voter-areas go with --voters.")
        count = areas or max(1, round(national.NATIONAL.areas * (scale or 1.0)))
        started = time.perf_counter()

        def say(message: str) -> None:
            click.echo(f"[{time.perf_counter() - started:6.1f} s] {message}")

        with _cli_session() as session:
            try:
                result = national.generate_national(
                    session, now=utcnow(), areas=count, seed=seed, drill=drill, progress=say
                )
            except national.NotEmpty as exc:
                if not voters:
                    raise click.ClickException(str(exc)) from exc
                session.rollback()
                result = None
                say("The election is already generated: adding the voters only.")
            else:
                session.commit()
        if result is not None:
            say("Committed; refreshing the planner statistics.")
            national.analyze(db.get_db().engine)
            click.echo("\n".join(national.summary_lines(result)))
            click.echo("Leader, commune (xa<code>) and province (tinh<code>) accounts have no password: "
                       "they sign in with an activation code.")
        if voters:
            from webapp.seed import voters as voter_seed

            with _cli_session() as session:
                try:
                    made = voter_seed.generate_voters(session, province_code=province_code,
                                                      areas=voter_areas, seed=seed, progress=say)
                except (voter_seed.VotersExist, LookupError) as exc:
                    raise click.ClickException(str(exc)) from exc
                session.commit()
            say(f"{made.voters:,} voters on the lists of {made.areas:,} polling areas committed; refreshing the "
                "planner statistics.")
            national.analyze(db.get_db().engine)
        say("Done.")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo data into an empty database and print the demo accounts."""
        from webapp.seed import demo

        with _cli_session() as session:
            try:
                result = demo.load_demo(session, utcnow())
            except demo.NotEmpty:
                click.echo("The database already holds an election; demo data not loaded.")
                result = None
            else:
                session.commit()
        if result:
            click.echo(f"Demo loaded: {result.polling_areas} polling areas, {result.units} electoral units, "
                       f"{result.candidates} candidates.")
        click.echo("Demo accounts (password: baucu2026): quantri (national administrator), tinh (provincial "
                   "committee), xa (commune official, Phường Bến Thành), tongdai (hotline), to01 (leader of "
                   "polling area 26743-01).")

    @app.cli.command("create-election")
    @click.option("--code", required=True, help="Short code of the election, e.g. 2026 (letters, digits, '-').")
    @click.option("--polling-date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD.")
    @click.option("--name", help="Full name of the election [the 2026 National Assembly and councils].")
    @_hours_option("--open", "standard_open", "07:00", "Standard opening time.")
    @_hours_option("--close", "standard_close", "19:00", "Standard closing time.")
    @_hours_option("--earliest-open", "earliest_open", "05:00", "No team opens before this.")
    @_hours_option("--latest-close", "latest_close", "21:00", "No team closes after this.")
    @click.option("--drill", is_flag=True, help="A drill (diễn tập), kept apart from the real election.")
    def create_election(code: str, polling_date: datetime, name: str | None, standard_open: time,
                        standard_close: time, earliest_open: time, latest_close: time, drill: bool) -> None:
        """Create the election with its three contests, polling day and hours (nothing if CODE exists)."""
        import re

        from webapp.elections import services as elections

        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,19}", code):
            raise click.BadParameter("1–20 letters, digits or '-'.", param_hint="--code")
        hours = elections.Hours(standard_open, standard_close, earliest_open, latest_close)
        if not hours.valid:
            raise click.UsageError("The hours must satisfy earliest-open <= open < close <= latest-close.")
        with _cli_session() as session:
            existing = elections.find_election(session, code)
            if existing is None:
                election = elections.create_election(
                    session, code=code, polling_date=polling_date.date(), name=name or elections.DEFAULT_NAME,
                    hours=hours, drill=drill)
                session.commit()
                verb = "created"
            else:
                election, verb = existing, "already exists; nothing changed"
            click.echo(f"Election {election.code} {verb}: polling day {election.polling_date:%Y-%m-%d}, "
                       f"voting {election.standard_open:%H:%M}–{election.standard_close:%H:%M} (teams may open "
                       f"from {election.earliest_open:%H:%M} and close by {election.latest_close:%H:%M})"
                       f"{', a drill' if election.is_drill else ''}.")

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of "
                  "generating a one-time password.")
    @click.option("--full-name", default="Quản trị quốc gia", show_default=True)
    def create_admin(username: str, password_stdin: bool, full_name: str) -> None:
        """Create a national administrator. Prints a one-time password on the last line (signing in with it
        asks for a new password), unless --password-stdin gives the password (nothing if USERNAME exists)."""
        from webapp.accounts import admin_services, services

        password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
        with _cli_session() as session:
            existing = services.find_user(session, username)
            if existing is not None:
                click.echo(f"Account {existing.username} already exists ({existing.role.value}); nothing changed.")
                return
            now = utcnow()
            try:
                made = admin_services.create_admin(session, username=username, password=password,
                                                   full_name=full_name, now=now,
                                                   ttl=current_app.config["ACTIVATION_CODE_TTL"])
            except admin_services.InvalidAccount:
                raise click.BadParameter("3–60 lowercase letters, digits, '.', '_' or '-' (not a leader's "
                                         "toNN-CCCCC).", param_hint="USERNAME") from None
            except services.WeakPassword:
                raise click.ClickException("This password is too easy to guess; choose another.") from None
            session.commit()
        if made.code is None:
            click.echo(f"National administrator {made.user.username} created with the password given.")
            return
        expires = made.user.activation_expires_at
        click.echo(f"National administrator {made.user.username} created. Sign in with this one-time password "
                   f"(valid until {expires:%Y-%m-%d %H:%M} UTC), then choose your own:")
        click.echo(made.code)
