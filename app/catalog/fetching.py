"""Listings of a batch of categories, fetched in ONE request once per arXiv update.

The catalog (``app.catalog.catalog``) asks for the batches; this module does the fetch -> parse
-> keep for each.

arXiv publishes new listings once a day, at midnight America/New_York. A listing fetched once
serves every feed until then; concurrent requests for the same cold listing share ONE fetch.
Listings are kept in memory (the hot path) and in the store (to survive restarts and be shared
between instances). When arXiv fails, the last listing we have is served, marked stale.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ValidationError

from app.arxiv.fetch import ArxivFetcher
from app.arxiv.parse import parse_listing
from app.arxiv.samples import sample_built
from app.arxiv.schedule import NEW_YORK, next_update
from app.caches import LRU
from app.errors import UpstreamError, UpstreamUnavailable
from app.models import Listing
from app.store.base import Store

log = logging.getLogger(__name__)

RECHECK = timedelta(minutes=10)  # arXiv has not rolled over yet, or we served sample data
FAILURE_PAUSE = timedelta(minutes=1)  # after arXiv failed, serve what we have this long
MAX_FAILURE_PAUSE = timedelta(hours=1)  # ... or as long as its Retry-After asks, up to this
CLAIM_TTL = timedelta(seconds=90)  # one instance fetches a listing; the others wait for it
CLAIM_WAIT = 30.0
CLAIM_POLL = 0.2
KEEP_MARGIN = timedelta(days=2)  # a stored listing outlives its expiry by this much
HELD = 256  # batches held in memory


def failure_pause(exc: UpstreamError) -> timedelta:
    """How long to serve what we have before asking arXiv again after ``exc``.

    A minute, or longer when arXiv said so (``Retry-After`` on a 429 or 503), up to an hour.
    """
    if isinstance(exc, UpstreamUnavailable) and exc.retry_after is not None:
        asked = min(exc.retry_after, MAX_FAILURE_PAUSE.total_seconds())  # also when infinite
        return max(FAILURE_PAUSE, timedelta(seconds=asked))
    return FAILURE_PAUSE


def expiry_for(listing: Listing, now: datetime) -> datetime:
    """When to ask arXiv again for this listing."""
    today = now.astimezone(NEW_YORK).date()
    if listing.sample or (listing.day is not None and listing.day < today):
        return min(now + RECHECK, next_update(now))
    return next_update(now)


listing_key = Listing.key_for


class Cached(BaseModel):
    """A listing with the moment it should be fetched again."""

    listing: Listing
    expires_at: datetime


class ListingService:
    """Hands out the current listing for a set of categories, fetching it when due."""

    def __init__(
        self,
        fetcher: ArxivFetcher,
        store: Store,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.fetcher = fetcher
        self.store = store
        self.clock = clock
        self._memory: LRU[Cached] = LRU(HELD)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._failed: LRU[tuple[datetime, UpstreamError]] = LRU(HELD)
        self.fetches = 0  # upstream requests made, for tests and /health
        self.claim_wait = CLAIM_WAIT  # how long to wait for another instance's fetch

    def peek(self, categories: Sequence[str]) -> Cached | None:
        """The listing held in memory for ``categories`` (fresh or not), without any I/O."""
        return self._memory.get(listing_key(categories))

    async def get(self, categories: Sequence[str]) -> Listing:
        """The current listing (stale if arXiv fails and we have an older one)."""
        key = listing_key(categories)
        cached = self._memory.get(key)
        if cached is not None and cached.expires_at > self.clock():
            return cached.listing
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._memory.get(key) or await self._load(key)
            if cached is not None and cached.expires_at > self.clock():
                self._memory.put(key, cached)
                return cached.listing
            failed = self._failed.get(key)
            if failed is not None and failed[0] > self.clock():
                raise failed[1]  # arXiv failed moments ago: don't hammer it on every request
            claim = f"fetching:{key}"
            if not await self.store.set_nx(claim, b"1", ttl=CLAIM_TTL.total_seconds()):
                other = await self._wait_for_other_instance(key)
                if other is not None:
                    self._memory.put(key, other)
                    return other.listing
            try:
                return await self._refresh(key, categories, cached)
            finally:
                await self.store.delete(claim)

    async def _wait_for_other_instance(self, key: str) -> Cached | None:
        """Another instance is fetching this listing: wait for it to land in the store."""
        waited = 0.0
        while waited < self.claim_wait:
            await asyncio.sleep(CLAIM_POLL)
            waited += CLAIM_POLL
            cached = await self._load(key)
            if cached is not None and cached.expires_at > self.clock():
                return cached
            if await self.store.get(f"fetching:{key}") is None:
                return None  # it gave up: fetch ourselves
        return None

    async def _refresh(self, key: str, categories: Sequence[str], cached: Cached | None) -> Listing:
        old = cached.listing if cached is not None else None
        try:
            self.fetches += 1
            result = await self.fetcher.fetch(
                categories,
                etag=old.etag if old and not old.sample else None,
                last_modified=old.last_modified if old and not old.sample else None,
            )
            now = self.clock()
            if result.content is None and old is not None:
                listing = old.model_copy(update={"fetched_at": now})
            else:
                content = result.content or b""
                built = sample_built(result.last_modified) if result.sample else None
                listing = await asyncio.to_thread(parse_listing, content, categories, built or now)
                listing = listing.model_copy(
                    update={
                        "sample": result.sample,
                        "etag": result.etag,
                        "last_modified": result.last_modified,
                    }
                )
        except UpstreamError as exc:
            until = self.clock() + failure_pause(exc)
            if old is None:
                self._failed.put(key, (until, exc))
                raise
            log.warning("serving stale listing %s: %s", key, exc.message)
            stale = old.model_copy(update={"stale": True})
            self._memory.put(key, Cached(listing=stale, expires_at=until))
            return stale
        self._failed.pop(key)
        fresh = Cached(listing=listing, expires_at=expiry_for(listing, now))
        self._memory.put(key, fresh)
        await self._save(key, fresh)
        return listing

    async def _load(self, key: str) -> Cached | None:
        raw = await self.store.get(key)
        if raw is None:
            return None
        try:  # off the event loop: a big listing takes a while to validate
            return await asyncio.to_thread(Cached.model_validate_json, raw)
        except ValidationError:
            log.warning("ignoring unreadable stored listing %s", key)
            return None

    async def _save(self, key: str, cached: Cached) -> None:
        body = await asyncio.to_thread(cached.model_dump_json)
        ttl = (cached.expires_at - self.clock() + KEEP_MARGIN).total_seconds()
        await self.store.set(key, body.encode(), ttl=max(60.0, ttl))
