import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import create_database
from webapp import migrate
from webapp.db import make_engine
from webapp.models import metadata


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, metadata)
    finally:
        engine.dispose()


def test_migrations_reach_head_and_match_the_models():
    url, drop = create_database(os.environ.get("TEST_DATABASE_URL"), "mig")
    try:
        migrate.upgrade(url)
        assert _diff(url) == []
        migrate.downgrade(url, "base")
        migrate.upgrade(url)
        assert _diff(url) == []
    finally:
        drop()
