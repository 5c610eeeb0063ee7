"""The daily refresh, as one function: fetch -> keep the day -> rank -> summarize the top ->
deliver the digest (when the ``delivery`` setting names where).

Run by ``GET|POST /api/cron/refresh`` (Vercel's cron) and by ``python -m app refresh``. It is
safe to run often: a listing already fetched today is not fetched again, summaries already
made are not paid again, and a refresh cut short by its time budget resumes on the next run.
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from app import STARTED
from app.delivery.deliver import DeliveryReport
from app.pipeline import build_feed

if TYPE_CHECKING:
    from app.delivery.email import SMTPConnect
    from app.models import RankedFeed
    from app.summaries.summarize import Progress
    from app.wiring import Services


MAX_DURATION = 60.0  # seconds Vercel allows one call (vercel.json's maxDuration; a test checks)
MARGIN = 10.0  # left for the answer, and for the start-up before ``app`` was imported


def call_budget(time_budget: float, now: float, *, capped: bool) -> tuple[float, float]:
    """(budget, the ``time.monotonic()`` it counts from) for a refresh run by one HTTP call.

    On a cold instance the call began when the process did, so its start-up is paid from the
    budget; ``capped`` (on Vercel) keeps budget and start-up under ``MAX_DURATION - MARGIN``.
    """
    started = STARTED if now - STARTED < MAX_DURATION else now
    return (min(time_budget, MAX_DURATION - MARGIN) if capped else time_budget), started


class RefreshReport(BaseModel):
    """What a refresh did."""

    day: date | None = Field(description="Announcement day of the newest listing")
    sample: bool = Field(description="The listing is the bundled sample: arXiv was not reached")
    stale: bool = Field(description="arXiv failed; the feed holds an older copy")
    listed: int = Field(description="Papers in the listing(s) the feed draws on")
    items: int = Field(description="Papers in the configured feed")
    summarized: int = Field(description="Of the papers due a summary, how many have one")
    pending: int = Field(description="Papers due a summary that still lack one")
    llm_calls_today: int | None = None
    upstream_fetches: int
    seconds: float
    delivery: DeliveryReport | None = Field(
        default=None, description="What the configured feed's delivery did (null: none set)"
    )


async def refresh(
    services: Services,
    time_budget: float,
    progress: Progress | None = None,
    smtp: SMTPConnect | None = None,
    *,
    started: float | None = None,
) -> RefreshReport:
    """Bring the configured feed up to date within ``time_budget`` seconds.

    The budget counts from ``started`` (a ``time.monotonic()`` reading; default: now), so the
    listing fetch, and whatever came before it, is paid out of it; summaries it leaves
    undone are made by the next run.
    """
    start = time.monotonic() if started is None else started
    query = services.configured
    listing = await services.catalog.get(query.categories)
    left = max(0.0, time_budget - (time.monotonic() - start))
    feed = await build_feed(services, query, listing, time_budget=left, progress=progress)
    ai = services.ai
    due = feed.items[: ai.max_to_summarize] if ai and ai.summarizer else []
    done = sum(1 for i in due if i.summary is not None)
    delivered = await deliver_configured(services, feed, smtp=smtp)
    return RefreshReport(
        day=feed.listing_day,
        sample=feed.sample,
        stale=feed.stale,
        listed=feed.total_listed,
        items=len(feed.items),
        summarized=done,
        pending=len(due) - done,
        llm_calls_today=await ai.budget.used() if ai else None,
        upstream_fetches=services.listings.fetches,
        seconds=round(time.monotonic() - start, 3),
        delivery=delivered,
    )


def page_url(public_url: str | None) -> str | None:
    """The configured feed's page: the service's address."""
    return public_url.rstrip("/") + "/" if public_url else None


async def deliver_configured(
    services: Services,
    feed: RankedFeed,
    *,
    smtp: SMTPConnect | None = None,
    dry_run: bool = False,
) -> DeliveryReport | None:
    """Deliver the configured feed's digest as ``settings.delivery`` says (None: not set)."""
    import httpx

    from app.delivery.deliver import deliver

    settings = services.settings
    if settings.delivery is None:
        return None
    headers = {"User-Agent": settings.user_agent}
    async with httpx.AsyncClient(headers=headers, follow_redirects=False) as http:
        return await deliver(
            feed,
            settings.delivery,
            feed_name="default",
            title=settings.feed_title,
            page_url=page_url(settings.public_url),
            store=services.store,
            http=http,
            smtp=smtp,
            dry_run=dry_run,
        )
