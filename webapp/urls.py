"""The one judge of a ``next`` address: where a page may send the browser after it is done."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import url_for


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None.

    Browsers drop tabs and newlines anywhere in an address and read a backslash as a slash, so
    ``/\\t/evil.example`` and ``/\\evil.example`` both mean ``//evil.example``: another site. Such
    characters are refused outright rather than cleaned, and what is left must be a bare path.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def safe_next(target: str | None) -> str:
    """Where to go after a form or a switch: ``target`` when it is local, the home page otherwise."""
    return local_path(target) or url_for("home.index")
