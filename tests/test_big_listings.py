"""Big listings leave the event loop free: ranking, assembling and reading them back run in a
thread, so other requests go on meanwhile (``bench/catalog.py`` measures the stalls).

Each test counts the turns a ``sleep(0)`` ticker gets while one step works on a 5,000-paper
listing: done on the event loop, the step would never yield and the ticker would get none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from app.catalog.fetching import Cached
from app.catalog.history import History, day_key
from app.models import AnnounceType, Listing, Paper
from app.pipeline import build_feed
from app.plan import plan_feed
from app.queries import default_query
from app.store import MemoryStore
from app.wiring import build_services
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio
DAY = date(2026, 1, 6)
NOW = datetime(2026, 1, 6, 12, tzinfo=UTC)
WORDS = [
    "inference",
    "throughput",
    "speculative",
    "decoding",
    "for",
    "LLM",
    "serving",
    "with",
    "RL",
    "agents",
]


def big_listing(category: str, n: int = 5000, first: int = 0) -> Listing:
    papers = [
        Paper(
            arxiv_id=f"2601.{10000 + first + i:05d}",
            version=1,
            title=f"Paper {i} on {WORDS[i % len(WORDS)]}",
            authors=["A. Author", "B. Author"],
            abstract=" ".join(WORDS[j % len(WORDS)] for j in range(i % 7, i % 7 + 40)),
            categories=[category, "stat.ML"] if i % 3 else [category],
            primary_category=category,
            announce_type=AnnounceType.NEW,
            announced=DAY,
            published=NOW,
        )
        for i in range(n)
    ]
    return Listing(categories=[category], day=DAY, papers=papers, fetched_at=NOW)


async def turns_while[T](step: Awaitable[T]) -> tuple[T, int]:
    """``step``'s result and the turns a ticker coroutine got while it ran."""
    turns = 0
    done = False

    async def tick() -> None:
        nonlocal turns
        while not done:
            await asyncio.sleep(0)
            turns += 1

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    before = turns
    try:
        result = await step
        during = turns - before  # read before the ticker's next turn
    finally:
        done = True
        await ticker
    return result, during


async def test_ranking_a_big_listing_leaves_the_event_loop_free(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, {"categories": ["cs.LG"]})
    services = build_services(
        settings, transport=httpx.MockTransport(lambda r: httpx.Response(500)), store=MemoryStore()
    )
    listing = big_listing("cs.LG")
    feed, turns = await turns_while(
        build_feed(services, plan_feed(services, default_query(settings), None), listing)
    )
    await services.aclose()
    assert feed.total_listed == 5000
    assert len(feed.items) == settings.max_papers
    assert turns > 0


async def test_assembling_a_big_set_leaves_the_event_loop_free(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    services = build_services(
        settings, transport=httpx.MockTransport(lambda r: httpx.Response(500)), store=MemoryStore()
    )
    catalog = services.catalog
    until = datetime(2999, 1, 1, tzinfo=UTC)
    catalog._held["cs.LG"] = Cached(listing=big_listing("cs.LG"), expires_at=until)
    catalog._held["cs.CV"] = Cached(listing=big_listing("cs.CV", first=5000), expires_at=until)
    listing, turns = await turns_while(catalog.get(["cs.LG", "cs.CV"]))
    await services.aclose()
    assert len(listing.papers) == 10_000
    assert turns > 0


async def test_reading_back_a_big_day_leaves_the_event_loop_free() -> None:
    store = MemoryStore()
    view = big_listing("cs.LG")
    await History(store).record(view)
    assert await store.get(day_key("cs.LG", DAY.isoformat())) is not None
    views, turns = await turns_while(History(store).views(["cs.LG"], DAY.isoformat()))
    assert views == [view]
    assert turns > 0
