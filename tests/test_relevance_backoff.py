"""Relevance batches that fail or leave papers out back off per paper: polling a feed cannot
drain the daily LLM cap (the loopback stub answers ``{"ratings": []}``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI

from app.arxiv.parse import parse_listing
from app.llm.budget import CallBudget
from app.llm.client import LLMClient
from app.main import create_app
from app.pipeline import build_feed
from app.plan import plan_feed
from app.store import MemoryStore
from app.summaries.relevance import RelevanceRater
from tests.conftest import ALL4, FakeArxiv, ai_config, listing, make_settings
from tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.anyio
PAPERS = parse_listing(
    listing(f"{ALL4}-2026-01-06"), ["x"], datetime(2026, 1, 6, tzinfo=UTC)
).papers


def empty_ratings(body: dict[str, Any]) -> str:
    return '{"ratings": []}'


@pytest.fixture
async def empty_stub() -> AsyncIterator[OpenAIStub]:
    with OpenAIStub(empty_ratings) as s:
        yield s


async def rater(stub: OpenAIStub, retry_after: float) -> tuple[RelevanceRater, AsyncOpenAI]:
    client = AsyncOpenAI(base_url=stub.base_url, api_key="test", max_retries=0)
    store = MemoryStore()
    llm = LLMClient(client, "stub-model", 5.0)
    return RelevanceRater(
        llm, store, "LLM", CallBudget(store, 1000), 25, retry_after=retry_after
    ), client


async def test_unanswered_papers_are_not_sent_again_before_their_backoff(
    empty_stub: OpenAIStub,
) -> None:
    r, client = await rater(empty_stub, retry_after=0.4)
    try:
        for _ in range(5):
            assert await r.rate(PAPERS, time_budget=10) == {}
        assert len(empty_stub.chat_calls()) == 2  # 50 papers, batches of 25: once each
        await asyncio.sleep(0.5)
        await r.rate(PAPERS, time_budget=10)
        await r.rate(PAPERS, time_budget=10)
        assert len(empty_stub.chat_calls()) == 4  # one more attempt after the backoff
        await asyncio.sleep(0.5)  # the backoff has doubled to 0.8 s
        await r.rate(PAPERS, time_budget=10)
        assert len(empty_stub.chat_calls()) == 4
    finally:
        await client.close()


async def test_failed_batches_back_off_too(empty_stub: OpenAIStub) -> None:
    empty_stub.failures.extend(["500"] * 10)
    r, client = await rater(empty_stub, retry_after=60)
    try:
        for _ in range(4):
            await r.rate(PAPERS[:25], time_budget=10)
        assert len(empty_stub.chat_calls()) == 1
    finally:
        await client.close()


async def test_rebuilding_the_configured_feed_spends_nothing_more(
    tmp_path: Path, empty_stub: OpenAIStub
) -> None:
    settings = make_settings(
        tmp_path, ai_config(empty_stub, enabled=False), interests="LLM serving", relevance_weight=1
    )
    app = create_app(settings, transport=httpx.MockTransport(FakeArxiv()), store=MemoryStore())
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert (await c.get("/rss")).status_code == 200
        first = len(empty_stub.chat_calls())
        assert first >= 1
        services = await app.state.runtime.services()
        listing_now = await services.catalog.get(services.configured.categories)
        for _ in range(6):  # what polls every 30 s would do: rebuild the configured feed
            await build_feed(services, plan_feed(services, services.configured, None), listing_now)
        assert len(empty_stub.chat_calls()) == first
    finally:
        await app.state.runtime.aclose()
