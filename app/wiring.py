"""The one place the running service is assembled: ``Settings`` -> ``Services``.

``Runtime`` builds the ``Services`` once, at start-up (lifespan) or on the first request in
runtimes that skip lifespan; ``build_services`` is the wiring itself. The heavy imports (httpx,
pydantic-settings, lxml, the LLM client) happen inside it, so ``import app.main`` stays cheap.
Routes reach the services through ``get_services`` / ``ServicesDep``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, cast

from fastapi import Depends, Request

from app.caches import LRU
from app.errors import ConfigError
from app.http_cache import Rendered

if TYPE_CHECKING:
    import httpx

    from app.catalog.catalog import Catalog
    from app.catalog.fetching import ListingService
    from app.config import Settings
    from app.llm.embeddings import Embedder
    from app.models import FeedQuery, RankedFeed
    from app.personal.personalizer import Personalizer
    from app.profiles.registry import ProfileRegistry
    from app.store import Store
    from app.summaries.ai import AIServices
    from app.summaries.fulltext import FullText


log = logging.getLogger(__name__)
RENDERED_BYTES = 48 * 1024 * 1024  # rendered bodies kept in memory
STORE_CHECK_TIMEOUT = 5.0  # seconds the store may take to say how it is, at start


def bodies(size: int) -> LRU[tuple[RankedFeed, Rendered]]:
    """A cache of rendered bodies, bounded by their bytes as well as their number."""
    return LRU(size, max_bytes=RENDERED_BYTES, weigh=lambda key, v: len(key) + len(v[1].body))


@dataclass
class Services:
    """What request handlers use; closed when the app shuts down."""

    settings: Settings
    http: httpx.AsyncClient
    store: Store
    listings: ListingService  # the fetches themselves
    catalog: Catalog  # every feed's listing comes from here
    profiles: ProfileRegistry
    personal: Personalizer  # similarity and followed authors
    configured: FeedQuery  # the feed the settings describe
    ai: AIServices | None = None
    feeds: LRU[RankedFeed] = field(default_factory=LRU)  # ranked feeds by query and listing
    # bodies by format, address and query, with the ranked feed they were drawn from; bounded
    # by their size in bytes (key and body), not only by their number
    rendered: LRU[tuple[RankedFeed, Rendered]] = field(default_factory=lambda: bodies(512))
    # the owner's feeds and bodies apart, so that strangers' churn never evicts them
    owned_feeds: LRU[RankedFeed] = field(default_factory=lambda: LRU(128))
    owned_rendered: LRU[tuple[RankedFeed, Rendered]] = field(default_factory=lambda: bodies(256))
    # strangers' feeds are built one at a time: the owner's never wait behind a crowd of them
    strangers: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))

    def render(
        self, key: str, feed: RankedFeed, make: Callable[[], Rendered], *, shared: bool = False
    ) -> Rendered:
        """The bytes rendered earlier from this very ranked feed, or new ones from ``make``
        (kept with the owner's bodies when ``feed`` is the owner's, unless ``shared``)."""
        cache = self.owned_rendered if feed.owned and not shared else self.rendered
        cached = cache.get(key)
        if cached is not None and cached[0] is feed:
            return cached[1]
        rendered = make()
        cache.put(key, (feed, rendered))
        return rendered

    async def aclose(self) -> None:
        """Close the HTTP clients and the store."""
        await self.http.aclose()
        if self.personal.embedder is not None:
            await self.personal.embedder.client.aclose()
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
        self._failure: ConfigError | None = None
        self._lock = asyncio.Lock()

    async def services(self) -> Services:
        """The services, built on first use.

        Unusable settings raise the same ``ConfigError`` on every call (logged once), so each
        request gets a 500 naming the setting while the instance stays up.
        """
        if self._services is None:
            async with self._lock:
                if self._failure is not None:
                    raise self._failure
                if self._services is None:
                    try:
                        self._services = self._build()
                    except ConfigError as exc:
                        log.error("%s", exc.message)
                        self._failure = exc
                        raise
                    await _check_store(self._services.store)
        return self._services

    def _build(self) -> Services:
        from app.config import get_settings

        settings = (self._settings or get_settings)()
        return build_services(settings, transport=self._transport, store=self._store)

    async def aclose(self) -> None:
        """Close what was built."""
        if self._services is not None:
            await self._services.aclose()
            self._services = None


async def _check_store(store: Store) -> None:
    """Ask the store about itself once at start, so that a warning (e.g. a Redis that may evict
    stored profiles) is in the log from the first request on."""
    from app.store.fallback import condition_of

    await condition_of(store, STORE_CHECK_TIMEOUT)


async def get_services(request: Request) -> Services:
    """The app's services, built on first use (serverless runtimes may skip lifespan)."""
    return await cast(Runtime, request.app.state.runtime).services()


