"""Rendered progress fragments, kept per process: every official polling the same page after a refresh gets
the HTML rendered once, not once each (field lesson 7: a storm of refreshes must stay cheap). The bound is the
``PROGRESS_FRAGMENT_CACHE`` setting, given at each ``put``."""

from __future__ import annotations

from webapp.lru import LRU

FRAGMENTS: LRU[str, tuple[str, str]] = LRU()  # (the fragment's HTML, its title)
