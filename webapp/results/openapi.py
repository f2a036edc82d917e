"""OpenAPI 3.1 description of the results API (``webapp.results.api``), merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

from webapp.reports.checks import COUNT_FIELDS

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


_INT = {"type": "integer", "minimum": 0}
_PCT = {"type": ["string", "null"], "pattern": r"^\d+\.\d{2}$",
        "description": "Per cent with two decimals, for display only; null when the base is zero."}


def _id_param(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}, "description": what}


def _get(operation_id: str, summary: str, param: dict[str, Any], schema: str) -> dict[str, Any]:
    return {"get": {
        "operationId": operation_id, "summary": summary, "tags": ["results"], "parameters": [param],
        "security": [{"cookieAuth": []}, {"bearerAuth": []}],
        "description": "Read-only. Polling-team leaders may not read results (403); an object outside the "
                       "caller's area answers 404, exactly as a missing one.",
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": _ref(schema)}}},
            # The shared responses of /api/openapi.json (webapp.api.openapi).
            **{code: {"$ref": f"#/components/responses/{name}"} for code, name in
               (("401", "Unauthorized"), ("403", "Forbidden"), ("404", "NotFound"), ("500", "InternalError"))},
        },
    }}


_UNIT = _id_param("unit_id", "Electoral unit id")
_PROVINCE = _id_param("province_id", "Province id")
_COMMUNE = _id_param("commune_id", "Commune id")

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/results/units/{unit_id}": _get(
        "getUnitResult", "One electoral unit's official and provisional result", _UNIT, "UnitResult"),
    "/api/v1/results/provinces/{province_id}": _get(
        "getProvinceResults", "A province's National Assembly and provincial council units", _PROVINCE,
        "CommitteeResults"),
    "/api/v1/results/communes/{commune_id}": _get(
        "getCommuneResults", "A commune's council units", _COMMUNE, "CommitteeResults"),
    "/api/v1/results/provinces/{province_id}/turnout": _get(
        "getProvinceTurnout", "A province's turnout at each report time", _PROVINCE, "TurnoutProgress"),
    "/api/v1/results/communes/{commune_id}/turnout": _get(
        "getCommuneTurnout", "A commune's turnout at each report time", _COMMUNE, "TurnoutProgress"),
}

_PLACE = {"type": ["object", "null"], "required": ["id", "code", "name"],
          "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}}}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "ResultPlace": _PLACE,
    "ResultCandidate": {
        "type": "object",
        "required": ["id", "ballot_order", "full_name", "birth_date", "votes", "percent_of_valid",
                     "passed_threshold", "rank", "elected", "undecided"],
        "properties": {
            "id": {"type": "integer"}, "ballot_order": {"type": "integer"}, "full_name": {"type": "string"},
            "birth_date": {"type": "string", "format": "date"}, "votes": _INT, "percent_of_valid": _PCT,
            "passed_threshold": {"type": "boolean", "description": "More than half of the valid ballots"},
            "rank": {"type": "integer", "description": "Votes descending, then the older first"},
            "elected": {"type": "boolean", "description": "Only when the unit's result is decided"},
            "undecided": {"type": "boolean", "description": "Tied in votes and age for the last seat"},
        },
    },
    "ResultDecision": {
        "type": ["object", "null"],
        "description": "The law's decision (Điều 78–80); null until every station's minutes are confirmed.",
        "required": ["valid_election", "turnout_met", "needs_revote", "needs_additional_election", "winners",
                     "undecided", "seats_undecided"],
        "properties": {
            "valid_election": {"type": "boolean"}, "turnout_met": {"type": "boolean"},
            "needs_revote": {"type": "boolean"}, "needs_additional_election": {"type": "boolean"},
            "winners": {"type": "array", "items": {"type": "integer"}},
            "undecided": {"type": "array", "items": {"type": "integer"}}, "seats_undecided": _INT,
        },
    },
    "ResultFigures": {
        "type": "object",
        "required": [*COUNT_FIELDS, "stations", "turnout_percent", "candidates", "decision", "complaints"],
        "properties": {
            **{name: _INT for name in COUNT_FIELDS}, "stations": {**_INT, "description": "Minutes added up"},
            "turnout_percent": _PCT, "valid_percent": _PCT, "invalid_percent": _PCT,
            "complaints": {"type": "object", "properties": {"received": _INT, "resolved": _INT, "forwarded": _INT}},
            "candidates": {"type": "array", "items": _ref("ResultCandidate")},
            "decision": _ref("ResultDecision"),
        },
    },
    "UnitResult": {
        "type": "object",
        "required": ["unit", "sealed", "completeness", "official", "provisional"],
        "properties": {
            "sealed": {"type": "boolean", "description": "The unit's early-vote minutes are sealed until voting "
                                                         "ends on polling day: no figures (official and "
                                                         "provisional are null)."},
            "sealed_until": {"type": ["string", "null"], "format": "date-time",
                             "description": "When the seal lifts (the polling day's close), while sealed."},
            "unit": {"type": "object", "properties": {
                "id": {"type": "integer"}, "code": {"type": "string"}, "number": {"type": "integer"},
                "name": {"type": "string"}, "seats": {"type": "integer"},
                "contest": {"type": "string", "enum": ["na", "provincial", "commune"]},
                "province": _ref("ResultPlace"), "commune": _ref("ResultPlace")}},
            "completeness": {"type": "object", "properties": {
                "expected": {**_INT, "description": "Polling areas mapped to the unit"},
                "confirmed": _INT, "received": {**_INT, "description": "Awaiting the commune's review"},
                "returned": _INT, "complete": {"type": "boolean"},
                "state": {"type": "string", "enum": ["empty", "partial", "complete"]}}},
            "official": {"description": "Confirmed minutes only; null while sealed",
                         "anyOf": [_ref("ResultFigures"), {"type": "null"}]},
            "provisional": {"description": "Received and confirmed minutes; never decided. Null while sealed, and unless the "
                                           "reader's area covers every polling area of the unit.",
                            "anyOf": [_ref("ResultFigures"), {"type": "null"}]},
            "follow_ups": {"type": "array", "items": _ref("FollowUpResult"),
                           "description": "getUnitResult only: the unit's additional and repeat elections "
                                          "(createFollowUpVote), oldest first, each with its own result."},
        },
    },
    "FollowUpResult": {
        "type": "object",
        "required": ["follow_up", "result"],
        "properties": {
            "follow_up": _ref("FollowUpVote"),
            "result": {**_ref("UnitResult"), "description": "The follow-up's own result (its unit copy: the "
                       "seats and candidates it votes for). A repeat election's decision stands whatever the "
                       "turnout; neither kind calls for an additional election (the unit stays short)."},
            "short_of_members": {**_INT, "description": "Seats left empty once the follow-up's result stands."},
        },
    },
    "CommitteeResults": {
        "type": "object",
        "required": ["committee", "contests"],
        "properties": {
            "committee": {"type": "object", "properties": {
                "level": {"type": "string", "enum": ["province", "commune"]},
                "province": _ref("ResultPlace"), "commune": _ref("ResultPlace")}},
            "contests": {"type": "array", "items": {"type": "object", "properties": {
                "contest": {"type": "string"}, "name": {"type": "string"}, "expected": _INT, "confirmed": _INT,
                "complete": {"type": "boolean"}, "units": {"type": "array", "items": _ref("UnitResult")}}}},
        },
    },
    "TurnoutProgress": {
        "type": "object",
        "required": ["place", "stations", "contests", "slots"],
        "properties": {
            "place": {"type": "object", "properties": {
                "level": {"type": "string", "enum": ["province", "commune"]},
                "province": _ref("ResultPlace"), "commune": _ref("ResultPlace")}},
            "stations": _INT,
            "contests": {"type": "array", "items": {"type": "object", "properties": {
                "contest": {"type": "string"}, "name": {"type": "string"}, "voters_on_list": _INT}}},
            "slots": {"type": "array", "items": {"type": "object", "properties": {
                "at": {"type": "string", "pattern": r"^\d{2}:\d{2}$"}, "stations_reported": _INT,
                "contests": {"type": "array", "items": {"type": "object", "properties": {
                    "contest": {"type": "string"}, "stations": _INT, "voters_voted": _INT,
                    "voters_on_list": _INT, "turnout_percent": _PCT}}}}}},
        },
    },
}
