"""Wiring: ``build_services`` turns ``Settings`` into the running ``Services``.

The HTTP client talks to arXiv, the bundled samples, or whatever transport a test passes in.
"""

from __future__ import annotations

import logging

import httpx

from app.arxiv.fetch import ArxivFetcher, RateLimiter
from app.arxiv.samples import FallbackTransport, SampleTransport
from app.config import Settings
from app.listings import ListingService
from app.runtime import Services
from app.store import MemoryStore, Store

log = logging.getLogger(__name__)


def arxiv_transport(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncBaseTransport:
    """The transport the fetcher talks through, by ``settings.arxiv_source``."""
    if settings.arxiv_source == "sample":
        return SampleTransport()
    real = transport or httpx.AsyncHTTPTransport(retries=0)
    if settings.arxiv_source == "auto":
        return FallbackTransport(real, SampleTransport())
    return real


def build_services(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> Services:
    """Wire the client, store and listing service for ``settings``."""
    client = httpx.AsyncClient(
        transport=arxiv_transport(settings, transport),
        headers={"User-Agent": settings.user_agent},
        timeout=httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout)),
        follow_redirects=True,
    )
    limiter = RateLimiter(settings.min_request_interval)
    fetcher = ArxivFetcher(
        client,
        settings.arxiv_rss_url,
        limiter,
        retries=settings.fetch_retries,
        backoff=settings.fetch_backoff,
    )
    store = store or MemoryStore()
    return Services(
        settings=settings, http=client, store=store, listings=ListingService(fetcher, store)
    )
