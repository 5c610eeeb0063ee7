"""The store interface every backend implements: bytes under string keys, with expiry.

Backends: ``MemoryStore`` (in-process), ``SQLiteStore`` (a file; the default) and
``RedisStore`` (``REDIS_URL`` / ``KV_URL``). Keys are namespaced by the caller
(``listing:...``, ``summary:...``, ``counter:...``, ``lock:...``); ``app.store.keys`` says which
namespaces are durable (written with no expiry) and which are caches (always with one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Condition:
    """What a store says about itself beyond answering a ping (for ``/health`` and the log)."""

    full: bool = False  # it refuses writes (Redis at its maxmemory)
    notes: tuple[str, ...] = ()  # in plain words, what the owner should know or do


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

    async def condition(self) -> Condition:
        """Whether it is full, and any warning about how it is set up (e.g. Redis's eviction
        policy); raises what ``ping`` would report as unreachable."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...
