"""OpenAPI 3.1 description of the voter-list API (``webapp.voters.api``), merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

from webapp.api.openapi import AREA_ID, READ_SECURITY, WRITE_SECURITY, errors, json_response, ref
from webapp.imports.openapi import ACCEPTED
from webapp.voters.models import VoterChangeCause, VoterNote

_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_DATE = {"type": "string", "format": "date"}
_BALLOTS = {"type": "object", "additionalProperties": False,
            "properties": {k: {"type": "boolean"} for k in ("na", "provincial", "commune")}}
_FIGURES = {"type": "object", "required": ["total", "male", "female"],
            "properties": {k: {"type": "integer", "minimum": 0} for k in ("total", "male", "female")}}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "Voter": {
        "type": "object",
        "required": ["id", "stt", "full_name", "birth_date", "gender", "id_number", "ballots", "removed_at"],
        "properties": {
            "id": {"type": "integer"}, "stt": {"type": "integer", "description": "The card number; never changes."},
            "card_number": {"type": ["string", "null"]}, "full_name": {"type": "string"}, "birth_date": _DATE,
            "gender": {"type": "string", "enum": ["male", "female"]},
            "id_number": {"type": "string", "description": "Whole for the commune, else masked to its last four "
                                                           "digits."},
            "ethnicity": {"type": "string"}, "permanent_address": {"type": "string"},
            "temporary_address": {"type": "string"}, "current_address": {"type": "string"},
            "temporary_since": {"type": ["string", "null"], "format": "date"}, "ballots": _BALLOTS,
            "note_code": {"type": ["string", "null"]}, "note": {"type": "string"},
            "removed_at": {"type": ["string", "null"], "format": "date-time",
                           "description": "A removal is an annotation: the row stays, out of the totals."},
            "removal_cause": {"type": ["string", "null"]}, "added_after_posting": {"type": "boolean"},
        },
    },
}

_ROWS_REFUSED = {**ref("responses", "Unprocessable"),
                 "description": "The file was refused and nothing was stored: each row's problem (code `voter_row`, "
                                "params `row`), or a rule broken by the change (code `voter_rule`)."}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/voter-lists/import": {"post": {
        "operationId": "importVoterList", "summary": "Import a polling area's or a commune's voter lists (Mẫu 31).",
        "description": "An .xlsx or .csv export of the population database in the Mẫu 31/HĐBC layout: the header "
                       "row is found (one or two rows, with or without a `Số thẻ` column), footer lines are ignored, "
                       "the ballot columns read `x` as ticked and empty, `o` or `0` as not. Every row is checked "
                       "(age on polling day, the ballots the law allows, the ID number listed once in the country) "
                       "and the file is saved all or nothing; importing the same file again changes nothing. "
                       "`area_id` or `commune_id` (then a `KVBP` column names each row's area). A commune's file "
                       "above the page's inline size (512 KB) is imported by a background job, as on the page: "
                       "202 with the job; `getJob` tells the outcome and each row's problem.",
        "tags": ["voters"], "security": WRITE_SECURITY,
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "additionalProperties": False,
            "properties": {"file": {"type": "string", "format": "binary"}, "area_id": _ID, "commune_id": _ID},
        }}}},
        "responses": {"200": json_response({"type": "object", "required": ["rows", "created", "updated",
                                                                            "unchanged"],
                                            "properties": {"file": {"type": "string"}, "sha256": {"type": "string"},
                                                           "rows": {"type": "integer"},
                                                           "areas": {"type": "array", "items": {"type": "integer"}},
                                                           "created": {"type": "integer"},
                                                           "updated": {"type": "integer"},
                                                           "unchanged": {"type": "integer"},
                                                           "voter_counts_added": {"type": "integer"}}},
                                           "Imported."),
                      "202": ACCEPTED, **errors(400, 401, 403, 404, 413), "422": _ROWS_REFUSED},
    }},
    "/api/v1/polling-areas/{area_id}/voters": {"get": {
        "operationId": "getVoterList", "summary": "A page of a polling area's voter list.",
        "description": "In STT order, 50 a page; `q` finds names without diacritics. Personal data: the area's "
                       "commune and those above, and the area's leader; every call is audited with the rows "
                       "shown.",
        "tags": ["voters"], "security": READ_SECURITY,
        "parameters": [AREA_ID,
                       {"name": "page", "in": "query", "required": False, "schema": _ID},
                       {"name": "q", "in": "query", "required": False,
                        "schema": {"type": "string", "maxLength": 100}}],
        "responses": {"200": json_response({"type": "object", "required": ["area_id", "page", "pages", "voters"],
                                            "properties": {"area_id": {"type": "integer"},
                                                           "page": {"type": "integer"},
                                                           "pages": {"type": "integer"},
                                                           "matching": {"type": "integer"},
                                                           "voters": {"type": "array",
                                                                      "items": ref("schemas", "Voter")}}},
                                           "The page."),
                      **errors(400, 401, 403, 404, 422)},
    }},
    "/api/v1/polling-areas/{area_id}/voter-totals": {"get": {
        "operationId": "getVoterTotals", "summary": "A polling area's voters per contest and sex, from its list.",
        "tags": ["voters"], "security": READ_SECURITY, "parameters": [AREA_ID],
        "responses": {"200": json_response({"type": "object", "required": ["area_id", "has_list", "totals"],
                                            "properties": {"area_id": {"type": "integer"},
                                                           "has_list": {"type": "boolean"},
                                                           "frozen_at": {"type": ["string", "null"],
                                                                         "format": "date-time"},
                                                           "totals": {"type": "object",
                                                                      "additionalProperties": _FIGURES}}},
                                           "Totals per contest kind (na, provincial, commune)."),
                      **errors(401, 403, 404)},
    }},
    "/api/v1/polling-areas/{area_id}/voter-changes": {"post": {
        "operationId": "recordVoterChange", "summary": "Record a change of a polling area's list.",
        "description": "A removal (`entry_id`: an annotation, the STT stays), an addition at the end (`voter`), a "
                       "correction of a row's details (`cause` `correction`, `entry_id` and `voter`), or "
                       "a certificate to vote elsewhere (`cause` `certificate_given`, `entry_id`, "
                       "`destination_area_id`, `certificate_number`). Most changes close 24 hours before voting "
                       "starts; removals and certificate additions when it starts. Audited.",
        "tags": ["voters"], "security": WRITE_SECURITY, "parameters": [AREA_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["cause", "document"], "additionalProperties": False,
            "properties": {
                "cause": {"type": "string", "enum": [c.value for c in VoterChangeCause]},
                "document": {"type": "string", "maxLength": 300}, "entry_id": _ID, "destination_area_id": _ID,
                "certificate_number": {"type": "string", "maxLength": 50},
                "voter": {"type": "object", "additionalProperties": False,
                          "required": ["full_name", "birth_date", "gender", "id_number"],
                          "properties": {
                              "full_name": {"type": "string", "maxLength": 200}, "birth_date": _DATE,
                              "gender": {"type": "string", "enum": ["male", "female"]},
                              "id_number": {"type": "string", "maxLength": 12},
                              "ethnicity": {"type": "string", "maxLength": 50},
                              "permanent_address": {"type": "string", "maxLength": 300},
                              "temporary_address": {"type": "string", "maxLength": 300},
                              "current_address": {"type": "string", "maxLength": 300},
                              "temporary_since": _DATE,
                              "note_code": {"type": "string", "enum": [n.value for n in VoterNote]},
                              "note": {"type": "string", "maxLength": 500}, "ballots": _BALLOTS}},
            }}}}},
        "responses": {"201": json_response({"type": "object", "required": ["changes"], "properties": {
            "changes": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "cause": {"type": "string"}, "polling_area_id": {"type": "integer"},
                "entry": ref("schemas", "Voter")}}}}}, "Recorded."),
            **errors(400, 401, 403, 404), "422": _ROWS_REFUSED},
    }},
    "/api/v1/voter-lists/freeze": {"post": {
        "operationId": "freezeVoterLists", "summary": "Freeze lists at the start of voting.",
        "description": "The areas' totals per contest become the voters on the list of the count minutes and the "
                       "turnout denominators (voter counts of source `list_frozen`). Areas without a list keep their "
                       "typed counts; areas frozen before are left as they are. Refused (409) before voting starts.",
        "tags": ["voters"], "security": WRITE_SECURITY,
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False,
            "properties": {"area_ids": {"type": "array", "items": _ID, "maxItems": 10000}, "commune_id": _ID}}}}},
        "responses": {"200": json_response({"type": "object", "properties": {
            k: {"type": "array", "items": {"type": "integer"}} for k in ("frozen", "already_frozen",
                                                                          "without_list")}},
            "Which areas were frozen, already frozen, or have no list."),
            **errors(400, 401, 403, 404, 409)},
    }},
}
