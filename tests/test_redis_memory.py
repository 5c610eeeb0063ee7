"""A Redis with a small ``maxmemory``: full (``noeviction``), evicting caches (``volatile-lru``),
or evicting anything (``allkeys-lru``).

Each test starts its own ``redis-server`` on loopback and fills it with cache writes (keys
with an expiry, as the app writes its caches) from a client of its own, as strangers' requests
on other instances would. The app runs through ``create_app`` with ``STORE_URL`` pointing at
that Redis, as a deployment opens it; digests go to a loopback webhook receiver.

* noeviction, filled until Redis refuses writes: another instance still serves the configured
  feed, a stored profile's feed and a new category (200); ``/health`` says the store is full;
  a ``PUT`` of a profile is a 503 JSON error; the cron sends nothing twice, and a digest whose
  ledger claim cannot be written is not sent, then sent once when there is room again.
* volatile-lru, written well past ``maxmemory``: Redis evicts caches only; stored profiles
  and the delivery ledger survive (the profile answers 200, a second cron sends nothing).
* allkeys-lru: ``/health`` and the log (once) warn that durable data may be evicted.

Skipped without ``redis-server``, except under CI (env ``CI`` set), where that is a failure.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from app.main import create_app
from app.store.keys import durable
from tests.conftest import FakeArxiv, make_settings
from tests.delivery_servers import WebhookReceiver
from tests.loopback import free_port
from tests.test_store import RedisServer, need_redis

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

PREFIX = "arxiv-feeds:"
MAXMEMORY = 16 * 2**20  # room for the listings of a day, not for the crowd's caches
SECRET = "cron-s3cret"
TOKEN = "owner-token-123"
CRON = {"Authorization": f"Bearer {SECRET}"}
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
MINE = {"categories": ["cs.LG"], "keywords": ["learning"]}


@contextmanager
def limited(policy: str) -> Iterator[RedisServer]:
    """A ``redis-server`` with ``MAXMEMORY`` and ``policy``."""
    need_redis()
    server = RedisServer(free_port(), ["--maxmemory", str(MAXMEMORY), "--maxmemory-policy", policy])
    server.start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def instance(tmp_path: Path, config: dict[str, Any], url: str) -> AsyncIterator[Any]:
    """An instance of the app on the Redis at ``url``; yields its client."""
    settings = make_settings(
        tmp_path,
        config,
        store_url=url,
        cron_secret=SECRET,
        admin_token=TOKEN,
        delivery_allow_private=True,
    )
    app = create_app(settings, transport=httpx.MockTransport(FakeArxiv()))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c
    finally:
        await app.state.runtime.aclose()


def delivering(rx: WebhookReceiver, **profiles: Any) -> dict[str, Any]:
    """A config whose configured feed delivers to ``rx``, with ``profiles``. One category, so
    that a listing fetched again after an eviction is the same day's (the recorded arXiv
    answers a set of categories it has no file for with a weekend's listing)."""
    hook = {"webhooks": [{"kind": "generic", "url": f"{rx.url}/default"}]}
    return {
        "public_url": "https://feeds.example.org",
        "categories": ["cs.LG"],
        "delivery": hook,
        "profiles": profiles,
    }


def crowd(url: str, *, until_refused: bool = False, total: int = 0) -> int:
    """Cache writes (64 KiB, then smaller, each with an hour's expiry) until ``total`` bytes are
    written or, with ``until_refused``, until Redis refuses a small one; bytes written."""
    r = redis.Redis.from_url(url)
    written = 0
    try:
        for size in (65536, 4096, 256) if until_refused else (65536,):
            value = b"x" * size
            while until_refused or written < total:
                try:
                    r.set(f"{PREFIX}listing:crowd-{written}", value, px=3_600_000)
                except redis.exceptions.OutOfMemoryError:
                    break
                written += size
    finally:
        r.close()
    return written


def keep_full(url: str) -> None:
    """Hold Redis over its limit whatever small amounts are freed meanwhile (a connection
    closing frees its buffers), as a crowd still writing would: ``maxmemory`` goes a little
    under what is used, so every write is refused, deterministically."""
    r = redis.Redis.from_url(url)
    try:
        used = int(r.info("memory")["used_memory"])
        r.config_set("maxmemory", str(used - 2**20))
    finally:
        r.close()


def forget_crowd(url: str) -> None:
    """Room again: the crowd's caches expire."""
    r = redis.Redis.from_url(url)
    try:
        for key in r.scan_iter(f"{PREFIX}listing:crowd-*", count=1000):
            r.delete(key)
    finally:
        r.close()


def kept_for_good(url: str) -> dict[str, bytes]:
    """Every key with no expiry, and its value."""
    r = redis.Redis.from_url(url)
    try:
        found: dict[str, bytes] = {}
        for key in r.scan_iter(f"{PREFIX}*", count=1000):
            value = r.get(key)
            if r.pttl(key) == -1 and isinstance(value, bytes):
                found[key.decode().removeprefix(PREFIX)] = value
        return found
    finally:
        r.close()


