"""Rendered progress fragments, kept per process: every official polling the same page after a change gets the
HTML rendered once, not once each (field lesson 7: a storm of refreshes must stay cheap). The key is the page's
version token (``polling.version_token``: its place's version, the reader's scope, language, path and query), so a
kept fragment is never stale, on any node.

At national size a commune's fragment is 12–40 thousand characters (25–80 KB as a Python string: Vietnamese text
is stored two bytes a character) and 2–4 KB compressed; 4,096 entries hold every commune's, province's and the
nation's page in one language in about 11 MB per worker (measured: 8.1 MB of compressed HTML; over 80 MB plain),
and a hit costs 0.02–0.1 ms to decompress against 20–35 ms to render (benchmarks/README.md, "Dashboards at the
peak"). The bound is the
``PROGRESS_FRAGMENT_CACHE`` setting, given at each ``put``."""

from __future__ import annotations

import zlib

from markupsafe import Markup

from webapp.lru import LRU

DEFAULT_SIZE = 4096
FRAGMENTS: LRU[str, tuple[bytes, str]] = LRU()  # (the fragment's HTML compressed, its title)


def get(key: str) -> tuple[Markup, str] | None:
    kept = FRAGMENTS.get(key)
    return None if kept is None else (Markup(zlib.decompress(kept[0]).decode()), kept[1])


def put(key: str, html: Markup, title: str, size: int) -> None:
    FRAGMENTS.put(key, (zlib.compress(str(html).encode(), 6), title), size)
