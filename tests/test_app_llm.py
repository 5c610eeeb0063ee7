"""Feeds with LLM summaries and ratings: cost safety, caching and failures, end to end over ASGI."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest

from app.store import MemoryStore
from tests.conftest import ai_config, open_client
from tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.anyio


def summarized(body: bytes) -> list[bool]:
    return ["AI summary (stub-model)" in (i.findtext("description") or "") for i in items(body)]


def items(body: bytes) -> list[ET.Element]:
    return ET.fromstring(body).findall("./channel/item")


async def test_top_papers_of_the_configured_feed_get_summaries(
    tmp_path: Path, stub: OpenAIStub
) -> None:
    store = MemoryStore()
    async for c in open_client(tmp_path, ai_config(stub), store):
        first = await c.get("/rss")
        assert summarized(first.content)[:5] == [True] * 5
        assert not any(summarized(first.content)[5:])
        assert len(stub.chat_calls()) == 5
        description = items(first.content)[0].findtext("description") or ""
        assert "<h2>1." in description  # Markdown rendered to HTML
        again = await c.get("/rss")
        assert again.content == first.content
        atom = await c.get("/atom")
        assert feedparser.parse(atom.content).entries[0].content[0].value.count("<h2>") >= 4
        assert len(stub.chat_calls()) == 5  # the second request paid nothing
    async for c in open_client(tmp_path, ai_config(stub), store):  # a restart, same store
        assert summarized((await c.get("/rss")).content)[:5] == [True] * 5
    assert len(stub.chat_calls()) == 5


async def test_ad_hoc_feeds_never_cause_calls(tmp_path: Path, stub: OpenAIStub) -> None:
    async for c in open_client(tmp_path, ai_config(stub), MemoryStore()):
        for path in ("/rss/cs.AI", "/rss?keywords=RL", "/atom?limit=3", "/rss/cs.LG+cs.CL"):
            assert (await c.get(path)).status_code == 200
        assert stub.chat_calls() == []
        await c.get("/rss")
        assert len(stub.chat_calls()) == 5
        narrowed = await c.get("/rss?limit=3")  # existing summaries show everywhere
        assert summarized(narrowed.content) == [True] * 3
        assert len(stub.chat_calls()) == 5


async def test_llm_down_still_serves_the_feed(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.always_fail = "500"
    async for c in open_client(tmp_path, ai_config(stub), MemoryStore()):
        r = await c.get("/rss")
        assert r.status_code == 200
        assert items(r.content)
        assert not any(summarized(r.content))
        calls = len(stub.chat_calls())
        assert calls >= 5
        stub.always_fail = None
        await c.get("/rss")  # failed papers wait for their backoff
        assert len(stub.chat_calls()) == calls


async def test_hostile_summary_is_sanitized(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.failures.extend(["html"] * 5)
    async for c in open_client(tmp_path, ai_config(stub), MemoryStore()):
        body = (await c.get("/rss")).content
    for item in items(body):
        tags = re.findall(r"<[^>]*>", item.findtext("description") or "")
        assert tags
        assert not [t for t in tags if re.search(r"script|onerror|<img|style", t, re.I)]
    assert b"<strong>bold</strong>" in body.replace(b"&lt;", b"<").replace(b"&gt;", b">")


async def test_relevance_reorders_and_shows_reasons(tmp_path: Path, stub: OpenAIStub) -> None:
    config = ai_config(stub, enabled=False)
    async for c in open_client(
        tmp_path, config, MemoryStore(), interests="LLM serving systems", relevance_weight=1.0
    ):
        body = (await c.get("/rss")).content
    calls = stub.chat_calls()
    assert 1 <= len(calls) <= 2  # all candidates in batches of 25
    reasons = re.findall(rb"Relevance:&lt;/strong&gt; ([\d.]+)/10", body)
    assert len(reasons) == len(items(body))
    totals = [float(m) for m in re.findall(rb"Score:&lt;/strong&gt; ([\d.]+)", body)]
    assert totals == sorted(totals, reverse=True)
