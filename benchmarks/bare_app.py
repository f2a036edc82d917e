"""The baseline of ``benchmarks/submit_count.py``: a bare Flask endpoint that reads the same JSON body and does
one INSERT into PostgreSQL, served by the same gunicorn configuration as the app.

    DATABASE_URL=postgresql+psycopg://… gunicorn -c gunicorn.conf.py benchmarks.bare_app:app
"""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa
from flask import Flask, jsonify, request

TABLE = sa.Table(
    "bench_bare_reports", sa.MetaData(),
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("client_uuid", sa.Uuid, unique=True, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
)

app = Flask(__name__)
# The app's own engine settings (webapp.db.make_engine): pool of 10 + 10 per worker, pre-ping.
# (None when imported only for TABLE, by the benchmark script.)
engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True, pool_size=10, max_overflow=10) \
    if os.environ.get("DATABASE_URL") else None


@app.post("/submit")
def submit():  # type: ignore[no-untyped-def]
    """One INSERT of the posted JSON, answered 201."""
    body = request.get_json()
    assert engine is not None
    with engine.begin() as conn:
        new_id = conn.execute(sa.insert(TABLE).values(client_uuid=uuid.UUID(body["client_uuid"]), body=body)
                              .returning(TABLE.c.id)).scalar_one()
    return jsonify({"id": new_id}), 201


@app.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Ready."""
    return {"status": "ok"}