ServicesDep = Annotated[Services, Depends(get_services)]


def arxiv_transport(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncBaseTransport:
    """The transport the fetcher talks through, by ``settings.arxiv_source``."""
    import httpx

    from app.arxiv.samples import FallbackTransport, SampleTransport

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
    """Wire the client, store, listings, history and LLM parts for ``settings``."""
    import httpx

    from app.arxiv.fetch import ArxivFetcher, RateLimiter, RedirectGuard
    from app.arxiv.lookup import PaperLookup
    from app.catalog.catalog import Catalog
    from app.catalog.fetching import ListingService
    from app.catalog.history import History
    from app.personal.personalizer import Personalizer
    from app.profiles.registry import ProfileRegistry
    from app.queries import default_query
    from app.store.factory import open_store
    from app.summaries.fulltext import FullText

    client = httpx.AsyncClient(
        transport=arxiv_transport(settings, transport),
        headers={"User-Agent": settings.user_agent},
        timeout=httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout)),
        follow_redirects=True,
        event_hooks={"response": [RedirectGuard(settings.arxiv_rss_url, settings.arxiv_api_url)]},
    )
    store = store or open_store(settings.store_url, settings.redis_url, settings.sqlite_path)
    limiter = RateLimiter(
        settings.min_request_interval,
        shared=store,
        hold=settings.fetch_timeout + settings.min_request_interval,
    )
    fetcher = ArxivFetcher(
        client,
        settings.arxiv_rss_url,
        limiter,
        retries=settings.fetch_retries,
        backoff=settings.fetch_backoff,
    )
    listings = ListingService(fetcher, store)
    profiles = ProfileRegistry(settings, store)
    lookup = PaperLookup(
        fetcher, store, settings.arxiv_api_url, budget=settings.adhoc_lookup_budget
    )
    catalog = Catalog(
        listings,
        store,
        History(store),
        owner=profiles.owner_categories,
        adhoc_budget=settings.adhoc_fetch_budget,
        max_batch=settings.fetch_batch_size,
        max_request=settings.max_request_categories,
        sample_only=settings.arxiv_source == "sample",
    )
    return Services(
        settings=settings,
        http=client,
        store=store,
        listings=listings,
        catalog=catalog,
        profiles=profiles,
        personal=Personalizer(lookup, build_embeddings(settings, store)),
        configured=default_query(settings),
        ai=build_ai(settings, store, FullText(client, limiter, store)),
    )


def build_embeddings(settings: Settings, store: Store) -> Embedder | None:
    """The embeddings client for profiles, when ``embeddings`` is configured."""
    if settings.embeddings is None:
        return None
    from app.llm.budget import CallBudget
    from app.llm.embeddings import build_embedder

    budget = CallBudget(store, settings.ai_summary.daily_call_cap)
    return build_embedder(settings.embeddings, store, budget)


def build_ai(settings: Settings, store: Store, fulltext: FullText) -> AIServices | None:
    """Summarizer and relevance rater for the configured provider (None when not wanted)."""
    cfg = settings.ai_summary
    interested = bool(settings.interests) or any(p.interests for p in settings.profiles.values())
    if not cfg.enabled and not interested:
        return None  # before the imports: a feed without LLM features never loads them
    from app.llm.budget import CallBudget
    from app.llm.client import build_client
    from app.summaries.ai import AIServices
    from app.summaries.prompts import load_prompt
    from app.summaries.relevance import RelevanceRater
    from app.summaries.summarize import Summarizer

    llm = build_client(cfg, cfg.model, cfg.timeout, feature="LLM features")
    if llm is None:
        return None
    budget = CallBudget(store, cfg.daily_call_cap)
    summarizer = None
    if cfg.enabled and cfg.max_papers_to_summarize > 0:
        prompt = load_prompt(cfg.prompt_file, cfg.summary_language)
        summarizer = Summarizer(llm, store, cfg, prompt, budget, fulltext)

    def rater(interests: str) -> RelevanceRater:
        return RelevanceRater(
            llm,
            store,
            interests,
            budget,
            batch_size=settings.relevance_batch_size,
            max_workers=cfg.max_workers,
            retry_after=cfg.retry_after,
        )

    return AIServices(
        budget=budget,
        summarizer=summarizer,
        make_rater=rater,
        interests=settings.interests,
        max_to_summarize=cfg.max_papers_to_summarize,
        time_budget=cfg.time_budget,
        relevance_candidates=settings.relevance_max_candidates,
        llm=llm,
    )
