"""app.catalog.fetching: one fetch per update, shared by concurrent requests, kept in the store.

arXiv is an ``httpx.MockTransport`` serving the recorded combined listing of 2026-01-06; the
clock is a settable fake, so "after midnight in New York" is one assignment away.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.arxiv.fetch import ArxivFetcher, RateLimiter
from app.arxiv.schedule import NEW_YORK, next_update
from app.catalog.fetching import (
    FAILURE_PAUSE,
    RECHECK,
    Cached,
    ListingService,
    expiry_for,
    listing_key,
)
from app.errors import UpstreamParseError, UpstreamUnavailable
from app.models import Listing
from app.store import MemoryStore

pytestmark = pytest.mark.anyio

CATS = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
PATH = "/rss/" + "+".join(CATS)
BODY = (Path(__file__).parent / "data" / "arxiv" / f"{'+'.join(CATS)}-2026-01-06.xml").read_bytes()
ETAG = '"listing-2026-01-06"'
DAY = date(2026, 1, 6)
MORNING = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)  # 10:00 in New York, the listing's day
NEXT_DAY = datetime(2026, 1, 7, 5, 0, 1, tzinfo=UTC)  # one second after midnight in New York


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


class Clock:
    """A wall clock the test sets."""

    def __init__(self, now: datetime = MORNING) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Arxiv:
    """The arXiv stand-in: ``mode`` says how it answers the combined listing."""

    def __init__(self, delay: float = 0.0) -> None:
        self.mode = "ok"  # ok | 500 | html | 304
        self.delay = delay
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.url.path != PATH:
            return httpx.Response(404, text="unknown listing")
        if self.mode == "500":
            return httpx.Response(500, text="Internal Server Error")
        if self.mode == "html":
            return httpx.Response(200, content=b"<!DOCTYPE html><html><body>Down</body></html>")
        if self.mode == "304" and request.headers.get("if-none-match") == ETAG:
            return httpx.Response(304, headers={"ETag": ETAG})
        return httpx.Response(200, content=BODY, headers={"ETag": ETAG})


async def no_sleep(seconds: float) -> None:
    return None


def make_service(arxiv: Arxiv, store: MemoryStore, clock: Clock) -> ListingService:
    client = httpx.AsyncClient(transport=httpx.MockTransport(arxiv))
    limiter = RateLimiter(0, sleep=no_sleep)
    fetcher = ArxivFetcher(client, "http://arxiv.test/rss", limiter, retries=1, sleep=no_sleep)
    return ListingService(fetcher, store, clock)


@pytest.fixture
def arxiv() -> Arxiv:
    return Arxiv()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(arxiv: Arxiv, store: MemoryStore, clock: Clock) -> ListingService:
    return make_service(arxiv, store, clock)


# -- when arXiv publishes --


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 6, 12, 0), utc(2026, 1, 7, 5, 0)),  # winter: EST, UTC-5
        (utc(2025, 7, 15, 12, 0), utc(2025, 7, 16, 4, 0)),  # summer: EDT, UTC-4
        (utc(2026, 1, 7, 4, 59, 59), utc(2026, 1, 7, 5, 0)),  # 23:59:59 in New York
        (utc(2026, 1, 7, 5, 0, 0), utc(2026, 1, 8, 5, 0)),  # midnight itself: the next one
        (utc(2026, 1, 7, 5, 0, 1), utc(2026, 1, 8, 5, 0)),  # just after midnight
        (utc(2026, 1, 7, 2, 0), utc(2026, 1, 7, 5, 0)),  # already Jan 7 in UTC, not in NY
        (utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 5, 0)),  # the day before DST starts
        (utc(2026, 3, 8, 6, 0), utc(2026, 3, 9, 4, 0)),  # 01:00 EST on the 23-hour day
        (utc(2026, 3, 8, 12, 0), utc(2026, 3, 9, 4, 0)),  # after the switch to EDT
        (utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 4, 0)),  # the day before DST ends
        (utc(2026, 11, 1, 12, 0), utc(2026, 11, 2, 5, 0)),  # after the switch back to EST
    ],
)
def test_next_update_is_the_next_midnight_in_new_york(now: datetime, expected: datetime) -> None:
    got = next_update(now)
    assert got == expected
    assert got.utcoffset() == timedelta(0)
    assert got > now
    assert got.astimezone(NEW_YORK).time().isoformat() == "00:00:00"
    assert next_update(now.astimezone(NEW_YORK)) == expected  # the input's zone is irrelevant


def test_the_dst_days_are_23_and_25_hours_long() -> None:
    spring = next_update(utc(2026, 3, 8, 5, 0))  # from midnight EST on the 8th
    assert spring - utc(2026, 3, 8, 5, 0) == timedelta(hours=23)
    autumn = next_update(utc(2026, 11, 1, 4, 0))  # from midnight EDT on the 1st
    assert autumn - utc(2026, 11, 1, 4, 0) == timedelta(hours=25)


def _listing(day: date | None, *, sample: bool = False) -> Listing:
    return Listing(categories=CATS, day=day, papers=[], fetched_at=MORNING, sample=sample)


def test_expiry_for_todays_listing_is_the_next_update() -> None:
    assert expiry_for(_listing(DAY), MORNING) == next_update(MORNING)
    assert expiry_for(_listing(None), MORNING) == next_update(MORNING)


def test_expiry_uses_the_new_york_day_not_the_utc_day() -> None:
    late_evening = utc(2026, 1, 7, 3, 0)  # 22:00 on Jan 6 in New York, Jan 7 in UTC
    assert expiry_for(_listing(DAY), late_evening) == utc(2026, 1, 7, 5, 0)


def test_expiry_for_an_old_listing_or_a_sample_is_a_recheck() -> None:
    assert expiry_for(_listing(DAY - timedelta(days=1)), MORNING) == MORNING + RECHECK
    assert expiry_for(_listing(DAY, sample=True), MORNING) == MORNING + RECHECK
    just_before = utc(2026, 1, 7, 4, 55)  # never later than the next update
    assert expiry_for(_listing(DAY - timedelta(days=1)), just_before) == utc(2026, 1, 7, 5, 0)


# -- ListingService --


async def test_second_get_the_same_day_makes_no_upstream_call(
    service: ListingService, arxiv: Arxiv, clock: Clock
) -> None:
    first = await service.get(CATS)
    assert first.day == DAY
    assert len(first.papers) > 10
    assert first.etag == ETAG
    assert not first.stale
    assert not first.sample
    clock.now = utc(2026, 1, 7, 4, 59)  # 23:59 in New York: still the same listing
    second = await service.get(CATS)
    assert second.papers == first.papers
    assert len(arxiv.requests) == 1
    assert service.fetches == 1


async def test_after_midnight_in_new_york_it_fetches_again(
    service: ListingService, arxiv: Arxiv, clock: Clock
) -> None:
    await service.get(CATS)
    clock.now = NEXT_DAY
    again = await service.get(CATS)
    assert len(arxiv.requests) == 2
    assert service.fetches == 2
    assert arxiv.requests[1].headers["if-none-match"] == ETAG
    assert again.fetched_at == NEXT_DAY
    # arXiv still serves Jan 6 on Jan 7: ask again after RECHECK, not tomorrow
    clock.now = NEXT_DAY + RECHECK - timedelta(seconds=1)
    await service.get(CATS)
    assert len(arxiv.requests) == 2
    clock.now = NEXT_DAY + RECHECK
    await service.get(CATS)
    assert len(arxiv.requests) == 3


async def test_the_order_of_categories_does_not_matter(
    service: ListingService, arxiv: Arxiv
) -> None:
    first = await service.get(CATS)
    shuffled = ["cs.LG", "cs.AI", "cs.DC", "cs.CL"]
    assert listing_key(shuffled) == listing_key(CATS)
    second = await service.get(shuffled)
    assert second.papers == first.papers
    assert len(arxiv.requests) == 1


async def test_concurrent_gets_of_a_cold_listing_share_one_fetch(
    store: MemoryStore, clock: Clock
) -> None:
    arxiv = Arxiv(delay=0.05)
    service = make_service(arxiv, store, clock)
    results = await asyncio.gather(*(service.get(CATS) for _ in range(20)))
    assert len(arxiv.requests) == 1
    assert service.fetches == 1
    assert all(r.papers == results[0].papers for r in results)
    assert results[0].papers


@pytest.mark.parametrize("failure", ["500", "html"])
async def test_when_arxiv_fails_the_old_listing_is_served_stale(
    service: ListingService, arxiv: Arxiv, clock: Clock, store: MemoryStore, failure: str
) -> None:
    first = await service.get(CATS)
    clock.now = NEXT_DAY
    arxiv.mode = failure
    stale = await service.get(CATS)
    assert stale.stale is True
    assert stale.papers == first.papers
    assert stale.day == DAY
    assert service.fetches == 2
    assert len(arxiv.requests) == (1 + 2 if failure == "500" else 2)  # 500 is retried once
    raw = await store.get(listing_key(CATS))
    assert raw is not None
    assert Cached.model_validate_json(raw).listing.stale is False  # staleness is not stored
    arxiv.mode = "ok"  # arXiv is back, but for a minute we keep serving what we have
    requests = len(arxiv.requests)
    assert (await service.get(CATS)).stale is True
    assert len(arxiv.requests) == requests
    clock.now = NEXT_DAY + FAILURE_PAUSE  # then the next request fetches a fresh copy
    fresh = await service.get(CATS)
    assert fresh.stale is False
    assert fresh.fetched_at == NEXT_DAY + FAILURE_PAUSE


@pytest.mark.parametrize(
    ("failure", "error"), [("500", UpstreamUnavailable), ("html", UpstreamParseError)]
)
async def test_without_an_old_listing_the_error_propagates(
    service: ListingService, arxiv: Arxiv, store: MemoryStore, failure: str, error: type
) -> None:
    arxiv.mode = failure
    with pytest.raises(error):
        await service.get(CATS)
    assert service.fetches == 1
    assert await store.get(listing_key(CATS)) is None


async def test_not_modified_keeps_the_old_papers(
    service: ListingService, arxiv: Arxiv, clock: Clock, store: MemoryStore
) -> None:
    first = await service.get(CATS)
    clock.now = NEXT_DAY
    arxiv.mode = "304"
    again = await service.get(CATS)
    assert len(arxiv.requests) == 2
    assert arxiv.requests[1].headers["if-none-match"] == ETAG
    assert again.papers == first.papers
    assert again.stale is False
    assert again.etag == ETAG
    assert again.fetched_at == NEXT_DAY
    raw = await store.get(listing_key(CATS))
    assert raw is not None
    kept = Cached.model_validate_json(raw)
    assert kept.listing.fetched_at == NEXT_DAY
    assert kept.expires_at == NEXT_DAY + RECHECK  # still Jan 6's listing on Jan 7


async def test_a_new_service_loads_the_stored_listing_without_fetching(
    service: ListingService, arxiv: Arxiv, store: MemoryStore, clock: Clock
) -> None:
    first = await service.get(CATS)
    restarted = make_service(arxiv, store, clock)
    again = await restarted.get(CATS)
    assert again.papers == first.papers
    assert again.etag == ETAG
    assert restarted.fetches == 0
    assert len(arxiv.requests) == 1
    clock.now = NEXT_DAY  # the stored validators are used after the restart too
    arxiv.mode = "304"
    assert (await restarted.get(CATS)).papers == first.papers
    assert arxiv.requests[-1].headers["if-none-match"] == ETAG


@pytest.mark.parametrize("garbage", [b"{not json", b"\xff\xfe\x00", b'{"listing": 1}', b"{}"])
async def test_a_corrupt_stored_value_is_ignored_and_refetched(
    service: ListingService,
    arxiv: Arxiv,
    store: MemoryStore,
    caplog: pytest.LogCaptureFixture,
    garbage: bytes,
) -> None:
    await store.set(listing_key(CATS), garbage)
    with caplog.at_level(logging.WARNING, logger="app.catalog.fetching"):
        listing = await service.get(CATS)
    assert listing.papers
    assert len(arxiv.requests) == 1
    assert "unreadable stored listing" in caplog.text
    raw = await store.get(listing_key(CATS))
    assert raw is not None
    assert Cached.model_validate_json(raw).listing.papers == listing.papers
