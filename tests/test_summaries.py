"""Summaries and relevance through the real openai client against a loopback OpenAI stub."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI

from app.arxiv.parse import parse_listing
from app.errors import LLMError
from app.llm.budget import CallBudget
from app.llm.client import LLMClient
from app.models import Paper
from app.store import MemoryStore, Store
from app.summaries.prompts import load_prompt
from app.summaries.relevance import RelevanceRater, parse_ratings
from app.summaries.settings import AISummary
from app.summaries.summarize import Summarizer
from tests.conftest import ALL4, listing
from tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.anyio
PAPERS: list[Paper] = parse_listing(
    listing(f"{ALL4}-2026-01-06"), ["x"], datetime(2026, 1, 6, tzinfo=UTC)
).papers


OPENED: list[AsyncOpenAI] = []


@pytest.fixture
async def stub() -> AsyncIterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s
    while OPENED:
        await OPENED.pop().close()


def llm_for(stub: OpenAIStub, timeout: float = 5.0) -> LLMClient:
    client = AsyncOpenAI(base_url=stub.base_url, api_key="test", max_retries=0)
    OPENED.append(client)
    return LLMClient(client, "stub-model", timeout)


def summarizer(
    stub: OpenAIStub, store: Store | None = None, cap: int = 1000, **cfg: Any
) -> Summarizer:
    store = store or MemoryStore()
    settings = AISummary(enabled=True, **cfg)
    prompt = load_prompt(settings.prompt_file, settings.summary_language)
    return Summarizer(
        llm_for(stub, settings.timeout), store, settings, prompt, CallBudget(store, cap)
    )


async def test_summaries_are_requested_and_cached(stub: OpenAIStub) -> None:
    store = MemoryStore()
    s = summarizer(stub, store)
    got = await s.summarize(PAPERS[:3], time_budget=10)
    assert set(got) == {p.versioned_id for p in PAPERS[:3]}
    calls = stub.chat_calls()
    assert len(calls) == 3
    body = calls[0].body
    assert body["model"] == "stub-model"
    user = body["messages"][-1]["content"]
    assert "## 1. Main contributions" in user
    assert "## 4. Conclusions" in user
    assert "Simplified Chinese" in user
    titles = {
        c.body["messages"][-1]["content"].split("Title: ", 1)[1].split("\n")[0] for c in calls
    }
    assert titles == {p.title for p in PAPERS[:3]}
    again = await summarizer(stub, store).summarize(PAPERS[:3], time_budget=10)  # a restart
    assert again == got
    assert len(stub.chat_calls()) == 3  # nothing paid twice


async def test_language_and_prompt_file_change_the_key(stub: OpenAIStub, tmp_path: Path) -> None:
    store = MemoryStore()
    await summarizer(stub, store).summarize(PAPERS[:1], 10)
    await summarizer(stub, store, summary_language="en").summarize(PAPERS[:1], 10)
    english = stub.chat_calls()[-1].body["messages"][-1]["content"]
    assert "Write in English." in english
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Summarize {title} in one line. {language}", encoding="utf-8")
    await summarizer(stub, store, prompt_file=prompt).summarize(PAPERS[:1], 10)
    custom = stub.chat_calls()[-1].body["messages"][-1]["content"]
    assert custom.startswith(f"Summarize {PAPERS[0].title} in one line. Write in Simplified")
    assert len(stub.chat_calls()) == 3


async def test_concurrency_cap_holds(stub: OpenAIStub) -> None:
    stub.latency = 0.2
    s = summarizer(stub, max_workers=3)
    start = time.monotonic()
    got = await s.summarize(PAPERS[:9], time_budget=20)
    assert len(got) == 9
    assert stub.peak_concurrency == 3
    assert time.monotonic() - start >= 0.55  # three rounds of 0.2 s


@pytest.mark.parametrize("mode", ["429", "500", "garbage", "empty", "timeout"])
async def test_failures_are_not_cached_and_back_off(stub: OpenAIStub, mode: str) -> None:
    stub.hang = 3
    store = MemoryStore()
    stub.failures.append(mode)
    s = summarizer(stub, store, timeout=0.5, retry_after=60)
    got = await s.summarize(PAPERS[:2], time_budget=10)
    assert len(got) == 1  # the other paper still got its summary
    calls = len(stub.chat_calls())
    assert await s.summarize(PAPERS[:2], time_budget=10) == got  # in backoff: no new call
    assert len(stub.chat_calls()) == calls
    stub.failures.append(mode)
    eager = summarizer(stub, MemoryStore(), timeout=0.5, retry_after=0)  # no backoff
    assert len(await eager.summarize(PAPERS[:1], time_budget=10)) == 0
    assert len(await eager.summarize(PAPERS[:1], time_budget=10)) == 1  # tried again


async def test_time_budget_returns_early_and_finishes_in_background(stub: OpenAIStub) -> None:
    stub.latency = 0.5
    store = MemoryStore()
    s = summarizer(stub, store)
    start = time.monotonic()
    got = await s.summarize(PAPERS[:2], time_budget=0.1)
    assert got == {}
    assert time.monotonic() - start < 0.4
    later = await s.summarize(PAPERS[:2], time_budget=5)  # joins the calls under way
    assert len(later) == 2
    assert len(stub.chat_calls()) == 2


async def test_daily_cap_holds_across_instances(stub: OpenAIStub) -> None:
    store = MemoryStore()
    first = await summarizer(stub, store, cap=3).summarize(PAPERS[:2], 10)
    second = await summarizer(stub, store, cap=3).summarize(PAPERS[2:6], 10)
    assert len(first) == 2
    assert len(second) == 1
    assert len(stub.chat_calls()) == 3


async def test_html_in_an_answer_is_kept_raw_for_later_sanitizing(stub: OpenAIStub) -> None:
    stub.failures.append("html")
    got = await summarizer(stub).summarize(PAPERS[:1], 10)
    assert "<script>" in got[PAPERS[0].versioned_id].markdown  # stored as Markdown text


def test_parse_ratings_is_lenient_but_validated() -> None:
    fenced = '```json\n{"ratings": [{"id": "1", "score": 12, "reason": "a\\nb"}]}\n```'
    (r,) = parse_ratings(fenced).ratings
    assert (r.id, r.score, r.reason) == ("1", 10.0, "a b")
    assert parse_ratings('Sure! {"id": "2", "score": 3}').ratings[0].score == 3
    for bad in ("no json here", '{"ratings": [{"score": "high"}]}', "{not json}"):
        with pytest.raises(LLMError):
            parse_ratings(bad)


async def test_relevance_batches_and_caches(stub: OpenAIStub) -> None:
    store = MemoryStore()
    papers = PAPERS  # 50 distinct papers
    rater = RelevanceRater(llm_for(stub), store, "LLM inference", CallBudget(store, 100), 25)
    got = await rater.rate(papers, time_budget=10)
    assert len(stub.chat_calls()) == 2
    assert set(got) == {p.versioned_id for p in papers}
    assert all(0 <= r.score <= 10 and r.reason for r in got.values())
    sent = stub.chat_calls()[0].body
    assert "response_format" in sent
    assert "LLM inference" in sent["messages"][-1]["content"]
    again = RelevanceRater(llm_for(stub), store, "LLM inference", CallBudget(store, 100), 25)
    assert await again.rate(papers, 10) == got
    assert len(stub.chat_calls()) == 2
    other = RelevanceRater(llm_for(stub), store, "graph theory", CallBudget(store, 100), 25)
    await other.rate(papers[:5], 10)
    assert len(stub.chat_calls()) == 3  # new interests, new ratings


async def test_relevance_survives_garbage(stub: OpenAIStub) -> None:
    store = MemoryStore()
    stub.failures.extend(["garbage"])
    rater = RelevanceRater(llm_for(stub), store, "x", CallBudget(store, 100), 10)
    got = await rater.rate(PAPERS[:20], time_budget=10)
    assert len(got) == 10  # one batch failed, the other was rated
    assert len(stub.chat_calls()) == 2
