"""Where listings, days, summaries and counters are kept: one interface, several backends.

``Store`` and ``MemoryStore`` load eagerly; the SQLite and Redis backends and the factory load on
first use, so importing the app stays cheap and ``redis`` is needed only for Redis. Which keys
are durable and which are caches is said once, in ``app.store.keys``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from app.store.base import Store
from app.store.memory import MemoryStore

if TYPE_CHECKING:
    from app.store.factory import open_store
    from app.store.fallback import FallbackStore
    from app.store.redis import RedisStore
    from app.store.sqlite import SQLiteStore

__all__ = ["FallbackStore", "MemoryStore", "RedisStore", "SQLiteStore", "Store", "open_store"]

_LAZY = {
    "FallbackStore": "app.store.fallback",
    "open_store": "app.store.factory",
    "RedisStore": "app.store.redis",
    "SQLiteStore": "app.store.sqlite",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
