"""app.arxiv.fetch: one polite request per listing, retries, backoff, conditional GET.

arXiv is an ``httpx.MockTransport`` whose handler branches on ``request.url.path``; waits go
to a fake ``sleep`` that records them, and the rate limiter gets a fake clock.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from app.arxiv.fetch import (
    MAX_RETRY_WAIT,
    ArxivFetcher,
    FetchResult,
    RateLimiter,
    parse_retry_after,
)
from app.config import load_settings
from app.errors import InvalidQuery, UpstreamError, UpstreamUnavailable
from app.wiring import build_services

pytestmark = pytest.mark.anyio

BASE = "http://arxiv.test/rss"
PATH = "/rss/cs.AI+cs.LG"
CATS = ["cs.AI", "cs.LG"]
LISTING = Path(__file__).parent / "data" / "arxiv" / "cs.AI-2026-01-06.xml"
RSS = LISTING.read_bytes()
UA = "arxiv-feeds-tests/1 (test suite)"

Answer = int | tuple[int, dict[str, str]] | Exception


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Sleeps:
    """A fake ``sleep`` that only records how long it was asked to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class FakeClock:
    """A monotonic clock that moves only when slept on (or told to)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would


def scripted(*answers: Answer) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """A handler giving ``answers`` in turn (the last one repeats) and the paths it saw."""
    seen: list[str] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path != PATH:
            return httpx.Response(404, text="no such listing")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx.Response(status, content=RSS if status == 200 else b"", headers=headers)

    return handler, seen


def make_fetcher(
    handler: Callable[..., object],
    *,
    retries: int = 2,
    backoff: float = 1.0,
    limiter: RateLimiter | None = None,
) -> tuple[ArxivFetcher, Sleeps]:
    sleeps = Sleeps()
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        headers={"User-Agent": UA},
    )
    limiter = limiter or RateLimiter(0, sleep=sleeps)
    fetcher = ArxivFetcher(client, BASE, limiter, retries=retries, backoff=backoff, sleep=sleeps)
    return fetcher, sleeps


async def test_all_categories_go_in_one_request_with_the_clients_headers() -> None:
    headers: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers)
        if request.url.path != PATH:
            return httpx.Response(404)
        return httpx.Response(200, content=RSS, headers={"ETag": '"v1"', "Last-Modified": "x"})

    fetcher, _ = make_fetcher(handler)
    result = await fetcher.fetch(CATS)
    assert result == FetchResult(content=RSS, etag='"v1"', last_modified="x")
    assert len(headers) == 1
    assert headers[0]["user-agent"] == UA
    assert "rss+xml" in headers[0]["accept"]
    assert fetcher.url_for(CATS) == f"{BASE}/cs.AI+cs.LG"


async def test_build_services_sends_a_descriptive_user_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARXIV_FEEDS_CONFIG", raising=False)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"categories": CATS}), encoding="utf-8")
    loopback = {"arxiv_rss_url": "http://127.0.0.1:9/rss", "min_request_interval": 0}
    settings = load_settings(
        config_file=config,
        arxiv_source="live",
        contact="feeds@example.org",
        store_url="memory://",
        **loopback,
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path != PATH:
            return httpx.Response(404)
        return httpx.Response(200, content=RSS)

    services = build_services(settings, transport=httpx.MockTransport(handler))
    try:
        listing = await services.listings.get(settings.categories)
    finally:
        await services.aclose()
    assert [str(r.url) for r in seen] == ["http://127.0.0.1:9/rss/cs.AI+cs.LG"]
    ua = seen[0].headers["user-agent"]
    assert ua == settings.user_agent
    assert ua.startswith("arxiv-feeds/")
    assert "feeds@example.org" in ua
    assert listing.papers


@pytest.mark.parametrize(
    "categories",
    [
        ["cs.XX"],
        ["cs.AI", "nonsense.ZZ"],
        ["cs.AI/../admin"],
        ["cs.AI?x=1"],
        ["cs.AI#top"],
        ["cs.AI cs.LG"],
        ["../etc/passwd"],
        [""],
        ["http://evil.example/"],
    ],
)
async def test_bad_categories_are_refused_before_any_request(categories: list[str]) -> None:
    handler, seen = scripted(200)
    fetcher, _ = make_fetcher(handler)
    with pytest.raises(InvalidQuery):
        fetcher.url_for(categories)
    with pytest.raises(InvalidQuery):
        await fetcher.fetch(categories)
    assert seen == []


async def test_503_then_200_succeeds_after_one_backoff() -> None:
    handler, seen = scripted(503, 200)
    fetcher, sleeps = make_fetcher(handler, retries=2, backoff=1.5)
    assert (await fetcher.fetch(CATS)).content == RSS
    assert seen == [PATH, PATH]
    assert sleeps.waits == [1.5]


async def test_429_waits_at_least_retry_after() -> None:
    handler, seen = scripted((429, {"Retry-After": "7"}), 200)
    fetcher, sleeps = make_fetcher(handler, backoff=1.0)
    assert (await fetcher.fetch(CATS)).content == RSS
    assert len(seen) == 2
    assert len(sleeps.waits) == 1
    assert sleeps.waits[0] >= 7


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_repeated_5xx_gives_up_after_retries_plus_one(status: int) -> None:
    handler, seen = scripted(status)
    fetcher, sleeps = make_fetcher(handler, retries=3, backoff=0.5)
    with pytest.raises(UpstreamUnavailable) as info:
        await fetcher.fetch(CATS)
    assert len(seen) == 4
    assert sleeps.waits == [0.5, 1.0, 2.0]  # exponential, and no wait after the last attempt
    assert f"HTTP {status}" in info.value.message
    assert "4 attempts" in info.value.message
    assert info.value.status == 503


async def test_long_retry_after_fails_fast_with_retry_after() -> None:
    long_wait = int(MAX_RETRY_WAIT) + 90
    handler, seen = scripted((503, {"Retry-After": str(long_wait)}), 200)
    fetcher, sleeps = make_fetcher(handler)
    with pytest.raises(UpstreamUnavailable) as info:
        await fetcher.fetch(CATS)
    assert len(seen) == 1
    assert sleeps.waits == []
    assert info.value.retry_after == long_wait
    assert info.value.headers()["Retry-After"] == str(long_wait)


async def test_connect_errors_are_retried_then_unavailable() -> None:
    handler, seen = scripted(httpx.ConnectError("connection refused"))
    fetcher, sleeps = make_fetcher(handler, retries=2, backoff=1.0)
    with pytest.raises(UpstreamUnavailable) as info:
        await fetcher.fetch(CATS)
    assert len(seen) == 3
    assert sleeps.waits == [1.0, 2.0]
    assert "ConnectError" in info.value.message
    assert info.value.headers()["Retry-After"] == "60"  # unknown: a minute


async def test_a_connect_error_then_success() -> None:
    handler, seen = scripted(httpx.ConnectError("reset"), httpx.ReadTimeout("slow"), 200)
    fetcher, sleeps = make_fetcher(handler, retries=2, backoff=2.0)
    assert (await fetcher.fetch(CATS)).content == RSS
    assert len(seen) == 3
    assert sleeps.waits == [2.0, 4.0]


@pytest.mark.parametrize("status", [400, 403, 404, 410])
async def test_client_errors_are_not_retried(status: int) -> None:
    handler, seen = scripted(status, 200)
    fetcher, sleeps = make_fetcher(handler, retries=3)
    with pytest.raises(UpstreamError) as info:
        await fetcher.fetch(CATS)
    assert type(info.value) is UpstreamError  # not UpstreamUnavailable
    assert str(status) in info.value.message
    assert len(seen) == 1
    assert sleeps.waits == []


async def test_conditional_get_and_304() -> None:
    etag, modified = '"abc123"', "Tue, 06 Jan 2026 05:00:02 GMT"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path != PATH:
            return httpx.Response(404)
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag, "Last-Modified": modified})
        return httpx.Response(200, content=RSS, headers={"ETag": etag, "Last-Modified": modified})

    fetcher, sleeps = make_fetcher(handler)
    first = await fetcher.fetch(CATS)
    assert first.content == RSS
    again = await fetcher.fetch(CATS, etag=first.etag, last_modified=first.last_modified)
    assert again == FetchResult(content=None, etag=etag, last_modified=modified)
    assert "if-none-match" not in seen[0].headers
    assert "if-modified-since" not in seen[0].headers
    assert seen[1].headers["if-none-match"] == etag
    assert seen[1].headers["if-modified-since"] == modified
    assert sleeps.waits == []


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 120 ") == 120.0
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    moment = datetime(2026, 1, 6, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(moment, usegmt=True)
    assert header == "Tue, 06 Jan 2026 12:00:00 GMT"
    assert parse_retry_after(header, now=moment.timestamp() - 90) == pytest.approx(90.0)
    assert parse_retry_after(header, now=moment.timestamp() + 90) == 0.0  # in the past
    assert parse_retry_after("Tue, 99 Foo 2026 12:00:00 GMT", now=0) is None


async def test_rate_limiter_spaces_consecutive_requests() -> None:
    clock = FakeClock()
    starts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        starts.append(clock.now)
        clock.now += 0.25  # the response takes a moment
        return httpx.Response(200, content=RSS)

    limiter = RateLimiter(3.0, clock=clock, sleep=clock.sleep)
    fetcher, _ = make_fetcher(handler, limiter=limiter)
    for _ in range(3):
        await fetcher.fetch(CATS)
    assert len(starts) == 3
    assert clock.waits == [3.0, 3.0]  # nothing before the first request
    for before, after in itertools.pairwise(starts):
        assert after - (before + 0.25) >= 3.0


async def test_rate_limiter_spaces_concurrent_requests() -> None:
    clock = FakeClock()
    starts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        starts.append(clock.now)
        return httpx.Response(200, content=RSS)

    fetcher, _ = make_fetcher(handler, limiter=RateLimiter(2.0, clock=clock, sleep=clock.sleep))
    await asyncio.wait_for(asyncio.gather(*(fetcher.fetch(CATS) for _ in range(4))), 5)
    assert len(starts) == 4
    assert all(b - a >= 2.0 for a, b in itertools.pairwise(starts))


async def test_concurrent_requests_never_overlap() -> None:
    in_flight = 0
    peak = 0
    count = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak, count
        in_flight += 1
        count += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, content=RSS)

    fetcher, _ = make_fetcher(handler, limiter=RateLimiter(0))
    results = await asyncio.wait_for(asyncio.gather(*(fetcher.fetch(CATS) for _ in range(6))), 5)
    assert [r.content for r in results] == [RSS] * 6
    assert count == 6
    assert peak == 1


async def test_a_request_cancelled_while_waiting_does_not_block_later_ones() -> None:
    clock = FakeClock()
    waiting = asyncio.Event()

    async def endless_sleep(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()  # only cancellation ends it

    handler, seen = scripted(200)
    limiter = RateLimiter(3.0, clock=clock, sleep=endless_sleep)
    fetcher, _ = make_fetcher(handler, limiter=limiter)
    await fetcher.fetch(CATS)
    second = asyncio.create_task(fetcher.fetch(CATS))
    await asyncio.wait_for(waiting.wait(), 5)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    clock.now += 3.0  # the interval has passed: the next request needs no wait
    result = await asyncio.wait_for(fetcher.fetch(CATS), 5)
    assert result.content == RSS
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("location", "followed"),
    [
        ("/rss/moved/cs.AI+cs.LG", True),  # the configured host itself
        ("https://rss.arxiv.org/rss/cs.AI+cs.LG", True),
        ("https://arxiv.org/rss/cs.AI+cs.LG", True),
        ("http://127.0.0.1:8/rss/cs.AI+cs.LG", False),  # another port of the same host
        ("https://evil.example/rss/cs.AI+cs.LG", False),
        ("//evil.example/rss/cs.AI+cs.LG", False),
        ("https://arxiv.org.evil.example/rss", False),
        ("https://export.arxiv.org:8443/rss", False),
        ("http://169.254.169.254/latest/meta-data/", False),
    ],
)
async def test_the_arxiv_client_follows_redirects_only_within_arxiv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, location: str, followed: bool
) -> None:
    monkeypatch.delenv("ARXIV_FEEDS_CONFIG", raising=False)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"categories": CATS}), encoding="utf-8")
    settings = load_settings(
        config_file=config,
        arxiv_source="live",
        store_url="memory://",
        arxiv_rss_url="http://127.0.0.1:9/rss",
        min_request_interval=0,
    )
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if str(request.url) == f"http://127.0.0.1:9{PATH}":
            return httpx.Response(302, headers={"Location": location})
        return httpx.Response(200, content=RSS)

    services = build_services(settings, transport=httpx.MockTransport(handler))
    try:
        if followed:
            assert (await services.listings.fetcher.fetch(CATS)).content == RSS
        else:
            with pytest.raises(UpstreamError, match=r"redirected .* not arXiv"):
                await services.listings.fetcher.fetch(CATS)
    finally:
        await services.aclose()
    assert len(seen) == (2 if followed else 1)
