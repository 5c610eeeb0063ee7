"""A store in Redis (``REDIS_URL`` / ``KV_URL``): shared by every instance, e.g. on Vercel.

Works with ``redis://`` and ``rediss://`` (TLS, as Upstash and Vercel KV hand out). Keys carry a
prefix (default ``arxiv-feeds:``) so a shared Redis is not polluted. Timeouts are short and
retries few: when Redis is unreachable a call fails within seconds, and ``FallbackStore`` takes
over. Needs the ``redis`` package (redis-py >= 5, for ``redis.asyncio``).

A write Redis refuses for lack of memory (``OOM command not allowed when used memory >
'maxmemory'``: ``noeviction``, or nothing left it may evict) raises ``StoreFull``; reads go on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import OutOfMemoryError, RedisError

from app.errors import StoreFull
from app.redaction import redact

DEFAULT_PREFIX = "arxiv-feeds:"


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

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
