"""Choosing the store from the settings, and surviving its outages.

``open_store`` picks, in order: an explicit ``STORE_URL`` (``memory://``, ``sqlite:///abs/path``,
``sqlite:relative/path``, ``redis://...``, ``rediss://...``), else Redis when ``REDIS_URL`` /
``KV_URL`` is set, else the SQLite file at ``sqlite_path``. Redis and SQLite come wrapped in a
``FallbackStore``: when the backend cannot be reached, calls are served from an in-process
``MemoryStore`` (one warning), and the backend is tried again every 30 seconds.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from app.errors import ConfigError
from app.redaction import redact
from app.store.base import Store
from app.store.memory import MemoryStore
from app.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)

T = TypeVar("T")

ACCEPTED = "memory://, sqlite:///absolute/path, sqlite:relative/path, redis://... or rediss://..."

SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,19}")
_BASE_OUTAGES: tuple[type[BaseException], ...] = (OSError, sqlite3.DatabaseError)


def outage_errors() -> tuple[type[BaseException], ...]:
    """What counts as "the backend is down": I/O and SQLite errors, and Redis's connection
    errors and timeouts once ``redis`` is loaded (only a Redis store loads it, so no Redis
    error can be raised before; SQLite deployments never pay for importing it)."""
    exceptions = sys.modules.get("redis.exceptions")
    if exceptions is None:
        return _BASE_OUTAGES
    return (*_BASE_OUTAGES, exceptions.ConnectionError, exceptions.TimeoutError)


def open_store(store_url: str | None, redis_url: str | None, sqlite_path: Path) -> Store:
    """The store the settings ask for (see the module docstring); bad URLs raise ConfigError.

    No message shows a Redis URL that is not sound: its password could be anywhere in it.
    """
    if store_url:
        scheme = _scheme(store_url)
        if scheme == "memory":
            return MemoryStore()
        if scheme == "sqlite":
            return _sqlite(_sqlite_path(store_url, sqlite_path))
        if scheme in ("redis", "rediss"):
            return _redis(store_url, "STORE_URL")
        raise ConfigError(
            f"STORE_URL: unsupported {_named(scheme)}", hint=f"use one of: {ACCEPTED}"
        )
    if redis_url:
        scheme = _scheme(redis_url)
        if scheme not in ("redis", "rediss"):
            raise ConfigError(
                f"REDIS_URL/KV_URL must be a redis:// or rediss:// URL, not {_named(scheme)}"
            )
        return _redis(redis_url, "REDIS_URL/KV_URL")
    return _sqlite(sqlite_path)


def _scheme(url: str) -> str | None:
    """The URL's scheme, lower case; None when ``url`` has none (it may be a bare secret)."""
    scheme, colon, _ = url.partition(":")
    return scheme.lower() if colon and SCHEME.fullmatch(scheme) else None


def _named(scheme: str | None) -> str:
    return f"scheme {scheme + '://'!r}" if scheme else "a value without a URL scheme"


def redis_url_problem(url: str) -> str | None:
    """What makes ``url`` unusable as a Redis URL (a fixed phrase, never a part of it), or None.

    Beyond what redis-py itself refuses, characters of a password that break the URL's syntax
    (``/ ? # @`` and spaces, unless percent-encoded) are refused: they would let part of the
    password pass for the host, port or path, and out into messages.
    """
    if any(c.isspace() for c in url):
        return "it contains a space"
    try:
        parts = urlsplit(url)
        if parts.port == 0:  # reading the port checks that it is a number up to 65535
            raise ValueError
    except ValueError:
        return "its host or port cannot be read"
    if not parts.hostname:
        return "it names no host"
    if "@" in parts.path + parts.query or parts.fragment:
        return "it has characters after the host that belong in the password"
    return None


def _sqlite_path(url: str, default: Path) -> Path:
    rest = url.partition(":")[2]
    if rest.startswith("//"):
        rest = rest[2:]
        if rest and not rest.startswith("/"):
            raise ConfigError(
                f"STORE_URL {url!r}: an absolute path needs three slashes",
                hint="sqlite:///absolute/path or sqlite:relative/path",
            )
    return Path(rest) if rest else default


def _sqlite(path: Path) -> Store:
    return FallbackStore(SQLiteStore(path), label=f"sqlite ({path})")


def _redis(url: str, setting: str) -> Store:
    hint = (
        "redis[s]://[user:password@]host[:port][/db], with / ? # @ and spaces in the password "
        "percent-encoded (%2F %3F %23 %40 %20)"
    )
    if problem := redis_url_problem(url):
        raise ConfigError(f"{setting} is not a usable Redis URL: {problem}", hint=hint)
    try:
        from app.store.redis import RedisStore
    except ImportError as exc:
        raise ConfigError(
            f"a Redis store is configured ({setting}) but the redis package is missing",
            hint="pip install 'redis>=5'",
        ) from exc
    try:
        primary = RedisStore(url)
    except ValueError:  # redis-py's message may quote a part of the URL
        raise ConfigError(
            f"{setting} is not a usable Redis URL: redis-py refuses it", hint=hint
        ) from None
    return FallbackStore(primary, label=f"redis ({redact(url)})")


class FallbackStore:
    """``primary``, or an in-process ``MemoryStore`` while ``primary`` cannot be reached."""

    def __init__(
        self,
        primary: Store,
        fallback: Store | None = None,
        *,
        label: str | None = None,
        retry_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.fallback: Store = fallback if fallback is not None else MemoryStore()
        self.label = redact(label or primary.name)
        self.retry_interval = retry_interval
        self.clock = clock
        self._down = False
        self._retry_at = 0.0
        self.name = primary.name

    def __repr__(self) -> str:
        return f"FallbackStore({self.primary!r}, down={self._down})"

    @property
    def down(self) -> bool:
        """Whether calls are being served by the fallback."""
        return self._down

    async def _call(self, op: Callable[[Store], Awaitable[T]]) -> T:
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
        if self._down:
            self._down = False
            self.name = self.primary.name
            log.warning("store %s is reachable again; using it again", self.label)
        return result

    def _mark_down(self, exc: BaseException) -> None:
        self._retry_at = self.clock() + self.retry_interval
        if self._down:
            return
        self._down = True
        self.name = f"{self.primary.name} (down, using {self.fallback.name})"
        log.warning(
            "store %s is unreachable (%s: %s); serving from the in-process %s store and "
            "retrying every %gs",
            self.label,
            type(exc).__name__,
            redact(str(exc)),
            self.fallback.name,
            self.retry_interval,
        )

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        return await self._call(lambda s: s.get(key))

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The values that exist among ``keys``."""
        return await self._call(lambda s: s.get_many(keys))

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``."""
        await self._call(lambda s: s.set(key, value, ttl))

    async def set_nx(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent."""
        return await self._call(lambda s: s.set_nx(key, value, ttl))

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add ``amount`` to the counter under ``key``."""
        return await self._call(lambda s: s.incr(key, amount, ttl))

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        await self._call(lambda s: s.delete(key))

    async def ping(self) -> bool:
        """Whether the primary answers (the fallback always does)."""
        try:
            return await self.primary.ping()
        except outage_errors():
            return False

    async def close(self) -> None:
        """Close both stores."""
        try:
            await self.primary.close()
        finally:
            await self.fallback.close()
