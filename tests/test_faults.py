"""Faults: the service keeps answering from what it has, says so, and recovers, losing nothing.

* Redis killed mid-run (a real ``redis-server`` on loopback, persisting to an append-only file)
  and restarted on the same port; the SQLite file deleted or overwritten with garbage.
* arXiv slow (the loopback ``ArxivServer`` answering after the fetch timeout), rate-limiting
  (429 + ``Retry-After``), answering an HTML page, a truncated listing, a connection cut off
  mid-body, or odd items; with nothing stored that is a 503 with ``Retry-After``, with a listing
  stored a 200 marked ``X-Arxiv-Feeds-Stale: 1``. Recovery after the failure pause is shown on
  a ``ListingService`` with a settable clock (the app's clock is the wall clock).
* The LLM slow, failing or answering garbage (``tests/openai_stub.py``): the feed is served
  without summaries, and a later refresh makes them, even one straight after the failure.

Redis tests are skipped without ``redis-server``, except under CI (env ``CI`` set), where that
is a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import httpx2
import pytest
import redis
from openai import AsyncOpenAI

from app.arxiv.fetch import ArxivFetcher, RateLimiter
from app.arxiv.parse import parse_listing
from app.catalog.fetching import FAILURE_PAUSE, Cached, ListingService, listing_key
from app.config import Settings
from app.errors import UpstreamParseError, UpstreamUnavailable
from app.llm.budget import CallBudget
from app.llm.client import LLMClient
from app.main import create_app
from app.store import FallbackStore, MemoryStore, Store
from app.summaries.prompts import load_prompt
from app.summaries.settings import AISummary
from app.summaries.summarize import Summarizer
from tests.arxiv_server import ArxivServer
from tests.conftest import ALL4, FakeArxiv, listing, make_settings
from tests.loopback import free_port
from tests.openai_stub import OpenAIStub
from tests.test_store import need_redis

pytestmark = pytest.mark.anyio

REDIS_SERVER = shutil.which("redis-server")
CATS = ALL4.split("+")
KEY = listing_key(CATS)  # "listing:cs.AI+cs.CL+cs.DC+cs.LG"
HTML = b"<!DOCTYPE html><html><body><h1>arXiv is down for maintenance</h1></body></html>"
FETCH_TIMEOUT = 0.25
SLOW = 1.0  # seconds the slow arXiv takes: well above FETCH_TIMEOUT


class Clock:
    """A clock the test moves by hand (``datetime`` or seconds, as the component wants)."""

    def __init__(self, now: Any) -> None:
        self.now = now

    def __call__(self) -> Any:
        return self.now


def items(body: bytes) -> list[ET.Element]:
    return ET.fromstring(body).findall("./channel/item")


@asynccontextmanager
async def serving(settings: Settings, **kw: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """``(client, app)``: the app over ASGI, closed (store and clients) on leaving."""
    app = create_app(settings, **kw)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c, app
    finally:
        await app.state.runtime.aclose()


async def store_of(app: Any) -> Store:
    """The store the app built for itself from its settings."""
    services = await app.state.runtime.services()
    store: Store = services.store
    return store


# -- (a) Redis going away --------------------------------------------------------------------------


class PersistentRedis:
    """``redis-server`` on a loopback port, keeping every write in an append-only file (fsync
    always), so it can be killed (SIGKILL) and started again on the same port with its data."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        args += ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        self.proc = subprocess.Popen(
            [REDIS_SERVER, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):  # not "-LOADING": the file is read
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        """Die at once, as a crashed or evicted server does."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def persistent_redis(tmp_path: Path) -> Iterator[PersistentRedis]:
    need_redis()
    server = PersistentRedis(free_port(), tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def persistent_values(r: redis.Redis) -> dict[bytes, bytes]:
    """Every data key and its value: kept for good or for days (locks and claims expire in
    seconds or minutes)."""
    out: dict[bytes, bytes] = {}
    for key in r.scan_iter("*"):
        value = r.get(key)
        ttl = r.ttl(key)
        if (ttl == -1 or ttl > 3600) and isinstance(value, bytes):
            out[key] = value
    return out


@pytest.mark.redis
async def test_redis_killed_and_restarted(
    tmp_path: Path, persistent_redis: PersistentRedis
) -> None:
    settings = make_settings(tmp_path, store_url=persistent_redis.url)
    fake, clock = FakeArxiv(), Clock(1_000_000.0)
    direct = redis.Redis.from_url(persistent_redis.url, socket_timeout=5)
    try:
        async with serving(settings, transport=httpx.MockTransport(fake)) as (c, app):
            store = await store_of(app)
            assert isinstance(store, FallbackStore)
            store.clock = clock  # its 30 s between retries of Redis pass on this clock
            first = await c.get("/rss")
            assert first.status_code == 200
            assert (await c.get("/health")).json()["store"] == "redis"
            before = persistent_values(direct)
            assert f"arxiv-feeds:{KEY}".encode() in before  # the listing is in Redis
            assert any(k.startswith(b"arxiv-feeds:day:") for k in before)

            persistent_redis.kill()
            again = await c.get("/rss")
            assert again.status_code == 200
            assert again.content == first.content  # served from memory
            for path in ("/rss?keywords=GPU", "/atom", "/rss/cs.IR"):  # cs.IR: a new listing
                assert (await c.get(path)).status_code == 200, path
            health = await c.get("/health")
            assert health.status_code == 200
            assert health.json()["store"] == "redis (down, using memory)"  # it says so
            assert health.json()["store_reachable"] is False

            persistent_redis.start()  # same port, same files
            clock.now += 31
            assert (await c.get("/rss/cs.CV")).status_code == 200  # written to Redis again
            health = await c.get("/health")
            assert health.json()["store"] == "redis"
            assert health.json()["store_reachable"] is True
            after = persistent_values(direct)
            assert {k: after.get(k) for k in before} == before  # nothing stored was lost
            assert b"arxiv-feeds:listing:cs.CV" in after
            assert b"arxiv-feeds:cat:cs.CV" in after
            assert (await c.get("/rss")).content == first.content
    finally:
        direct.close()
    assert len(fake.requests) == 3  # the four categories, cs.IR, cs.CV: each fetched once


# -- (b) the SQLite file deleted or overwritten ---------------------------------------------------


def stored_keys(db: Path) -> set[str]:
    """The keys in the SQLite file, read by a connection of its own."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return {k for (k,) in conn.execute("SELECT key FROM kv")}


