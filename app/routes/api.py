"""JSON endpoints: the category taxonomy and the service's health.

``/health`` stays cheap: it pings the store (with a short timeout), asks it whether it is full
or set up to lose data (Redis evicting any key), and reports the configured listing as this
instance holds it in memory; it never calls arXiv.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app import __version__
from app.arxiv import taxonomy
from app.wiring import ServicesDep

if TYPE_CHECKING:
    from app.catalog.fetching import Cached
    from app.store import Store
    from app.wiring import Services

STORE_PING_TIMEOUT = 2.0  # seconds
UpstreamStatus = Literal["ok", "stale", "unreachable", "off", "unknown"]
Serving = Literal["arxiv", "stale copy", "sample"]

router = APIRouter(tags=["api"])


class CategoryOut(BaseModel):
    """One arXiv category."""

    id: str
    name: str
    archive: str
    group: str
    is_archive: bool


class LastRefresh(BaseModel):
    """The configured categories' listing, as this instance holds it."""

    categories: list[str]
    day: date | None = Field(description="Announcement day of the listing")
    fetched_at: datetime = Field(description="When arXiv was last asked for it")
    next_check: datetime = Field(description="From then on, the next request asks arXiv again")
    sample: bool = Field(description="Bundled sample data, not a live listing")
    stale: bool = Field(description="arXiv failed at the last attempt; this is an older copy")


class AdhocBudget(BaseModel):
    """New categories a day that feeds the owner did not define may fetch from arXiv."""

    limit: int
    used_today: int = Field(description="Counted per announcement day (America/New_York)")


class AdhocLookupBudget(BaseModel):
    """Papers a day that feeds the owner did not define may look up by id on arXiv's API."""

    limit: int
    used_today: int = Field(description="Counted per announcement day (America/New_York)")


class Health(BaseModel):
    """Whether the service is up, and what it serves from."""

    status: str
    version: str
    store: str
    store_reachable: bool = Field(description="Whether the store answers a ping")
    store_full: bool = Field(
        description="The store refuses writes (Redis at its maxmemory): feeds are served from "
        "what it holds and from memory; profile changes and deliveries wait"
    )
    store_note: str | None = Field(
        description="In plain words, when the store is full or set up to lose data (a Redis "
        "eviction policy that may evict stored profiles and the delivery ledger)"
    )
    arxiv_source: str
    upstream: UpstreamStatus = Field(
        description="ok: the last fetch of the configured listing from arXiv worked; stale: "
        "arXiv failed and an older copy is served; unreachable: arXiv could not be reached and "
        "the bundled sample is served (ARXIV_SOURCE=auto); off: ARXIV_SOURCE=sample, arXiv is "
        "not asked; unknown: not fetched by this instance yet"
    )
    serving: Serving | None = Field(
        description="What the feeds hold: arXiv's listing, an older copy of it, or the bundled "
        "sample; null until the listing is fetched"
    )
    note: str | None = Field(description="In plain words, when the feeds are not arXiv's today")
    upstream_fetches: int
    catalog: list[str] = Field(description="Categories this instance holds")
    adhoc_budget: AdhocBudget
    adhoc_lookup_budget: AdhocLookupBudget
    last_refresh: LastRefresh | None = Field(description="null until the listing is fetched")
    checked_at: datetime


@router.get("/api/categories", response_model=list[CategoryOut])
async def categories() -> list[CategoryOut]:
    """arXiv's taxonomy: every category a feed can name."""
    return [
        CategoryOut(id=c.id, name=c.name, archive=c.archive, group=c.group, is_archive=c.is_archive)
        for c in taxonomy.CATEGORIES.values()
    ]


@router.get("/health", response_model=Health)
async def health(services: ServicesDep) -> Health:
    """Liveness, the store in use, whether it answers and is full, and the last fetch from arXiv."""
    from app.store.fallback import condition_of  # lazily: it loads the store drivers

    cached = _held(services)
    source = services.settings.arxiv_source
    reachable = await ping(services.store)
    kept = await condition_of(services.store, STORE_PING_TIMEOUT) if reachable else None
    said = " ".join(f"{n[0].upper()}{n[1:]}." for n in kept.notes) if kept else ""
    return Health(
        status="ok",
        version=__version__,
        store=services.store.name,
        store_reachable=reachable,
        store_full=kept is not None and kept.full,
        store_note=said or None,
        arxiv_source=source,
        upstream=upstream_status(cached, source),
        serving=serving(cached),
        note=note(cached, source),
        upstream_fetches=services.listings.fetches,
        catalog=services.catalog.held(),
        adhoc_budget=AdhocBudget(
            limit=services.catalog.adhoc_budget, used_today=await services.catalog.budget_used()
        ),
        adhoc_lookup_budget=await _lookup_budget(services),
        last_refresh=None if cached is None else _last_refresh(cached),
        checked_at=datetime.now().astimezone(),
    )


async def ping(store: Store) -> bool:
    """Whether the store answers within ``STORE_PING_TIMEOUT`` seconds."""
    from app.store.fallback import outage_errors  # lazily: it loads the store drivers

    try:
        async with asyncio.timeout(STORE_PING_TIMEOUT):
            return await store.ping()
    except TimeoutError:
        return False
    except outage_errors():
        return False


def upstream_status(cached: Cached | None, arxiv_source: str) -> UpstreamStatus:
    """What the listing held says about arXiv (see ``Health.upstream``)."""
    if cached is None:
        return "unknown"
    listing = cached.listing
    if listing.sample:
        return "unreachable" if arxiv_source == "auto" else "off"
    return "stale" if listing.stale else "ok"


def serving(cached: Cached | None) -> Serving | None:
    """What the feeds hold (see ``Health.serving``)."""
    if cached is None:
        return None
    listing = cached.listing
    return "sample" if listing.sample else "stale copy" if listing.stale else "arxiv"


def note(cached: Cached | None, arxiv_source: str) -> str | None:
    """One plain sentence when the feeds do not hold a fresh listing from arXiv."""
    if cached is None:
        return None
    listing = cached.listing
    if listing.sample:
        from app.arxiv.samples import ABOUT  # lazily: it loads httpx and lxml

        why = "arXiv could not be reached" if arxiv_source == "auto" else "ARXIV_SOURCE=sample"
        return f"{why}: the feeds serve {ABOUT}"
    if listing.stale:
        when = listing.fetched_at.astimezone(UTC)
        return f"arXiv failed: the feeds serve the copy fetched {when:%Y-%m-%d %H:%M} UTC"
    return None


async def _lookup_budget(services: Services) -> AdhocLookupBudget:
    lookup = services.personal.lookup
    if lookup is None:
        return AdhocLookupBudget(limit=services.settings.adhoc_lookup_budget, used_today=0)
    return AdhocLookupBudget(limit=lookup.budget, used_today=await lookup.budget_used())


def _held(services: Services) -> Cached | None:
    return services.catalog.peek(services.configured.categories)


def _last_refresh(cached: Cached) -> LastRefresh:
    listing = cached.listing
    return LastRefresh(
        categories=listing.categories,
        day=listing.day,
        fetched_at=listing.fetched_at,
        next_check=cached.expires_at,
        sample=listing.sample,
        stale=listing.stale,
    )
