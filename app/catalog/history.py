"""Each category's announcement days, kept so feeds survive weekends and restarts.

arXiv's listing holds one day. A feed shows the last ``days_back`` announcement days that had
papers, so the empty weekend or holiday listing never empties it. Each category's own view of
a day is kept (``day:<category>:<date>``, with an index ``days:<category>``), for
``KEEP_DAYS`` days; a set of categories reads back the days of its members.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

from pydantic import ValidationError

from app.caches import LRU
from app.catalog.assemble import assemble, split
from app.models import Listing, Paper
from app.store.base import Store

log = logging.getLogger(__name__)

KEEP_DAYS = 90  # days kept per category, in the index and in the store
KEEP_SECONDS = KEEP_DAYS * 86400.0
MEMORY_DAYS = 1024  # (category, day) views held in memory


def day_key(category: str, day: str) -> str:
    """Store key of one category's view of one announcement day."""
    return f"day:{category}:{day}"


class History:
    """Stores each category's day and reads back the recent days of a set."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._days: LRU[Listing] = LRU(MEMORY_DAYS)  # immutable once stored

    async def record(self, view: Listing) -> None:
        """Keep one category's view as its announcement day (not empty days, not samples)."""
        if view.day is None or not view.papers or view.sample or len(view.categories) != 1:
            return
        category, day = view.categories[0], view.day.isoformat()
        key = day_key(category, day)
        if self._days.get(key) == view:
            return  # already kept
        body = await asyncio.to_thread(view.model_dump_json)  # big views: off the event loop
        await self.store.set(key, body.encode(), ttl=KEEP_SECONDS)
        self._days.put(key, view)
        days = set(await self._index(category)) | {day}
        newest = sorted(days, reverse=True)[:KEEP_DAYS]
        await self.store.set(f"days:{category}", json.dumps(newest).encode(), ttl=KEEP_SECONDS)

    async def keep(self, listing: Listing) -> None:
        """Keep each category's view of ``listing``."""
        for view in split(listing, listing.categories).values():
            await self.record(view)

    async def recent(self, current: Listing, days_back: int) -> list[Listing]:
        """``current`` (if it has papers) and earlier kept days: ``days_back`` days in all."""
        chosen = [current] if current.papers else []
        if len(chosen) >= days_back:
            return chosen
        cats = current.categories
        before = current.day.isoformat() if current.day else "9999-12-31"
        for day in await self.earlier(cats, before, days_back - len(chosen)):
            views = await self.views(cats, day)
            if views:
                chosen.append(await asyncio.to_thread(assemble, views, cats))
        return chosen

    async def earlier(self, categories: Sequence[str], before: str, count: int) -> list[str]:
        """The ``count`` newest kept days of any of ``categories`` before ``before``."""
        days: set[str] = set()
        for category in categories:
            days.update(d for d in await self._index(category) if d < before)
        return sorted(days, reverse=True)[:count]

    async def views(self, categories: Sequence[str], day: str) -> list[Listing]:
        """The kept views of ``day`` for those of ``categories`` that have one."""
        wanted = [day_key(c, day) for c in categories]
        missing = [k for k in wanted if self._days.get(k) is None]
        for key, raw in (await self.store.get_many(missing)).items():
            try:
                self._days.put(key, await asyncio.to_thread(Listing.model_validate_json, raw))
            except ValidationError:
                log.warning("ignoring unreadable stored day %s", key)
        return [v for k in wanted if (v := self._days.get(k)) is not None]

    async def _index(self, category: str) -> list[str]:
        raw = await self.store.get(f"days:{category}")
        if raw is None:
            return []
        try:
            days = json.loads(raw)
        except ValueError:
            return []
        if not isinstance(days, list):
            return []
        return sorted((d for d in days if isinstance(d, str)), reverse=True)


def merge_papers(listings: Sequence[Listing]) -> list[Paper]:
    """Papers of several days, newest day first, each version once."""
    seen: set[str] = set()
    papers: list[Paper] = []
    for listing in listings:
        for paper in listing.papers:
            if paper.versioned_id not in seen:
                seen.add(paper.versioned_id)
                papers.append(paper)
    return papers
