"""OpenAPI description of ``createFollowUpVote`` (``webapp.followups.api``), merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/follow-ups": {"post": {
        "operationId": "createFollowUpVote",
        "summary": "Create the additional (thêm) or repeat (lại) election a unit's result calls for",
        "tags": ["results"],
        "description": "The committee that runs the unit (the province's for National Assembly and provincial "
                       "units, the commune's for commune-council units) creates it once every polling area's "
                       "minutes are confirmed and the result calls for it: a repeat election when half the voters "
                       "or fewer voted, an additional election when too few were elected. The date is after the "
                       "vote it follows and at the latest 7 days after it. Every polling area of the unit votes "
                       "again with the first vote's list; candidates: those not elected (additional) or all "
                       "(repeat). There is no second additional nor second repeat election. Its results: "
                       "`getUnitResult` of the unit, `follow_ups`.",
        "security": [{"cookieAuth": []}, {"bearerAuth": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["unit_id", "kind", "polling_date"],
            "properties": {
                "unit_id": {"type": "integer", "description": "The electoral unit of the first vote."},
                "kind": {"type": "string", "enum": ["additional", "repeat", "thêm", "lại"]},
                "polling_date": {"type": "string", "format": "date"},
            }}}}},
        "responses": {
            "201": {"description": "Created", "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/FollowUpVote"}}}},
            **{code: {"$ref": f"#/components/responses/{name}"} for code, name in
               (("400", "BadRequest"), ("401", "Unauthorized"), ("403", "Forbidden"), ("404", "NotFound"),
                ("422", "Unprocessable"), ("500", "InternalError"))},
        },
    }},
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "FollowUpVote": {
        "type": "object",
        "required": ["id", "unit_id", "kind", "polling_date", "election", "follow_up_unit_id", "follows_id"],
        "properties": {
            "id": {"type": "integer"},
            "unit_id": {"type": "integer", "description": "The first vote's unit."},
            "kind": {"type": "string", "enum": ["additional", "repeat"]},
            "polling_date": {"type": "string", "format": "date"},
            "election": {"type": "object", "required": ["id", "code", "name"],
                         "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                        "name": {"type": "string"}}},
            "follow_up_unit_id": {"type": "integer", "description": "The unit the follow-up votes in."},
            "follows_id": {"type": ["integer", "null"],
                           "description": "The additional election a repeat election follows."},
        },
    },
}