def damage(db: Path, fault: str) -> bytes:
    """Delete the SQLite file or put garbage in its place; returns the garbage.

    The write-ahead log is moved into the file first (as SQLite does from time to time), so
    the stored data lives in the file that is damaged.
    """
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    garbage = os.urandom(64 * 1024)
    if fault == "deleted":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    elif fault == "overwritten with garbage":
        db.write_bytes(garbage)  # same file, new content
    else:
        (db.parent / "garbage").write_bytes(garbage)
        os.replace(db.parent / "garbage", db)  # a new file under the old name
    return garbage


def read(path: Path) -> bytes:
    """A file's bytes (a plain function: the async tests may block briefly)."""
    return path.read_bytes()


@pytest.mark.parametrize("fault", ["deleted", "overwritten with garbage", "replaced by garbage"])
async def test_sqlite_file_lost_between_requests(tmp_path: Path, fault: str) -> None:
    db = tmp_path / "feeds.sqlite3"
    settings = make_settings(tmp_path, store_url=f"sqlite:///{db}")
    fake = FakeArxiv()
    async with serving(settings, transport=httpx.MockTransport(fake)) as (c, _):
        first = await c.get("/rss")
        assert first.status_code == 200
        assert KEY in stored_keys(db)
        garbage = damage(db, fault)

        again = await c.get("/rss")
        assert again.status_code == 200
        assert again.content == first.content  # from memory
        assert (await c.get("/rss/cs.IR")).status_code == 200  # new data, stored again
        assert (await c.get("/health")).json()["store"] == "sqlite"
        assert {"listing:cs.IR", "cat:cs.IR"} <= stored_keys(db)
    if fault != "deleted":
        assert read(Path(f"{db}.corrupt")) == garbage  # kept aside for inspection


