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

    @app.cli.command("load-units")
    def load_units() -> None:
        """Load or refresh the 34 provinces and 3,321 communes with their official codes."""
        from webapp.geo import services as geo

        with _cli_session() as session:
            result = geo.load_units(session)
            session.commit()
        click.echo(f"Provinces added: {result.provinces_added}, communes added: {result.communes_added}, "
                   f"updated: {result.updated}.")

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
