"""Embeddings of a day's papers against a loopback OpenAI-compatible server.

1,000 papers, 1,536-dimensional vectors (text-embedding-3-small's size), 20 ms of latency per
request, ``concurrency`` 2, a SQLite store. For each batch size: requests made and wall time on
a cold store, then the same papers again (all from the store: 0 requests) after reopening the
store. Baseline, measured in the same run: one text per request (batch size 1).

Run: ``.venv/bin/python bench/embeddings.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openai import AsyncOpenAI  # noqa: E402

from app.arxiv.parse import parse_listing  # noqa: E402
from app.llm.budget import CallBudget  # noqa: E402
from app.llm.client import LLMClient  # noqa: E402
from app.llm.embeddings import Embedder, EmbeddingsSettings  # noqa: E402
from app.store import SQLiteStore  # noqa: E402
from bench.make_listing import make_listing  # noqa: E402
from tests.openai_stub import OpenAIStub  # noqa: E402

N = 1000
DIM = 1536
LATENCY = 0.02
PAPERS = parse_listing(
    make_listing(N, "cs.LG", "2026-01-06").encode(), ["cs.LG"], datetime.now(UTC)
).papers


async def run(stub: OpenAIStub, path: Path, batch: int) -> tuple[int, float, float, int]:
    """(requests, cold seconds, warm seconds after reopening the store, warm requests)."""
    cfg = EmbeddingsSettings(base_url=stub.base_url, model=f"bench-{batch}", batch_size=batch)
    client = AsyncOpenAI(base_url=stub.base_url, api_key="x", max_retries=0)
    llm = LLMClient(client, cfg.model, cfg.timeout)
    before = len(stub.embedding_calls())
    store = SQLiteStore(path)
    start = time.perf_counter()
    await Embedder(llm, store, CallBudget(store, 10**6), cfg).embed_papers(PAPERS)
    cold = time.perf_counter() - start
    requests = len(stub.embedding_calls()) - before
    await store.close()
    store = SQLiteStore(path)
    start = time.perf_counter()
    vectors = await Embedder(llm, store, CallBudget(store, 10**6), cfg).embed_papers(PAPERS)
    warm = time.perf_counter() - start
    assert len(vectors) == len(PAPERS)
    await store.close()
    await client.close()
    return requests, cold, warm, len(stub.embedding_calls()) - before - requests


async def main() -> None:
    print(f"{len(PAPERS)} papers, {DIM} dimensions, {LATENCY * 1000:.0f} ms a request")
    with OpenAIStub(latency=LATENCY) as stub, tempfile.TemporaryDirectory() as tmp:
        stub.embedding_dim = DIM
        base_requests, base_cold, _, _ = await run(stub, Path(tmp) / "base.sqlite3", 1)
        print(f"baseline, batch size 1: {base_requests} requests, {base_cold:.2f} s")
        for batch in (64, 128, 256):
            requests, cold, warm, again = await run(stub, Path(tmp) / f"{batch}.sqlite3", batch)
            print(
                f"batch size {batch}: {requests} requests ({base_requests / requests:.0f}x fewer), "
                f"cold {cold:.2f} s ({base_cold / cold:.1f}x faster); again after a store "
                f"restart: {again} requests, {warm * 1000:.0f} ms"
            )
    print(f"stored: {DIM * 4} bytes a vector ({DIM * 4 * N / 2**20:.1f} MiB for {N} papers)")


if __name__ == "__main__":
    asyncio.run(main())
