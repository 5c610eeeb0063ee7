"""Every key a realistic run writes is durable (no expiry) or a cache (an expiry), as
``app.store.keys`` declares, on SQLite (read from its file) and on a real Redis (``PTTL``).

Under ``maxmemory-policy volatile-lru`` Redis evicts only keys with an expiry: a cache key
without one is never evicted (the store fills up for good), and a durable record with one can
be evicted (a profile lost, a digest sent twice). The run: the configured feed and one with
overrides, a configured profile with a library ranked by embeddings, a profile PUT through the
API, ``?like=`` of a paper looked up from arXiv's API, a new category, summaries and relevance
ratings from an LLM, and the cron delivering to a loopback webhook receiver. The delivery
ledger, kept without expiry, removes its old days itself.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.arxiv.parse import parse_listing
from app.delivery.ledger import Ledger, Slot
from app.main import create_app
from app.models import AnnounceType
from app.store import FallbackStore, MemoryStore, Store
from app.store.keys import expiry_problem
from tests.conftest import ALL4, FakeArxiv, ai_config, listing, make_settings
from tests.delivery_servers import WebhookReceiver
from tests.openai_stub import OpenAIStub
from tests.test_store import RedisServer, redis_server

__all__ = ["redis_server"]

pytestmark = pytest.mark.anyio

API = Path(__file__).parent / "data" / "arxiv-api" / "id_list.xml"
SECRET = "cron-s3cret"
TOKEN = "owner-token-123"
# Looked-up papers are given an expiry by the change that budgets strangers' lookups
# (app/arxiv/lookup.py); until then they are checked apart, by an expected failure.
PENDING = ("paper-text:", "paper-latest:")
WRITTEN = {  # namespaces the run must have written, so that the audit is not vacuous
    "profile", "profiles", "delivery", "summary", "relevance", "embedding", "embedding-text",
    "listing", "cat", "day", "days", "counter", "adhoc", "paper-text", "paper-latest",
}  # fmt: skip


async def realistic_run(tmp_path: Path, stub: OpenAIStub, store: Store | None) -> None:
    """The run of the module docstring, on ``store`` (None: the settings' SQLite file)."""
    day = parse_listing(listing(f"{ALL4}-2026-01-06"), ALL4.split("+"), datetime.now(UTC))
    papers = [p for p in day.papers if p.announce_type is AnnounceType.NEW]
    library = [{"id": "p0", "type": "article", "title": p.title, "abstract": p.abstract}
               for p in papers[:3]]  # fmt: skip
    (tmp_path / "mine.json").write_text(json.dumps(library), encoding="utf-8")
    with WebhookReceiver() as rx:
        config = ai_config(stub) | {
            "public_url": "https://feeds.example.org",
            "delivery": {"webhooks": [{"kind": "generic", "url": f"{rx.url}/default"}]},
            "embeddings": {"base_url": stub.base_url, "model": "stub-embed", "batch_size": 16},
            "profiles": {"lib": {"keywords": [], "library": "mine.json", "max_papers": 10}},
        }
        settings = make_settings(
            tmp_path,
            config,
            cron_secret=SECRET,
            admin_token=TOKEN,
            interests="LLM serving systems",
            arxiv_api_url="http://127.0.0.1:9/api/query",
            delivery_allow_private=True,
        )
        fake = FakeArxiv()
        fake.serve("query", body=API.read_bytes(), **{"Content-Type": "application/atom+xml"})
        app = create_app(settings, transport=httpx.MockTransport(fake), store=store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            mine = {"categories": ["cs.CL"], "like": ["0704.0001"]}
            admin = {"Authorization": f"Bearer {TOKEN}"}
            assert (await c.put("/api/profiles/mine", json=mine, headers=admin)).status_code == 200
            for path in (
                "/rss",
                "/rss?keywords=GPU&min_score=1",
                "/feed.json?limit=5",
                "/p/lib/feed.json",
                "/p/lib/feed.json?limit=5",
                "/p/mine/rss",
                "/api/papers?keywords=&like=0704.0002&limit=3",
                "/rss/cs.IR",
                "/health",
            ):
                r = await c.get(path)
                assert r.status_code == 200, (path, r.text[:300])
            auth = {"Authorization": f"Bearer {SECRET}"}
            report = (await c.post("/api/cron/refresh", headers=auth)).json()
        await app.state.runtime.aclose()
        assert report["delivery"]["channels"][0]["status"] == "sent"
        assert rx.received
    assert stub.chat_calls()
    assert stub.embedding_calls()


def sqlite_keys(db: Path) -> dict[str, bool]:
    """Each key in the SQLite file, and whether it expires."""
    with sqlite3.connect(db) as conn:
        return {k: e is not None for k, e in conn.execute("SELECT key, expires_at FROM kv")}


def redis_keys(url: str, prefix: str) -> dict[str, bool]:
    """Each key under ``prefix`` in Redis, and whether it expires (``PTTL`` >= 0)."""
    import redis

    r = redis.Redis.from_url(url)
    try:
        return {
            key.decode().removeprefix(prefix): int(r.pttl(key)) >= 0
            for key in r.scan_iter(f"{prefix}*", count=1000)
        }
    finally:
        r.close()


def problems(found: dict[str, bool], keep: Callable[[str], bool]) -> dict[str, str]:
    """The keys among ``keep``'s whose expiry is not as ``app.store.keys`` says it must be."""
    out = {k: expiry_problem(k, expires) for k, expires in found.items() if keep(k)}
    return {k: p for k, p in out.items() if p is not None}


async def audited(
    backend: str, tmp_path: Path, stub: OpenAIStub, request: pytest.FixtureRequest
) -> dict[str, bool]:
    """The keys a realistic run writes on ``backend``, and whether each expires."""
    if backend == "sqlite":
        await realistic_run(tmp_path, stub, None)
        return sqlite_keys(tmp_path / "store.sqlite3")
    from app.store.redis import RedisStore

    server: RedisServer = request.getfixturevalue("redis_server")
    prefix = f"audit:{uuid.uuid4().hex}:"
    await realistic_run(tmp_path, stub, FallbackStore(RedisStore(server.url, prefix=prefix)))
    return redis_keys(server.url, prefix)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_every_key_is_durable_or_expires(
    backend: str,
    tmp_path: Path,
    stub: OpenAIStub,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    found = await audited(backend, tmp_path, stub, request)
    assert {k.split(":", 1)[0] for k in found} >= WRITTEN
    assert problems(found, lambda k: not k.startswith(PENDING)) == {}


async def test_looked_up_papers_expire(
    tmp_path: Path,
    stub: OpenAIStub,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    found = await audited("sqlite", tmp_path, stub, request)
    assert {k for k in found if k.startswith(PENDING)}
    assert problems(found, lambda k: k.startswith(PENDING)) == {}


async def test_the_ledger_keeps_days_without_expiry_and_forgets_old_ones() -> None:
    store = MemoryStore()
    ledger = Ledger(store, keep_days=14)
    first = date(2026, 1, 6)

    async def deliver_on(offset: int) -> list[str]:
        slot = Slot("default", "generic-abc", first + timedelta(days=offset))
        assert await ledger.claim(slot)
        await ledger.part_sent(slot, 1)
        await ledger.finish(slot, 1)
        days: list[str] = json.loads(await store.get(slot.base + ":days") or b"")
        return days

    assert await deliver_on(0) == ["2026-01-06"]
    assert await deliver_on(1) == ["2026-01-06", "2026-01-07"]
    assert await deliver_on(14) == ["2026-01-06", "2026-01-07", "2026-01-20"]  # 14 days kept
    assert await deliver_on(16) == ["2026-01-20", "2026-01-22"]
    for gone in (first, first + timedelta(days=1)):
        slot = Slot("default", "generic-abc", gone)
        assert not await ledger.sent(slot)
        assert await store.get(slot.key + ":parts") is None
    assert await ledger.sent(Slot("default", "generic-abc", first + timedelta(days=14)))
    assert not await ledger.sent(Slot("ml", "generic-abc", first + timedelta(days=16)))
