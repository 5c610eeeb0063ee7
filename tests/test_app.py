"""The app over ASGI, with arXiv answered by recorded listings on an httpx MockTransport."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import httpx
import pytest

from app.main import create_app
from app.store import MemoryStore
from tests.conftest import ALL4, FakeArxiv, listing, make_settings

pytestmark = pytest.mark.anyio
DC = "{http://purl.org/dc/elements/1.1/}"
ATOM = "{http://www.w3.org/2005/Atom}"


def items(body: bytes) -> list[ET.Element]:
    return ET.fromstring(body).findall("./channel/item")


def scores(body: bytes) -> list[float]:
    return [float(m) for m in re.findall(rb"Score:&lt;/strong&gt; ([\d.]+)", body)]


async def test_rss_is_the_configured_feed(client: httpx.AsyncClient, fake_arxiv: FakeArxiv) -> None:
    r = await client.get("/rss")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert fake_arxiv.paths() == [f"/rss/{ALL4}"]  # ONE request for all four categories
    entries = items(r.content)
    assert 0 < len(entries) <= 30
    assert scores(r.content) == sorted(scores(r.content), reverse=True)
    first = entries[0]
    assert first.findtext("title", "").startswith("OrchestrRL")
    assert first.findtext("guid") == "https://arxiv.org/abs/2601.01209v1"
    assert first.findtext("link") == "https://arxiv.org/abs/2601.01209"
    assert first.findtext("pubDate") == "Tue, 06 Jan 2026 00:00:00 -0500"
    authors = "Xin Tan, Yicheng Feng, Yu Zhou, Yimin Jiang, Yibo Zhu, Hong Xu"
    assert [e.text for e in first.findall(f"{DC}creator")] == [authors]  # one, as arXiv writes it
    assert feedparser.parse(r.content).entries[0].author == authors  # a reader keeps them all
    assert [c.text for c in first.findall("category")] == ["cs.DC"]
    description = first.findtext("description", "")
    assert "<strong>Matched keywords:</strong> RL, Training" in description
    assert "Post-training with reinforcement learning" in description


async def test_atom_has_authors_content_and_the_same_order(client: httpx.AsyncClient) -> None:
    rss, atom = await client.get("/rss"), await client.get("/atom")
    assert atom.headers["content-type"] == "application/atom+xml; charset=utf-8"
    entries = ET.fromstring(atom.content).findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        i.findtext("guid") for i in items(rss.content)
    ]
    first = entries[0]
    assert [a.findtext(f"{ATOM}name") for a in first.findall(f"{ATOM}author")][:2] == [
        "Xin Tan",
        "Yicheng Feng",
    ]
    content = first.find(f"{ATOM}content")
    assert content is not None
    assert content.get("type") == "html"
    assert first.findtext(f"{ATOM}published") == "2026-01-06T00:00:00-05:00"
    parsed = feedparser.parse(atom.content)
    assert parsed.bozo == 0
    assert len(parsed.entries) == len(entries)


async def test_one_upstream_request_per_day(
    client: httpx.AsyncClient, fake_arxiv: FakeArxiv
) -> None:
    for path in ("/rss", "/atom", "/rss?keywords=RL", "/rss?limit=3", "/atom?types=all"):
        assert (await client.get(path)).status_code == 200
    assert len(fake_arxiv.requests) == 1
    await client.get(f"/rss/{ALL4.replace('+', ',')}")  # same listing, other spelling
    await client.get("/rss/cs.LG+cs.AI+cs.DC+cs.CL")  # same categories, other order
    assert len(fake_arxiv.requests) == 1


async def test_per_category_feed_and_overrides(
    client: httpx.AsyncClient, fake_arxiv: FakeArxiv
) -> None:
    r = await client.get("/rss/cs.DC", params={"keywords": "GPU, cluster", "limit": "2"})
    assert r.status_code == 200
    assert fake_arxiv.paths() == ["/rss/cs.DC"]
    entries = items(r.content)
    assert 1 <= len(entries) <= 2
    for e in entries:
        text = e.findtext("description", "")
        assert re.search(r"Matched keywords:</strong> (GPU|Cluster|cluster)", text)
    excluded = await client.get("/rss/cs.DC", params={"keywords": "cluster", "exclude": "cluster"})
    assert items(excluded.content) == []
    replaced = await client.get("/rss/cs.AI", params={"types": "replace", "keywords": ""})
    assert all(
        "Type:</strong> replace" in e.findtext("description", "") for e in items(replaced.content)
    )
    assert items(replaced.content)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/rss/cs.XX", 404, "unknown_category"),
        ("/atom/cs.AI+math.FOO", 404, "unknown_category"),
        ("/rss/cs..AI", 422, "invalid_query"),
        ("/rss/%3Cscript%3E", 422, "invalid_query"),
        ("/rss/cs.AI%2F..%2F..%2Fetc", 404, "not_found"),
        ("/rss/cs.AI%20..etc", 422, "invalid_query"),
        ("/nowhere", 404, "not_found"),
        ("/rss?limit=abc", 422, "invalid_query"),
        ("/rss?limit=0", 422, "invalid_query"),
        ("/rss?limit=100000", 422, "invalid_query"),
        ("/rss?min_score=-1", 422, "invalid_query"),
        ("/rss?types=old", 422, "invalid_query"),
        ("/rss?keywords=" + ",".join(f"k{i}" for i in range(60)), 422, "invalid_query"),
        ("/rss?keywords=" + "x" * 3000, 422, "invalid_query"),
    ],
)
async def test_bad_input_is_a_clear_json_error(
    client: httpx.AsyncClient, fake_arxiv: FakeArxiv, path: str, status: int, code: str
) -> None:
    r = await client.get(path)
    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert fake_arxiv.requests == []  # nothing reached arXiv


async def test_unknown_category_suggests_names(client: httpx.AsyncClient) -> None:
    error = (await client.get("/rss/cs.A")).json()["error"]
    assert "cs.AI" in error["hint"]
    assert "/api/categories" in error["hint"]
    categories = {c["id"]: c for c in (await client.get("/api/categories")).json()}
    assert categories["cs.AI"]["name"] == "Artificial Intelligence"
    assert categories["cs"]["is_archive"] is True
    assert len(categories) > 150


async def test_unicode_survives(tmp_path: Path) -> None:
    fake = FakeArxiv()
    fake.serve("stat.ML", body=listing("unicode"))
    settings = make_settings(tmp_path, {"categories": ["stat.ML"], "keywords": ["LLM"]})
    app = create_app(settings, transport=httpx.MockTransport(fake), store=MemoryStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        rss = await c.get("/rss", params={"types": "all"})
        atom = await c.get("/atom", params={"types": "all"})
    for body in (rss.content, atom.content):
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0
        (entry,) = parsed.entries
        assert entry.title.startswith("Gödel, Escher and $\\alpha$-Divergence")
        assert "大语言模型 <script>alert(1)</script>" in entry.title  # text, escaped in XML
        assert "李华" in {a["name"] for a in entry.authors} or "李华" in entry.get("author", "")
        html = entry.get("content", [{}])[0].get("value") or entry.summary
        assert "$\\mathcal{O}(n \\log n)$" in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html  # the abstract's markup is escaped
        assert "<b>bold</b>" not in html
    assert "<script>" not in rss.text.replace("&lt;script&gt;", "")


async def test_broken_upstream_without_cache_is_503(
    client: httpx.AsyncClient, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.serve(ALL4, body=b"<html><body>maintenance</body></html>")
    r = await client.get("/rss")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "upstream_parse_error"
    assert "HTML page" in r.json()["error"]["message"]
    assert int(r.headers["retry-after"]) >= 1
    fake_arxiv.serve("cs.IR", status=404)  # not a configured category: fetched on its own
    odd = await client.get("/rss/cs.IR")
    assert odd.status_code == 502
    assert odd.json()["error"]["code"] == "upstream_error"
    fake_arxiv.serve("cs.CV", status=503)
    down = await client.get("/rss/cs.CV")
    assert down.status_code == 503
    assert int(down.headers["retry-after"]) >= 1


async def test_sample_mode_serves_bundled_listings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, arxiv_source="sample")
    app = create_app(settings, store=MemoryStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/rss")
        single = await c.get("/rss/cs.CL+cs.DC")
    assert r.status_code == 200
    assert r.headers["x-arxiv-feeds-sample"] == "1"
    assert "(sample data)" in ET.fromstring(r.content).findtext("./channel/title", "")
    assert items(r.content)
    assert {c.text for e in items(single.content) for c in e.findall("category")} & {
        "cs.CL",
        "cs.DC",
    }


async def test_auto_mode_falls_back_to_samples_when_offline(tmp_path: Path) -> None:
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    settings = make_settings(tmp_path, arxiv_source="auto")
    app = create_app(settings, transport=httpx.MockTransport(offline), store=MemoryStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/rss")
    assert r.status_code == 200
    assert r.headers["x-arxiv-feeds-sample"] == "1"
    assert len(items(r.content)) > 5


async def test_health(client: httpx.AsyncClient) -> None:
    body = (await client.get("/health")).json()
    assert body["status"] == "ok"
    assert body["store"] == "memory"
    assert body["upstream_fetches"] == 0
    await client.get("/rss")
    assert (await client.get("/health")).json()["upstream_fetches"] == 1
