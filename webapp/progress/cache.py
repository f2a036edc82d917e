"""Rendered progress fragments, kept per process: every official polling the same page after a refresh gets
the HTML rendered once, not once each (field lesson 7: a storm of refreshes must stay cheap)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class FragmentCache:
    """A small thread-safe LRU: key -> value."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: Any, size: int) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


FRAGMENTS = FragmentCache()
