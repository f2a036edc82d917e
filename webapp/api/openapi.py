"""The OpenAPI 3.1 document served at ``/api/openapi.json``, written out as Python data.

Other packages add their endpoints by defining, in ``webapp.<package>.openapi``, a module-level
``OPENAPI_PATHS: dict`` (path -> path item, with operationIds) and ``OPENAPI_SCHEMAS: dict`` (name -> schema);
``PACKAGES`` lists where to look. Their operations may refer to the shared parts below: the responses
``#/components/responses/{BadRequest,Unauthorized,Forbidden,NotFound,Conflict,Unprocessable,PayloadTooLarge,
InternalError,Busy}`` and the schemas ``Errors``, ``Place``."""

from __future__ import annotations

import copy
import functools
import importlib
from typing import Any

from webapp.reports.checks import COUNT_FIELDS

PACKAGES = ("webapp.results.openapi", "webapp.progress.openapi", "webapp.jobs.openapi", "webapp.review.openapi",
            "webapp.imports.openapi", "webapp.accounts.openapi", "webapp.api.changes_openapi",
            "webapp.voters.openapi", "webapp.followups.openapi", "webapp.counting.openapi")
REF = "#/components/"
INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
COUNT = {**INT32, "description": "A whole number; negative or null ones are refused by the checks (422)."}
NULLABLE_COUNT = {"type": ["integer", "null"], "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
UUID = {"type": "string", "format": "uuid"}
DATETIME = {"type": "string", "format": "date-time"}
HHMM = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["11:00"]}
KIND = {"type": "string", "enum": ["na", "provincial", "commune"]}
WRITE_SECURITY = [{"cookieAuth": [], "csrfHeader": []}, {"bearerAuth": []}]
READ_SECURITY = [{"cookieAuth": []}, {"bearerAuth": []}]


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"{REF}{kind}/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
             412: "PreconditionFailed", 413: "PayloadTooLarge", 422: "Unprocessable", 500: "InternalError",
             503: "Busy"}
    return {str(code): ref("responses", names[code]) for code in (*codes, 500, 503)}


# For the other packages' OpenAPI modules.
errors = _errors
json_response = _json


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


AREA_ID = _param("area_id", {"type": "integer", "minimum": 1}, "The polling area's id (see `getMe`).")

