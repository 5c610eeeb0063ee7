"""A store in Redis (``REDIS_URL`` / ``KV_URL``): shared by every instance, e.g. on Vercel.

Works with ``redis://`` and ``rediss://`` (TLS, as Upstash and Vercel KV hand out). Keys carry a
prefix (default ``arxiv-feeds:``) so a shared Redis is not polluted. Timeouts are short and
retries few: when Redis is unreachable a call fails within seconds, and ``FallbackStore`` takes
over. Needs the ``redis`` package (redis-py >= 5, for ``redis.asyncio``).

A write Redis refuses for lack of memory (``OOM command not allowed when used memory >
'maxmemory'``: ``noeviction``, or nothing left it may evict) raises ``StoreFull``; reads go on.
``condition`` reads ``maxmemory_policy`` from ``INFO memory`` (not ``CONFIG GET``, which managed
Redis often disables; a reply without it is fine) and warns, once in the log and in
``/health``, when the policy evicts any key (``allkeys-*``): stored profiles and the delivery
ledger could then be evicted. ``volatile-lru`` evicts only keys with an expiry, i.e. caches
(``app.store.keys``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import OutOfMemoryError, RedisError, ResponseError

from app.errors import StoreFull
from app.redaction import redact
from app.store.base import Condition

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "arxiv-feeds:"
POLICY_RECHECK = 600.0  # seconds between two reads of the eviction policy


def policy_note(policy: str | None) -> str | None:
    """The warning an eviction policy deserves, or None."""
    if policy is None or not policy.startswith("allkeys-"):
        return None
    return (
        f"Redis evicts any key when it is full (maxmemory-policy {policy}): stored profiles and "
        "the delivery ledger may be lost, and a digest sent twice; set maxmemory-policy "
        "volatile-lru, which evicts only the caches (keys with an expiry)"
    )


@contextmanager
def refused_when_full() -> Iterator[None]:
    """Turn Redis's out-of-memory refusal of a write into ``StoreFull``."""
    try:
        yield
    except OutOfMemoryError as exc:
        raise StoreFull(
            "the store is full: Redis refuses writes at its maxmemory; nothing was changed",
            hint="try again later; GET /health shows the store's state",
        ) from exc


def _px(ttl: float) -> int:
    """A ttl in whole milliseconds, at least 1 (Redis rejects 0)."""
    return max(1, round(ttl * 1000))


def _bytes(value: bytes | str | None) -> bytes | None:
    """Replies are bytes (``decode_responses`` is off); the types also allow str."""
    return value.encode() if isinstance(value, str) else value


class RedisStore:
    """Bytes under string keys in Redis, with native expiry."""

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 2.0,
        retries: int = 1,
    ) -> None:
        self.url = redact(url)  # for messages; the real URL lives only inside the client
        self.prefix = prefix
        self._policy: tuple[str | None, float] | None = None  # (policy, when read)
        self._warned: set[str] = set()
        self._redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            health_check_interval=30,
            retry=Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.05), retries),
        )

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, prefix={self.prefix!r})"

    def _k(self, key: str) -> str:
        return self.prefix + key

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        return _bytes(await self._redis.get(self._k(key)))

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The values that exist among ``keys``, with one MGET."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        values = await self._redis.mget([self._k(k) for k in wanted])
        found = {k: _bytes(v) for k, v in zip(wanted, values, strict=True)}
        return {k: v for k, v in found.items() if v is not None}

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` (SET, with PX when ``ttl``)."""
        if ttl is not None and ttl <= 0:
            await self.delete(key)  # already expired
            return
        with refused_when_full():
            await self._redis.set(self._k(key), value, px=None if ttl is None else _px(ttl))

    async def set_nx(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent (SET NX); True when it was stored."""
        px = None if ttl is None else _px(ttl)
        with refused_when_full():
            return bool(await self._redis.set(self._k(key), value, nx=True, px=px))

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """INCRBY; with ``ttl``, ``SET key 0 NX PX ttl`` first in the same MULTI/EXEC.

        The key gets its expiry exactly when it is created (``SET NX`` does nothing to an
        existing counter, and INCRBY keeps an existing expiry), atomically, without Lua.
        """
        k = self._k(key)
        with refused_when_full():
            if ttl is None:
                return int(await self._redis.incrby(k, amount))
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(k, 0, nx=True, px=_px(ttl))
                pipe.incrby(k, amount)
                _, value = await pipe.execute()
        return int(value)

    async def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        await self._redis.delete(self._k(key))

    async def ping(self) -> bool:
        """Whether Redis answers; False (never an exception) when it cannot be reached."""
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):  # OSError includes TimeoutError
            return False

    async def eviction_policy(self) -> str | None:
        """``maxmemory_policy`` from ``INFO memory`` (None when Redis does not say), read at
        most every ``POLICY_RECHECK`` seconds; connection errors propagate."""
        now = time.monotonic()
        if self._policy is not None and now - self._policy[1] < POLICY_RECHECK:
            return self._policy[0]
        try:
            info = await self._redis.info("memory")
        except ResponseError:  # INFO refused or unknown on this service
            info = {}
        raw = info.get("maxmemory_policy")
        policy = raw if isinstance(raw, str) and raw else None
        self._policy = (policy, now)
        note = policy_note(policy)
        if note is not None and policy not in self._warned:
            self._warned.add(str(policy))
            log.warning("store %s: %s", self.url, note)
        return policy

    async def condition(self) -> Condition:
        """A warning when the eviction policy may evict durable data (see the docstring)."""
        note = policy_note(await self.eviction_policy())
        return Condition(notes=(note,) if note else ())

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
