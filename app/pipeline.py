"""The whole pipeline for one feed: listing (fetched when due) -> rate -> rank -> summarize.

Only the owner's feeds (the configured feed and each profile, as defined, with no overrides)
may cause LLM calls, for their top ``max_papers_to_summarize`` papers; any other feed shows the
ratings and summaries that already exist. That keeps the cost bounded however many URLs
readers invent.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from typing import TYPE_CHECKING

from app.catalog.history import merge_papers
from app.models import FeedQuery, Listing, Paper, RankedFeed, Relevance, ScoredPaper
from app.ranking.offload import off_loop
from app.ranking.rank import Evidence, rank, rank_days

if TYPE_CHECKING:
    from app.models import Summary
    from app.summaries.summarize import DailyShare, Progress, Summarizer
    from app.wiring import Services


AI_RECHECK = 30.0  # seconds a feed with LLM features is reused before looking again


async def feed_for(services: Services, query: FeedQuery) -> RankedFeed:
    """The ranked feed for ``query``, computed once per listing (and briefly cached with AI)."""
    listing = await services.catalog.get(query.categories)
    key = f"{query.cache_key}|{listing.fetched_at.isoformat()}|{listing.stale}"
    if services.ai is not None:
        key += f"|{services.ai.generation()}"
    owned = query == services.configured or await services.profiles.owns(query)
    cache = services.owned_feeds if owned else services.feeds
    feed = cache.get(key)
    if feed is None:
        async with nullcontext() if owned else services.strangers:
            feed = cache.get(key)  # built while this request waited its turn?
            if feed is None:
                feed = await build_feed(services, query, listing)
                # with LLM features, summaries and ratings may land later: look again soon
                cache.put(key, feed, ttl=AI_RECHECK if services.ai else None)
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
    days = await services.catalog.history.recent(listing, query.days_back)
    all_papers = listing.papers if days == [listing] else merge_papers(days)
    profile = await services.profiles.find(query.profile) if query.profile else None
    # only the owner's feeds, as defined, spend LLM money: any override shows what exists
    owned = query == (profile.query if profile is not None else services.configured)
    owned_query = owned
    dedupe = settings.enable_deduplication
    ai = services.ai
    budget = time_budget if time_budget is not None else (ai.time_budget if ai else 0.0)
    deadline = time.monotonic() + budget
    relevance: dict[str, Relevance] = {}
    own = profile.profile if profile is not None else None
    rater = ai.rater_for((own and own.interests) or settings.interests) if ai else None
    personal = (
        await services.personal.personal(query, all_papers, profile) if query.personal else {}
    )
    if ai is not None and rater is not None:
        limit = ai.relevance_candidates
        known = Evidence(personal=personal)
        pool = await off_loop(
            len(all_papers), lambda: rank(all_papers, query, known, dedupe=dedupe, limit=limit)
        )
        papers = [c.paper for c in pool]
        relevance = await (rater.rate(papers, _left(deadline)) if owned else rater.existing(papers))
    evidence = Evidence(relevance=relevance, personal=personal)
    items = await off_loop(
        len(all_papers),
        lambda: rank_days([d.papers for d in days], query, evidence, dedupe=dedupe),
    )
    if ai is not None and ai.summarizer is not None and items:
        top = ai.max_to_summarize
        share = None
        if own is not None and profile is not None:
            owned = owned and own.ai_summary.enabled is not False
            top = own.ai_summary.max_papers_to_summarize or top
            if own.ai_summary.daily_call_cap is not None:
                from app.summaries.summarize import DailyShare

                share = DailyShare(services.store, profile.name, own.ai_summary.daily_call_cap)
        items = await _with_summaries(
            ai.summarizer, items, top if owned else 0, deadline, progress, share
        )
    return RankedFeed(
        query=query,
        listing_day=days[0].day if days else listing.day,
        fetched_at=listing.fetched_at,
        sample=listing.sample,
        stale=listing.stale,
        total_listed=len(all_papers),
        items=items,
        owned=owned_query,
    )


async def _with_summaries(
    summarizer: Summarizer,
    items: list[ScoredPaper],
    top: int,
    deadline: float,
    progress: Progress | None,
    share: DailyShare | None = None,
) -> list[ScoredPaper]:
    """The items with their summaries: the ``top`` ones made if missing (within the profile's
    ``share`` of the day's calls), the rest as stored."""
    papers: list[Paper] = [i.paper for i in items]
    due = papers[:top]
    have: dict[str, Summary] = {}
    if share is not None and due:
        have = await summarizer.existing(due)
        missing = [p for p in due if p.versioned_id not in have]
        allowed = {p.versioned_id for p in missing[: await share.remaining()]}
        due = [p for p in due if p.versioned_id in have or p.versioned_id in allowed]
    found = await summarizer.summarize(due, _left(deadline), progress) if due else {}
    if share is not None:
        await share.spend(sum(1 for p in due if p.versioned_id in found) - len(have))
    found |= await summarizer.existing([p for p in papers if p.versioned_id not in found])
    return [i.model_copy(update={"summary": found.get(i.paper.versioned_id)}) for i in items]


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
