"""OpenAPI 3.1 description of the count-progress API (``webapp.counting.api``), merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/"
_INT = {"type": "integer", "minimum": 0}
_KIND = {"type": "string", "enum": ["na", "provincial", "commune"]}
_STATES = ["not_started", "counting", "counted", "signed", "sent", "confirmed", "returned", "irregular"]
_ERRORS = {code: {"$ref": f"#/components/responses/{name}"} for code, name in
           (("401", "Unauthorized"), ("403", "Forbidden"), ("404", "NotFound"), ("500", "InternalError"))}
_AT = {"name": "at", "in": "query", "required": False, "schema": {"type": "string"},
       "description": "A moment of the night (ISO 8601; without a zone: Vietnam time), never later than now: the "
                      "progress as it stood then. Default: now. Unreadable: now."}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _get(operation_id: str, summary: str, param: dict[str, Any]) -> dict[str, Any]:
    return {"get": {
        "operationId": operation_id, "summary": summary, "tags": ["progress"], "parameters": [param, _AT],
        "security": [{"cookieAuth": []}, {"bearerAuth": []}],
        "description": "Read-only, as the committees' count-progress page shows it: a team has finished "
                       "(hoàn thành) a ballot once it counted it (counted, minutes signed, sent, returned or "
                       "confirmed), and finished in a commune's or a province's count once it finished every "
                       "ballot it counts. Polling-team leaders may not read it (403); a place outside the caller's "
                       "answers 404. Integration tokens need the `progress:read` scope.",
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": _ref("CountProgress")}}}, **_ERRORS},
    }}


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/progress/count/provinces/{province_id}": _get(
        "getProvinceCountProgress", "A province's count progress: x / N teams finished per Ban, commune and "
        "province", {"name": "province_id", "in": "path", "required": True, "schema": {"type": "integer"}}),
    "/api/v1/progress/count/communes/{commune_id}": _get(
        "getCommuneCountProgress", "A commune's count progress: x / N teams finished per Ban and commune",
        {"name": "commune_id", "in": "path", "required": True, "schema": {"type": "integer"}}),
}

_PLACE = {"type": ["object", "null"], "required": ["id", "code", "name"],
          "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}}}
_TALLY = {
    "teams": {**_INT, "description": "Polling teams (of a Ban: counting its ballot)."},
    "finished": {**_INT, "description": "Of those, the teams that finished counting."},
    "summary": {"type": "object", "required": ["vi", "en"],
                "properties": {"vi": {"type": "string", "examples": ["3 / 5 tổ hoàn thành"]},
                               "en": {"type": "string"}}},
    "ballots_by_state": {"type": "object", "required": _STATES, "additionalProperties": False,
                         "properties": {state: _INT for state in _STATES},
                         "description": "Ballots (team × contest) in each state; irregular: more ballots in the "
                                        "box than voters who voted, resealed and reported to the Ban."},
}


def _tally(extra: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": [*extra, *_TALLY], "properties": {**extra, **_TALLY}}


OPENAPI_SCHEMAS: dict[str, Any] = {
    "CountProgress": {
        "type": "object",
        "required": ["place", "at", "times", "total", "units", "communes", "still_counting"],
        "properties": {
            "place": {"type": "object", "properties": {
                "level": {"type": "string", "enum": ["province", "commune"]},
                "province": _PLACE, "commune": _PLACE}},
            "at": {"type": "string", "format": "date-time"},
            "times": {"type": "array", "items": {"type": "string", "format": "date-time"},
                      "description": "The set times of the night up to now, to ask again with `at`."},
            "total": _tally({}),
            "units": {"type": "array", "items": _tally({"unit": _PLACE, "contest": _KIND}),
                      "description": "Per Ban (electoral unit), for its ballot."},
            "communes": {"type": "array", "items": _tally({"code": {"type": "string"}, "name": {"type": "string"}})},
            "still_counting": {"type": "array", "items": {"type": "object", "properties": {
                "polling_area": {"type": "object", "properties": {"id": {"type": "integer"},
                                                                  "code": {"type": "string"}}},
                "contest": _KIND, "state": {"type": "string", "enum": _STATES}}}},
        },
    },
}
