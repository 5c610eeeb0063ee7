"""Query parameters no route reads: a feed names them (header and description), the JSON API
refuses them; cache busters and utm_* tags pass silently."""

from __future__ import annotations

import feedparser
import httpx
import pytest

pytestmark = pytest.mark.anyio
NOTE = "Ignored parameter: keyword (did you mean keywords?)."


async def test_a_feed_names_the_parameters_it_ignored(client: httpx.AsyncClient) -> None:
    plain = await client.get("/rss?keywords=LLM")
    typo = {fmt: await client.get(f"/{fmt}?keyword=LLM") for fmt in ("rss", "atom", "feed.json")}
    after = await client.get("/rss")
    assert plain.headers.get("x-arxiv-feeds-ignored") is None
    for fmt, r in typo.items():
        assert r.status_code == 200, fmt
        assert r.headers["x-arxiv-feeds-ignored"] == "keyword"
    assert NOTE in feedparser.parse(typo["rss"].content).feed.description
    assert NOTE in feedparser.parse(typo["atom"].content).feed.subtitle
    assert NOTE in typo["feed.json"].json()["description"]
    assert "Ignored" not in after.text  # the note never leaks into another request's body
    assert after.headers.get("x-arxiv-feeds-ignored") is None
    assert typo["rss"].headers["etag"] != after.headers["etag"]


async def test_several_are_named_once_each_and_harmless_ones_pass(
    client: httpx.AsyncClient,
) -> None:
    many = await client.get("/rss/cs.CL?zeta=1&category=cs.LG&zeta=2&limt=5")
    harmless = await client.get("/atom?_=1736150400&utm_source=newsletter&utm_medium=email")
    known = await client.get("/feed.json?like=2601.01209&authors=Y.%20LeCun&types=all&limit=3")
    assert many.headers["x-arxiv-feeds-ignored"] == "category, limt, zeta"
    description = feedparser.parse(many.content).feed.description
    assert "Ignored parameters: category (categories go in the path: /rss/cs.AI+cs.LG), " in (
        description
    )
    assert "limt (did you mean limit?), zeta." in description
    assert harmless.status_code == known.status_code == 200
    assert harmless.headers.get("x-arxiv-feeds-ignored") is None
    assert known.headers.get("x-arxiv-feeds-ignored") is None


async def test_ignored_names_are_shown_safely(client: httpx.AsyncClient) -> None:
    r = await client.get("/rss", params={"<script>\r\nX-Evil: 1": "1", "é" * 100: "x"})
    assert r.status_code == 200
    header = r.headers["x-arxiv-feeds-ignored"]
    assert header.isascii()
    assert "\n" not in header
    assert "<script>" not in r.text
    assert len(header) < 200


async def test_the_owners_bodies_are_not_evicted_by_ignored_parameters(
    client: httpx.AsyncClient,
) -> None:
    from app.wiring import Services

    await client.get("/rss")
    services: Services = await client._transport.app.state.runtime.services()  # type: ignore[attr-defined]
    owned = len(services.owned_rendered)
    for n in range(20):
        assert (await client.get(f"/rss?x{n}=1")).status_code == 200
    assert len(services.owned_rendered) == owned


async def test_the_json_api_refuses_a_parameter_it_does_not_read(
    client: httpx.AsyncClient,
) -> None:
    typo = await client.get("/api/papers?category=cs.CL&keyword=LLM")
    fine = await client.get("/api/papers?category=cs.CL&keywords=LLM&offset=0&day=2026-01-06&_=1")
    assert typo.status_code == 422
    error = typo.json()["error"]
    assert "keyword" in error["message"]
    assert "did you mean keywords?" in error["message"]
    assert fine.status_code == 200
