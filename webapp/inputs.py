"""What a request may carry, checked once at the edge: ids in URLs and query strings, numbers people type,
times of day, and text free of control characters. Views and forms use these instead of ``int()``,
``str.isdigit()`` or ``time.fromisoformat`` on request data, which accept what the database cannot store
(PostgreSQL's INTEGER ends at 2³¹−1, its text cannot hold NUL) or raise on what people can type
(``int("²")``, 5,000 digits, ``"25:99"``)."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from flask import Flask, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Map

INT_MAX = 2**31 - 1  # the databases' INTEGER: no row has a larger id, and no count may exceed it
_ID = re.compile(r"[0-9]{1,10}")
_HHMM = re.compile(r"([0-9]{2}):([0-9]{2})")
# RFC 3339's date-time (what OpenAPI's ``format: date-time`` means), with its offset: fromisoformat alone also
# takes dates, week dates, basic formats and times without an offset.
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})")
# C0 controls and DEL, the C1 range, and lone surrogates: never part of a name, a note or a search. Tab,
# line feed and carriage return are allowed in form fields (text areas), not in query strings.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
CONTROL_IN_TEXT = re.compile(f"[{_CONTROL}]")
CONTROL_IN_QUERY = re.compile(f"[{_CONTROL}\t\n\r]")


def parse_int(text: Any, maximum: int = INT_MAX) -> int | None:
    """A whole number written with ASCII digits, 0 to ``maximum``; anything else (Unicode digits, signs,
    blanks, too many digits) is None."""
    if not isinstance(text, str) or not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


def query_int(name: str, default: int | None = None) -> int | None:
    """An integer query parameter (an id, a page, a limit): ``default`` when missing or not a valid one."""
    value = parse_int(request.args.get(name))
    return default if value is None else value


def parse_hhmm(text: Any) -> time | None:
    """A time of day written HH:MM (``"09:30"``); None for anything else, ``"25:99"`` included."""
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def parse_datetime(text: Any) -> datetime | None:
    """An RFC 3339 date-time with its offset (``"2026-03-15T19:30:00+07:00"``); None for anything else."""
    if not isinstance(text, str) or not _DATETIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:  # 2026-02-30, 24:00:00 …
        return None


class IdConverter(IntegerConverter):
    """Every ``<int:…>`` of the app: ASCII digits up to ``INT_MAX``. A larger number, or digits of another
    script, matches no route, so it answers 404 like an id that does not exist."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = INT_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _drop_query_parameters_with_control_characters() -> None:
    # Links and search boxes never carry control characters: such a parameter is not something a person typed
    # (a crafted link), and it is dropped before any view reads it, as if it had not been sent. (Forms check
    # their own fields: webapp.forms.)
    args = request.args
    if any(CONTROL_IN_QUERY.search(key) or CONTROL_IN_QUERY.search(value) for key, value in args.items(multi=True)):
        request.args = ImmutableMultiDict([(key, value) for key, value in args.items(multi=True)
                                           if not (CONTROL_IN_QUERY.search(key) or CONTROL_IN_QUERY.search(value))])


def init_app(app: Flask) -> None:
    """Before any route is added: the bounded ``int`` converter; and the query-string rule."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_drop_query_parameters_with_control_characters)
