"""OpenAPI 3.1 description of the changes feed (``webapp.api.changes``), merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

from webapp.api.openapi import READ_SECURITY, errors, json_response, ref

_PLACE = ref("schemas", "Place")
OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/changes": {"get": {
        "operationId": "listChanges", "summary": "What changed in the results and the turnout since a cursor.",
        "description": "Every write to the count minutes and the turnout reports within the caller's area (a new "
                       "version, a review decision, a reopening), oldest first, each with the version as it is "
                       "now. Start without `since`, then send the `next` of each answer as the next `since`; "
                       "`has_more` says whether to ask again at once. Cursors only grow. Writes younger than a "
                       "few seconds are held back, so that no slower transaction is skipped. For officials and "
                       "integration accounts (scope `changes:read`).",
        "tags": ["sync"], "security": READ_SECURITY,
        "parameters": [
            {"name": "since", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
             "description": "The `next` of the previous answer; none: from the beginning."},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000,
                                                        "default": 100}},
        ],
        "responses": {"200": json_response(ref("schemas", "Changes"), "One page of changes."),
                      **errors(400, 401, 403)},
    }},
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "Changes": {
        "type": "object", "required": ["changes", "next", "has_more"],
        "properties": {
            "next": {"type": "string", "description": "The cursor to send as `since` next time."},
            "has_more": {"type": "boolean"},
            "changes": {"type": "array", "items": {
                "type": "object", "required": ["cursor", "at", "action", "kind", "report"],
                "properties": {
                    "cursor": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                    "action": {"type": "string", "examples": ["create", "update", "reopen"]},
                    "kind": {"type": "string", "enum": ["count", "turnout"]},
                    "report": {
                        "type": "object",
                        "required": ["report_id", "version", "status", "is_latest", "polling_area", "figures"],
                        "properties": {
                            "report_id": {"type": "integer"}, "receipt": {"type": "string"},
                            "version": {"type": "integer"},
                            "status": {"type": "string", "enum": ["received", "returned", "confirmed"]},
                            "is_latest": {"type": "boolean", "description": "False: a newer version replaced it."},
                            "polling_area": _PLACE, "commune": _PLACE, "province_id": {"type": "integer"},
                            "submitted_at": {"type": "string", "format": "date-time"}, "channel": {"type": "string"},
                            "contest": {"type": "string", "enum": ["na", "provincial", "commune"]},
                            "unit": _PLACE, "reviewed_at": {"type": ["string", "null"], "format": "date-time"},
                            "slot": {"type": "string"}, "per_contest": {"type": "boolean"},
                            "no_change": {"type": "boolean"},
                            "figures": {"type": "object", "additionalProperties": {"type": "integer"},
                                        "description": "Count: the minutes' numbers; turnout: voters who voted "
                                                       "by contest id."},
                            "votes": {"type": "object", "additionalProperties": {"type": "integer"},
                                      "description": "Count: votes by candidate id."},
                        }},
                }}},
        },
    },
}