# -- (c) arXiv slow, rate-limiting, broken; then back ----------------------------------------------


class CutOffServer:
    """Answers every request on loopback with 200 and the Content-Length of ``body``, sends half
    of it and hangs up: a connection cut off mid-listing."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/rss"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.requests += 1
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    f"Content-Length: {len(self.body)}\r\n\r\n"
                )
                conn.sendall(head.encode() + self.body[: len(self.body) // 2])

    def __enter__(self) -> CutOffServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


async def stored_listing_store() -> MemoryStore:
    """A store holding the configured listing, fetched an hour ago and due for a refresh
    (as a run before a restart left it)."""
    now = datetime.now(UTC)
    old = parse_listing(listing(f"{ALL4}-2026-01-06"), CATS, now - timedelta(hours=1))
    cached = Cached(listing=old, expires_at=now - timedelta(seconds=1))
    store = MemoryStore()
    await store.set(KEY, cached.model_dump_json().encode())
    return store


APP_FAULTS = ["slow", "429", "html page", "truncated", "cut off"]


@pytest.mark.parametrize("stored", [False, True], ids=["nothing stored", "listing stored"])
@pytest.mark.parametrize("fault", APP_FAULTS)
async def test_arxiv_fault_through_the_app(tmp_path: Path, fault: str, stored: bool) -> None:
    body = listing(f"{ALL4}-2026-01-06")
    server = ArxivServer(latency=SLOW if fault == "slow" else 0.0)
    if fault == "html page":
        server.listings[ALL4] = HTML
    elif fault == "truncated":
        server.listings[ALL4] = body[: len(body) // 2]
    fake = FakeArxiv()
    fake.serve(ALL4, 429, b"Too Many Requests", **{"Retry-After": "120"})
    cut = CutOffServer(body)
    with server, cut:
        kw: dict[str, Any] = {"fetch_timeout": FETCH_TIMEOUT, "fetch_retries": 1}
        transport: httpx.AsyncBaseTransport | None = None
        if fault == "429":
            transport = httpx.MockTransport(fake)
        elif fault == "cut off":
            kw["arxiv_rss_url"] = cut.base_url
        else:
            kw["arxiv_rss_url"] = server.base_url

        def upstream_requests() -> int:
            return {"429": len(fake.requests), "cut off": cut.requests}.get(fault, server.requests)

        settings = make_settings(tmp_path, **kw)
        store = await stored_listing_store() if stored else MemoryStore()
        async with serving(settings, transport=transport, store=store) as (c, _):
            start = time.monotonic()
            r = await c.get("/rss")
            assert time.monotonic() - start < 5
            asked = upstream_requests()
            assert asked == {"slow": 2, "cut off": 2}.get(fault, 1)  # retried, or not at all
            if stored:
                assert r.status_code == 200
                assert r.headers["x-arxiv-feeds-stale"] == "1"  # it says so
                assert items(r.content)
                assert (await c.get("/health")).json()["upstream"] == "stale"
            else:
                assert r.status_code == 503
                error = r.json()["error"]
                assert error["code"] == (
                    "upstream_parse_error"
                    if fault in ("html page", "truncated")
                    else "upstream_unavailable"
                )
                assert r.headers["retry-after"] == ("120" if fault == "429" else "60")
            again = await c.get("/rss")  # moments later: arXiv is left alone
            assert again.status_code == r.status_code
            assert upstream_requests() == asked
            assert (await c.get("/health")).status_code == 200


def odd_listing() -> bytes:
    """One good paper among items no arXiv listing should hold."""
    good = listing("cs.AI-2026-01-06").split(b"<item>")[1].split(b"</item>")[0]

    def with_guid(guid: bytes, date: bytes = b"Tue, 06 Jan 2026 00:00:00 -0500") -> bytes:
        item = good.replace(b"oai:arXiv.org:2601.02346v1", guid)
        return b"<item>" + item.replace(b"Tue, 06 Jan 2026 00:00:00 -0500", date) + b"</item>"

    odd = [
        with_guid(b"oai:arXiv.org:2601.99999v0"),  # version 0
        with_guid(b"oai:arXiv.org:2601.99998v" + b"9" * 5000),  # too many digits for int()
        with_guid(b"oai:arXiv.org:2601.99997v1", b"Fri, 31 Dec 9999 23:59:59 -1200"),
        b"<item><title>   </title><guid>oai:arXiv.org:2601.99996v1</guid></item>",
    ]
    head = listing("cs.AI-2026-01-06").partition(b"<item>")[0]
    return head + b"".join(odd) + b"<item>" + good + b"</item></channel></rss>"


async def test_odd_items_are_skipped_and_the_rest_served(tmp_path: Path) -> None:
    fake = FakeArxiv()
    fake.serve("cs.AI", body=odd_listing())
    settings = make_settings(tmp_path)
    async with serving(settings, transport=httpx.MockTransport(fake), store=MemoryStore()) as (
        c,
        _,
    ):
        r = await c.get("/rss/cs.AI", params={"keywords": "", "types": "all"})
        assert r.status_code == 200
        assert [i.findtext("guid") for i in items(r.content)] == [
            "https://arxiv.org/abs/2601.02346v1",
            "https://arxiv.org/abs/2601.99997v1",  # its far-off date is replaced by "now"
        ]


async def test_an_absurd_retry_after_is_still_a_503(tmp_path: Path) -> None:
    fake = FakeArxiv()
    fake.serve(ALL4, 429, b"", **{"Retry-After": "9" * 400})
    app = create_app(make_settings(tmp_path), transport=httpx.MockTransport(fake))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/rss")
    await app.state.runtime.aclose()
    assert r.status_code == 503  # a Retry-After of 400 digits once made this a 500
    assert int(r.headers["retry-after"]) >= 60
    assert len(fake.requests) == 1


# ListingService with a clock the test sets: the pause after a failure, then recovery.

SERVICE_FAULTS = ["slow", "429", "html page", "truncated", "cut off"]
MORNING = datetime(2025, 12, 16, 15, 0, tzinfo=UTC)  # 10:00 in New York
LATER = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)  # weeks later: the listing is long due


class Upstream:
    """arXiv for one ``ListingService``: healthy, or broken by one fault; ``day`` is the
    announcement day it serves. Slow, HTML and truncated answers come from the loopback
    ``ArxivServer``; 429 and a cut-off connection through an ``httpx.MockTransport``."""

    def __init__(self, fault: str) -> None:
        self.fault = fault
        self.server = ArxivServer(day="2025-12-16")
        self.fake = FakeArxiv(day="2025-12-16")
        self.on_loopback = fault in ("slow", "html page", "truncated")

    def client(self) -> httpx.AsyncClient:
        if self.on_loopback:
            return httpx.AsyncClient(timeout=FETCH_TIMEOUT)
        return httpx.AsyncClient(transport=httpx.MockTransport(self.fake), timeout=FETCH_TIMEOUT)

    @property
    def base_url(self) -> str:
        return self.server.base_url if self.on_loopback else "http://127.0.0.1:9/rss"

    @property
    def requests(self) -> int:
        return self.server.requests if self.on_loopback else len(self.fake.requests)

    def serve_day(self, day: str) -> None:
        self.server.day = self.fake.day = day

    def break_down(self) -> None:
        body = listing(f"{ALL4}-{self.server.day}")
        if self.fault == "slow":
            self.server.latency = SLOW
        elif self.fault == "html page":
            self.server.listings[ALL4] = HTML
        elif self.fault == "truncated":
            self.server.listings[ALL4] = body[: len(body) // 2]
        elif self.fault == "429":
            self.fake.serve(ALL4, 429, b"", **{"Retry-After": "120"})
        else:

            def cut_off(request: httpx.Request) -> httpx.Response:
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body",
                    request=request,
                )

            self.fake.responses[ALL4] = cut_off

    def recover(self) -> None:
        self.server.latency = 0.0
        self.server.listings.clear()
        self.fake.responses.clear()


@pytest.mark.parametrize("stored", [False, True], ids=["nothing stored", "listing stored"])
@pytest.mark.parametrize("fault", SERVICE_FAULTS)
async def test_listing_service_pauses_then_recovers(fault: str, stored: bool) -> None:
    upstream = Upstream(fault)
    clock = Clock(MORNING)
    store = MemoryStore()
    with upstream.server:
        async with upstream.client() as client:
            fetcher = ArxivFetcher(client, upstream.base_url, RateLimiter(0), retries=1, backoff=0)
            service = ListingService(fetcher, store, clock)
            first = None
            if stored:
                first = await service.get(CATS)
                assert first.day is not None
                assert first.day.isoformat() == "2025-12-16"
                clock.now = LATER
            upstream.serve_day("2026-01-06")
            upstream.break_down()
            if first is None:
                with pytest.raises(UpstreamUnavailable) as info:
                    await service.get(CATS)
                parse_error = fault in ("html page", "truncated")
                assert isinstance(info.value, UpstreamParseError) is parse_error
            else:
                stale = await service.get(CATS)
                assert stale.stale is True
                assert stale.papers == first.papers
            asked = upstream.requests
            failed_at = clock.now

            upstream.recover()
            # arXiv asked for 120 s (Retry-After): honoured; otherwise a one-minute pause
            pause = timedelta(seconds=120) if fault == "429" else FAILURE_PAUSE
            for wait in (timedelta(seconds=1), FAILURE_PAUSE / 2, pause - timedelta(seconds=1)):
                clock.now = failed_at + wait
                if first is None:
                    with pytest.raises(UpstreamUnavailable):
                        await service.get(CATS)
                else:
                    assert (await service.get(CATS)).stale is True
                assert upstream.requests == asked  # arXiv is left alone meanwhile

            clock.now = failed_at + pause
            fresh = await service.get(CATS)
            assert fresh.stale is False
            assert fresh.day is not None
            assert fresh.day.isoformat() == "2026-01-06"  # the new day, not the old copy
            assert fresh.fetched_at == clock.now
            assert upstream.requests == asked + 1
            raw = await store.get(KEY)
            assert raw is not None
            assert Cached.model_validate_json(raw).listing.fetched_at == clock.now


# -- (d) the LLM slow, failing or answering garbage ------------------------------------------------


def summarized(body: bytes) -> int:
    return sum("AI summary (stub-model)" in (i.findtext("description") or "") for i in items(body))


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as s:
        s.hang = 10.0
        yield s


@pytest.mark.parametrize("mode", ["timeout", "500", "429", "garbage", "empty"])
async def test_llm_fault_leaves_the_feed_served_then_a_refresh_recovers(
    tmp_path: Path, stub: OpenAIStub, mode: str
) -> None:
    retry_after = 600.0
    ai = {
        "enabled": True,
        "base_url": stub.base_url,
        "model": "stub-model",
        "max_papers_to_summarize": 5,
        "max_workers": 5,
        "timeout": 0.5,
        "time_budget": 1.5,
        "retry_after": retry_after,
    }
    settings = make_settings(
        tmp_path, {"ai_summary": ai}, cron_secret="s3cret", refresh_time_budget=15
    )
    clock = Clock(1_000_000.0)
    store = MemoryStore(clock=clock)  # the wait before a failed paper is retried passes here
    refresh = {"Authorization": "Bearer s3cret"}
    stub.always_fail = mode
    async with serving(settings, transport=httpx.MockTransport(FakeArxiv()), store=store) as (
        c,
        _,
    ):
        start = time.monotonic()
        r = await c.get("/rss")
        assert r.status_code == 200
        assert time.monotonic() - start < 5  # bounded by the time budget, not the LLM
        assert items(r.content)
        assert summarized(r.content) == 0
        assert stub.chat_calls()

        failed = await c.get("/api/cron/refresh", headers=refresh)  # waits for running calls
        assert failed.status_code == 200
        assert failed.json()["pending"] == 5
        assert (await c.get("/rss")).status_code == 200

        stub.always_fail = None  # the LLM is back
        calls = len(stub.chat_calls())
        soon = await c.get("/api/cron/refresh", headers=refresh)
        assert soon.json()["pending"] == 5  # failed papers wait for their backoff
        assert len(stub.chat_calls()) == calls

        clock.now += retry_after + 1
        report = await c.get("/api/cron/refresh", headers=refresh)
        assert report.status_code == 200
        assert report.json()["summarized"] == 5
        assert report.json()["pending"] == 0
        healed = await c.get("/rss")
        assert healed.status_code == 200
        assert summarized(healed.content) == 5
        assert len(stub.chat_calls()) == calls + 5


async def test_an_llm_slower_than_the_budget_costs_the_reader_nothing(
    tmp_path: Path, stub: OpenAIStub
) -> None:
    """Calls that outlive a request's time budget finish in the background and are kept."""
    stub.latency = 1.0
    ai = {
        "enabled": True,
        "base_url": stub.base_url,
        "model": "stub-model",
        "max_papers_to_summarize": 3,
        "max_workers": 3,
        "timeout": 5,
        "time_budget": 0.2,
    }
    settings = make_settings(tmp_path, {"ai_summary": ai})
    async with serving(settings, transport=httpx.MockTransport(FakeArxiv())) as (c, _):
        start = time.monotonic()
        r = await c.get("/rss")
        assert time.monotonic() - start < 1.0
        assert summarized(r.content) == 0
        deadline = time.monotonic() + 10
        while summarized((await c.get("/rss?limit=5")).content) < 3:
            assert time.monotonic() < deadline, "the background summaries never landed"
            await asyncio.sleep(0.2)
        assert len(stub.chat_calls()) == 3


