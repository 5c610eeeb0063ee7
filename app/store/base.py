"""The store interface every backend implements: bytes under string keys, with expiry.

Backends: ``MemoryStore`` (in-process), ``SQLiteStore`` (a file; the default) and
``RedisStore`` (``REDIS_URL`` / ``KV_URL``). Keys are namespaced by the caller
(``listing:...``, ``summary:...``, ``counter:...``, ``lock:...``); ``app.store.keys`` says which
namespaces are durable (written with no expiry) and which are caches (always with one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Store(Protocol):
    """A key-value store of bytes. ``ttl`` is in seconds; None keeps the value."""

    name: str

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        ...

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The values that exist among ``keys`` (one round trip where the backend allows)."""
        ...

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, replacing any earlier value."""
        ...

    async def set_nx(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent (or expired); True when it was stored."""
        ...

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Atomically add ``amount`` to the integer under ``key`` (0 when absent) and return it.

        ``ttl`` applies when the counter is created, so a daily counter expires on its own.
        """
        ...

    async def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        ...

    async def ping(self) -> bool:
        """Whether the backend answers."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...
