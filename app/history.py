"""Listings across days: every announcement day is kept, so feeds survive weekends and restarts.

arXiv's listing holds one day. A feed shows the last ``days_back`` announcement days that had
papers, so the empty weekend or holiday listing never empties it, and an item stays until newer
days push it out. Days are kept in the store (``day:<categories>:<date>`` plus an index).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from pydantic import ValidationError

from app.models import Listing, Paper
from app.store.base import Store

log = logging.getLogger(__name__)

KEEP_DAYS = 90  # index entries kept per category set


class History:
    """Stores each day's listing and reads back the recent ones."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._days: dict[str, Listing] = {}  # immutable once stored: safe to keep in memory

    async def record(self, listing: Listing) -> None:
        """Keep ``listing`` as its announcement day (empty days and samples are not kept)."""
        if listing.day is None or not listing.papers or listing.sample:
            return
        key = Listing.key_for(listing.categories)
        day_key = f"day:{key}:{listing.day.isoformat()}"
        if self._days.get(day_key) == listing:
            return  # already kept
        await self.store.set(day_key, listing.model_dump_json().encode())
        self._days[day_key] = listing
        days = set(await self._index(key)) | {listing.day.isoformat()}
        newest = sorted(days, reverse=True)[:KEEP_DAYS]
        await self.store.set(f"days:{key}", json.dumps(newest).encode())

    async def recent(self, current: Listing, days_back: int) -> list[Listing]:
        """``current`` (if it has papers) and earlier kept days: ``days_back`` days in all."""
        chosen: list[Listing] = [current] if current.papers else []
        if len(chosen) >= days_back:
            return chosen
        key = Listing.key_for(current.categories)
        before = current.day.isoformat() if current.day else "9999-12-31"
        earlier = [d for d in await self._index(key) if d < before]
        wanted = [f"day:{key}:{d}" for d in earlier[: days_back - len(chosen)]]
        missing = [k for k in wanted if k not in self._days]
        for k, raw in (await self.store.get_many(missing)).items():
            try:
                self._days[k] = Listing.model_validate_json(raw)
            except ValidationError:
                log.warning("ignoring unreadable stored day %s", k)
        chosen += [self._days[k] for k in wanted if k in self._days]
        return chosen

    async def _index(self, key: str) -> list[str]:
        raw = await self.store.get(f"days:{key}")
        if raw is None:
            return []
        try:
            days = json.loads(raw)
        except ValueError:
            return []
        return sorted((d for d in days if isinstance(d, str)), reverse=True)


def merge_papers(listings: Sequence[Listing]) -> list[Paper]:
    """Papers of several days, newest day first, each version once.

    A paper announced as new and later replaced keeps both entries: ranking filters by type
    and then shows each paper once, so it does not vanish from a ``new``-only feed.
    """
    seen: set[str] = set()
    papers: list[Paper] = []
    for listing in listings:
        for paper in listing.papers:
            if paper.versioned_id not in seen:
                seen.add(paper.versioned_id)
                papers.append(paper)
    return papers