def completion(content: str) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` answering ``content``."""
    message = {"role": "assistant", "content": content}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "m", "choices": [choice]}


async def test_a_refresh_right_after_a_failed_one_retries_every_paper() -> None:
    """A summary call that finished moments ago is no longer "in flight".

    The LLM (an OpenAI client over an ``httpx2.MockTransport``, httpx2 being the HTTP client
    of this openai) fails, and its answer for the second paper comes one event-loop turn after
    the first: ``summarize`` returns before that call's done-callback has run. A ``summarize``
    straight after, with the LLM back, must call it again rather than hand back the finished
    call's failure.
    """
    papers = parse_listing(listing(f"{ALL4}-2026-01-06"), CATS, datetime.now(UTC)).papers[:2]
    llm_is_up = True

    async def llm_api(request: httpx2.Request) -> httpx2.Response:
        prompt = json.loads(request.content)["messages"][-1]["content"]
        await asyncio.sleep(0)
        if papers[1].title in prompt:
            await asyncio.sleep(0)  # one loop turn behind the first paper
        if not llm_is_up:
            error = {"error": {"message": "down", "type": "server_error"}}
            return httpx2.Response(500, json=error)
        return httpx2.Response(200, json=completion("## 1. Contributions\n" + "x" * 100))

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(llm_api))
    client = AsyncOpenAI(
        base_url="http://127.0.0.1:9/v1", api_key="test", max_retries=0, http_client=http
    )
    store = MemoryStore()
    cfg = AISummary(enabled=True, retry_after=0)  # a failed paper may be tried again at once
    prompt = load_prompt(cfg.prompt_file, cfg.summary_language)
    summarizer = Summarizer(LLMClient(client, "m", 5.0), store, cfg, prompt, CallBudget(store, 100))
    try:
        await summarizer.llm.chat([{"role": "user", "content": "hello"}])  # set up the client
        llm_is_up = False
        assert await summarizer.summarize(papers, time_budget=5) == {}
        llm_is_up = True  # no await between the two: the event loop does not turn
        again = await summarizer.summarize(papers, time_budget=5)
    finally:
        await client.close()
    assert set(again) == {p.versioned_id for p in papers}
