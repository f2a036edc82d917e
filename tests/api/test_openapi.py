"""The OpenAPI document: valid OpenAPI 3.1, public and cacheable, in step with the routes, and true to the
answers the API really gives."""

from __future__ import annotations

import importlib
import re

import jsonschema
import pytest
from openapi_spec_validator import validate

from tests.api.conftest import count_body, count_url
from webapp.api import openapi


@pytest.fixture(scope="module")
def document(app):
    with app.test_client() as client:
        response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_it_is_public_and_cacheable(client):
    first = client.get("/api/openapi.json")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get("/api/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule)


def test_every_api_route_is_documented_and_every_documented_path_exists(app, document):
    routes = {(_openapi_path(r.rule), m.lower()) for r in app.url_map.iter_rules() if r.rule.startswith("/api/")
              for m in r.methods or () if m not in ("HEAD", "OPTIONS")}
    documented = {(path, method) for path, item in document["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}
    assert routes == documented


def test_the_submissions_are_named_and_every_error_is_described(document):
    operations = {op["operationId"]: op for item in document["paths"].values() for op in item.values()}
    assert {"submitTurnoutReport", "submitCountReport", "attachCountPhoto", "getMe", "getStation",
            "getReceipt"} <= set(operations)
    for name in ("submitTurnoutReport", "submitCountReport"):
        assert set(operations[name]["responses"]) == {"200", "201", "400", "401", "403", "404", "409", "413",
                                                      "422", "500", "503"}
        assert operations[name]["security"] == [{"cookieAuth": [], "csrfHeader": []}, {"bearerAuth": []}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer" and schemes["csrfHeader"]["name"] == "X-CSRFToken"


def test_other_packages_paths_are_merged(document):
    for name in openapi.PACKAGES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        assert set(getattr(module, "OPENAPI_PATHS", {})) <= set(document["paths"])
        assert set(getattr(module, "OPENAPI_SCHEMAS", {})) <= set(document["components"]["schemas"])


def _conforms(document, schema_name: str, payload) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(payload)


def test_real_answers_match_their_schemas(api, db_session, w, token_for, election_night, document):
    secret = token_for("to01")
    body = count_body(db_session, w)
    _conforms(document, "CountReportInput", body)
    created = api("POST", count_url(w), secret, json=body)
    _conforms(document, "ReportAccepted", created.json)
    _conforms(document, "ReportAccepted", api("GET", f"/api/v1/receipts/{created.json['receipt']}", secret).json)
    _conforms(document, "Me", api("GET", "/api/v1/me", secret).json)
    _conforms(document, "Station", api("GET", f"/api/v1/stations/{w.area('26743-01').id}", secret).json)
    refused = api("POST", count_url(w), secret, json={**body, "valid": body["valid"] + 1, "client_uuid": None})
    _conforms(document, "Errors", refused.json)
    refused = api("POST", count_url(w), secret, json=count_body(db_session, w, valid=body["valid"] + 1))
    assert refused.status_code == 422
    _conforms(document, "Errors", refused.json)


def test_the_officials_operations_are_named_and_their_answers_match(api, db_session, w, token_for, document,
                                                                     app, monkeypatch):
    """The review, data, codes and sync operations: named as the integrators expect, and their real answers
    (not only the errors schemathesis provokes) match the schemas."""
    from tests.review.helpers import send_count

    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert {"listReviewQueue", "confirmReport", "returnReport", "reopenReport", "importDataset", "startExport",
            "downloadJobFile", "getJob", "issueLeaderCodes", "resetLeaderCode", "listChanges"} <= operations
    monkeypatch.setitem(app.config, "CHANGES_SETTLE_SECONDS", 0)
    secret = token_for("xa")
    report = send_count(db_session, w)
    _conforms(document, "ReviewQueue", api("GET", "/api/v1/review/queue", secret).json)
    decided = api("POST", f"/api/v1/review/count/{report.id}/confirm", secret, json={"shown": "received"})
    _conforms(document, "ReviewDecision", decided.json)
    stale = api("POST", f"/api/v1/review/count/{report.id}/confirm", secret,
                headers={"If-Match": '"count-1-received"'})
    assert stale.status_code == 412
    _conforms(document, "Errors", stale.json)
    _conforms(document, "Changes", api("GET", "/api/v1/changes", secret).json)
    _conforms(document, "LeaderCodes", api("POST", f"/api/v1/communes/{w.user('xa').commune_id}/leader-codes",
                                           secret).json)
    started = api("POST", "/api/v1/exports/units", secret)
    _conforms(document, "Job", started.json)
    job = api("GET", started.headers["Location"], secret).json
    _conforms(document, "Job", job)
    # getJob names the file of a finished export: the documented downloadJobFile's path.
    assert "/api/v1/jobs/{job_id}/file" in document["paths"]
    assert job["file_url"] == "/api/v1/jobs/{job_id}/file".format(job_id=job["id"])
    link = document["paths"]["/api/v1/jobs/{job_id}"]["get"]["responses"]["200"]["links"]["downloadJobFile"]
    assert link["operationId"] == "downloadJobFile"
    downloaded = api("GET", job["file_url"], secret)
    assert downloaded.status_code == 200
    downloaded.close()

