"""Choosing the store from the settings (wrapped so as to survive its outages).

``open_store`` picks, in order: an explicit ``STORE_URL`` (``memory://``, ``sqlite:///abs/path``,
``sqlite:relative/path``, ``redis://...``, ``rediss://...``), else Redis when ``REDIS_URL`` /
``KV_URL`` is set, else the SQLite file at ``sqlite_path``. Redis and SQLite come wrapped in a
``FallbackStore`` (``app.store.fallback``): when the backend cannot be reached, or is full,
what it cannot do is served from in-process memory, and it is tried again every 30 seconds.
"""

from __future__ import annotations

from pathlib import Path

from app.errors import ConfigError
from app.redaction import redact
from app.store.base import Store
from app.store.fallback import FallbackStore, outage_errors
from app.store.memory import MemoryStore
from app.store.sqlite import SQLiteStore

__all__ = ["FallbackStore", "open_store", "outage_errors"]

ACCEPTED = "memory://, sqlite:///absolute/path, sqlite:relative/path, redis://... or rediss://..."


def open_store(store_url: str | None, redis_url: str | None, sqlite_path: Path) -> Store:
    """The store the settings ask for (see the module docstring); bad URLs raise ConfigError."""
    if store_url:
        scheme = store_url.partition(":")[0].lower()
        if scheme == "memory":
            return MemoryStore()
        if scheme == "sqlite":
            return _sqlite(_sqlite_path(store_url, sqlite_path))
        if scheme in ("redis", "rediss"):
            return _redis(store_url)
        raise ConfigError(
            f"unsupported STORE_URL {redact(store_url)!r}",
            hint=f"use one of: {ACCEPTED}",
        )
    if redis_url:
        if redis_url.partition(":")[0].lower() not in ("redis", "rediss"):
            raise ConfigError(
                f"REDIS_URL/KV_URL {redact(redis_url)!r} is not a redis:// or rediss:// URL"
            )
        return _redis(redis_url)
    return _sqlite(sqlite_path)


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


def _redis(url: str) -> Store:
    try:
        from app.store.redis import RedisStore
    except ImportError as exc:
        raise ConfigError(
            f"a Redis store is configured ({redact(url)}) but the redis package is missing",
            hint="pip install 'redis>=5'",
        ) from exc
    return FallbackStore(RedisStore(url), label=f"redis ({redact(url)})")
