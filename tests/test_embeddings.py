"""Embeddings through the real openai client against the loopback stub's ``/v1/embeddings``."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI

from app.arxiv.parse import parse_listing
from app.errors import LLMBudgetExceeded, LLMError
from app.llm.budget import CallBudget
from app.llm.client import LLMClient
from app.llm.embeddings import (
    Embedder,
    EmbeddingsSettings,
    build_embedder,
    cosine,
    decode_vector,
    encode_vector,
    paper_text,
)
from app.models import Paper
from app.store import MemoryStore, SQLiteStore, Store
from tests.conftest import ALL4, DAYS, listing
from tests.loopback import free_port
from tests.openai_stub import EMBEDDING_DIM, OpenAIStub, stub_vector
from tests.test_store import RedisServer, need_redis

pytestmark = pytest.mark.anyio


def _papers() -> list[Paper]:
    seen: dict[str, Paper] = {}
    for day in DAYS:
        data = listing(f"{ALL4}-{day}")
        for paper in parse_listing(data, ["x"], datetime(2026, 1, 6, tzinfo=UTC)).papers:
            seen.setdefault(paper.versioned_id, paper)
    return list(seen.values())


PAPERS = _papers()
OPENED: list[AsyncOpenAI] = []


@pytest.fixture
async def stub() -> AsyncIterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s
    while OPENED:
        await OPENED.pop().close()


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    need_redis()
    server = RedisServer(free_port())
    server.start()
    yield server.url
    server.stop()


def embedder(stub: OpenAIStub, store: Store, cap: int = 10_000, **cfg: Any) -> Embedder:
    settings = EmbeddingsSettings(base_url=stub.base_url, model="stub-embed", **cfg)
    client = AsyncOpenAI(base_url=stub.base_url, api_key="test", max_retries=0)
    OPENED.append(client)
    llm = LLMClient(client, settings.model, settings.timeout)
    return Embedder(llm, store, CallBudget(store, cap), settings)


def inputs(stub: OpenAIStub) -> list[list[str]]:
    """The texts of each embeddings request so far."""
    return [list(c.body["input"]) for c in stub.embedding_calls()]


def close_to(vector: Any, expected: list[float]) -> bool:
    return len(vector) == len(expected) and all(
        math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
        for a, b in zip(vector, expected, strict=True)
    )


async def test_papers_are_embedded_in_batches_then_never_again(stub: OpenAIStub) -> None:
    n, batch = len(PAPERS), 32
    assert n > 3 * batch  # the listings hold enough papers for four batches
    e = embedder(stub, MemoryStore(), batch_size=batch, concurrency=2)
    vectors = await e.embed_papers(PAPERS)
    sizes = sorted((len(texts) for texts in inputs(stub)), reverse=True)
    assert sizes == [batch] * (n // batch) + [n % batch]
    assert e.calls == len(sizes) == math.ceil(n / batch)
    assert stub.peak_concurrency <= 2
    assert set(vectors) == {p.versioned_id for p in PAPERS}
    for paper in PAPERS[:10]:
        assert close_to(vectors[paper.versioned_id], stub_vector(paper_text(paper)))
    again = await e.embed_papers([*PAPERS, *PAPERS[:5]])  # repeats are fine
    assert len(stub.embedding_calls()) == len(sizes)  # all cached: no request
    assert all(again[k] == v for k, v in vectors.items())


async def test_a_request_carries_model_dimensions_and_title_with_abstract(
    stub: OpenAIStub,
) -> None:
    e = embedder(stub, MemoryStore(), dimensions=16)
    vectors = await e.embed_papers(PAPERS[:2])
    (call,) = stub.embedding_calls()
    assert call.body["model"] == "stub-embed"
    assert call.body["dimensions"] == 16
    assert call.body["encoding_format"] == "base64"
    assert call.body["input"][0] == f"{PAPERS[0].title}\n\n{PAPERS[0].abstract}"
    assert {len(v) for v in vectors.values()} == {16}
    other = embedder(stub, e.store)  # other dimensions: another vector space, another request
    assert {len(v) for v in (await other.embed_papers(PAPERS[:2])).values()} == {EMBEDDING_DIM}
    assert len(stub.embedding_calls()) == 2


async def test_a_provider_without_base64_gets_floats(stub: OpenAIStub) -> None:
    stub.refuse_base64 = True
    e = embedder(stub, MemoryStore())
    first = await e.embed_texts(["first text"])
    second = await e.embed_texts(["second text"])
    formats = [c.body["encoding_format"] for c in stub.embedding_calls()]
    assert formats == ["base64", "float", "float"]  # refused once, then floats for good
    assert [c.status for c in stub.embedding_calls()] == [400, 200, 200]
    assert close_to(first[0], stub_vector("first text"))
    assert close_to(second[0], stub_vector("second text"))
    assert e.calls == 2  # the refused request and its retry count as one call


async def test_floats_when_configured(stub: OpenAIStub) -> None:
    e = embedder(stub, MemoryStore(), encoding_format="float")
    (vector,) = await e.embed_texts(["some words"])
    assert [c.body["encoding_format"] for c in stub.embedding_calls()] == ["float"]
    assert close_to(vector, stub_vector("some words"))


async def test_texts_are_cached_by_text_and_model(stub: OpenAIStub) -> None:
    store = MemoryStore()
    e = embedder(stub, store)
    texts = [
        "Sparse attention for long contexts",
        "Graph partitioning",
        " Sparse attention for long contexts ",
    ]
    vectors = await e.embed_texts(texts)
    assert inputs(stub) == [["Sparse attention for long contexts", "Graph partitioning"]]
    assert vectors[0] == vectors[2]
    assert close_to(vectors[1], stub_vector("Graph partitioning"))
    assert await e.embed_texts(texts[:2]) == vectors[:2]
    assert len(stub.embedding_calls()) == 1
    settings = e.cfg.model_copy(update={"model": "another-model"})
    e2 = Embedder(e.client, store, e.budget, settings)
    await e2.embed_texts(texts[:1])
    assert len(stub.embedding_calls()) == 2  # another model, another vector


async def test_similar_texts_are_closer_than_unrelated_ones(stub: OpenAIStub) -> None:
    e = embedder(stub, MemoryStore())
    a, b, c = await e.embed_texts(
        [
            "Efficient sparse attention for long context language models",
            "Sparse attention makes long context language models efficient",
            "Consensus protocols for Byzantine fault tolerant distributed storage",
        ]
    )
    assert cosine(a, b) > 0.6
    assert cosine(a, b) > cosine(a, c) + 0.3


def test_cosine() -> None:
    assert cosine([1.0, 0.0], [0.0, 2.0]) == 0.0
    assert math.isclose(cosine([1.0, 2.0], [2.0, 4.0]), 1.0)
    assert math.isclose(cosine([1.0, 0.0], [-3.0, 0.0]), -1.0)
    assert cosine([0.0, 0.0], [1.0, 1.0]) == 0.0
    with pytest.raises(ValueError, match="lengths"):
        cosine([1.0], [1.0, 2.0])


def test_vectors_are_stored_as_float32() -> None:
    raw = encode_vector([0.5, -1.25, 3.0])
    assert len(raw) == 12
    vector = decode_vector(raw)
    assert vector is not None
    assert list(vector) == [0.5, -1.25, 3.0]
    assert decode_vector(b"") is None
    assert decode_vector(b"abc") is None  # not a whole number of floats
    assert decode_vector(encode_vector([math.nan])) is None


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_vectors_outlive_a_store_restart(
    stub: OpenAIStub, tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    open_store: Callable[[], Store]
    if kind == "sqlite":
        path = tmp_path / "kv.sqlite3"
        open_store = lambda: SQLiteStore(path)  # noqa: E731
    else:
        from app.store.redis import RedisStore

        url = request.getfixturevalue("redis_url")
        prefix = f"test:{uuid.uuid4().hex}:"
        open_store = lambda: RedisStore(url, prefix=prefix)  # noqa: E731
    store = open_store()
    first = await embedder(stub, store, batch_size=50).embed_papers(PAPERS)
    texts = await embedder(stub, store).embed_texts(["a library entry"])
    await store.close()
    calls = len(stub.embedding_calls())
    assert calls == math.ceil(len(PAPERS) / 50) + 1
    reopened = open_store()
    try:
        e = embedder(stub, reopened, batch_size=50)
        assert await e.embed_papers(PAPERS) == first
        assert await e.embed_texts(["a library entry"]) == texts
        assert len(stub.embedding_calls()) == calls  # nothing asked again
    finally:
        await reopened.close()


async def test_every_request_counts_against_the_daily_cap(stub: OpenAIStub) -> None:
    store = MemoryStore()
    e = embedder(stub, store, cap=2, batch_size=10, concurrency=1)
    with pytest.raises(LLMBudgetExceeded):
        await e.embed_papers(PAPERS[:35])  # four batches, two allowed
    assert len(stub.embedding_calls()) == 2
    assert await e.budget.used() >= 2
    assert len(await e.cached([e.paper_key(p) for p in PAPERS[:35]])) == 20  # kept
    more = embedder(stub, store, cap=4, batch_size=10, concurrency=1)  # today's count is shared
    with pytest.raises(LLMBudgetExceeded):
        await more.embed_papers(PAPERS[:35])
    tomorrow = embedder(stub, MemoryStore(), cap=2, batch_size=10)
    tomorrow.store = store
    tomorrow.budget = CallBudget(store, 2, clock=lambda: datetime(2099, 1, 1, tzinfo=UTC))
    await tomorrow.embed_papers(PAPERS[:35])  # a new day: the two batches still missing
    assert len(stub.embedding_calls()) == 4


@pytest.mark.parametrize(
    "mode", ["500", "429", "timeout", "garbage", "empty", "short", "ragged", "nan"]
)
async def test_failures_raise_back_off_and_store_nothing(stub: OpenAIStub, mode: str) -> None:
    stub.hang = 3
    store = MemoryStore()
    e = embedder(stub, store, timeout=0.5, retry_after=60)
    stub.failures.append(mode)
    with pytest.raises(LLMError) as failed:
        await e.embed_texts(["one text", "another text"])
    assert not isinstance(failed.value, LLMBudgetExceeded)
    assert await e.cached([e.text_key("one text"), e.text_key("another text")]) == {}
    with pytest.raises(LLMError, match="failed recently"):
        await e.embed_texts(["one text"])  # backing off: no request
    assert len(stub.embedding_calls()) == 1
    eager = embedder(stub, MemoryStore(), timeout=0.5, retry_after=0)
    stub.failures.append(mode)
    with pytest.raises(LLMError):
        await eager.embed_texts(["one text", "another text"])
    vector, _ = await eager.embed_texts(["one text", "another text"])  # no backoff: tried again
    assert close_to(vector, stub_vector("one text"))


async def test_backoff_doubles_and_a_success_resets_it(stub: OpenAIStub) -> None:
    store = MemoryStore()
    e = embedder(stub, store, retry_after=100)
    for _ in range(2):
        stub.failures.append("500")
        with pytest.raises(LLMError):
            await e.embed_texts(["x y"])
        await store.delete("blocked:embeddings:" + e.cfg.tag)  # as if the wait were over
    assert await store.get("embeddings-failures:" + e.cfg.tag) == b"2"
    await e.embed_texts(["x y"])
    assert await store.get("embeddings-failures:" + e.cfg.tag) is None


async def test_one_failed_batch_keeps_the_others(stub: OpenAIStub) -> None:
    e = embedder(stub, MemoryStore(), batch_size=10, concurrency=1, retry_after=0)
    stub.failures.extend([None, "500"])  # type: ignore[list-item]
    with pytest.raises(LLMError):
        await e.embed_papers(PAPERS[:30])
    assert len(await e.cached([e.paper_key(p) for p in PAPERS[:30]])) == 20
    await e.embed_papers(PAPERS[:30])
    assert [len(t) for t in inputs(stub)] == [10, 10, 10, 10]


async def test_concurrent_calls_share_the_requests(stub: OpenAIStub) -> None:
    stub.latency = 0.2
    e = embedder(stub, MemoryStore(), batch_size=25)
    a, b = await asyncio.gather(e.embed_papers(PAPERS[:50]), e.embed_papers(PAPERS[:50]))
    assert a == b
    assert len(stub.embedding_calls()) == 2


async def test_an_unreadable_stored_vector_is_embedded_again(stub: OpenAIStub) -> None:
    store = MemoryStore()
    e = embedder(stub, store)
    await store.set(e.paper_key(PAPERS[0]), b"\x00\x01\x02")
    vectors = await e.embed_papers(PAPERS[:1])
    assert inputs(stub) == [[paper_text(PAPERS[0])]]
    assert close_to(vectors[PAPERS[0].versioned_id], stub_vector(paper_text(PAPERS[0])))


async def test_build_embedder_needs_a_key_unless_local(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("EMBED_KEY", raising=False)
    store = MemoryStore()
    remote = EmbeddingsSettings(base_url="https://api.example.org/v1", api_key_env="EMBED_KEY")
    assert build_embedder(remote, store, CallBudget(store, 1)) is None
    assert "$EMBED_KEY" in caplog.text
    monkeypatch.setenv("EMBED_KEY", "k")
    built = build_embedder(remote, store, CallBudget(store, 1))
    assert built is not None
    assert str(built.client.client.base_url).startswith("https://api.example.org/v1")
    await built.client.aclose()
    monkeypatch.delenv("EMBED_KEY")
    local = EmbeddingsSettings(base_url="http://127.0.0.1:11434/v1", model="nomic-embed-text")
    ollama = build_embedder(local, store, CallBudget(store, 1))
    assert ollama is not None
    assert ollama.client.model == "nomic-embed-text"
    await ollama.client.aclose()


def test_settings_validate() -> None:
    with pytest.raises(ValueError, match="http"):
        EmbeddingsSettings(base_url="ftp://x")
    with pytest.raises(ValueError, match="batch_size"):
        EmbeddingsSettings(batch_size=0)
    with pytest.raises(ValueError, match="extra"):
        EmbeddingsSettings.model_validate({"modle": "typo"})
    a = EmbeddingsSettings(model="m")
    assert a.tag != EmbeddingsSettings(model="m", dimensions=256).tag
    assert a.tag == EmbeddingsSettings(model="m", batch_size=7).tag  # batching is no new space
