"""The daily refresh, as one function: fetch -> keep the day -> rank -> summarize the top ->
deliver the digest (when the ``delivery`` setting names where).

Run by ``GET|POST /api/cron/refresh`` (Vercel's cron) and by ``arxiv-feeds refresh``. It is
safe to run often: a listing already fetched today is not fetched again, summaries already
made are not paid again, and a refresh cut short by its time budget resumes on the next run.

Profiles with a Zotero library are synced first (``ProfileRegistry.sync_zotero``): Zotero is
always asked again, an unchanged library costing one ``304``; a failure keeps the last good
copy, and the report's ``zotero`` shows each such profile's status.

Each of the owner's feeds is refreshed on its own: one that fails (arXiv, the budget, the
LLM, a bug) is reported with its error in the report's ``failed`` and its own ``error``, and
the others are refreshed and delivered all the same; only when every feed fails does the
refresh fail, with the first error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from app import STARTED
from app.delivery.ledger import feed_key
from app.delivery.report import DeliveryReport
from app.errors import ArxivFeedsError
from app.pipeline import build_feed
from app.plan import FeedPlan, plan_feed
from app.profiles.synced import SyncStatus
from app.refresh.units import RunStatus

if TYPE_CHECKING:
    from app.delivery.email import SMTPConnect
    from app.delivery.settings import Delivery
    from app.models import FeedQuery, RankedFeed
    from app.profiles.registry import ProfileFeed
    from app.summaries.summarize import Progress
    from app.wiring import Services


log = logging.getLogger(__name__)
MAX_DURATION = 60.0  # seconds Vercel allows one call (vercel.json's maxDuration; a test checks)
MARGIN = 10.0  # left for the answer, and for the start-up before ``app`` was imported


def call_budget(time_budget: float, now: float, *, capped: bool) -> tuple[float, float]:
    """(budget, the ``time.monotonic()`` it counts from) for a refresh run by one HTTP call.

    On a cold serverless instance (``capped``: on Vercel) the call began when the process did,
    so its start-up is paid from the budget, and budget and start-up stay under
    ``MAX_DURATION - MARGIN``; a long-running server counts from the call.
    """
    started = STARTED if capped and now - STARTED < MAX_DURATION else now
    return (min(time_budget, MAX_DURATION - MARGIN) if capped else time_budget), started


@dataclass(frozen=True)
class OwnerFeed:
    """A feed the owner defined: the configured one or a profile."""

    name: str  # "default" for the configured feed
    title: str
    plan: FeedPlan  # its query, and what it may spend (summaries of its top papers)
    delivery: Delivery | None
    page_url: str | None  # where its messages link to
    ledger: str  # its name in the delivery ledger (never the same for two feeds)

    @property
    def query(self) -> FeedQuery:
        """The feed's query."""
        return self.plan.query


async def owner_feeds(services: Services) -> list[OwnerFeed]:
    """The configured feed, then each profile."""
    feeds = [configured_feed(services)]
    for p in await services.profiles.all():
        feeds.append(profile_feed(services, p))
    return feeds


def configured_feed(services: Services) -> OwnerFeed:
    """The feed the settings define."""
    settings = services.settings
    base = settings.public_url.rstrip("/") if settings.public_url else None
    plan = plan_feed(services, services.configured, None)
    page = f"{base}/" if base else None
    return OwnerFeed("default", settings.feed_title, plan, settings.delivery, page, feed_key(None))


def profile_feed(services: Services, p: ProfileFeed) -> OwnerFeed:
    """The feed of profile ``p``."""
    settings = services.settings
    base = settings.public_url.rstrip("/") if settings.public_url else None
    page = f"{base}/p/{p.name}/" if base else None
    plan = plan_feed(services, p.query, p)
    return OwnerFeed(p.name, p.title(settings), plan, p.profile.delivery, page, feed_key(p.name))


class FeedError(BaseModel):
    """Why one feed could not be refreshed (the error a request for it would get)."""

    code: str = Field(description="The error's code, as in the API's JSON errors")
    message: str

    @classmethod
    def of(cls, exc: Exception) -> FeedError:
        """The error's code and message; an unexpected one by its type only (the log has it)."""
        if isinstance(exc, ArxivFeedsError):
            return cls(code=exc.code, message=exc.message)
        return cls(code="internal_error", message=f"unexpected {type(exc).__name__} (see the log)")


