"""The whole pipeline for one feed: current listing (fetched when due) -> rank -> ``RankedFeed``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.models import FeedQuery, RankedFeed
from app.ranking import rank

if TYPE_CHECKING:
    from app.config import Settings
    from app.runtime import Services


def default_query(settings: Settings) -> FeedQuery:
    """The configured feed, before any per-request overrides."""
    return FeedQuery(
        categories=tuple(settings.categories),
        keywords=tuple(settings.keywords),
        exclude=tuple(settings.exclude_keywords),
        types=frozenset(settings.announce_types),
        min_score=settings.min_score,
        limit=settings.max_papers,
        keyword_weight=settings.keyword_weight,
        title_bonus=settings.title_bonus,
    )


async def feed_for(services: Services, query: FeedQuery) -> RankedFeed:
    """Fetch (when due) and rank the listing for ``query``."""
    listing = await services.listings.get(query.categories)
    items = rank(listing.papers, query, dedupe=services.settings.enable_deduplication)
    return RankedFeed(
        query=query,
        listing_day=listing.day,
        fetched_at=listing.fetched_at,
        sample=listing.sample,
        stale=listing.stale,
        total_listed=len(listing.papers),
        items=items,
    )
