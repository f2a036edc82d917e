"""OpenAPI 3.1 description of the review API (``webapp.review.api``), merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

from webapp.api.openapi import READ_SECURITY, WRITE_SECURITY, errors, json_response, ref
from webapp.review.reasons import REASONS

_PLACE = ref("schemas", "Place")
_KIND = {"name": "kind", "in": "path", "required": True, "schema": {"type": "string", "enum": ["count", "turnout"]},
         "description": "`count`: one contest's count minutes; `turnout`: a turnout report."}
_REPORT_ID = {"name": "report_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
              "description": "The version's `report_id` (from `listReviewQueue`)."}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
             "description": "The version's `etag` as it was read: 412 when it has changed since."}
_STATUS = {"type": "string", "enum": ["received", "returned", "confirmed"]}


def _decision(operation_id: str, summary: str, description: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"post": {
        "operationId": operation_id, "summary": summary, "description": description, "tags": ["review"],
        "security": WRITE_SECURITY, "parameters": [_KIND, _REPORT_ID, _IF_MATCH],
        "requestBody": {"required": False, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": {**json_response(ref("schemas", "ReviewDecision"), "Decided; `ETag` is the version's new etag."),
                    "headers": {"ETag": {"schema": {"type": "string"}}}},
            **errors(400, 401, 403, 404, 409, 412, 413, 422),
        },
    }}


_SHOWN = {**_STATUS, "description": "The status the official was shown (instead of `If-Match`)."}
_CONCURRENCY = ("Name what you were shown: the version's `etag` as `If-Match` (412 `stale` when it changed), or "
                "its status as `shown` (409 `review_conflict` with who decided first and when, or the newer "
                "version that replaced it). Whoever entered figures of the station, or reset its leader's code "
                "after activation, may not decide (403, four-eyes). Audited like the page's decision.")

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/review/queue": {"get": {
        "operationId": "listReviewQueue", "summary": "The versions in the caller's area waiting for a decision.",
        "description": "The latest versions of count minutes and turnout reports, newest first, 30 a page: by "
                       "default those received and not yet decided. For commune, provincial and national "
                       "officials.",
        "tags": ["review"], "security": READ_SECURITY,
        "parameters": [
            {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["count", "turnout"]}},
            {"name": "state", "in": "query", "schema": {"type": "string", "enum": [*_STATUS["enum"], "all"],
                                                          "default": "received"}},
            {"name": "contest_id", "in": "query", "schema": {"type": "integer", "minimum": 1},
             "description": "Count minutes of this contest only."},
            {"name": "flagged", "in": "query", "schema": {"type": "string", "enum": ["0", "1", "true", "false"]},
             "description": "Only versions with findings, explanations or a written reason."},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        ],
        "responses": {"200": json_response(ref("schemas", "ReviewQueue"), "One page of the queue."),
                      **errors(400, 401, 403)},
    }},
    "/api/v1/review/{kind}/{report_id}/confirm": _decision(
        "confirmReport", "Confirm a version as matching the paper minutes (it is then locked).", _CONCURRENCY,
        {"type": "object", "additionalProperties": False, "properties": {"shown": _SHOWN}}),
    "/api/v1/review/{kind}/{report_id}/return": _decision(
        "returnReport", "Return a received version to the polling team with reasons.", _CONCURRENCY,
        {"type": "object", "additionalProperties": False, "properties": {
            "shown": _SHOWN,
            "reasons": {"type": "array", "maxItems": len(REASONS),
                        "items": {"type": "string", "enum": list(REASONS)},
                        "description": "At least one; `other` needs `text`."},
            "text": {"type": "string", "maxLength": 1000, "description": "A note for the polling team."}}}),
    "/api/v1/review/{kind}/{report_id}/reopen": _decision(
        "reopenReport", "Reopen a confirmed version, with a written reason (audited).", _CONCURRENCY,
        {"type": "object", "additionalProperties": False, "properties": {
            "shown": _SHOWN, "reason": {"type": "string", "maxLength": 1000,
                                        "description": "At least 10 characters; kept in the audit log."}}}),
}

_ITEM = {
    "type": "object",
    "required": ["kind", "report_id", "version", "status", "is_latest", "etag", "polling_area", "submitted_at"],
    "properties": {
        "kind": {"type": "string", "enum": ["count", "turnout"]}, "report_id": {"type": "integer"},
        "version": {"type": "integer"}, "status": _STATUS, "is_latest": {"type": "boolean"},
        "etag": {"type": "string", "description": "Send it back as `If-Match` with a decision."},
        "receipt": {"type": "string"}, "polling_area": _PLACE, "commune": _PLACE,
        "submitted_at": {"type": "string", "format": "date-time"}, "channel": {"type": "string"},
        "flags": {"type": "integer", "description": "Findings and explanations (count), or 1 for a turnout report "
                                                     "with a written reason."},
        "contest": {"type": ["string", "null"], "enum": ["na", "provincial", "commune", None]},
        "slot": {"type": ["string", "null"]},
    },
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "ReviewItem": _ITEM,
    "ReviewQueue": {
        "type": "object", "required": ["items", "total", "page", "pages"],
        "properties": {"items": {"type": "array", "items": ref("schemas", "ReviewItem")},
                       "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
                       "page_size": {"type": "integer"}},
    },
    "ReviewDecision": {
        "allOf": [ref("schemas", "ReviewItem"), {
            "type": "object", "required": ["decision", "action_id", "status_before", "decided_at"],
            "properties": {
                "decision": {"type": "string", "enum": ["confirm", "return", "reopen"]},
                "action_id": {"type": "integer"}, "status_before": _STATUS,
                "decided_at": {"type": "string", "format": "date-time"},
                "reasons": {"type": "array", "items": {"type": "string"}}, "text": {"type": "string"},
                "returned_reasons": {"type": ["string", "null"],
                                     "description": "Count minutes: the line the leader sees."}}}],
    },
}
