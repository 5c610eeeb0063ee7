"""In-process caches: a small least-recently-used map whose entries may expire.

Bounded in entries (``size``) and, when given ``max_bytes`` and ``weigh``, in bytes too: the
rendered bodies of feeds are kept by total size, however large each one is.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class LRU[T]:
    """A small least-recently-used cache; entries may expire."""

    def __init__(
        self,
        size: int = 512,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_bytes: int | None = None,
        weigh: Callable[[str, T], int] | None = None,
    ) -> None:
        self.size = size
        self.clock = clock
        self.max_bytes = max_bytes
        self.weigh = weigh
        self.bytes = 0  # what ``weigh`` says the entries hold
        self._items: OrderedDict[str, tuple[T, float | None]] = OrderedDict()
        self._weights: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> T | None:
        """The cached value, refreshed as most recently used."""
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self.clock():
            self.pop(key)
            return None
        self._items.move_to_end(key)
        return value

    def pop(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        self._items.pop(key, None)
        self.bytes -= self._weights.pop(key, 0)

    def put(self, key: str, value: T, ttl: float | None = None) -> None:
        """Remember ``value``; the least recently used entries go when full (or too heavy).

        A value heavier than ``max_bytes`` on its own is not kept at all.
        """
        self.pop(key)
        weight = self.weigh(key, value) if self.weigh is not None else 0
        if self.max_bytes is not None and weight > self.max_bytes:
            return
        self._items[key] = (value, None if ttl is None else self.clock() + ttl)
        if weight:
            self._weights[key] = weight
            self.bytes += weight
        limit = self.max_bytes
        while len(self._items) > self.size or (limit is not None and self.bytes > limit):
            oldest, _ = self._items.popitem(last=False)
            self.bytes -= self._weights.pop(oldest, 0)
