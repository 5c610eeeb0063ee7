"""The catalog: each category's current listing, held once, assembled into any feed.

``get(categories)`` answers from the held per-category views when they are fresh, else from
the store (another instance or an earlier process fetched them), else queues the cold ones
with the ``Scheduler``: arXiv is asked at most once per category per announcement day, however
many URLs, orders and combinations readers use. Categories of owner-defined feeds (``owner``:
the configured feed's and every profile's, as the registry reads them from the store) come
first; strangers' categories are fetched within the ``StrangersBudget`` (``adhoc_budget`` new
categories a day, past which a category not yet held is a 503 with ``Retry-After``; at most
``max_request`` in one request, a 422). When arXiv fails, the last copy is served marked stale.

While the bundled sample is served (``sample_only``: ARXIV_SOURCE=sample; or arXiv could not be
reached), a category the sample does not hold is a 404 saying so, and a listing from the sample
costs nothing of the budget: a charge for it is given back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime, timedelta

from pydantic import ValidationError

from app.arxiv.samples import SAMPLE_DAY, bundled
from app.arxiv.schedule import next_update
from app.caches import LRU
from app.catalog.assemble import assemble, split
from app.catalog.budget import StrangersBudget
from app.catalog.fetching import Cached, ListingService, failure_pause
from app.catalog.history import History
from app.catalog.scheduler import OWNER, STRANGER, Scheduler
from app.errors import NotInSample, UpstreamError
from app.models import Listing
from app.store.base import Store

log = logging.getLogger(__name__)

KEEP_MARGIN = timedelta(days=2)  # a held view stays in the store this long past its expiry
OwnerCategories = Callable[[], Awaitable[Collection[str]]]


async def no_owner() -> Collection[str]:
    """No category is the owner's (a catalog of strangers' categories only)."""
    return ()


def view_key(category: str) -> str:
    """Store key of a category's current view."""
    return f"cat:{category}"


