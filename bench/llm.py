"""LLM work against a loopback OpenAI-compatible server with 1 s of latency per call.

Targets (issue: LLM summaries):
1. 30 papers to summarize, ``max_workers`` 5: wall time <= 7 s (30 x 1 s one at a time: 30 s).
2. An immediate second run: 0 LLM calls, and < 50 ms added to the feed request compared
   with the same feed built without LLM features (baseline measured in the same run).
3. Relevance ratings for 200 papers: <= 10 LLM calls.

Run: ``.venv/bin/python bench/llm.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.arxiv.parse import parse_listing  # noqa: E402
from app.config import load_settings  # noqa: E402
from app.pipeline import build_feed  # noqa: E402
from app.queries import default_query  # noqa: E402
from app.store import MemoryStore  # noqa: E402
from app.wiring import build_services  # noqa: E402
from bench.make_listing import make_listing  # noqa: E402
from tests.openai_stub import OpenAIStub  # noqa: E402

CATS = ["cs.LG"]
LISTING = make_listing(400, "cs.LG", "2026-01-06").encode()


def serve_listing(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=LISTING)


def settings_for(stub: OpenAIStub | None, tmp: Path, **extra: Any) -> Any:
    config = tmp / "config.json"
    config.write_text("{}", encoding="utf-8")
    ai: dict[str, Any] = {"enabled": False}
    if stub is not None:
        ai = {
            "enabled": True,
            "base_url": stub.base_url,
            "model": "stub-model",
            "max_papers_to_summarize": 30,
            "max_workers": 5,
            "time_budget": 60,
            "timeout": 30,
        }
    return load_settings(
        config_file=config,
        categories=CATS,
        keywords=[],
        max_papers=30,
        arxiv_rss_url="http://127.0.0.1:9/rss",
        arxiv_source="live",
        min_request_interval=0,
        ai_summary=ai,
        **extra,
    )


async def timed_build(services: Any, repeats: int = 20) -> float:
    """Median seconds to build the configured feed from scratch (listing already cached)."""
    query = default_query(services.settings)
    listing = await services.catalog.get(query.categories)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        await build_feed(services, query, listing)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def summaries(tmp: Path) -> None:
    with OpenAIStub(latency=1.0) as stub:
        store = MemoryStore()
        services = build_services(
            settings_for(stub, tmp), transport=httpx.MockTransport(serve_listing), store=store
        )
        query = default_query(services.settings)
        listing = await services.catalog.get(query.categories)
        start = time.perf_counter()
        feed = await build_feed(services, query, listing)
        cold = time.perf_counter() - start
        made = sum(1 for i in feed.items if i.summary)
        calls = len(stub.chat_calls())
        print(
            f"1. summaries: {made} papers, {calls} calls, peak concurrency "
            f"{stub.peak_concurrency}, wall {cold:.2f} s (target <= 7 s; "
            f"one at a time would take {calls * 1.0:.0f} s, ratio {calls / cold:.1f}x)"
        )
        with_ai = await timed_build(services)
        second_calls = len(stub.chat_calls()) - calls
        await services.aclose()
    plain = build_services(
        settings_for(None, tmp), transport=httpx.MockTransport(serve_listing), store=MemoryStore()
    )
    baseline = await timed_build(plain)
    await plain.aclose()
    print(
        f"2. second run: {second_calls} LLM calls; feed built in {with_ai * 1000:.2f} ms with "
        f"cached summaries vs {baseline * 1000:.2f} ms without LLM features: "
        f"{(with_ai - baseline) * 1000:.2f} ms added (target < 50 ms)"
    )


async def relevance(tmp: Path) -> None:
    from openai import AsyncOpenAI

    from app.llm.budget import CallBudget
    from app.llm.client import LLMClient
    from app.summaries.relevance import RelevanceRater

    papers = parse_listing(LISTING, CATS, datetime.now(UTC)).papers[:200]
    with OpenAIStub(latency=1.0) as stub:
        client = AsyncOpenAI(base_url=stub.base_url, api_key="x", max_retries=0)
        store = MemoryStore()
        rater = RelevanceRater(
            LLMClient(client, "stub-model", 30), store, "LLM systems", CallBudget(store, 1000)
        )
        start = time.perf_counter()
        rated = await rater.rate(papers, time_budget=60)
        took = time.perf_counter() - start
        await client.close()
    print(
        f"3. relevance: {len(rated)}/{len(papers)} papers rated in "
        f"{len(stub.chat_calls())} calls, {took:.2f} s (target <= 10 calls)"
    )


async def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        await summaries(Path(tmp))
        await relevance(Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
