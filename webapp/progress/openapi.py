"""OpenAPI 3.1 description of the progress API (``webapp.progress.api``), merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/"
_INT = {"type": "integer", "minimum": 0}
_PCT = {"type": ["string", "null"], "pattern": r"^\d+\.\d{2}$",
        "description": "Per cent with two decimals, for display only; null when the base is zero."}
_KIND = {"type": "string", "enum": ["na", "provincial", "commune"]}
_STATUS = {"type": ["string", "null"], "enum": ["received", "returned", "confirmed", None]}
_TIME = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["11:00"]}
_DATETIME = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _object(properties: dict[str, Any], description: str = "", nullable: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["object", "null"] if nullable else "object", "required": list(properties),
                              "properties": properties}
    if description:
        schema["description"] = description
    return schema


_ERRORS = {code: {"$ref": f"#/components/responses/{name}"} for code, name in
           (("401", "Unauthorized"), ("403", "Forbidden"), ("404", "NotFound"), ("500", "InternalError"))}
_CONDITIONAL = [{"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "The ETag of the last answer: 304 while nothing changed."}]


def _get(operation_id: str, summary: str, params: list[dict[str, Any]], schema: str) -> dict[str, Any]:
    return {"get": {
        "operationId": operation_id, "summary": summary, "tags": ["progress"], "parameters": params,
        "security": [{"cookieAuth": []}, {"bearerAuth": []}],
        "description": "Read-only, from summaries refreshed every few seconds (``as_of``). Polling-team leaders "
                       "may not read progress (403); a place outside the caller's answers 404. Answers carry an "
                       "ETag and Last-Modified; a conditional request answers 304 while nothing changed.",
        "responses": {
            "200": {"description": "OK", "headers": {"ETag": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": _ref(schema)}}},
            "304": {"description": "Not modified since the ETag given in If-None-Match."},
            **_ERRORS,
        },
    }}


def _path_id(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}, "description": what}


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/progress/nation": _get("getNationProgress", "The whole country's progress and its provinces'",
                                    _CONDITIONAL, "PlaceProgress"),
    "/api/v1/progress/provinces/{province_id}": _get(
        "getProvinceProgress", "A province's progress and its communes'",
        [_path_id("province_id", "Province id"), *_CONDITIONAL], "PlaceProgress"),
    "/api/v1/progress/communes/{commune_id}": _get(
        "getCommuneProgress", "A commune's progress and each of its stations'",
        [_path_id("commune_id", "Commune id"), *_CONDITIONAL], "PlaceProgress"),
    "/api/v1/progress/corrections": _get(
        "listProgressCorrections", "Changes that lowered or withdrew a station's numbers, newest first",
        [{"name": "province_id", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
         {"name": "commune_id", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
         {"name": "since", "in": "query", "required": False, "schema": _DATETIME,
          "description": "Only corrections after this moment (with its UTC offset)."},
         {"name": "limit", "in": "query", "required": False,
          "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}],
        "ProgressCorrections"),
}
# A query value it cannot read (not an id, a moment without its offset, a limit outside 1–1000) answers 400.
OPENAPI_PATHS["/api/v1/progress/corrections"]["get"]["responses"]["400"] = {
    "$ref": "#/components/responses/BadRequest"}

_PART = _object({"stations": _INT, "voters_voted": _INT, "voters_on_list": _INT, "turnout_percent": _PCT},
                "Turnout over the lists of the stations counted.")

OPENAPI_SCHEMAS: dict[str, Any] = {
    "ProgressPart": _PART,
    "ProgressSlot": _object({
        "at": _TIME, "due_at": {**_DATETIME, "type": ["string", "null"]}, "stations_expected": _INT,
        "stations_reported": {**_INT, "description": "With a report that is not returned."},
        "stations_missing": {**_INT, "description": "Expected − reported (returned ones included)."},
        "stations_overdue": {**_INT, "description": "Missing after the report time plus its grace minutes."},
        "stations_reported_late": _INT, "stations_returned": _INT, "stations_confirmed": _INT,
        "voters_on_list": {**_INT, "description": "On the lists of every expected station."},
        "provisional": {**_ref("ProgressPart"), "description": "Received and confirmed reports."},
        "confirmed": {**_ref("ProgressPart"), "description": "Confirmed reports only."},
    }, "One report time of one contest."),
    "ProgressCount": _object({
        "stations_expected": _INT, "stations_sent": _INT, "stations_received": _INT, "stations_returned": _INT,
        "stations_confirmed": _INT, "stations_missing": _INT, "provisional": _ref("ProgressPart"),
        "confirmed": _ref("ProgressPart"),
    }, "The count minutes of one contest.", nullable=True),
    "ProgressContest": _object({
        "contest": _KIND, "contest_id": {"type": "integer"},
        "turnout": {"type": "array", "items": _ref("ProgressSlot")}, "count": _ref("ProgressCount"),
    }),
    "ProgressChild": _object({
        "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
        "contests": {"type": "array", "items": _ref("ProgressContest")},
    }, "A province (nation) or a commune (province)."),
    "ProgressStation": _object({
        "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
        "contests": {"type": "array", "items": _object({
            "contest": _KIND, "contest_id": {"type": "integer"},
            "voters_on_list": {"type": ["integer", "null"]},
            "turnout": {"type": "array", "items": _object({
                "at": _TIME, "status": _STATUS, "voters_voted": {"type": ["integer", "null"]},
                "late": {"type": "boolean"}, "overdue": {"type": "boolean"}})},
            "count_status": _STATUS})},
    }, "A polling area (commune view)."),
    "PlaceProgress": {
        "type": "object", "required": ["level", "place", "as_of", "version", "now", "contests"],
        "properties": {
            "level": {"type": "string", "enum": ["nation", "province", "commune"]},
            "place": _object({"id": {"type": "integer"}, "code": {"type": "string"},
                              "name": {"type": "string"}}, "Null for the nation.", nullable=True),
            "as_of": {"type": ["string", "null"], "format": "date-time",
                      "description": "When the refresh that last changed this place ran; null while never computed."},
            "version": {"type": "integer",
                        "description": "The summaries' version at which this place last changed: it grows with "
                                       "every refresh that changed something in it, not with other places'."},
            "now": _DATETIME,
            "contests": {"type": "array", "items": _ref("ProgressContest")},
            "children": {"type": "array", "items": _ref("ProgressChild"),
                         "description": "Nation and province levels."},
            "stations": {"type": "array", "items": _ref("ProgressStation"), "description": "Commune level."},
        },
    },
    "ProgressCorrections": _object({"corrections": {"type": "array", "items": _object({
        "id": {"type": "integer"}, "at": _DATETIME, "kind": {"type": "string", "enum": ["turnout", "count"]},
        "change": {"type": "string", "enum": ["figures", "returned", "reopened"]}, "lowered": {"type": "boolean"},
        "station": _object({"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}}),
        "province_id": {"type": "integer"}, "commune_id": {"type": "integer"},
        "slot": {"type": ["string", "null"]}, "contest": {"type": ["string", "null"]},
        "version_before": {"type": "integer"}, "version_after": {"type": "integer"},
        "status_before": _STATUS, "status_after": _STATUS, "status_now": _STATUS,
        "sent_by": {"type": ["string", "null"]}, "confirmed_by": {"type": ["string", "null"]},
        "confirmed_at": {"type": ["string", "null"], "format": "date-time"},
        "changes": {"type": "array", "items": _object({
            "kind": {"type": "string", "enum": ["contest", "field", "candidate"]}, "label": {"type": "string"},
            "before": {"type": "integer"}, "after": {"type": "integer"}})},
    })}}),
}
