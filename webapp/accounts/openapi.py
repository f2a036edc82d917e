"""OpenAPI 3.1 description of the activation codes API (``webapp.accounts.api``), merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

from webapp.api.openapi import WRITE_SECURITY, errors, ref

_FORMAT = {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "csv"]},
           "description": "`csv` (or `Accept: text/csv`): one row per code, UTF-8 with a BOM, columns "
                          "polling_area_code, polling_area_name, username, full_name, phone, code, expires_at, "
                          "sms."}
_ANSWER = {"description": "The new codes; they exist only in this answer (stored as hashes), which is not cached.",
           "content": {"application/json": {"schema": ref("schemas", "LeaderCodes")},
                       "text/csv": {"schema": {"type": "string"}}}}


def _operation(operation_id: str, summary: str, description: str, param: dict[str, Any]) -> dict[str, Any]:
    return {"post": {
        "operationId": operation_id, "summary": summary, "description": description, "tags": ["accounts"],
        "security": WRITE_SECURITY, "parameters": [param, _FORMAT],
        "responses": {"200": _ANSWER, **errors(400, 401, 403, 404, 409)},
    }}


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/communes/{commune_id}/leader-codes": _operation(
        "issueLeaderCodes", "Activation codes for the commune's leaders, for SMS.",
        "Creates the missing leader accounts and issues a new one-time code to every leader who has not activated "
        "the account yet (earlier unused codes stop working), as printing the slips does. Audited. For the "
        "commune, provincial and national officials of that commune.",
        {"name": "commune_id", "in": "path", "required": True, "schema": {"type": "integer"}}),
    "/api/v1/stations/{area_id}/leader-code": _operation(
        "resetLeaderCode", "A new activation code for one polling area's leader.",
        "Also after activation (a lost phone): the leader's password, sessions and tokens end, and the caller "
        "may no longer confirm, return or reopen this station's reports (four-eyes). Audited.",
        {"name": "area_id", "in": "path", "required": True, "schema": {"type": "integer"}}),
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "LeaderCodes": {
        "type": "object", "required": ["codes"],
        "properties": {"codes": {"type": "array", "items": {
            "type": "object",
            "required": ["polling_area", "username", "full_name", "phone", "code", "expires_at", "sms"],
            "properties": {
                "polling_area": ref("schemas", "Place"), "username": {"type": "string"},
                "full_name": {"type": "string"}, "phone": {"type": ["string", "null"]},
                "code": {"type": "string", "examples": ["ACDE-FGHJ"]},
                "expires_at": {"type": ["string", "null"], "format": "date-time"},
                "sms": {"type": "string", "description": "A ready text message, in Vietnamese."}}}}},
    },
}
