"""Reading JSON request bodies strictly: each value checked for its type and size, every problem collected.

Two kinds of problems: the body does not have the documented shape (wrong JSON type, unknown field, malformed
UUID: 400), or a value has the right type but is refused (a number out of range, a text too long: 422). Values
the checks of the reports judge (blank, negative…) are passed on for them to judge, as the forms do."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import time
from typing import Any

from webapp.api.problems import ApiError, Problem
from webapp.inputs import INT_MAX, parse_hhmm

# Every count the database keeps is a 32-bit INTEGER; larger numbers could only be typing mistakes.
INT_MIN = -(2**31)
MAX_BODY_BYTES = 256 * 1024
MAX_ITEMS = 200
# C0 controls other than tab, newline and carriage return; PostgreSQL refuses NUL in text outright.
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def load_json(raw: bytes) -> Any:
    """The JSON value of ``raw``, or ApiError 400 (not UTF-8, not JSON, NaN/Infinity, nested too deep)."""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, Problem("payload_too_large", None, {"max": MAX_BODY_BYTES}))
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, Problem("invalid_json")) from None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class Reader:
    """Takes typed values out of one JSON object; ``problems`` collects what is wrong, with its status."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise ApiError(400, Problem("not_an_object", None, {"got": _json_type(data)}))
        self.data: dict[str, Any] = data
        self.seen: set[str] = set()
        self.shape: list[Problem] = []  # 400
        self.values: list[Problem] = []  # 422

    def _get(self, name: str) -> Any:
        self.seen.add(name)
        return self.data.get(name)

    def _wrong_type(self, field: str, value: Any, expected: str) -> None:
        self.shape.append(Problem("invalid_type", field, {"expected": expected, "got": _json_type(value)}))

    def integer_value(self, field: str, value: Any) -> int | None:
        """An integer or null; anything else is a shape problem (None), a number out of range a value one."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong_type(field, value, "integer")
            return None
        if not INT_MIN <= value <= INT_MAX:
            shown = str(value) if len(str(value)) <= 20 else str(value)[:17] + "…"
            self.values.append(Problem("out_of_range", field, {"value": shown, "min": INT_MIN, "max": INT_MAX}))
            return None
        return value

    def integer(self, name: str) -> int | None:
        return self.integer_value(name, self._get(name))

    def text_value(self, field: str, value: Any, max_length: int) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self._wrong_type(field, value, "string")
            return ""
        try:
            value.encode("utf-8")  # a lone surrogate ("\ud800") is valid JSON but no text
        except UnicodeEncodeError:
            self.shape.append(Problem("invalid_text", field))
            return ""
        if _BAD_CHARS.search(value):
            self.shape.append(Problem("invalid_text", field))
            return ""
        if len(value) > max_length:
            self.values.append(Problem("too_long", field, {"max": max_length}))
            return ""
        return value

    def text(self, name: str, max_length: int) -> str:
        return self.text_value(name, self._get(name), max_length)

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            self._wrong_type(name, value, "boolean")
            return False
        return value

    def client_uuid(self, name: str = "client_uuid") -> uuid.UUID | None:
        value = self._get(name)
        if value is None:
            self.shape.append(Problem("required", name))
            return None
        if not isinstance(value, str):
            self._wrong_type(name, value, "string")
            return None
        try:
            return uuid.UUID(value) if len(value) <= 45 else None
        except ValueError:
            pass
        self.shape.append(Problem("invalid_uuid", name))
        return None

    def time_of_day(self, name: str) -> time | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self._wrong_type(name, value, "string")
            return None
        found = parse_hhmm(value)
        if found is None:
            self.shape.append(Problem("invalid_time", name))
        return found

    def mapping(self, name: str) -> Mapping[str, Any] | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._wrong_type(name, value, "object")
            return None
        if len(value) > MAX_ITEMS:
            self.shape.append(Problem("too_many_items", name, {"max": MAX_ITEMS}))
            return None
        return value

    def int_keyed(self, name: str, *, nullable_values: bool = True) -> dict[int, int | None] | None:
        """An object whose keys are positive integers written as strings ({"12": 340}) and whose values are
        integers (or null, which the checks report as blank)."""
        value = self.mapping(name)
        if value is None:
            return None
        out: dict[int, int | None] = {}
        for key, item in value.items():
            field = f"{name}.{key[:40]}"
            if not (key.isascii() and key.isdigit() and 0 < len(key) <= 9):
                self.shape.append(Problem("invalid_key", name, {"key": key[:40]}))
                continue
            if item is None and not nullable_values:
                self._wrong_type(field, item, "integer")
                continue
            out[int(key)] = self.integer_value(field, item)
        return out

    def _array(self, name: str, max_items: int) -> list[Any]:
        """The array under ``name``; empty when absent, or not an array or longer than ``max_items`` (noted)."""
        value = self._get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self._wrong_type(name, value, "array")
            return []
        if len(value) > max_items:
            self.shape.append(Problem("too_many_items", name, {"max": max_items}))
            return []
        return value

    def integer_list(self, name: str) -> list[int]:
        value = self._array(name, MAX_ITEMS)
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int):
                self._wrong_type(f"{name}.{i}", item, "integer")
            elif INT_MIN <= item <= INT_MAX:
                out.append(item)
            else:
                out.append(-1)  # no team member has it: refused as an unknown signer
        return out

    def text_list(self, name: str, max_items: int, max_length: int) -> list[str]:
        return [self.text_value(f"{name}.{i}", item, max_length)
                for i, item in enumerate(self._array(name, max_items))]

    def finish(self) -> None:
        """Refuse unknown fields (a misspelt name would otherwise be silently blank), then raise what was
        found: shape problems first (400), then refused values (422)."""
        for name in self.data:
            if name not in self.seen:
                self.shape.append(Problem("unknown_field", name[:60]))
        if self.shape:
            raise ApiError(400, self.shape)
        if self.values:
            raise ApiError(422, self.values)
