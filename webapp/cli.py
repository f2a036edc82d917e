"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import click
from flask import Flask

from webapp import db
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.clock import utcnow


def _cli_session():  # type: ignore[no-untyped-def]
    session = db.get_db().sessionmaker()
    audit.bind(session, audit.AuditContext(None, "cli", Channel.CLI))
    return session


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
    def gen_national(areas: int | None, scale: float | None, seed: int, drill: bool) -> None:
        """Generate a synthetic national dataset (72,195 polling areas) into an empty database."""
        import time

        from webapp.seed import national

        if areas and scale:
            raise click.UsageError("Give --areas or --scale, not both.")
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
                raise click.ClickException(str(exc)) from exc
            session.commit()
        say("Committed; refreshing the planner statistics.")
        national.analyze(db.get_db().engine)
        say("Done.")
        click.echo("\n".join(national.summary_lines(result)))
        click.echo("Leader, commune (xa<code>) and province (tinh<code>) accounts have no password: "
                   "they sign in with an activation code.")

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
