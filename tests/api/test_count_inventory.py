"""submitCountReport with the inventory of ballots used (Mẫu 32/HĐBC, issue 17 §3): optional fields, so a client
that does not send them sends minutes as before; checked like the form; echoed in the answer; in the OpenAPI."""

from __future__ import annotations

from tests.api.conftest import count_body, count_url
from tests.api.test_openapi import _conforms


def test_the_api_takes_the_inventory_and_old_clients_still_send(api, db_session, w, token_for,
                                                                  election_night) -> None:
    secret = token_for("to01")
    old = api("POST", count_url(w), secret, json=count_body(db_session, w))
    assert old.status_code == 201 and old.json["inventory"] is None
    body = count_body(db_session, w)
    body.update(ballots_from_commune=body["ballots_issued"] + 10, ballots_spoiled=1, ballots_unused=8)
    refused = api("POST", count_url(w), secret, json=body)
    assert refused.status_code == 422
    error = next(e for e in refused.json["errors"] if e["code"] == "inventory_ne_received")
    assert error["severity"] == "explain" and error["params"]["diff"] == 1
    body["ballots_unused"] = 9
    sent = api("POST", count_url(w), secret, json=body)
    assert sent.status_code == 201
    assert sent.json["inventory"] == {"ballots_from_commune": body["ballots_issued"] + 10,
                                      "ballots_issued": body["ballots_issued"], "ballots_spoiled": 1,
                                      "ballots_unused": 9}
    spec = api("GET", "/api/openapi.json", None).json
    props = spec["components"]["schemas"]["CountReportInput"]["properties"]
    assert {"ballots_from_commune", "ballots_spoiled", "ballots_unused"} <= set(props)
    assert "ballots_from_commune" not in spec["components"]["schemas"]["CountReportInput"]["required"]
    _conforms(spec, "CountReportInput", body)
    _conforms(spec, "ReportAccepted", sent.json)
    _conforms(spec, "ReportAccepted", old.json)


def test_the_count_progress_answer_matches_its_schema(api, db_session, w, token_for, election_night) -> None:
    """getCommuneCountProgress / getProvinceCountProgress with a token, as another system reads them."""
    spec = api("GET", "/api/openapi.json", None).json
    sent = api("POST", count_url(w), token_for("to01"), json=count_body(db_session, w))
    assert sent.status_code == 201
    commune = api("GET", f"/api/v1/progress/count/communes/{w.user('xa').commune_id}", token_for("xa"))
    assert commune.status_code == 200
    _conforms(spec, "CountProgress", commune.json)
    assert commune.json["total"]["ballots_by_state"]["sent"] == 1
    province = api("GET", f"/api/v1/progress/count/provinces/{w.user('tinh').province_id}", token_for("tinh"))
    assert province.status_code == 200
    _conforms(spec, "CountProgress", province.json)
    assert province.json["place"]["level"] == "province" and province.json["communes"]