class Catalog:
    """Per-category listings, fetched in batches, assembled per request."""

    def __init__(
        self,
        listings: ListingService,
        store: Store,
        history: History,
        *,
        owner: OwnerCategories = no_owner,
        adhoc_budget: int = 40,
        max_batch: int = 10,
        max_request: int | None = None,
        sample_only: bool = False,
    ) -> None:
        self.listings = listings
        self.store = store
        self.history = history
        self.owner = owner  # the owner's categories now (cached by the registry)
        self.budget = StrangersBudget(store, adhoc_budget, listings.clock, max_request=max_request)
        self.sample_only = sample_only  # every listing is the bundled sample's
        self.scheduler = Scheduler(self._fetch, max_batch)
        # keys are taxonomy names (checked before they get here): bounded by arXiv's taxonomy
        self._held: dict[str, Cached] = {}
        self._failed: dict[str, tuple[datetime, UpstreamError]] = {}
        self._assembled: LRU[Listing] = LRU(256)

    @property
    def clock(self) -> datetime:
        """Now, by the listing service's clock (tests set it)."""
        return self.listings.clock()

    def peek(self, categories: Sequence[str]) -> Cached | None:
        """The set as held in memory (fresh or not), without any I/O."""
        held = [self._held.get(c) for c in categories]
        if not held or any(h is None for h in held):
            return None
        views = [h for h in held if h is not None]
        listing = self._assemble(tuple(categories), views)
        return Cached(listing=listing, expires_at=min(h.expires_at for h in views))

    async def get(self, categories: Sequence[str]) -> Listing:
        """The current listing of ``categories`` (stale where arXiv failed and a copy exists)."""
        wanted = tuple(categories)
        owner = await self.owner()
        self.budget.check_request([c for c in wanted if c not in owner])
        if self.sample_only and (missing := [c for c in wanted if c not in bundled()]):
            raise not_in_sample(missing, chosen=True)
        now = self.clock
        views: dict[str, Cached] = {}
        for cat in wanted:
            held = self._held.get(cat)
            if held is not None and held.expires_at > now:
                views[cat] = held
        if len(views) < len(wanted):
            await self._load([c for c in wanted if c not in views], views)
        if len(views) < len(wanted):
            await self._obtain([c for c in wanted if c not in views], views)
        chosen = [views[c] for c in wanted]
        if missing := [c for c, v in zip(wanted, chosen, strict=True) if _outside_sample(c, v)]:
            raise not_in_sample(missing, chosen=False)  # arXiv could not be reached
        key = self._assembly_key(wanted, chosen)
        listing = self._assembled.get(key)
        if listing is None:  # a big set takes a while to assemble: off the event loop
            listing = await asyncio.to_thread(assemble, [v.listing for v in chosen], wanted)
            self._assembled.put(key, listing)
        return listing

    def held(self) -> list[str]:
        """The categories held in memory."""
        return sorted(self._held)

    @property
    def adhoc_budget(self) -> int:
        """New categories a day that feeds the owner did not define may fetch."""
        return self.budget.limit

    async def budget_used(self) -> int:
        """Strangers' categories fetched today (the New York day; an archive as its own)."""
        return await self.budget.used()

    @staticmethod
    def _assembly_key(wanted: tuple[str, ...], views: Sequence[Cached]) -> str:
        stamp = ",".join(f"{v.listing.fetched_at.isoformat()}{v.listing.stale:d}" for v in views)
        return f"{'+'.join(wanted)}|{stamp}"

    def _assemble(self, wanted: tuple[str, ...], views: Sequence[Cached]) -> Listing:
        key = self._assembly_key(wanted, views)
        listing = self._assembled.get(key)
        if listing is None:
            listing = assemble([v.listing for v in views], wanted)
            self._assembled.put(key, listing)
        return listing

    async def _load(self, cats: Sequence[str], views: dict[str, Cached]) -> None:
        """Fresh views another instance (or an earlier process) stored."""
        now = self.clock
        found = await self.store.get_many([view_key(c) for c in cats])
        for cat in cats:
            raw = found.get(view_key(cat))
            if raw is None:
                continue
            try:  # thousands of papers take a while to validate: off the event loop
                cached = await asyncio.to_thread(Cached.model_validate_json, raw)
            except ValidationError:
                log.warning("ignoring unreadable stored view %s", cat)
                continue
            if (
                cat not in self._held
                or self._held[cat].listing.fetched_at <= cached.listing.fetched_at
            ):
                self._held[cat] = cached
            if cached.expires_at > now:
                views[cat] = cached

    async def _obtain(self, cats: list[str], views: dict[str, Cached]) -> None:
        """Fetch the cold ``cats`` (or fall back to the copies held), owner's first."""
        now = self.clock
        error: BaseException | None = None
        due: list[str] = []
        for cat in cats:
            failed = self._failed.get(cat)
            if failed is not None and failed[0] > now:
                error = error or failed[1]  # arXiv failed moments ago: don't ask again yet
            else:
                due.append(cat)
        owner = await self.owner()
        owners = [c for c in due if c in owner]
        strangers = [c for c in due if c not in owner]
        day, charged = self.budget.day(), []
        if strangers and not self.sample_only:
            charge = await self.budget.charge(strangers, day)
            strangers, charged, error = charge.allowed, charge.charged, error or charge.refused
        outcomes = await asyncio.gather(
            self.scheduler.want(owners, OWNER), self.scheduler.want(strangers, STRANGER)
        )
        error = error or next((e for e in outcomes if e is not None), None)
        if sample := [c for c in charged if (h := self._held.get(c)) and h.listing.sample]:
            await self.budget.refund(sample, day)  # arXiv was not reached: nothing was spent
        for cat in cats:
            held = self._held.get(cat)
            if held is not None and held.expires_at > self.clock:
                views[cat] = held
            elif held is not None:  # arXiv failed or the budget is spent: the last copy
                views[cat] = Cached(
                    listing=held.listing.model_copy(update={"stale": True}),
                    expires_at=held.expires_at,
                )
            else:
                raise error or UpstreamError(f"arXiv gave no listing for {cat}")

    async def _fetch(self, batch: tuple[str, ...]) -> None:
        """Ask arXiv for ``batch`` in one request; keep each category's view (the worker's job)."""
        fresh: dict[str, Cached] = {}
        await self._load(batch, fresh)  # another instance may have fetched them meanwhile
        rest = tuple(c for c in batch if c not in fresh)
        if not rest:
            return
        try:
            listing = await self.listings.get(rest)
        except UpstreamError as exc:
            until = self.clock + failure_pause(exc)
            for cat in rest:
                self._failed[cat] = (until, exc)
            raise
        held = self.listings.peek(rest)
        expires = held.expires_at if held is not None else next_update(self.clock)
        views = await asyncio.to_thread(split, listing, rest)  # off the event loop
        for cat, view in views.items():
            self._failed.pop(cat, None)
            cached = Cached(listing=view, expires_at=expires)
            self._held[cat] = cached
            ttl = (expires - self.clock + KEEP_MARGIN).total_seconds()
            body = await asyncio.to_thread(cached.model_dump_json)
            await self.store.set(view_key(cat), body.encode(), ttl=max(60.0, ttl))
            await self.history.record(view)


def _outside_sample(category: str, view: Cached) -> bool:
    return view.listing.sample and category not in bundled()


def not_in_sample(categories: Sequence[str], *, chosen: bool) -> NotInSample:
    """The 404 for ``categories`` the bundled sample does not hold (``chosen``: by
    ARXIV_SOURCE=sample, else because arXiv could not be reached)."""
    verb = "is" if len(categories) == 1 else "are"
    why = (
        "ARXIV_SOURCE=sample serves only the bundled sample; with ARXIV_SOURCE=auto and arXiv "
        "reachable, any category is fetched"
        if chosen
        else "arXiv cannot be reached, so the bundled sample is served (ARXIV_SOURCE=auto); "
        "any category is fetched once arXiv answers"
    )
    return NotInSample(
        f"{', '.join(categories)} {verb} not in the bundled sample "
        f"({', '.join(sorted(bundled()))} for {SAMPLE_DAY})",
        hint=why,
    )
