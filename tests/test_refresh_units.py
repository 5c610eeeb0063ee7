"""The daily refresh as units: claims that expire, retries, a feed delivered once with its
summaries, and one LLM call per paper however many instances ask at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.refresh.fanout import run_call
from app.refresh.units import MAX_ATTEMPTS, Run, UnitState
from app.store import MemoryStore, Store
from app.store.sqlite import SQLiteStore
from app.wiring import build_services
from tests.conftest import FakeArxiv, ai_config, make_settings
from tests.delivery_servers import WebhookReceiver
from tests.openai_stub import OpenAIStub, last_user_message

pytestmark = pytest.mark.anyio


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def stores(tmp_path: Path, clock: Clock) -> list[Store]:
    return [MemoryStore(clock=clock), SQLiteStore(tmp_path / "units.sqlite3", clock=clock)]


async def test_a_claim_expires_and_the_unit_is_taken_again(tmp_path: Path) -> None:
    clock = Clock()
    for store in stores(tmp_path, clock):
        run = await Run.begin(store, "2026-01-06", ["default", "profile.a"])
        assert run.id == "2026-01-06.1"
        assert await run.next_fresh() == "default"
        assert await run.claim("default", ttl=10)
        assert not await run.claim("default", ttl=10)  # another call holds it
        assert await run.next_fresh() == "profile.a"
        assert await run.next_fresh() is None  # every unit handed out once
        status = await run.status()
        assert (status.units, status.pending, status.claimed) == (2, 2, 1)
        clock.now += 11  # its call was killed: the claim expires
        assert await run.claim("default", ttl=10)
        await run.record("default", UnitState(state="done"))
        await run.release("default")
        status = await run.status()
        assert (status.done, status.pending, status.claimed) == (1, 1, 0)
        again = await Run.begin(store, "2026-01-06", ["default"])  # the next round of the day
        assert again.id == "2026-01-06.2"
        current = await Run.current(store)
        assert current is not None
        assert current.id == again.id
        await store.close()


def hooked(rx: WebhookReceiver, names: list[str], **extra: Any) -> dict[str, Any]:
    profiles = {
        n: {
            "categories": ["cs.DC"],
            "keywords": [],
            "delivery": {"webhooks": [{"kind": "generic", "url": f"{rx.url}/{n}"}]},
        }
        for n in names
    }
    return {"public_url": "https://feeds.example.org", "profiles": profiles} | extra


async def test_a_failing_feed_is_tried_again_then_failed_for_good(tmp_path: Path) -> None:
    fake = FakeArxiv()
    fake.serve("cs.IR", 500, b"down")
    with WebhookReceiver() as rx:
        config = hooked(rx, ["ok"])
        config["profiles"]["broken"] = {"categories": ["cs.IR"], "keywords": []}
        settings = make_settings(tmp_path, config, delivery_allow_private=True)
        services = build_services(
            settings, transport=httpx.MockTransport(fake), store=MemoryStore()
        )
        try:
            reports = [
                await run_call(services, 30.0, started=time.monotonic())
                for _ in range(MAX_ATTEMPTS + 1)
            ]
        finally:
            await services.aclose()
        delivered = [r.path for r in rx.received]
    assert delivered == ["/ok"]  # once, though the run was worked on by every call
    first, last = reports[0].run, reports[MAX_ATTEMPTS - 1].run
    assert first is not None
    assert last is not None
    assert reports[0].failed == ["broken"]
    assert (first.done, first.pending, first.failed) == (2, 1, 0)  # to be tried again
    assert first.last_error is not None
    assert "profile.broken" in first.last_error
    assert (last.done, last.failed, last.pending) == (2, 1, 0)  # failed for good
    assert last.run == first.run
    after = reports[MAX_ATTEMPTS].run  # a finished run: the next call begins the next round
    assert after is not None
    assert after.run != first.run


async def test_a_feed_waits_for_its_summaries_and_is_delivered_once_with_them(
    tmp_path: Path, stub: OpenAIStub
) -> None:
    stub.latency = 1.5
    with WebhookReceiver() as rx:
        config = hooked(rx, ["a"]) | ai_config(stub, max_papers_to_summarize=3, timeout=5)
        settings = make_settings(tmp_path, config, delivery_allow_private=True)
        store = MemoryStore()
        services = build_services(settings, transport=httpx.MockTransport(FakeArxiv()), store=store)
        try:
            first = await run_call(services, 1.0, started=time.monotonic())
            assert rx.received == []  # its summaries are still coming: nothing sent
            assert first.run is not None
            assert first.run.pending == 2
            await asyncio.sleep(1.0)  # the calls begun finish (a server's background)
            second = await run_call(services, 20.0, started=time.monotonic())
        finally:
            await services.aclose()
        delivered = {r.path: r.json() for r in rx.received}
    assert second.run is not None
    assert (second.run.done, second.run.pending) == (2, 0)
    assert sorted(delivered) == ["/a"]
    asked = [last_user_message(c.body) for c in stub.chat_calls()]
    assert 3 <= len(asked) == len(set(asked))  # no paper summarized twice
    assert "summary" in str(delivered["/a"]).lower()


async def test_instances_share_one_llm_call_per_paper(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.latency = 0.5
    store = MemoryStore()
    settings = make_settings(tmp_path, ai_config(stub, max_papers_to_summarize=4))
    made: list[int] = []
    instances = [
        build_services(settings, transport=httpx.MockTransport(FakeArxiv()), store=store)
        for _ in range(3)
    ]
    try:
        from app.pipeline import feed_for
        from app.plan import plan_feed

        feeds = await asyncio.gather(
            *(feed_for(s, plan_feed(s, s.configured, None)) for s in instances)
        )
        assert all(f.items for f in feeds)
        await asyncio.sleep(1.0)
        made = [s.ai.summarizer.calls for s in instances if s.ai and s.ai.summarizer]
    finally:
        for s in instances:
            await s.aclose()
    assert len(stub.chat_calls()) == 4  # three instances, four papers: each paid once
    assert sum(made) == 4


async def test_on_vercel_the_next_call_goes_to_the_production_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``public_url``, a call hands the rest to Vercel's production address
    (``VERCEL_PROJECT_PRODUCTION_URL``), with the cron secret: a deployment made with the
    Deploy button chains its calls with nothing more set."""
    from app.refresh.fanout import continue_run

    with WebhookReceiver() as rx:
        monkeypatch.setenv("VERCEL_PROJECT_PRODUCTION_URL", rx.url)
        settings = make_settings(tmp_path, cron_secret="s3cret")
        services = build_services(
            settings, transport=httpx.MockTransport(FakeArxiv()), store=MemoryStore()
        )
        try:
            started = await continue_run(services, "2026-01-06.1", 1)
        finally:
            await services.aclose()
        for _ in range(50):  # the request is fired; the receiver records it in its thread
            if rx.received:
                break
            await asyncio.sleep(0.05)
    assert started == 1
    (got,) = rx.received
    assert got.path.startswith("/api/cron/refresh")
    assert "continue=2026-01-06.1" in got.path
    assert got.headers.get("Authorization") == "Bearer s3cret"
