"""OpenAPI 3.1 description of the jobs API (``webapp.jobs.api``), merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/jobs/{job_id}": {"get": {
        "operationId": "getJob", "summary": "A background import or export: its state, progress and outcome.",
        "tags": ["jobs"], "security": [{"cookieAuth": []}, {"bearerAuth": []}],
        "description": "Poll until `state` is `done` (an export's file is then at `file_url`), `rejected` (the file's problems, row by row, in `errors`; "
                       "nothing was saved) or `failed` (`message` says why). Only the account that started the "
                       "job may read it; any other id answers 404.",
        "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"},
                        "description": "The job's id."}],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref":
                                                                                     "#/components/schemas/Job"}}},
                    "links": {"downloadJobFile": {
                        "operationId": "downloadJobFile", "parameters": {"job_id": "$response.body#/id"},
                        "description": "The file of a finished export, at `file_url`."}}},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
            "404": {"$ref": "#/components/responses/NotFound"},
            "500": {"$ref": "#/components/responses/InternalError"},
        },
    }},
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "Job": {
        "type": "object",
        "required": ["id", "kind", "dataset", "state", "done", "total", "message", "created_at", "errors",
                     "error_total", "summary", "page_url", "file_url"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["import", "export"]},
            "dataset": {"type": "string", "enum": ["units", "candidates", "polling_areas", "teams", "accounts"]},
            "state": {"type": "string", "enum": ["queued", "running", "done", "rejected", "failed"]},
            "done": {"type": "integer", "description": "Rows done so far."},
            "total": {**_NULLABLE_INT, "description": "Rows in all, when known."},
            "message": {"type": ["string", "null"], "description": "What it is doing, or why it failed."},
            "created_at": {"type": "string", "format": "date-time"},
            "started_at": _NULLABLE_TIME, "finished_at": _NULLABLE_TIME,
            "seconds": {"type": ["number", "null"], "description": "From start to finish."},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["row", "column", "message"],
                "properties": {"row": {"type": "integer", "description": "0: the whole file"},
                               "column": {"type": "string"}, "message": {"type": "string"}}}},
            "error_total": {"type": "integer"},
            "summary": {"type": ["object", "null"],
                        "description": "An import: rows, created, updated, unchanged…; an export: rows."},
            "page_url": {"type": "string"},
            "file_url": {"type": ["string", "null"], "format": "uri-reference",
                         "description": "Where to download the file a finished export wrote (`downloadJobFile`, "
                                        "`/api/v1/jobs/{id}/file`); null while there is none (an import, or an "
                                        "export not done)."},
        },
    },
}
