"""The JSON API (``/api/v1``) for the same submissions as the forms, its OpenAPI document and personal tokens."""
