"""In-process caches: a small least-recently-used map whose entries may expire."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class LRU[T]:
    """A small least-recently-used cache; entries may expire."""

    def __init__(self, size: int = 512, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self._items: OrderedDict[str, tuple[T, float | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> T | None:
        """The cached value, refreshed as most recently used."""
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self.clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def pop(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        self._items.pop(key, None)

    def put(self, key: str, value: T, ttl: float | None = None) -> None:
        """Remember ``value``; the least recently used entry goes when full."""
        self._items[key] = (value, None if ttl is None else self.clock() + ttl)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