SCHEMAS: dict[str, Any] = {
    "LocalizedText": {
        "type": "object", "required": ["vi", "en"],
        "properties": {"vi": {"type": "string"}, "en": {"type": "string"}},
    },
    "Error": {
        "type": "object", "required": ["field", "code", "severity", "message", "params"],
        "description": "One problem. Findings of the arithmetic checks (domain §11) also carry `check` and "
                       "`fields`; their `params` hold the numbers that disagree.",
        "properties": {
            "field": {"type": ["string", "null"], "description": "Path into the request body, e.g. `votes.12`."},
            "fields": {"type": "array", "items": {"type": "string"}},
            "code": {"type": "string", "examples": ["valid_plus_invalid_ne_received", "csrf", "required"]},
            "severity": {"type": "string", "enum": ["block", "explain", "warn"]},
            "check": {"type": "integer"},
            "message": ref("schemas", "LocalizedText"),
            "params": {"type": "object"},
        },
    },
    "Errors": {
        "type": "object", "required": ["errors"],
        "properties": {"errors": {"type": "array", "items": ref("schemas", "Error")},
                       "warnings": {"type": "array", "items": ref("schemas", "Error")}},
    },
    "Place": {
        "type": ["object", "null"], "required": ["id", "code", "name"],
        "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}},
    },
    "CountReportInput": {
        "type": "object", "required": ["client_uuid"], "additionalProperties": False,
        "description": "One contest's count minutes (biên bản kết quả kiểm phiếu). Blank numbers are refused "
                       "by the checks (422), as in the form.",
        "properties": {
            "client_uuid": {**UUID, "description": "Made by the client once per report; sending it again "
                                                    "returns the first result and stores nothing."},
            **{name: NULLABLE_COUNT for name in COUNT_FIELDS},
            "votes": {"type": "object", "propertyNames": {"pattern": "^[0-9]{1,9}$"},
                      "additionalProperties": NULLABLE_COUNT, "maxProperties": 200,
                      "description": "Votes per candidate id, one entry for every candidate of the unit."},
            "names_kept": {"type": ["object", "null"], "propertyNames": {"pattern": "^[0-9]{1,9}$"},
                           "additionalProperties": NULLABLE_COUNT,
                           "description": "Valid ballots by the number of names kept (optional)."},
            **{name: NULLABLE_COUNT for name in ("complaints_received", "complaints_resolved",
                                                 "complaints_forwarded")},
            "complaints_note": {"type": "string", "maxLength": 2000},
            "ballots_from_commune": {**NULLABLE_COUNT, "description": "Inventory of ballots used (Mẫu 32/HĐBC, "
                                     "optional as a whole): ballots the commune gave the team for this contest."},
            "ballots_spoiled": {**NULLABLE_COUNT, "description": "Inventory: ballots voters spoiled and exchanged "
                                "for new ones (kept apart from `ballots_issued`)."},
            "ballots_unused": {**NULLABLE_COUNT, "description": "Inventory: ballots not used. When any of the three "
                               "is sent, all are checked: ballots_from_commune = ballots_issued + ballots_spoiled "
                               "+ ballots_unused, else the finding `inventory_ne_received` needs an explanation. "
                               "Absent or null: minutes without the inventory, as before."},
            "signer_ids": {"type": "array", "items": {"type": "integer"}, "maxItems": 200,
                           "description": "Team member ids (see `getStation`) who signed the minutes."},
            "witnesses": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 2},
            "explanations": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 2000},
                             "description": "Finding code -> written explanation, for `explain` findings."},
        },
    },
    "TurnoutReportInput": {
        "type": "object", "required": ["client_uuid"], "additionalProperties": False,
        "properties": {
            "client_uuid": UUID,
            "voters_voted": {**NULLABLE_COUNT, "description": "One number for every contest."},
            "per_contest": {"type": ["object", "null"], "propertyNames": KIND,
                            "additionalProperties": NULLABLE_COUNT,
                            "description": "A number per contest kind, instead of `voters_voted`."},
            "reason": {"type": "string", "maxLength": 500,
                       "description": "Needed when the number is lower than the previous report."},
            "slot": {**HHMM, "type": ["string", "null"], "description": "The report time; null: the current."},
            "no_change": {"type": "boolean"},
        },
    },
    "ReportAccepted": {
        "type": "object",
        "required": ["report_id", "receipt", "version", "status", "replayed", "submitted_at", "kind"],
        "properties": {
            "report_id": {"type": "integer"}, "receipt": {"type": "string", "pattern": "^[A-Z0-9]{6}$"},
            "receipt_display": {"type": "string", "examples": ["K7Q-2MD"]},
            "version": {"type": "integer", "minimum": 1},
            "status": {"type": "string", "enum": ["received", "returned", "confirmed"]},
            "is_latest": {"type": "boolean"}, "polling_area_id": {"type": "integer"},
            "replayed": {"type": ["boolean", "null"],
                         "description": "True when this answers a replay of an earlier client_uuid."},
            "submitted_at": DATETIME, "channel": {"type": "string"}, "client_uuid": UUID,
            "kind": {"type": "string", "enum": ["count", "turnout"]},
            "contest": KIND,
            "findings": {"type": "array", "items": ref("schemas", "Error"),
                         "description": "Warnings and explained findings stored with the minutes."},
            "slot": HHMM, "per_contest": {"type": "boolean"}, "no_change": {"type": "boolean"},
            "reason": {"type": "string"},
            "figures": {"type": "object", "additionalProperties": {"type": "integer"}},
            "inventory": {"type": ["object", "null"],
                          "description": "Count minutes: the inventory of ballots used stored with them (null: "
                                         "not entered).",
                          "properties": {name: {"type": "integer"} for name in (
                              "ballots_from_commune", "ballots_issued", "ballots_spoiled", "ballots_unused")}},
        },
    },
    "PhotoAccepted": {
        "type": "object", "required": ["photo_id", "report_id", "sha256", "replayed"],
        "properties": {"photo_id": {"type": "integer"}, "report_id": {"type": "integer"},
                       "receipt": {"type": "string"}, "sha256": {"type": "string"},
                       "width": {"type": "integer"}, "height": {"type": "integer"}, "size": {"type": "integer"},
                       "replayed": {"type": "boolean"}, "uploaded_at": DATETIME, "client_uuid": UUID},
    },
    "Me": {
        "type": "object", "required": ["id", "username", "role", "auth"],
        "properties": {
            "id": {"type": "integer"}, "username": {"type": "string"}, "full_name": {"type": "string"},
            "role": {"type": "string", "enum": ["leader", "commune", "province", "hotline", "admin"]},
            "locale": {"type": ["string", "null"]},
            "province": ref("schemas", "Place"), "commune": ref("schemas", "Place"),
            "polling_area": ref("schemas", "Place"),
            "auth": {"type": "string", "enum": ["session", "token"]},
            "token": {"type": ["object", "null"]},
            "csrf_token": {"type": ["string", "null"],
                           "description": "For a cookie session: the value to send as `X-CSRFToken`."},
        },
    },
    "Station": {
        "type": "object", "required": ["id", "code", "name", "contests", "team", "report_times"],
        "properties": {
            "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
            "address": {"type": "string"}, "kind": {"type": "string"},
            "early_voting_date": {"type": ["string", "null"], "format": "date"},
            "commune": ref("schemas", "Place"), "province": ref("schemas", "Place"),
            "may_submit": {"type": "boolean"}, "election": {"type": "object"},
            "contests": {"type": "array", "items": {"type": "object", "properties": {
                "kind": KIND, "contest_id": {"type": "integer"}, "name": {"type": "string"},
                "unit": {"type": "object"}, "voters_on_list": {"type": ["integer", "null"]},
                "candidates": {"type": "array", "items": {"type": "object"}}}}},
            "team": {"type": "array", "items": {"type": "object"}},
            "report_times": {"type": "array", "items": {"type": "object", "properties": {
                "at": HHMM, "grace_minutes": {"type": "integer"}}}},
        },
    },
}

