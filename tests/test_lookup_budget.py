"""Papers by id for strangers: a daily budget of ids, an expiry on what is kept, and the owner's
lookups first. arXiv's API: ``tests/test_lookup``'s ``FakeApi`` on an ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.arxiv.fetch import ArxivFetcher, RateLimiter
from app.arxiv.lookup import PaperLookup
from app.store import MemoryStore, SQLiteStore
from tests.test_lookup import USER_AGENT, FakeApi

pytestmark = pytest.mark.anyio
DAY = 86400.0


class GatedApi(FakeApi):
    """A ``FakeApi`` that holds every request until ``gate`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        await self.gate.wait()
        return self(request)


class Wall:
    """Wall-clock seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_767_700_000.0  # 2026-01-06, New York morning

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def gated() -> AsyncIterator[tuple[GatedApi, ArxivFetcher]]:
    fake = GatedApi()
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(fake.handle), headers={"User-Agent": USER_AGENT}
    ) as client:
        yield fake, ArxivFetcher(client, "http://127.0.0.1:9/rss", RateLimiter(0), backoff=0)


def ids(n: int, first: int = 1) -> list[str]:
    return [f"0801.{i:04d}" for i in range(first, first + n)]


async def test_strangers_ids_draw_on_a_daily_budget_and_the_owners_do_not(
    gated: tuple[GatedApi, ArxivFetcher],
) -> None:
    fake, fetcher = gated
    fake.gate.set()
    clock = Wall()
    lookup = PaperLookup(fetcher, MemoryStore(clock=clock), budget=5, clock=clock)
    first = await lookup.lookup(ids(3))
    second = await lookup.lookup(ids(5, first=4))
    assert list(first.papers) == ids(3)
    assert list(second.papers) == ids(2, first=4)
    assert second.refused == ids(3, first=6)  # named, never asked for
    assert [FakeApi.ids(r) for r in fake.requests] == [ids(3), ids(2, first=4)]
    assert await lookup.budget_used() == 5
    again = await lookup.lookup(ids(5))  # stored: no request, nothing counted
    assert again.requests == 0
    assert again.refused == []
    owner = await lookup.lookup(ids(3, first=6), owner=True)
    assert list(owner.papers) == ids(3, first=6)
    assert await lookup.budget_used() == 5
    clock.now += DAY  # a new day, a new budget
    assert await lookup.budget_used() == 0
    assert list((await lookup.lookup(ids(2, first=20))).papers) == ids(2, first=20)


async def test_concurrent_strangers_never_exceed_the_budget(
    gated: tuple[GatedApi, ArxivFetcher],
) -> None:
    fake, fetcher = gated
    fake.gate.set()
    lookup = PaperLookup(fetcher, MemoryStore(), budget=10)
    results = await asyncio.gather(*(lookup.lookup(ids(4, first=10 * n)) for n in range(1, 6)))
    asked = [i for r in fake.requests for i in FakeApi.ids(r)]
    assert len(asked) == 10
    assert sum(len(r.papers) for r in results) == 10
    assert sum(len(r.refused) for r in results) == 10
    assert await lookup.budget_used() == 10


async def test_what_strangers_looked_up_expires_unless_used(
    gated: tuple[GatedApi, ArxivFetcher], tmp_path: Path
) -> None:
    fake, fetcher = gated
    fake.gate.set()
    clock = Wall()
    store = SQLiteStore(tmp_path / "kv.sqlite3", clock=clock)
    lookup = PaperLookup(fetcher, store, clock=clock)
    try:
        await lookup.lookup(["0801.0001", "0801.0002"])  # a stranger's
        await lookup.lookup(["0801.0003"], owner=True)
        with sqlite3.connect(tmp_path / "kv.sqlite3") as conn:
            kept = dict(conn.execute("SELECT key, expires_at FROM kv WHERE key LIKE 'paper-%'"))
        assert len(kept) == 6  # a text and a latest version for each id
        assert all(expiry is not None for expiry in kept.values())
        assert kept["paper-text:0801.0001v1"] == pytest.approx(clock.now + 7 * DAY)
        assert kept["paper-text:0801.0003v1"] == pytest.approx(clock.now + 90 * DAY)
        clock.now += 5 * DAY
        assert (await lookup.lookup(["0801.0001"])).requests == 0  # used: kept 7 days more
        clock.now += 5 * DAY
        assert (await lookup.lookup(["0801.0001"])).requests == 0
        assert (await lookup.lookup(["0801.0003"])).requests == 0  # the owner's
        again = await lookup.lookup(["0801.0002"])  # unused for 10 days: gone
        assert again.requests == 1
    finally:
        await store.close()


async def test_an_owners_lookup_goes_before_the_strangers_waiting(
    gated: tuple[GatedApi, ArxivFetcher],
) -> None:
    fake, fetcher = gated
    lookup = PaperLookup(fetcher, MemoryStore())
    first = asyncio.create_task(lookup.lookup(["0801.0001"]))
    await fake.entered.wait()  # a stranger's request is under way
    strangers = [asyncio.create_task(lookup.lookup([i])) for i in ids(3, first=2)]
    await asyncio.sleep(0.05)
    owner = asyncio.create_task(lookup.lookup(["0801.0009"], owner=True))
    await asyncio.sleep(0.05)
    fake.gate.set()
    await asyncio.gather(first, owner, *strangers)
    order = [FakeApi.ids(r)[0] for r in fake.requests]
    assert order == ["0801.0001", "0801.0009", *ids(3, first=2)]


async def test_stored_papers_are_answered_while_another_lookup_waits_for_arxiv(
    gated: tuple[GatedApi, ArxivFetcher],
) -> None:
    fake, fetcher = gated
    lookup = PaperLookup(fetcher, MemoryStore())
    fake.gate.set()
    await lookup.lookup(["0801.0005"])
    fake.gate.clear()
    waiting = asyncio.create_task(lookup.lookup(["0801.0001"]))
    await asyncio.sleep(0.05)
    stored = await asyncio.wait_for(lookup.lookup(["0801.0005"]), 2)
    assert list(stored.papers) == ["0801.0005"]
    assert not waiting.done()
    fake.gate.set()
    assert list((await waiting).papers) == ["0801.0001"]


async def test_an_id_asked_for_at_once_by_two_lookups_is_asked_and_counted_once(
    gated: tuple[GatedApi, ArxivFetcher],
) -> None:
    fake, fetcher = gated
    lookup = PaperLookup(fetcher, MemoryStore())
    one = asyncio.create_task(lookup.lookup(["0801.0001"]))
    await fake.entered.wait()
    other = asyncio.create_task(lookup.lookup(["0801.0001", "0801.0002"]))
    await asyncio.sleep(0.05)
    fake.gate.set()
    first, second = await asyncio.gather(one, other)
    assert [FakeApi.ids(r) for r in fake.requests] == [["0801.0001"], ["0801.0002"]]
    assert first.papers["0801.0001"] == second.papers["0801.0001"]
    assert await lookup.budget_used() == 2
