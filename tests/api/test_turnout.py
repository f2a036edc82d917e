"""submitTurnoutReport: one number or one per contest, replays, refusals, scope and role."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.api.conftest import assert_error_shape
from tests.reports.helpers import AREA, vn
from webapp.reports.models import TurnoutReport


@pytest.fixture
def morning(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 5))


def url(w, area: str = AREA) -> str:
    return f"/api/v1/stations/{w.area(area).id}/turnout"


def body(**values):
    return {"client_uuid": str(uuid.uuid4()), **values}


def test_one_number_for_every_contest_then_a_replay(api, db_session, w, token_for, morning):
    secret, sent = token_for("to01"), body(voters_voted=250)
    first = api("POST", url(w), secret, json=sent)
    assert first.status_code == 201, first.json
    assert first.json["slot"] == "09:00" and first.json["figures"] == {"na": 250, "provincial": 250, "commune": 250}
    again = api("POST", url(w), secret, json={**sent, "voters_voted": 999})
    assert again.status_code == 200 and again.json == {**first.json, "replayed": True}
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 1


def test_a_number_per_contest(api, w, token_for, morning):
    response = api("POST", url(w), token_for("to01"),
                   json=body(per_contest={"na": 250, "provincial": 249, "commune": 240}))
    assert response.status_code == 201, response.json
    assert response.json["per_contest"] is True and response.json["figures"]["commune"] == 240


def test_more_than_the_list_is_refused_in_both_languages(api, w, token_for, morning):
    response = api("POST", url(w), token_for("to01"), json=body(voters_voted=10**6))
    assert response.status_code == 422
    assert_error_shape(response.json)
    assert {e["code"] for e in response.json["errors"]} == {"turnout_gt_on_list"}
    error = response.json["errors"][0]
    assert error["message"]["vi"] != error["message"]["en"]
    assert error["params"]["contest"] in ("na", "provincial", "commune")


def test_a_lower_number_needs_a_reason(api, w, token_for, morning):
    secret = token_for("to01")
    assert api("POST", url(w), secret, json=body(voters_voted=250)).status_code == 201
    lower = api("POST", url(w), secret, json=body(voters_voted=240))
    assert lower.status_code == 422 and lower.json["errors"][0]["code"] == "turnout_decreased"
    fixed = api("POST", url(w), secret, json=body(voters_voted=240, reason="Nhập nhầm lần trước"))
    assert (fixed.status_code, fixed.json["version"]) == (201, 2)


def test_both_forms_of_the_number_at_once_is_malformed(api, w, token_for, morning):
    response = api("POST", url(w), token_for("to01"), json=body(voters_voted=1, per_contest={"na": 1}))
    assert response.status_code == 400 and response.json["errors"][0]["code"] == "exclusive"


def test_a_report_time_not_yet_open_is_refused(api, w, token_for, morning):
    response = api("POST", url(w), token_for("to01"), json=body(voters_voted=250, slot="15:00"))
    assert response.status_code == 422
    assert (response.json["errors"][0]["code"], response.json["errors"][0]["field"]) == ("unknown_report_time", "slot")


def test_scope_and_role(api, w, token_for, morning):
    assert api("POST", url(w), token_for("hn_to01"), json=body(voters_voted=1)).status_code == 404
    assert api("POST", url(w), token_for("xa"), json=body(voters_voted=1)).status_code == 403
    assert api("POST", url(w), token_for("hn_to01"), data="nonsense").status_code == 404
