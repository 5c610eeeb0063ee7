"""Choosing the store from the settings (wrapped so as to survive its outages).

``open_store`` picks, in order: an explicit ``STORE_URL`` (``memory://``, ``sqlite:///abs/path``,
``sqlite:relative/path``, ``redis://...``, ``rediss://...``), else Redis when ``REDIS_URL`` /
``KV_URL`` is set, else the SQLite file at ``sqlite_path``. Redis and SQLite come wrapped in a
``FallbackStore`` (``app.store.fallback``): when the backend cannot be reached, or is full,
what it cannot do is served from in-process memory, and it is tried again every 30 seconds.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from app.errors import ConfigError
from app.redaction import redact
from app.store.base import Store
from app.store.fallback import FallbackStore, outage_errors
from app.store.memory import MemoryStore
from app.store.sqlite import SQLiteStore

__all__ = ["FallbackStore", "open_store", "outage_errors"]

ACCEPTED = "memory://, sqlite:///absolute/path, sqlite:relative/path, redis://... or rediss://..."

SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,19}")


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
