"""Surviving the store's outages: ``FallbackStore`` serves from memory what the backend cannot.

Two kinds of outage:

- **down** (connection refused, timeouts, I/O errors): calls are served by an in-process
  ``MemoryStore`` (one warning), and the backend is tried again every ``retry_interval`` s.
- **full** (the backend refuses writes: Redis at its ``maxmemory`` under ``noeviction``, or under
  ``volatile-lru`` with nothing left it may evict): reads still come from the backend. A cache
  write goes to an in-process overlay that reads consult first (plain values up to
  ``overlay_bytes``; beyond that they are dropped, logged once). A counter there starts from
  the backend's value and a lock (``set_nx``) the backend holds stays held, so budgets and
  locks still hold, per instance. Every ``retry_interval`` s one cache write tries the backend
  again; once one lands the overlay is dropped (what was counted in it is not added back).

Durable keys (``app.store.keys``: profiles, the delivery ledger) never go to memory: while the
backend is down or full, writing one raises ``StoreUnavailable`` / ``StoreFull`` (a 503), so
a profile is not accepted and then lost, and a digest whose ledger cannot be written is not
sent (to be sent again later). ``condition`` says whether the store is full, with the
backend's own warnings (e.g. Redis's eviction policy).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from app.errors import StoreFull, StoreUnavailable
from app.redaction import redact
from app.store.base import Condition, Store
from app.store.keys import durable
from app.store.memory import MemoryStore

log = logging.getLogger(__name__)

T = TypeVar("T")

OVERLAY_BYTES = 32 * 2**20  # plain cache values kept in memory while the store is full
PROBE_KEY = "store-probe"  # a tiny cache write that /health makes to see if a full store has room
FULL_NOTE = (
    "the store is full and refuses writes: feeds are served from what it holds and from this "
    "instance's memory; profile changes and deliveries wait until it has room (free memory, "
    "or let Redis evict caches: maxmemory-policy volatile-lru)"
)

_BASE_OUTAGES: tuple[type[BaseException], ...] = (OSError, sqlite3.DatabaseError)


def outage_errors() -> tuple[type[BaseException], ...]:
    """What counts as "the backend is down": I/O and SQLite errors, and Redis's connection
    errors and timeouts once ``redis`` is loaded (only a Redis store loads it, so no Redis
    error can be raised before; SQLite deployments never pay for importing it)."""
    exceptions = sys.modules.get("redis.exceptions")
    if exceptions is None:
        return _BASE_OUTAGES
    return (*_BASE_OUTAGES, exceptions.ConnectionError, exceptions.TimeoutError)


async def condition_of(store: Store, seconds: float) -> Condition | None:
    """``store.condition()`` within ``seconds``; None when the store cannot say."""
    try:
        async with asyncio.timeout(seconds):
            return await store.condition()
    except TimeoutError:
        return None
    except outage_errors():
        return None


class FallbackStore:
    """``primary``, or in-process memory for what ``primary`` cannot do (see the docstring)."""

    def __init__(
        self,
        primary: Store,
        fallback: Store | None = None,
        *,
        label: str | None = None,
        retry_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        overlay_bytes: int = OVERLAY_BYTES,
    ) -> None:
        self.primary = primary
        self.fallback: Store = fallback if fallback is not None else MemoryStore()
        self.label = redact(label or primary.name)
        self.retry_interval = retry_interval
        self.clock = clock
        self._down = False
        self._retry_at = 0.0
        self._overlay: MemoryStore | None = None  # cache writes while the primary is full
        self._overlay_used = 0
        self.overlay_bytes = overlay_bytes
        self._full_retry_at = 0.0
        self._dropping = False
        self.name = primary.name

    def __repr__(self) -> str:
        return f"FallbackStore({self.primary!r}, down={self._down}, full={self.full})"

    @property
    def down(self) -> bool:
        """Whether calls are being served by the fallback."""
        return self._down

    @property
    def full(self) -> bool:
        """Whether the primary refused a write and has not taken one since."""
        return self._overlay is not None

    # -- the protocol --

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        if self._overlay is not None and (held := await self._overlay.get(key)) is not None:
            return held
        return await self._call(lambda s: s.get(key))

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The values that exist among ``keys``."""
        found = await self._call(lambda s: s.get_many(keys))
        if self._overlay is not None:
            found |= await self._overlay.get_many(keys)
        return found

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``."""

        async def in_memory(overlay: MemoryStore) -> None:
            if self._overlay_used + len(key) + len(value) > self.overlay_bytes:
                if not self._dropping:
                    self._dropping = True
                    log.warning("store %s is full, and so is memory: dropping writes", self.label)
                return
            self._overlay_used += len(key) + len(value)
            await overlay.set(key, value, ttl)

        await self._write(key, lambda s: s.set(key, value, ttl), in_memory)

    async def set_nx(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent."""

        async def in_memory(overlay: MemoryStore) -> bool:
            if await self._call(lambda s: s.get(key)) is not None:
                return False  # held in the primary (by another instance, say)
            return await overlay.set_nx(key, value, ttl)

        return await self._write(key, lambda s: s.set_nx(key, value, ttl), in_memory)

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add ``amount`` to the counter under ``key``."""

        async def in_memory(overlay: MemoryStore) -> int:
            if await overlay.get(key) is None:  # go on from the primary's count
                current = await self._call(lambda s: s.get(key))
                if current is not None:
                    await overlay.set(key, current, ttl)
            return await overlay.incr(key, amount, ttl)

        return await self._write(key, lambda s: s.incr(key, amount, ttl), in_memory)

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        if self._overlay is not None:
            await self._overlay.delete(key)
        if durable(key):
            await self._durable(lambda s: s.delete(key))
        else:
            await self._call(lambda s: s.delete(key))

    async def ping(self) -> bool:
        """Whether the primary answers (the fallback always does)."""
        try:
            return await self.primary.ping()
        except outage_errors():
            return False

    async def condition(self) -> Condition:
        """Whether the primary is full (checked again with a tiny write once due), and its own
        warnings (not asked while it is down)."""
        if self._overlay is not None and not self._down and self.clock() >= self._full_retry_at:
            await self.set(PROBE_KEY, b"1", ttl=60.0)
        notes: list[str] = []
        if not self._down:
            try:
                notes += (await self.primary.condition()).notes
            except outage_errors() as exc:
                self._mark_down(exc)
        if self._overlay is not None:
            notes.insert(0, FULL_NOTE)
        return Condition(full=self.full, notes=tuple(notes))

    async def close(self) -> None:
        """Close both stores."""
        try:
            await self.primary.close()
        finally:
            await self.fallback.close()

    # -- routing --

    async def _call(self, op: Callable[[Store], Awaitable[T]]) -> T:
        """``op`` on the primary, or on the fallback while the primary is down."""
        if self._down:
            now = self.clock()
            if now < self._retry_at:
                return await op(self.fallback)
            self._retry_at = now + self.retry_interval  # one caller probes; the rest wait
        try:
            result = await op(self.primary)
        except outage_errors() as exc:
            self._mark_down(exc)
            return await op(self.fallback)
        self._mark_up()
        return result

    async def _write(
        self,
        key: str,
        op: Callable[[Store], Awaitable[T]],
        in_memory: Callable[[MemoryStore], Awaitable[T]],
    ) -> T:
        """A write: durable keys to the primary or an error; cache keys to the primary, or
        to the overlay while the primary is full."""
        if durable(key):
            return await self._durable(op)
        if self._overlay is not None and not self._down and self.clock() < self._full_retry_at:
            return await in_memory(self._overlay)
        try:
            result = await self._call(op)
        except StoreFull as exc:
            return await in_memory(self._mark_full(exc))
        if not self._down:
            self._has_room()
        return result

    async def _durable(self, op: Callable[[Store], Awaitable[T]]) -> T:
        """``op`` on the primary, or a 503 when it cannot be done there. While the primary is
        down this is refused at once (reads meanwhile come from memory: a write based on one
        must not reach the primary) until the next probe, which this call may be."""
        if self._down:
            now = self.clock()
            if now < self._retry_at:
                raise self._unreachable()
            self._retry_at = now + self.retry_interval
        try:
            result = await op(self.primary)
        except outage_errors() as exc:
            self._mark_down(exc)
            raise self._unreachable() from exc
        except StoreFull as exc:
            self._mark_full(exc)
            exc.retry_after = self.retry_interval
            raise
        self._mark_up()
        self._has_room()
        return result

    # -- state --

    def _unreachable(self) -> StoreUnavailable:
        return StoreUnavailable(
            "the store cannot be reached: nothing was changed",
            hint="try again later; GET /health shows the store's state",
            retry_after=max(1.0, self._retry_at - self.clock()),
        )

    def _rename(self) -> None:
        if self._down:
            self.name = f"{self.primary.name} (down, using {self.fallback.name})"
        elif self._overlay is not None:
            self.name = f"{self.primary.name} (full, caching in memory)"
        else:
            self.name = self.primary.name

    def _mark_down(self, exc: BaseException) -> None:
        self._retry_at = self.clock() + self.retry_interval
        if self._down:
            return
        self._down = True
        self._rename()
        log.warning(
            "store %s is unreachable (%s: %s); serving from the in-process %s store and "
            "retrying every %gs",
            self.label,
            type(exc).__name__,
            redact(str(exc)),
            self.fallback.name,
            self.retry_interval,
        )

    def _mark_up(self) -> None:
        if self._down:
            self._down = False
            self._rename()
            log.warning("store %s is reachable again; using it again", self.label)

    def _mark_full(self, exc: StoreFull) -> MemoryStore:
        self._mark_up()  # it answered
        self._full_retry_at = self.clock() + self.retry_interval
        if self._overlay is None:
            self._overlay = MemoryStore()
            self._overlay_used = 0
            self._dropping = False
            self._rename()
            log.warning(
                "store %s is full (%s): reads go on; cache writes are kept in this instance's "
                "memory; profile changes and deliveries wait; trying it again every %gs",
                self.label,
                exc.message,
                self.retry_interval,
            )
        return self._overlay

    def _has_room(self) -> None:
        if self._overlay is not None:
            self._overlay = None
            self._rename()
            log.warning("store %s takes writes again", self.label)
