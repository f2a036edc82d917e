"""OpenAPI 3.1 description of the imports and exports API (``webapp.imports.api``), merged into
/api/openapi.json."""

from __future__ import annotations

from typing import Any

from webapp.api.openapi import WRITE_SECURITY, errors, json_response, ref
from webapp.imports.datasets import DATASETS

_DATASET = {"type": "string", "enum": list(DATASETS)}
ACCEPTED = {**json_response(ref("schemas", "Job"), "Queued (or already finished): poll `Location` (`getJob`) until "
                             "`state` is `done`, `rejected` or `failed`."),
             "headers": {"Location": {"schema": {"type": "string"}, "description": "The job's `getJob` address."}}}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/imports": {"post": {
        "operationId": "importDataset", "summary": "Import one .xlsx or .csv file of the election's data.",
        "description": "The file is checked row by row in a background job, then saved all or nothing: a file "
                       "with any problem ends `rejected`, with each row's problem in the job's `errors` (row, "
                       "column, message), and nothing is stored. `dry_run` checks only. The same rules and scope "
                       "as the import page (`/data/`): administrators, provincial and commune committees.",
        "tags": ["data"], "security": WRITE_SECURITY,
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["dataset", "file"], "additionalProperties": False,
            "properties": {"dataset": _DATASET, "file": {"type": "string", "format": "binary"},
                           "dry_run": {"type": "string", "enum": ["true", "false", "1", "0"]}},
        }}}},
        "responses": {"202": ACCEPTED, **errors(400, 401, 403, 413, 422)},
    }},
    "/api/v1/exports/{dataset}": {"post": {
        "operationId": "startExport", "summary": "Export a dataset's rows within the caller's area, as .xlsx.",
        "description": "A background job writes an .xlsx that imports back unchanged; when `state` is `done`, "
                       "download it with `downloadJobFile`.",
        "tags": ["data"], "security": WRITE_SECURITY,
        "parameters": [{"name": "dataset", "in": "path", "required": True, "schema": _DATASET}],
        "responses": {"202": ACCEPTED, **errors(400, 401, 403, 404)},
    }},
    "/api/v1/jobs/{job_id}/file": {"get": {
        "operationId": "downloadJobFile", "summary": "The .xlsx file a finished export wrote.",
        "description": "Only for the account that started the export; any other id, or a job without a file, "
                       "answers 404.",
        "tags": ["data"], "security": [{"cookieAuth": []}, {"bearerAuth": []}],
        "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "The workbook.", "content": {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}}}},
            **errors(401, 403, 404)},
    }},
}
