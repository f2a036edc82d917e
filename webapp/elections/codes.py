"""The character set of the codes of polling areas and electoral units (mã khu vực bỏ phiếu, mã đơn vị bầu cử).

A code is one or more groups of capital letters without accents and digits, joined by single ``-``, ``_`` or
``.``: ``79-26734-01``, ``QH-79-01``, ``X-26734-01``, ``KV.01``. Every code of the demo, of the synthetic national
plan and of the import templates has this shape. There is no ``/``, no space, no leading or trailing separator
and no ``..``: a code is shown, searched and printed, but never becomes part of a path on disk (files are named
by ids, webapp.reports.photos), and this set keeps it harmless wherever it is echoed (file names of downloads)."""

from __future__ import annotations

import re

MAX_LENGTH = 30
CODE = re.compile(r"[A-Z0-9]+(?:[-_.][A-Z0-9]+)*")


def is_code(text: str, max_length: int = MAX_LENGTH) -> bool:
    return len(text) <= max_length and CODE.fullmatch(text) is not None


def checked(text: str, max_length: int = MAX_LENGTH) -> str:
    """``text`` if it is a well-formed code, else ``ValueError`` (for codes set outside the import's own check)."""
    if not isinstance(text, str) or not is_code(text, max_length):
        raise ValueError(f"not a well-formed code: {text!r}")
    return text
