"""Fixtures for the API tests: tokens, an election-day clock, JSON calls and consistent count minutes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.reports.helpers import AREA, good_numbers, vn
from tests.world import NOW
from webapp.api import tokens
from webapp.elections.models import ContestKind

KIND_OF = {ContestKind.NATIONAL_ASSEMBLY: "na", ContestKind.PROVINCIAL_COUNCIL: "provincial",
           ContestKind.COMMUNE_COUNCIL: "commune"}


@pytest.fixture
def token_for(db_session, w):
    """``token_for("to01")``: that account issues a token for itself; its secret."""

    def issue(username: str, ttl: timedelta | None = None) -> str:
        issued = tokens.issue_token(db_session, actor=w.user(username), name="tests", ttl=ttl, now=NOW)
        db_session.flush()
        return issued.secret

    return issue


@pytest.fixture
def election_night(app, monkeypatch):
    """The server's clock at 20:00 on election day: voting has closed, count minutes may be sent."""
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(20, 0))
    return vn(20, 0)


@pytest.fixture
def api(client):
    """``api("POST", url, secret, json=...)``: one call with a Bearer token (or none)."""

    def call(method: str, url: str, secret: str | None = None, **kwargs: Any):
        headers = kwargs.pop("headers", {})
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        return client.open(url, method=method, headers=headers, **kwargs)

    return call


def count_url(w, kind: ContestKind = ContestKind.NATIONAL_ASSEMBLY, area: str = AREA) -> str:
    return f"/api/v1/stations/{w.area(area).id}/count/{KIND_OF[kind]}"


def count_body(db_session, w, kind: ContestKind = ContestKind.NATIONAL_ASSEMBLY, **overrides: Any) -> dict[str, Any]:
    """Minutes of the demo station that pass every check, as the API takes them."""
    area = w.area(AREA)
    n = good_numbers(db_session, area, kind)
    body: dict[str, Any] = {
        "client_uuid": str(uuid.uuid4()),
        "voters_on_list": n.voters_on_list, "voters_voted": n.voters_voted, "ballots_issued": n.ballots_issued,
        "ballots_received": n.ballots_received, "valid": n.valid, "invalid": n.invalid,
        "votes": {str(cid): v for cid, v in n.votes.items()},
        "signer_ids": [m.id for m in area.team[:3]],
        "witnesses": ["Nguyễn Văn Chứng", "Lê Thị Kiến"],
    }
    body.update(overrides)
    return body


def assert_error_shape(payload: dict[str, Any]) -> None:
    assert payload["errors"], payload
    for error in payload["errors"]:
        assert set(error) >= {"field", "code", "severity", "message", "params"}, error
        assert error["message"]["vi"] and error["message"]["en"], error
        assert isinstance(error["params"], dict)
