"""Several instances sharing one store: one arXiv request at a time, one fetch per listing."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest

from app.arxiv.fetch import ArxivFetcher, RateLimiter
from app.catalog.fetching import ListingService
from app.errors import UpstreamUnavailable
from app.store import MemoryStore, Store
from tests.conftest import ALL4, listing

pytestmark = pytest.mark.anyio
CATS = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
BODY = listing(f"{ALL4}-2026-01-06")


class SlowArxiv:
    """An async MockTransport handler that records when each request runs."""

    def __init__(self, delay: float = 0.1, status: int = 200) -> None:
        self.delay = delay
        self.status = status
        self.spans: list[tuple[float, float]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        start = time.monotonic()
        await asyncio.sleep(self.delay)
        self.spans.append((start, time.monotonic()))
        return httpx.Response(self.status, content=BODY if self.status == 200 else b"")


def instance(store: Store, arxiv: SlowArxiv, interval: float = 0.0) -> ListingService:
    client = httpx.AsyncClient(transport=httpx.MockTransport(arxiv))
    limiter = RateLimiter(interval, shared=store, hold=5)
    fetcher = ArxivFetcher(client, "http://127.0.0.1:9/rss", limiter, retries=0)
    return ListingService(fetcher, store)


async def test_cold_listing_is_fetched_once_across_instances() -> None:
    store, arxiv = MemoryStore(), SlowArxiv(delay=0.3)
    services = [instance(store, arxiv) for _ in range(4)]
    got = await asyncio.gather(*(s.get(CATS) for s in services for _ in range(5)))
    assert len(arxiv.spans) == 1
    assert sum(s.fetches for s in services) == 1
    assert {len(g.papers) for g in got} == {50}


async def test_requests_from_instances_never_overlap_and_keep_their_distance() -> None:
    store, arxiv = MemoryStore(), SlowArxiv(delay=0.05)
    a, b = instance(store, arxiv, interval=0.3), instance(store, arxiv, interval=0.3)
    await asyncio.gather(a.get(["cs.AI"]), b.get(["cs.LG"]), a.get(["cs.CL"]), b.get(["cs.DC"]))
    spans = sorted(arxiv.spans)
    assert len(spans) == 4
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start - end >= 0.28  # one connection at a time, 0.3 s apart


async def test_a_failure_is_not_retried_on_every_request() -> None:
    store, arxiv = MemoryStore(), SlowArxiv(delay=0.0, status=503)
    service = instance(store, arxiv)
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await service.get(CATS)
    assert len(arxiv.spans) == 1