class FeedRefresh(BaseModel):
    """What a refresh did for one of the owner's feeds."""

    name: str = Field(description="default: the configured feed; else the profile's name")
    items: int
    summarized: int = Field(description="Of the papers due a summary, how many have one")
    pending: int = Field(description="Papers due a summary that still lack one")
    delivery: DeliveryReport | None = Field(default=None, description="null: none set")
    error: FeedError | None = Field(default=None, description="null: refreshed")


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
    profiles: list[FeedRefresh] = Field(default_factory=list, description="Each profile's")
    error: FeedError | None = Field(
        default=None, description="Why the configured feed failed (null: refreshed)"
    )
    failed: list[str] = Field(
        default_factory=list, description="The feeds that failed (default: the configured one)"
    )
    zotero: dict[str, SyncStatus] = Field(
        default_factory=dict, description="Each Zotero library synced, by profile"
    )
    run: RunStatus | None = Field(
        default=None, description="The day's run, after this call (null: one-call refresh)"
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
    synced = await services.profiles.sync_zotero(start + time_budget)
    results: list[tuple[RankedFeed | None, FeedRefresh]] = []
    errors: list[Exception] = []
    for owned in await owner_feeds(services):
        try:
            results.append(await _refresh_one(services, owned, time_budget, start, progress, smtp))
        except Exception as exc:  # one feed's failure (or bug) never stops the others'
            if isinstance(exc, ArxivFeedsError):
                log.warning("refresh of feed %s failed: %s", owned.name, exc.message)
            else:
                log.exception("refresh of feed %s failed", owned.name)
            errors.append(exc)
            error = FeedError.of(exc)
            empty = FeedRefresh(name=owned.name, items=0, summarized=0, pending=0, error=error)
            results.append((None, empty))
        progress = None  # one bar: the configured feed's
    if len(errors) == len(results):
        raise errors[0]  # nothing refreshed: fail as a request for the configured feed would
    feed, mine = results[0]
    profiles = [r for _, r in results[1:]]
    return await report(services, feed, mine, profiles, start, zotero=synced)


async def report(
    services: Services,
    feed: RankedFeed | None,
    mine: FeedRefresh,
    profiles: list[FeedRefresh],
    start: float,
    **extra: Any,
) -> RefreshReport:
    """The report of a refresh: the configured feed's ``feed`` and ``mine``, each profile's,
    the time since ``start`` (a ``time.monotonic()`` reading) and ``extra`` fields."""
    ai = services.ai
    return RefreshReport(
        day=feed.listing_day if feed else None,
        sample=feed.sample if feed else False,
        stale=feed.stale if feed else False,
        listed=feed.total_listed if feed else 0,
        items=mine.items,
        summarized=mine.summarized,
        pending=mine.pending,
        llm_calls_today=await ai.budget.used() if ai else None,
        upstream_fetches=services.listings.fetches,
        seconds=round(time.monotonic() - start, 3),
        delivery=mine.delivery,
        profiles=profiles,
        error=mine.error,
        failed=[r.name for r in (mine, *profiles) if r.error is not None],
        **extra,
    )


async def _refresh_one(
    services: Services,
    owned: OwnerFeed,
    time_budget: float,
    start: float,
    progress: Progress | None,
    smtp: SMTPConnect | None,
) -> tuple[RankedFeed, FeedRefresh]:
    """Fetch, rank, summarize (within what is left of ``time_budget``) and deliver one feed."""
    listing = await services.catalog.get(owned.query.categories)
    left = max(0.0, time_budget - (time.monotonic() - start))
    feed = await build_feed(services, owned.plan, listing, time_budget=left, progress=progress)
    due = feed.items[: owned.plan.to_summarize]
    done = sum(1 for i in due if i.summary is not None)
    delivered = await deliver_feed(services, feed, owned, smtp=smtp)
    return feed, FeedRefresh(
        name=owned.name,
        items=len(feed.items),
        summarized=done,
        pending=len(due) - done,
        delivery=delivered,
    )


async def deliver_feed(
    services: Services,
    feed: RankedFeed,
    owned: OwnerFeed,
    *,
    smtp: SMTPConnect | None = None,
    dry_run: bool = False,
) -> DeliveryReport | None:
    """Deliver one owner feed's digest as its ``delivery`` says (None: not set); a profile's
    messages carry its feedback links when ``public_url`` says where they lead."""
    from app.delivery.deliver import deliver
    from app.delivery.transport import webhook_client

    if owned.delivery is None:
        return None
    settings = services.settings
    if settings.public_url and owned.plan.owned and owned.plan.name is not None:
        from app.profiles.feedback import links
        from app.profiles.tokens import secret_of

        base = settings.public_url.rstrip("/")
        feed = links(feed, base, owned.plan.name, secret_of(settings))
    async with webhook_client(
        settings.user_agent, allow_private=settings.delivery_allow_private
    ) as http:
        return await deliver(
            feed,
            owned.delivery,
            feed_name=owned.name,
            ledger_name=owned.ledger,
            title=owned.title,
            page_url=owned.page_url,
            store=services.store,
            http=http,
            smtp=smtp,
            dry_run=dry_run,
        )
