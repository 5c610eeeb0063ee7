"""The whole pipeline for one feed: listing (fetched when due) -> rate -> rank -> summarize.

Only the owner's feeds (the configured feed and each profile, as defined, with no overrides)
may cause LLM calls, for their top ``max_papers_to_summarize`` papers; any other feed shows the
ratings and summaries that already exist. That keeps the cost bounded however many URLs
readers invent.

What a feed may spend is its ``FeedPlan`` (``app.plan``), made once per request where the
route resolves the profile; nothing here asks again whether a feed is the owner's.

A feed is built in two steps: ``gather`` reads what it needs (the kept days, the profile, liked
papers from arXiv's API), then ``build_feed`` computes. Strangers' feeds compute one at a time,
but never wait for each other's reads: a stranger's liked papers on their way from arXiv hold
up no one else's feed.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.catalog.history import merge_papers
from app.models import Listing, Paper, RankedFeed, Relevance, ScoredPaper
from app.plan import FeedPlan
from app.ranking.offload import off_loop
from app.ranking.rank import Evidence, rank, rank_days

if TYPE_CHECKING:
    from app.llm.budget import DailyShare
    from app.models import Summary
    from app.personal.personalizer import Looked
    from app.summaries.summarize import Progress, Summarizer
    from app.wiring import Services


AI_RECHECK = 30.0  # seconds a feed with LLM features is reused before looking again


@dataclass(frozen=True)
class Gathered:
    """What a feed is computed from, read beforehand: the days kept (newest first), their
    papers, and the liked and disliked papers."""

    days: list[Listing]
    papers: list[Paper]
    looked: Looked | None


async def gather(services: Services, plan: FeedPlan, listing: Listing) -> Gathered:
    """Read what the feed of ``plan`` over ``listing`` needs (the store, arXiv's API)."""
    query = plan.query
    days = await services.catalog.history.recent(listing, query.days_back)
    papers = listing.papers if days == [listing] else merge_papers(days)
    looked = (
        await services.personal.look_up(query, papers, plan.profile) if query.personal else None
    )
    return Gathered(days, papers, looked)


async def feed_for(services: Services, plan: FeedPlan) -> RankedFeed:
    """The ranked feed of ``plan``, computed once per listing (and briefly cached with AI)."""
    query = plan.query
    listing = await services.catalog.get(query.categories)
    key = f"{query.cache_key}|{listing.fetched_at.isoformat()}|{listing.stale}"
    if services.ai is not None:
        key += f"|{services.ai.generation()}"
    cache = services.owned_feeds if plan.owned else services.feeds
    feed = cache.get(key)
    if feed is None:
        gathered = await gather(services, plan, listing)  # I/O: no turn taken yet
        async with nullcontext() if plan.owned else services.strangers:
            feed = cache.get(key)  # built while this request waited its turn?
            if feed is None:
                feed = await build_feed(services, plan, listing, gathered=gathered)
                # with LLM features, summaries and ratings may land later: look again soon
                cache.put(key, feed, ttl=AI_RECHECK if services.ai else None)
    return feed


async def build_feed(
    services: Services,
    plan: FeedPlan,
    listing: Listing,
    *,
    time_budget: float | None = None,
    progress: Progress | None = None,
    gathered: Gathered | None = None,
    start_by: float | None = None,
) -> RankedFeed:
    """Rate, rank and summarize ``listing`` (and the kept days before it) as ``plan`` says.

    ``time_budget`` (default: the per-request budget) bounds the time spent on LLM calls;
    ``gathered``: what ``gather`` read (else it is read here); ``start_by``: no summary is
    begun that would end after it (a ``time.monotonic()`` reading; the refresh's call's end).
    """
    settings = services.settings
    query, profile = plan.query, plan.profile
    gathered = gathered or await gather(services, plan, listing)
    days, all_papers = gathered.days, gathered.papers
    dedupe = settings.enable_deduplication
    ai = services.ai
    budget = time_budget if time_budget is not None else (ai.time_budget if ai else 0.0)
    deadline = time.monotonic() + budget
    relevance: dict[str, Relevance] = {}
    rater = ai.rater_for(plan.interests) if ai else None
    personal, notes = (
        await services.personal.personal(query, all_papers, profile, gathered.looked)
        if query.personal
        else ({}, ())
    )
    if ai is not None and rater is not None:
        limit = ai.relevance_candidates
        known = Evidence(personal=personal)
        pool = await off_loop(
            len(all_papers), lambda: rank(all_papers, query, known, dedupe=dedupe, limit=limit)
        )
        papers = [c.paper for c in pool]
        relevance = await (
            rater.rate(papers, _left(deadline)) if plan.owned else rater.existing(papers)
        )
    evidence = Evidence(relevance=relevance, personal=personal)
    items = await off_loop(
        len(all_papers),
        lambda: rank_days([d.papers for d in days], query, evidence, dedupe=dedupe),
    )
    if ai is not None and ai.summarizer is not None and items:
        share = None
        if profile is not None and plan.daily_share is not None and plan.to_summarize:
            from app.llm.budget import DailyShare

            share = DailyShare(services.store, profile.name, plan.daily_share)
        items = await _with_summaries(
            ai.summarizer, items, plan.to_summarize, deadline, progress, share, start_by
        )
    return RankedFeed(
        query=query,
        listing_day=days[0].day if days else listing.day,
        fetched_at=listing.fetched_at,
        sample=listing.sample,
        stale=listing.stale,
        total_listed=len(all_papers),
        items=items,
        owned=plan.owned,
        notes=notes,
    )


async def _with_summaries(
    summarizer: Summarizer,
    items: list[ScoredPaper],
    top: int,
    deadline: float,
    progress: Progress | None,
    share: DailyShare | None = None,
    start_by: float | None = None,
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
    found = await summarizer.summarize(due, _left(deadline), progress, start_by) if due else {}
    if share is not None:
        await share.spend(sum(1 for p in due if p.versioned_id in found) - len(have))
    found |= await summarizer.existing([p for p in papers if p.versioned_id not in found])
    return [i.model_copy(update={"summary": found.get(i.paper.versioned_id)}) for i in items]


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
