"""An in-process store: the fallback when no other backend is configured or reachable."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from app.store.base import Condition


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

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The values that exist among ``keys``."""
        found = {k: await self.get(k) for k in keys}
        return {k: v for k, v in found.items() if v is not None}

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``."""
        self._data[key] = (value, None if ttl is None else self._clock() + ttl)

    async def set_nx(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        """Store ``value`` if ``key`` is absent."""
        if await self.get(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add ``amount`` to the counter under ``key``."""
        current = await self.get(key)
        if current is None:
            value = amount
            await self.set(key, str(value).encode(), ttl)
        else:
            value = int(current) + amount
            self._data[key] = (str(value).encode(), self._data[key][1])
        return value

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._data.pop(key, None)

    async def ping(self) -> bool:
        """Always up."""
        return True

    async def condition(self) -> Condition:
        """Never full (it grows with the process), nothing to warn about."""
        return Condition()

    async def close(self) -> None:
        """Nothing to release: the values live on with the object."""