def statuses(report: dict[str, Any]) -> dict[str, str]:
    """Each owner feed's delivery status, by feed name (one channel each here)."""
    out = {"default": report["delivery"]["channels"][0]["status"]}
    for p in report["profiles"]:
        if p["delivery"] is not None:
            out[p["name"]] = p["delivery"]["channels"][0]["status"]
    return out


async def test_a_full_redis_is_an_outage_of_writes_not_of_the_feeds(tmp_path: Path) -> None:
    with limited("noeviction") as server, WebhookReceiver() as rx:
        async with instance(tmp_path, delivering(rx), server.url) as c:
            assert (await c.put("/api/profiles/mine", json=MINE, headers=ADMIN)).status_code == 200
            first = (await c.post("/api/cron/refresh", headers=CRON)).json()
        assert statuses(first) == {"default": "sent"}
        assert crowd(server.url, until_refused=True) > MAXMEMORY // 2
        keep_full(server.url)

        # another instance (a redeploy adding a profile that delivers) on the full Redis
        hook = {"kind": "generic", "url": f"{rx.url}/ml"}
        ml = {"categories": ["cs.LG"], "delivery": {"webhooks": [hook]}}
        async with instance(tmp_path, delivering(rx, ml=ml), server.url) as c:
            for path in ("/rss", "/p/mine/rss", "/p/ml/rss", "/rss?keywords=GPU", "/rss/cs.IR"):
                r = await c.get(path)
                assert r.status_code == 200, (path, r.text[:300])
            health = (await c.get("/health")).json()
            assert health["store_full"] is True
            assert health["store"] == "redis (full, caching in memory)"
            assert health["store_note"].startswith("The store is full")
            refused = await c.put("/api/profiles/other", json=MINE, headers=ADMIN)
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "store_full"
            assert int(refused.headers["Retry-After"]) > 0
            full = await c.post("/api/cron/refresh", headers=CRON)
            assert full.status_code == 200, full.text[:300]
            assert statuses(full.json()) == {"default": "already_sent", "ml": "failed"}
            (ml_report,) = [p for p in full.json()["profiles"] if p["name"] == "ml"]
            assert "full" in ml_report["delivery"]["channels"][0]["error"]
            assert [m.path for m in rx.received] == ["/default"]  # nothing twice, nothing blind

            forget_crowd(server.url)
            assert (await c.put("/api/profiles/other", json=MINE, headers=ADMIN)).status_code == 200
            again = (await c.post("/api/cron/refresh", headers=CRON)).json()
            assert statuses(again) == {"default": "already_sent", "ml": "sent"}
            last = (await c.post("/api/cron/refresh", headers=CRON)).json()
            assert statuses(last) == {"default": "already_sent", "ml": "already_sent"}
            assert (await c.get("/health")).json()["store_full"] is False
        assert {"profile:mine", "profile:other", "profiles"} <= set(kept_for_good(server.url))
    assert [m.path for m in rx.received] == ["/default", "/ml"]


async def test_volatile_lru_evicts_caches_but_never_profiles_or_the_ledger(
    tmp_path: Path,
) -> None:
    with limited("volatile-lru") as server, WebhookReceiver() as rx:
        async with instance(tmp_path, delivering(rx), server.url) as c:
            assert (await c.put("/api/profiles/mine", json=MINE, headers=ADMIN)).status_code == 200
            first = (await c.post("/api/cron/refresh", headers=CRON)).json()
            health = (await c.get("/health")).json()
        assert statuses(first) == {"default": "sent"}
        assert health["store_note"] is None  # volatile-lru: nothing to warn about
        before = kept_for_good(server.url)
        assert {"profile:mine", "profiles"} <= set(before)
        assert any(k.startswith("delivery:default:") and k.endswith(":sent") for k in before)
        assert all(durable(k) for k in before)

        written = crowd(server.url, total=4 * MAXMEMORY)  # never refused: caches are evicted
        assert written >= 4 * MAXMEMORY
        r = redis.Redis.from_url(server.url)
        try:
            assert int(r.info("stats")["evicted_keys"]) > 0
        finally:
            r.close()
        assert kept_for_good(server.url) == before  # every durable key, unchanged

        async with instance(tmp_path, delivering(rx), server.url) as c:  # a fresh instance
            second = (await c.post("/api/cron/refresh", headers=CRON)).json()
            assert (await c.get("/p/mine/rss")).status_code == 200
        assert statuses(second) == {"default": "already_sent"}
    assert [m.path for m in rx.received] == ["/default"]


async def test_allkeys_eviction_is_warned_about_in_health_and_once_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with limited("allkeys-lru") as server:
        async with instance(tmp_path, {}, server.url) as c:
            first = (await c.get("/health")).json()
            second = (await c.get("/health")).json()
    assert first["store_full"] is False
    note = first["store_note"]
    assert "allkeys-lru" in note
    assert "stored profiles and the delivery ledger may be lost" in note
    assert "volatile-lru" in note
    assert second["store_note"] == note
    warnings = [r for r in caplog.records if "allkeys-lru" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
