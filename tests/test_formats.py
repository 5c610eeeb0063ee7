"""One registry of output formats: a format registered before ``create_app()`` is served at the
configured, per-category and profile URLs, documented in OpenAPI, offered on the page, in the
builder, in ``/api/profiles`` and in the digest's links, and readable from any origin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.models import RankedFeed
from app.render.feeds import FeedMeta
from app.render.formats import FORMATS, Format, register, unregister
from app.store import MemoryStore
from tests.conftest import FakeArxiv, make_settings

pytestmark = pytest.mark.anyio
TEXT = "text/plain; charset=utf-8"
PROFILES = {"ml": {"title": "My ML feed", "categories": ["cs.LG"], "keywords": ["Learning"]}}


def render_text(feed: RankedFeed, meta: FeedMeta) -> bytes:
    """A toy format: the title, then one paper title per line."""
    return "\n".join([meta.title, *(i.paper.title for i in feed.items)]).encode()


TOY = Format("txt", "txt", TEXT, "Plain text", render_text, "plain text", short="Text")


@pytest.fixture
def toy() -> Iterator[Format]:
    before = list(FORMATS)
    register(TOY)
    try:
        yield TOY
    finally:
        unregister(TOY.key)
    assert list(FORMATS) == before


async def open_app(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        make_settings(tmp_path, {"profiles": PROFILES}),
        transport=httpx.MockTransport(FakeArxiv()),
        store=MemoryStore(),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await app.state.runtime.aclose()


async def test_a_registered_format_is_served_everywhere(tmp_path: Path, toy: Format) -> None:
    async for c in open_app(tmp_path):
        configured = await c.get("/txt")
        category = await c.get("/txt/cs.AI", headers={"Origin": "https://elsewhere.example"})
        profile = await c.get("/p/ml/txt")
        unknown = await c.get("/txt/cs.XX")
        again = await c.get("/txt", headers={"If-None-Match": configured.headers["etag"]})
        page = (await c.get("/")).text
        profile_page = (await c.get("/p/ml/")).text
        built = await c.get("/build", params={"format": "txt", "categories": "cs.LG"})
        listed = (await c.get("/api/profiles")).json()
        digest = (await c.get("/digest.md")).text
        profile_digest = (await c.get("/p/ml/digest.md")).text
        spec = (await c.get("/openapi.json")).json()
    for r in (configured, category, profile):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == TEXT
    assert configured.text.startswith("arXiv papers\n")
    assert profile.text.startswith("My ML feed\n")
    assert len(category.text.splitlines()) > 1
    assert category.headers["access-control-allow-origin"] == "*"
    assert unknown.status_code == 404
    assert again.status_code == 304
    box = page[page.index('id="subscribe"') : page.index('id="build"')]
    assert 'value="http://t/txt"' in box
    assert 'title="Plain text feed">Text</a>' in box
    assert 'href="http://t/txt/cs.AI">Plain text</a>' in box
    assert 'value="http://t/p/ml/txt"' in profile_page
    assert '<option value="txt">Plain text</option>' in page
    assert built.status_code == 303
    assert built.headers["location"] == "/txt/cs.LG"
    assert listed[0]["feeds"]["txt"] == "http://t/p/ml/txt"
    assert "[Plain text](http://t/txt)" in digest
    assert "[RSS](http://t/p/ml/rss)" in profile_digest
    assert "[Plain text](http://t/p/ml/txt)" in profile_digest
    for path in ("/txt", "/txt/{categories}", "/p/{name}/txt"):
        assert list(spec["paths"][path]["get"]["responses"]["200"]["content"]) == ["text/plain"]


async def test_the_registry_is_restored(tmp_path: Path) -> None:
    async for c in open_app(tmp_path):
        assert (await c.get("/txt")).status_code == 404
        assert (await c.get("/rss")).status_code == 200
    assert list(FORMATS) == ["rss", "atom", "json", "digest"]


async def test_each_route_documents_its_own_media_type(tmp_path: Path) -> None:
    async for c in open_app(tmp_path):
        paths = (await c.get("/openapi.json")).json()["paths"]
    expected = {
        "rss": "application/rss+xml",
        "atom": "application/atom+xml",
        "feed.json": "application/feed+json",
        "digest.md": "text/markdown",
    }
    for path, media in expected.items():
        routes = [f"/{path}", f"/p/{{name}}/{path}"]
        routes += [f"/{path}/{{categories}}"] if path != "digest.md" else []
        for route in routes:
            assert list(paths[route]["get"]["responses"]["200"]["content"]) == [media], route
    assert "/digest.md/{categories}" not in paths


def test_a_format_cannot_take_a_taken_key_or_path() -> None:
    with pytest.raises(ValueError, match="clashes"):
        register(Format("rss2", "rss", TEXT, "RSS again", render_text, "RSS again"))
    with pytest.raises(ValueError, match="clashes"):
        register(Format("rss", "rss2", TEXT, "RSS again", render_text, "RSS again"))
    with pytest.raises(ValueError, match="one URL segment"):
        Format("x", "a/b", TEXT, "X", render_text, "x")
    assert list(FORMATS) == ["rss", "atom", "json", "digest"]
