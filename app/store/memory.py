"""An in-process store: the fallback when no other backend is configured or reachable."""

from __future__ import annotations

import time
from collections.abc import Callable


class MemoryStore:
    """A dict with expiry. Values live as long as the process."""

    name = "memory"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[str, tuple[bytes, float | None]] = {}
        self._clock = clock

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._clock():
            del self._data[key]
            return None
        return value

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``."""
        self._data[key] = (value, None if ttl is None else self._clock() + ttl)

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._data.pop(key, None)

    async def close(self) -> None:
        """Nothing to release."""
        self._data.clear()