RESPONSES: dict[str, Any] = {
    "BadRequest": _json(ref("schemas", "Errors"), "The body is not the documented JSON (invalid JSON, wrong type, "
                        "unknown field), or the CSRF token is missing or wrong with a cookie session "
                        "(code `csrf`, header `X-Outbox-Error: csrf`)."),
    "Unauthorized": _json(ref("schemas", "Errors"), "Not logged in, or the token is invalid, expired or revoked."),
    "Forbidden": _json(ref("schemas", "Errors"), "The account's role may not do this (e.g. only the polling team "
                       "leader of the area sends its reports)."),
    "NotFound": _json(ref("schemas", "Errors"), "Not found, or outside the account's area (the same answer)."),
    "Conflict": _json(ref("schemas", "Errors"), "`locked` (confirmed by the commune: a new version, or a photo, "
                      "only after it reopens the report; `params.report` is `turnout` or `photo` when not count "
                      "minutes), `superseded` (a photo for a version that no longer counts; `params.latest_version`), "
                      "`client_uuid_conflict` (the id was used for another report) or `no_report_times`."),
    "Unprocessable": _json(ref("schemas", "Errors"), "The checks refused the values: blocking findings, "
                           "findings that need a written explanation (field `explanations.<code>`) and, for count "
                           "minutes, the problems of the signers and witnesses (`no_signers`, `unknown_signer`, "
                           "`witnesses_missing`, `witnesses_same`), every problem in one answer."),
    "PreconditionFailed": _json(ref("schemas", "Errors"), "`stale`: `If-Match` names the object as it was, not "
                                "as it is now; nothing was changed. Read it again (`params.etag` is the current "
                                "one)."),
    "PayloadTooLarge": _json(ref("schemas", "Errors"), "The body or the photo is too large."),
    "InternalError": _json(ref("schemas", "Errors"), "A server error; nothing was stored. Retry later."),
    "Busy": _json(ref("schemas", "Errors"), "`busy`: the embedded database (SQLite) was busy with another write "
                  "for too long; nothing was stored. Retry after the `Retry-After` seconds."),
}


def _submit(operation_id: str, summary: str, schema: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {"post": {
        "operationId": operation_id, "summary": summary, "tags": ["reports"], "parameters": params,
        "security": WRITE_SECURITY,
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("schemas", schema)}}},
        "responses": {
            "201": _json(ref("schemas", "ReportAccepted"), "Stored as a new version; `Location` is its receipt."),
            "200": _json(ref("schemas", "ReportAccepted"), "A replay of the same client_uuid: the first answer, "
                         "with `replayed: true`; nothing new is stored."),
            **_errors(400, 401, 403, 404, 409, 413, 422),
        },
    }}


