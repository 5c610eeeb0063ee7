"""``/feeds.opml``: one outline per configured category plus the configured feed, absolute URLs
that a feed reader can follow, and a document that stays well-formed whatever the names."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import feedparser
import httpx
import pytest

from app.main import create_app
from app.render.opml import Outline, feed_outlines, render_opml
from app.store import MemoryStore
from tests.conftest import FakeArxiv, make_settings

pytestmark = pytest.mark.anyio


def outlines(body: bytes) -> list[ET.Element]:
    root = ET.fromstring(body)
    assert root.tag == "opml"
    assert root.get("version") == "2.0"
    return root.findall("./body/outline")


async def test_every_configured_feed_is_listed(client: httpx.AsyncClient) -> None:
    r = await client.get("/feeds.opml")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/x-opml; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="arxiv-feeds.opml"'
    assert ET.fromstring(r.content).findtext("./head/title") == "arXiv papers"
    found = outlines(r.content)
    assert [o.get("xmlUrl") for o in found] == [
        "http://feeds.test/rss",
        "http://feeds.test/rss/cs.AI",
        "http://feeds.test/rss/cs.CL",
        "http://feeds.test/rss/cs.DC",
        "http://feeds.test/rss/cs.LG",
    ]
    assert [o.get("text") for o in found] == [
        "arXiv papers: cs.AI+cs.CL+cs.DC+cs.LG",
        "arXiv papers: Artificial Intelligence (cs.AI)",
        "arXiv papers: Computation and Language (cs.CL)",
        "arXiv papers: Distributed, Parallel, and Cluster Computing (cs.DC)",
        "arXiv papers: Machine Learning (cs.LG)",
    ]
    for outline in found:
        assert outline.get("type") == "rss"
        assert outline.get("title") == outline.get("text")
    assert found[0].get("htmlUrl") == "http://feeds.test/"  # the reading page
    assert found[1].get("htmlUrl") == "https://arxiv.org/list/cs.AI/new"
    for outline in found:  # whole sentences, not cut
        assert (outline.get("description") or "").endswith(
            "filtered by keywords and ranked by score"
        )
    head = ET.fromstring(r.content).find("./head")
    assert head is not None
    assert [e.tag for e in head] == ["title"]  # only what the W3C validator knows


async def test_a_reader_can_follow_every_outline(client: httpx.AsyncClient) -> None:
    for outline in outlines((await client.get("/feeds.opml")).content):
        url = outline.get("xmlUrl") or ""
        assert url.startswith("http://feeds.test/")
        feed = await client.get(urlsplit(url).path)
        assert feed.status_code == 200, url
        parsed = feedparser.parse(feed.content)
        assert parsed.bozo == 0, url
        assert parsed.entries, url


async def test_public_url_makes_the_links(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        {"categories": ["cs.LG", "stat.ML"]},
        public_url="https://feeds.example.org/arxiv/",
        feed_title='Papers & "news" <daily>',
    )
    app = create_app(settings, transport=httpx.MockTransport(FakeArxiv()), store=MemoryStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = (await c.get("/feeds.opml")).content
    await app.state.runtime.aclose()
    assert ET.fromstring(body).findtext("./head/title") == 'Papers & "news" <daily>'
    found = outlines(body)
    assert [o.get("xmlUrl") for o in found] == [
        "https://feeds.example.org/arxiv/rss",
        "https://feeds.example.org/arxiv/rss/cs.LG",
        "https://feeds.example.org/arxiv/rss/stat.ML",
    ]
    assert found[2].get("text") == 'Papers & "news" <daily>: Machine Learning (stat.ML)'


def test_one_category_is_one_feed() -> None:
    (only,) = feed_outlines(["hep-th"], "http://h/", "arXiv papers")
    assert only.xml_url == "http://h/rss"
    assert only.text == "arXiv papers: High Energy Physics - Theory (hep-th)"
    assert only.html_url == "https://arxiv.org/list/hep-th/new"


def test_the_document_is_always_well_formed() -> None:
    hostile = Outline(
        text='A & B <script>"x"</script> \x00\x01\x1b end \ufffe',
        xml_url="https://h/rss?a=1&b=<2>",
        description="]]> <!-- -->",
    )
    body = render_opml("Title \x0c with a form feed & more", [hostile])
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(body)
    assert root.findtext("./head/title") == "Title  with a form feed & more"
    (outline,) = root.findall("./body/outline")
    assert outline.get("text") == 'A & B <script>"x"</script>  end '
    assert outline.get("xmlUrl") == "https://h/rss?a=1&b=<2>"
    assert outline.get("description") == "]]> <!-- -->"
    assert b"<script>" not in body


def test_drops_exactly_the_characters_xml_cannot_hold() -> None:
    # XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    def xml_char(c: int) -> bool:
        return c in (0x9, 0xA, 0xD) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or c >= 0x10000

    every = "".join(map(chr, range(0x110000)))
    body = render_opml(every, [])
    kept = "".join(c for c in every if xml_char(ord(c)))
    # a parser reads a carriage return in text as a line feed (XML 1.0, 2.11)
    assert ET.fromstring(body).findtext("./head/title") == kept.replace("\r", "\n")
