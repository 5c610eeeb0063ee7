"""The whole pipeline for one feed: listing (fetched when due) -> rate -> rank -> summarize.

Only the configured feed (the query the settings describe, with no overrides) may cause LLM
calls, for its top ``max_papers_to_summarize`` papers; any other feed shows the ratings and
summaries that already exist. That keeps the cost bounded however many URLs readers invent.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from app.catalog.history import merge_papers
from app.models import FeedQuery, Listing, Paper, RankedFeed, Relevance, ScoredPaper
from app.ranking.rank import rank, rank_days

if TYPE_CHECKING:
    from app.summaries.ai import AIServices
    from app.summaries.summarize import Progress, Summarizer
    from app.wiring import Services


AI_RECHECK = 30.0  # seconds a feed with LLM features is reused before looking again


async def feed_for(services: Services, query: FeedQuery) -> RankedFeed:
    """The ranked feed for ``query``, computed once per listing (and briefly cached with AI)."""
    listing = await services.catalog.get(query.categories)
    key = f"{query.cache_key}|{listing.fetched_at.isoformat()}|{listing.stale}"
    if services.ai is not None:
        key += f"|{services.ai.generation()}"
    feed = services.feeds.get(key)
    if feed is None:
        feed = await build_feed(services, query, listing)
        # with LLM features, summaries and ratings may land later: look again soon
        services.feeds.put(key, feed, ttl=AI_RECHECK if services.ai else None)
    return feed


async def build_feed(
    services: Services,
    query: FeedQuery,
    listing: Listing,
    *,
    time_budget: float | None = None,
    progress: Progress | None = None,
) -> RankedFeed:
    """Rate, rank and summarize ``listing`` (and the kept days before it) for ``query``.

    ``time_budget`` (default: the per-request budget) bounds the time spent on LLM calls.
    """
    settings = services.settings
    days = await services.catalog.history.recent(listing, settings.days_back)
    all_papers = listing.papers if days == [listing] else merge_papers(days)
    configured = query == services.configured
    dedupe = settings.enable_deduplication
    ai = services.ai
    budget = time_budget if time_budget is not None else (ai.time_budget if ai else 0.0)
    deadline = time.monotonic() + budget
    relevance: dict[str, Relevance] = {}
    if ai is not None and ai.rater is not None:
        pool = rank(all_papers, query, dedupe=dedupe, limit=ai.relevance_candidates)
        papers = [c.paper for c in pool]
        relevance = await (
            ai.rater.rate(papers, _left(deadline)) if configured else ai.rater.existing(papers)
        )
    weight = ai.relevance_weight if ai else 0.0
    items = rank_days(
        [d.papers for d in days], query, dedupe=dedupe, relevance=relevance, relevance_weight=weight
    )
    if ai is not None and ai.summarizer is not None and items:
        items = await _with_summaries(ai, ai.summarizer, items, configured, deadline, progress)
    return RankedFeed(
        query=query,
        listing_day=days[0].day if days else listing.day,
        fetched_at=listing.fetched_at,
        sample=listing.sample,
        stale=listing.stale,
        total_listed=len(all_papers),
        items=items,
    )


async def _with_summaries(
    ai: AIServices,
    summarizer: Summarizer,
    items: list[ScoredPaper],
    configured: bool,
    deadline: float,
    progress: Progress | None,
) -> list[ScoredPaper]:
    papers: list[Paper] = [i.paper for i in items]
    if configured:
        top = papers[: ai.max_to_summarize]
        found = await summarizer.summarize(top, _left(deadline), progress)
        found |= await summarizer.existing(papers[ai.max_to_summarize :])
    else:
        found = await summarizer.existing(papers)
    return [i.model_copy(update={"summary": found.get(i.paper.versioned_id)}) for i in items]


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
