"""The daily refresh, as one function: fetch -> keep the day -> rank -> summarize the top.

Run by ``GET|POST /api/cron/refresh`` (Vercel's cron) and by ``python -m app refresh``. It is
safe to run often: a listing already fetched today is not fetched again, summaries already
made are not paid again, and a refresh cut short by its time budget resumes on the next run.
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from app.pipeline import build_feed

if TYPE_CHECKING:
    from app.summaries.summarize import Progress
    from app.wiring import Services


class RefreshReport(BaseModel):
    """What a refresh did."""

    day: date | None = Field(description="Announcement day of the newest listing")
    listed: int = Field(description="Papers in the listing(s) the feed draws on")
    items: int = Field(description="Papers in the configured feed")
    summarized: int = Field(description="Of the papers due a summary, how many have one")
    pending: int = Field(description="Papers due a summary that still lack one")
    llm_calls_today: int | None = None
    upstream_fetches: int
    seconds: float


async def refresh(
    services: Services, time_budget: float, progress: Progress | None = None
) -> RefreshReport:
    """Bring the configured feed up to date within ``time_budget`` seconds."""
    start = time.monotonic()
    query = services.configured
    listing = await services.catalog.get(query.categories)
    feed = await build_feed(services, query, listing, time_budget=time_budget, progress=progress)
    ai = services.ai
    due = feed.items[: ai.max_to_summarize] if ai and ai.summarizer else []
    done = sum(1 for i in due if i.summary is not None)
    return RefreshReport(
        day=feed.listing_day,
        listed=feed.total_listed,
        items=len(feed.items),
        summarized=done,
        pending=len(due) - done,
        llm_calls_today=await ai.budget.used() if ai else None,
        upstream_fetches=services.listings.fetches,
        seconds=round(time.monotonic() - start, 3),
    )