PATHS: dict[str, Any] = {
    "/api/openapi.json": {"get": {
        "operationId": "getOpenApiDocument", "summary": "This document.", "tags": ["meta"], "security": [],
        "responses": {"200": {"description": "The OpenAPI document.", "content": {"application/json": {}}}},
    }},
    "/api/v1/me": {"get": {
        "operationId": "getMe", "summary": "The calling account and its place.", "tags": ["accounts"],
        "security": READ_SECURITY,
        "responses": {"200": _json(ref("schemas", "Me"), "The account."), **_errors(401)},
    }},
    "/api/v1/stations/{area_id}": {"get": {
        "operationId": "getStation", "summary": "A polling area: contests, units, candidates, voters, team and "
        "report times.", "tags": ["stations"], "parameters": [AREA_ID], "security": READ_SECURITY,
        "responses": {"200": _json(ref("schemas", "Station"), "The polling area."), **_errors(401, 404)},
    }},
    "/api/v1/stations/{area_id}/turnout": _submit(
        "submitTurnoutReport", "Send a turnout report for one report time of the day.", "TurnoutReportInput",
        [AREA_ID]),
    "/api/v1/stations/{area_id}/count/{contest}": _submit(
        "submitCountReport", "Send one contest's count minutes.", "CountReportInput",
        [AREA_ID, _param("contest", KIND, "The contest: National Assembly, provincial or commune council.")]),
    "/api/v1/reports/count/{report_id}/photo": {"post": {
        "operationId": "attachCountPhoto", "summary": "Attach the photo of the signed paper minutes.",
        "tags": ["reports"], "security": WRITE_SECURITY,
        "parameters": [_param("report_id", {"type": "integer", "minimum": 1}, "The count report's `report_id`.")],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["client_uuid", "photo"],
            "properties": {"client_uuid": UUID, "photo": {"type": "string", "contentMediaType": "image/jpeg"}},
        }}}},
        "responses": {
            "201": _json(ref("schemas", "PhotoAccepted"), "Kept (re-encoded as JPEG, without EXIF)."),
            "200": _json(ref("schemas", "PhotoAccepted"), "The same photo or client_uuid again: nothing new."),
            **_errors(400, 401, 403, 404, 409, 413, 422),
        },
    }},
    "/api/v1/receipts/{code}": {"get": {
        "operationId": "getReceipt", "summary": "The report with this receipt code, within the caller's area.",
        "tags": ["reports"], "security": READ_SECURITY,
        "parameters": [_param("code", {"type": "string", "maxLength": 20}, "The receipt, e.g. K7Q-2MD.")],
        "responses": {"200": _json(ref("schemas", "ReportAccepted"), "The report."), **_errors(401, 404)},
    }},
}

DESCRIPTION = """The same submissions as the forms, for the phone's offline outbox and for integrations: the same
checks, idempotency (`client_uuid`) and scope.

**Authentication.** Either the browser session (cookie `session`; every write also sends the CSRF token as the
`X-CSRFToken` header — `getMe` returns it), or a personal API token that an account issues for itself at
`/api-tokens`, sent as `Authorization: Bearer bc26_…`. A token acts as its own account, with the same role and
area; nobody can be given a token that acts as another person. An integration account (a machine that only reads)
gets its tokens from an administrator or a provincial committee, each with explicit scopes (`progress:read`,
`results:read`, `changes:read`) and an expiry; a request its scopes do not open answers 403 `insufficient_scope`.

**Errors** are JSON: `{"errors": [{"field", "code", "severity", "message": {"vi", "en"}, "params"}]}`. 400: the body
is not the documented shape; 422: the values were refused (fix and resend); 401/403/404/409 as described. An
object outside the caller's area answers 404, exactly as a missing one.

**Concurrency.** The review decisions name what the official was shown: the version's `etag` as `If-Match`
(412 `stale` when it changed) or its status as `shown` (409 `review_conflict`, naming who decided first).

**Idempotency.** A new report answers 201; sending the same `client_uuid` again answers 200 with the same body
and `replayed: true`, and stores nothing."""


def _contributions() -> tuple[dict[str, Any], dict[str, Any]]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for name in PACKAGES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that package does not describe endpoints (yet)
            raise
        paths.update(getattr(module, "OPENAPI_PATHS", {}))
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    return paths, schemas


@functools.cache
def document() -> dict[str, Any]:
    """The whole document, this package's paths and schemas merged with the other packages' (built once)."""
    extra_paths, extra_schemas = _contributions()
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "Bầu cử 2026 — election-day reporting API", "version": "1.0.0",
                 "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": READ_SECURITY,
        "tags": [{"name": "reports"}, {"name": "stations"}, {"name": "accounts"}, {"name": "meta"},
                 {"name": "review"}, {"name": "data"}, {"name": "sync"}],
        "paths": {**PATHS, **extra_paths},
        "components": {
            "securitySchemes": {
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "The session of a logged-in browser (see /login)."},
                "csrfHeader": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                               "description": "With the session cookie, on every write: the CSRF token."},
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "bc26_ + 43 characters",
                               "description": "A personal API token; no CSRF header needed."},
            },
            "schemas": {**SCHEMAS, **extra_schemas},
            "responses": RESPONSES,
        },
    })
