"""The running service's parts, built lazily so importing the app stays cheap.

``Runtime`` builds ``Services`` once (at start-up, or on the first request in runtimes that skip
lifespan); the heavy imports (httpx, pydantic-settings, lxml) happen there, not at import.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.http_cache import Rendered

if TYPE_CHECKING:
    import httpx

    from app.config import Settings
    from app.history import History
    from app.listings import ListingService
    from app.models import FeedQuery, RankedFeed
    from app.pipeline import AIServices
    from app.store import Store


class LRU[T]:
    """A small least-recently-used cache; entries may expire."""

    def __init__(self, size: int = 512, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self._items: OrderedDict[str, tuple[T, float | None]] = OrderedDict()

    def get(self, key: str) -> T | None:
        """The cached value, refreshed as most recently used."""
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self.clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: str, value: T, ttl: float | None = None) -> None:
        """Remember ``value``; the least recently used entry goes when full."""
        self._items[key] = (value, None if ttl is None else self.clock() + ttl)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


@dataclass
class Services:
    """What request handlers use; closed when the app shuts down."""

    settings: Settings
    http: httpx.AsyncClient
    store: Store
    listings: ListingService
    history: History
    configured: FeedQuery  # the feed the settings describe
    ai: AIServices | None = None
    feeds: LRU[RankedFeed] = field(default_factory=LRU)  # ranked feeds by query and listing
    # bodies by format and URL, with the ranked feed they were drawn from
    rendered: LRU[tuple[RankedFeed, Rendered]] = field(default_factory=LRU)

    def render(self, key: str, feed: RankedFeed, make: Callable[[], Rendered]) -> Rendered:
        """The bytes rendered earlier from this very ranked feed, or new ones from ``make``."""
        cached = self.rendered.get(key)
        if cached is not None and cached[0] is feed:
            return cached[1]
        rendered = make()
        self.rendered.put(key, (feed, rendered))
        return rendered

    async def aclose(self) -> None:
        """Close the HTTP clients and the store."""
        await self.http.aclose()
        if self.ai is not None:
            await self.ai.aclose()
        await self.store.close()


class Runtime:
    """Builds the services once, on start-up or on the first request, whichever is first."""

    def __init__(
        self,
        settings: Callable[[], Settings] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        store: Store | None = None,
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._store = store
        self._services: Services | None = None
        self._lock = asyncio.Lock()

    async def services(self) -> Services:
        """The services, built on first use."""
        if self._services is None:
            async with self._lock:
                if self._services is None:
                    self._services = self._build()
        return self._services

    def _build(self) -> Services:
        from app.config import get_settings
        from app.services import build_services

        settings = (self._settings or get_settings)()
        return build_services(settings, transport=self._transport, store=self._store)

    async def aclose(self) -> None:
        """Close what was built."""
        if self._services is not None:
            await self._services.aclose()
            self._services = None
