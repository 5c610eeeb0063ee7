"""HEAD, OPTIONS, CORS, the query-string limit, the Host rules, byte-bounded body cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.caches import LRU
from app.main import create_app
from app.store import MemoryStore
from tests.conftest import FakeArxiv, make_settings

pytestmark = pytest.mark.anyio


async def open_app(
    tmp_path: Path, **settings: object
) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    app = create_app(
        make_settings(tmp_path, **settings),
        transport=httpx.MockTransport(FakeArxiv()),
        store=MemoryStore(),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://feeds.test") as c:
        yield c, app
    await app.state.runtime.aclose()


@pytest.mark.parametrize("path", ["/rss", "/", "/health", "/api/papers", "/feed.json"])
async def test_head_is_get_without_a_body(client: httpx.AsyncClient, path: str) -> None:
    get = await client.get(path)
    head = await client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "cache-control"):
        assert head.headers.get(name) == get.headers.get(name), name


async def test_options_says_what_is_allowed(client: httpx.AsyncClient) -> None:
    r = await client.options("/rss/cs.AI")
    assert r.status_code == 204
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"
    assert r.headers["access-control-allow-origin"] == "*"
    cron = await client.options("/api/cron/refresh")
    assert cron.status_code == 204
    assert "access-control-allow-origin" not in cron.headers
    assert (await client.options("/nowhere")).status_code == 404


async def test_feeds_and_json_are_readable_from_any_origin(client: httpx.AsyncClient) -> None:
    for path in ("/rss", "/atom", "/feed.json", "/api/papers", "/api/categories", "/health"):
        r = await client.get(path, headers={"Origin": "https://reader.example"})
        assert r.headers["access-control-allow-origin"] == "*", path
        assert "ETag" in r.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in (await client.get("/")).headers


async def test_a_huge_query_string_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.get("/atom?types=all&keywords=&q=" + "x" * 20_000)
    assert r.status_code == 414
    assert r.json()["error"]["code"] == "query_too_long"


async def test_the_trailing_slash_redirect_is_relative(client: httpx.AsyncClient) -> None:
    r = await client.get("/rss/?keywords=RL", headers={"Host": "evil.example"})
    assert r.status_code == 308
    assert r.headers["location"] == "/rss?keywords=RL"


async def test_ignored_parameters_are_neither_keys_nor_echoed(tmp_path: Path) -> None:
    async for c, app in open_app(tmp_path):
        bodies = [
            (await c.get(f"/atom?types=all&keywords=&p={n}&q={'y' * 3000}")).content
            for n in range(5)
        ]
        services = await app.state.runtime.services()  # type: ignore[attr-defined]
    assert len(set(bodies)) == 1
    assert b"yyyy" not in bodies[0]
    assert len(services.rendered) == 1


async def test_self_links_follow_vercel_not_the_host_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERCEL_URL", "arxiv-feeds-abc.vercel.app")
    monkeypatch.setenv("VERCEL_PROJECT_PRODUCTION_URL", "feeds.example.org")
    async for c, _ in open_app(tmp_path):
        for path in ("/rss", "/atom", "/feeds.opml", "/digest.md", "/api/papers?limit=1", "/"):
            r = await c.get(path, headers={"Host": "evil.example"})
            assert r.status_code == 200, path
            assert b"evil.example" not in r.content, path
        rss = (await c.get("/rss", headers={"Host": "evil.example"})).text
        assert "https://feeds.example.org/rss" in rss


async def test_other_hosts_are_refused_when_hosts_are_listed(tmp_path: Path) -> None:
    async for c, _ in open_app(tmp_path, allowed_hosts=["feeds.test"]):
        assert (await c.get("/rss")).status_code == 200
        r = await c.get("/rss", headers={"Host": "evil.example"})
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "unknown_host"


def test_the_body_cache_is_bounded_in_bytes() -> None:
    cache: LRU[bytes] = LRU(100, max_bytes=1000, weigh=lambda k, v: len(v))
    for i in range(50):
        cache.put(f"k{i}", b"x" * 300)
    assert cache.bytes <= 1000
    assert len(cache) == 3
    assert cache.get("k49") is not None
    cache.put("huge", b"x" * 5000)
    assert cache.get("huge") is None
    cache.put("k49", b"x" * 10)
    assert cache.bytes == 610
