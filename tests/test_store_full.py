"""A store that refuses writes (full) or cannot be reached (down): caches are kept in memory,
durable writes are refused with a 503 and never kept in memory, and the delivery ledger sends
nothing it cannot record.

The backends here are memory stores that fail like a full or unreachable Redis; the same
behaviour on a real ``redis-server`` is in ``tests/test_redis_memory.py``.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import httpx
import pytest

from app.delivery.deliver import deliver
from app.delivery.ledger import Ledger, Slot
from app.delivery.settings import Delivery
from app.errors import StoreFull, StoreUnavailable
from app.profiles.model import Profile
from app.profiles.registry import ProfileRegistry
from app.store import FallbackStore, MemoryStore
from tests.conftest import make_settings
from tests.delivery_servers import WebhookReceiver
from tests.test_delivery import PAGE, make_feed
from tests.test_store import Clock, Flaky, warnings_of

pytestmark = pytest.mark.anyio


class Full(MemoryStore):
    """A memory store that refuses writes like Redis at its maxmemory while ``full``."""

    name = "full"

    def __init__(self) -> None:
        super().__init__()
        self.full = False

    def _check(self) -> None:
        if self.full:
            raise StoreFull("the store is full")

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        self._check()
        await super().set(key, value, ttl)

    async def set_nx(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        self._check()
        return await super().set_nx(key, value, ttl)

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        self._check()
        return await super().incr(key, amount, ttl)


async def test_a_full_store_keeps_caches_in_memory_and_refuses_durable_writes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, backend = Clock(), Full()
    store = FallbackStore(backend, clock=clock)
    await store.set("counter:calls", b"5", ttl=60)
    await store.set_nx("lock:arxiv", b"busy", ttl=60)
    await store.set("profile:kept", b"{}")
    backend.full = True

    await store.set("listing:cs.IR", b"view", ttl=60)
    assert store.full
    assert store.name == "full (full, caching in memory)"
    assert await store.get("listing:cs.IR") == b"view"  # kept in this instance's memory
    assert await backend.get("listing:cs.IR") is None
    assert await store.get("profile:kept") == b"{}"  # reads go on
    assert await store.get_many(["listing:cs.IR", "profile:kept"]) == {
        "listing:cs.IR": b"view",
        "profile:kept": b"{}",
    }
    assert await store.incr("counter:calls", 1, ttl=60) == 6  # on from the store's count
    assert await store.set_nx("lock:arxiv", b"mine", ttl=60) is False  # held in the store
    assert await store.set_nx("lock:other", b"mine", ttl=60) is True
    with pytest.raises(StoreFull) as refused:
        await store.set("profile:new", b"{}")
    assert refused.value.status == 503
    assert refused.value.headers() == {"Retry-After": "30"}
    with pytest.raises(StoreFull):
        await store.set_nx("delivery:default:hook:2026-01-06:claim", b"1", ttl=600)
    assert await backend.get("profile:new") is None
    await store.delete("listing:cs.IR")
    assert await store.get("listing:cs.IR") is None
    condition = await store.condition()
    assert condition.full
    assert condition.notes[0].startswith("the store is full")

    backend.full = False  # room again: a durable write lands at once and ends the outage
    await store.set("profile:new", b"{}")
    assert await backend.get("profile:new") == b"{}"
    assert not store.full
    assert store.name == "full"
    assert await store.get("lock:other") is None  # what memory held is dropped
    full, back = warnings_of(caplog)
    assert "is full" in full
    assert "takes writes again" in back


async def test_a_full_store_is_tried_again_by_one_cache_write_every_interval() -> None:
    clock, backend = Clock(), Full()
    store = FallbackStore(backend, clock=clock)
    backend.full = True
    await store.set("listing:a", b"1", ttl=60)
    backend.full = False
    await store.set("listing:b", b"2", ttl=60)  # within the interval: still to memory
    assert await backend.get("listing:b") is None
    clock.now += 31
    await store.set("listing:c", b"3", ttl=60)
    assert await backend.get("listing:c") == b"3"
    assert not store.full
    backend.full = True
    store.clock = clock
    await store.set("listing:d", b"4", ttl=60)
    assert store.full
    backend.full = False
    clock.now += 31
    assert not (await store.condition()).full  # /health's look tries it again, too


async def test_the_memory_kept_for_a_full_store_is_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = Full()
    store = FallbackStore(backend, overlay_bytes=1000)
    backend.full = True
    for i in range(5):
        await store.set(f"listing:{i}", b"x" * 400, ttl=60)
    assert len(await store.get_many([f"listing:{i}" for i in range(5)])) == 2
    assert await store.incr("counter:n", 1, ttl=60) == 1  # counters and locks still count
    dropping = [m for m in warnings_of(caplog) if "dropping" in m]
    assert len(dropping) == 1


async def test_durable_writes_never_go_to_memory_while_the_store_is_down() -> None:
    clock, flaky = Clock(), Flaky()
    store = FallbackStore(flaky, clock=clock)
    flaky.broken = True
    await store.set("listing:x", b"cached", ttl=60)  # a cache: memory stands in
    assert await store.get("listing:x") == b"cached"
    with pytest.raises(StoreUnavailable) as refused:
        await store.set("profile:mine", b"{}")
    assert refused.value.code == "store_unavailable"
    with pytest.raises(StoreUnavailable):
        await store.set("profiles", b"[]")
    assert await store.fallback.get("profile:mine") is None
    flaky.broken = False  # refused until the store is tried again (reads come from memory)
    with pytest.raises(StoreUnavailable):
        await store.set("profile:mine", b"{}")
    clock.now += 31
    await store.set("profile:mine", b"{}")
    assert await flaky.get("profile:mine") == b"{}"
    assert not store.down


async def test_profiles_stored_before_an_outage_stay_listed_after_it(tmp_path: Path) -> None:
    clock, held, flaky = Clock(), Clock(), Flaky()
    store = FallbackStore(flaky, clock=clock)
    registry = ProfileRegistry(make_settings(tmp_path), store)
    registry.clock = held  # how long the registry trusts the index it read
    await registry.put("first", Profile(), None)
    held.now += 31  # due to be read again
    flaky.broken = True
    assert await registry.find("first") is None  # down: memory has no index
    with pytest.raises(StoreUnavailable):
        await registry.put("second", Profile(), None)
    flaky.broken = False
    clock.now += 31  # the store is tried again, while the registry trusts the empty index
    await registry.put("second", Profile(), None)
    assert json.loads(await flaky.get("profiles") or b"") == ["first", "second"]


@pytest.mark.parametrize("outage", ["full", "down"])
async def test_a_digest_whose_ledger_cannot_be_written_is_not_sent(outage: str) -> None:
    feed = make_feed()
    full, flaky, clock = Full(), Flaky(), Clock()
    store = FallbackStore(full if outage == "full" else flaky, clock=clock)

    def broken(yes: bool) -> None:
        full.full = flaky.broken = yes

    with WebhookReceiver() as rx:
        delivery = Delivery.model_validate({"webhooks": [{"kind": "generic", "url": rx.url}]})

        async def run() -> list[str]:
            async with httpx.AsyncClient() as http:
                report = await deliver(
                    feed, delivery, feed_name="default", title="t", page_url=PAGE,
                    store=store, http=http,
                )  # fmt: skip
            return [c.status for c in report.channels]

        broken(True)
        assert await run() == ["failed"]
        assert await run() == ["failed"]
        assert rx.received == []  # nothing sent that could not be recorded
        broken(False)
        clock.now += 31
        assert await run() == ["sent"]
        assert await run() == ["already_sent"]
        assert len(rx.received) == 1


async def test_a_claim_the_ledger_cannot_record_is_let_go(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    backend = Full()
    store = FallbackStore(backend)
    ledger = Ledger(store)
    slot = Slot("default", "generic-abc", date(2026, 1, 6))
    backend.full = True
    with pytest.raises(StoreFull):
        await ledger.claim(slot)
    backend.full = False
    assert await ledger.claim(slot)  # nothing was left held
