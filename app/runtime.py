"""The running service's parts, built lazily so importing the app stays cheap.

``Runtime`` builds ``Services`` once (at start-up, or on the first request in runtimes that skip
lifespan); the heavy imports (httpx, pydantic-settings, lxml) happen there, not at import.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.http_cache import Rendered

if TYPE_CHECKING:
    import httpx

    from app.config import Settings
    from app.listings import ListingService
    from app.pipeline import AIServices
    from app.store import Store


class RenderCache:
    """The last rendered bodies, so a warm feed request only looks up bytes."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[str, Rendered] = OrderedDict()

    def get(self, key: str) -> Rendered | None:
        """The cached body, refreshed as most recently used."""
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
        return body

    def put(self, key: str, body: Rendered) -> None:
        """Remember ``body``; the least recently used entry goes when full."""
        self._items[key] = body
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
    ai: AIServices | None = None
    rendered: RenderCache = field(default_factory=RenderCache)

    async def aclose(self) -> None:
        """Close the HTTP client and the store."""
        await self.http.aclose()
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
