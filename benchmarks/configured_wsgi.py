"""``wsgi:app`` with the mappers configured at import (what branch h1 does in create_app): on this base a fresh
gunicorn worker otherwise answers signed-in requests with 500 until its mappers are configured (issue 10 §1)."""

from sqlalchemy.orm import configure_mappers

from wsgi import app

configure_mappers()

__all__ = ["app"]
