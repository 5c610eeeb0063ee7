"""The reading page (``/``), the feed builder (``/build``) and ``/favicon.ico``, over ASGI.

The page puts the ranked papers first (each with why it is there, a TL;DR, the rest folded,
arXiv/PDF/code links), then a subscribe box with one URL per format and the builder, whose
categories are checkboxes grouped by archive. Hostile titles are escaped and summaries
sanitized; a Content-Security-Policy allows exactly its one inline script and style; it answers
304 to a current copy; ``/build`` redirects to the feed its form describes, passing ``authors``
and ``like`` through. The page in a real browser: ``tests/test_page_browser.py``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser
import httpx
import pytest
from pydantic import Field

from app.main import create_app
from app.models import (
    AnnounceType,
    FeedQuery,
    Paper,
    RankedFeed,
    Relevance,
    ScoredPaper,
    Summary,
)
from app.render.page import CSP, PageMeta, render_page
from app.store import MemoryStore
from tests.conftest import FakeArxiv, listing, make_settings

pytestmark = pytest.mark.anyio

BASE = "http://feeds.test"
SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def directive(csp: str, name: str) -> list[str]:
    for part in csp.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    raise AssertionError(f"no {name} in {csp}")


async def test_page_puts_the_papers_first(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = r.text
    rss = feedparser.parse((await client.get("/rss")).content)
    assert len(rss.entries) > 20
    for entry in rss.entries[:20]:  # the feed's top papers, in the same order
        assert f'<a href="{entry.link}">' in page
    assert page.index(rss.entries[0].link) < page.index(rss.entries[1].link)
    assert rss.entries[20].link not in page  # the page shows the top 20
    assert "10 more in the feed." in page
    first = page.index('<ol class="papers">')
    assert first < page.index('id="subscribe"') < page.index('id="build"')
    top = rss.entries[0].link.rsplit("/", 1)[-1]
    assert f'<a href="https://arxiv.org/pdf/{top}v1">PDF</a>' in page
    assert "src=" not in page
    assert "<link" not in page


async def test_subscribe_box_has_one_url_per_format(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    box = page[page.index('id="subscribe"') : page.index('id="build"')]
    for path in ["/rss", "/atom", "/feed.json"]:
        assert box.count(f'value="{BASE}{path}"') == 1
        assert f'data-copy="{BASE}{path}"' in box
    visible, folded = box.split('<details class="more">')
    for cat in ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]:  # per-category feeds: folded
        assert f"{BASE}/rss/{cat}" not in visible
        assert f'href="{BASE}/rss/{cat}"' in folded
        assert f'href="{BASE}/feed.json/{cat}"' in folded
    assert "cs.DC · Distributed, Parallel, and Cluster Computing" in folded
    assert 'href="/feeds.opml"' in folded
    assert 'href="/digest.md"' in folded


async def test_builder_picks_categories_with_checkboxes(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    form = page[page.index('<form id="builder"') : page.index("</form>")]
    assert 'method="get" action="/build"' in form
    assert '<select name="categories"' not in form  # no Ctrl-click list
    for cat in ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]:
        assert f'name="categories" value="{cat}" checked>' in form
    assert 'name="categories" value="hep-th">' in form  # the whole taxonomy to pick from
    assert 'name="categories" value="stat.ML">' in form
    groups = re.findall(r"<details( open)?><summary>(.*?)</summary>", form)
    labels = [label for _, label in groups]
    assert labels[0].startswith("cs · Computer Science")
    assert any(label.startswith("stat · Statistics") for label in labels)
    assert [label for opened, label in groups if opened] == [labels[0]]  # the chosen archive
    for name in ["keywords", "exclude", "authors", "like", "min_score"]:
        assert f'name="{name}"' in form


async def test_an_empty_feed_says_why(tmp_path: Path) -> None:
    fake = FakeArxiv()
    settings = make_settings(tmp_path, {"categories": ["cs.AI"], "keywords": ["zebrafish"]})
    app = create_app(settings, transport=httpx.MockTransport(fake), store=MemoryStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        page = (await c.get("/")).text
    assert "No paper in this listing (" in page
    assert "matches the keywords zebrafish" in page
    assert '<ol class="papers">' not in page


def paper(abstract: str = "We do things.", authors: int = 2) -> Paper:
    when = datetime(2026, 1, 6, 5, tzinfo=UTC)
    return Paper(
        arxiv_id="2601.00001", version=2, title="A title", abstract=abstract,
        authors=[f"Author {n}" for n in range(authors)], categories=["cs.AI"],
        primary_category="cs.AI", announce_type=AnnounceType.NEW,
        announced=date(2026, 1, 6), published=when,
    )  # fmt: skip


def one_paper_page(item: ScoredPaper, sample: bool = False) -> str:
    when = datetime(2026, 1, 6, 5, tzinfo=UTC)
    feed = RankedFeed(
        query=FeedQuery(categories=("cs.AI",)), listing_day=date(2026, 1, 6), fetched_at=when,
        total_listed=1, items=[item], sample=sample,
    )  # fmt: skip
    meta = PageMeta(title="T", base_url=BASE, categories=("cs.AI",), keywords=("agents",))
    return render_page(feed, meta).decode()


def test_each_paper_says_why_it_is_there() -> None:
    relevance = Relevance(score=8, reason="Agents <b>planning</b>", model="m")
    item = ScoredPaper(
        paper=paper(), contributions={"keywords": 2.5}, matched=["agents", "planning"],
        title_matched=["planning"], rank=1, relevance=relevance,
    )  # fmt: skip
    page = one_paper_page(item)
    why = re.search(r'<p class="why">(.*?)</p>', page)
    assert why is not None
    assert why.group(1) == (
        "score <b>2.5</b> · matches <mark>agents</mark>, <mark>planning</mark> (title) · "
        "relevance <b>8/10</b>: Agents &lt;b&gt;planning&lt;/b&gt;"
    )


class FollowedPaper(ScoredPaper):
    """A ScoredPaper with a reason this page does not know by name."""

    followed_authors: list[str] = Field(default_factory=list)


def test_further_reasons_are_shown_too() -> None:
    item = FollowedPaper(
        paper=paper(), matched=[], title_matched=[], rank=1,
        followed_authors=["Author 1", "<Author 2>"],
    )  # fmt: skip
    page = one_paper_page(item)
    assert "followed authors: Author 1, &lt;Author 2&gt;" in page
    quiet = FollowedPaper(paper=paper(), matched=[], title_matched=[], rank=1)
    assert "followed authors" not in one_paper_page(quiet)


def test_tldr_is_visible_and_the_rest_folded() -> None:
    when = datetime(2026, 1, 6, 5, tzinfo=UTC)
    markdown = (
        "## 1. Main contributions\n\nA planner for agents. It is fast. "
        + "More words. " * 40
        + "\n\n## 2. Methods\n\nDetails."
    )
    summary = Summary(
        versioned_id="2601.00001v2", model="m", language="en", source="abstract",
        markdown=markdown, created_at=when,
    )  # fmt: skip
    abstract = "We plan. " * 80 + "Code: https://github.com/org/planner."
    item = ScoredPaper(
        paper=paper(abstract, authors=12), matched=[], title_matched=[], rank=1,
        summary=summary,
    )  # fmt: skip
    page = one_paper_page(item)
    tldr = re.search(r'<div class="tldr"><b>TL;DR:</b> <p>(.*?)</p></div>', page)
    assert tldr is not None
    assert tldr.group(1).startswith("A planner for agents. It is fast. More words.")
    assert len(tldr.group(1)) <= 300
    assert "<details><summary>Full AI summary (m)</summary>" in page
    assert "<h2>2. Methods</h2>" in page  # the whole summary, folded
    assert "<details><summary>Abstract</summary>" in page
    assert '<a href="https://github.com/org/planner" rel="nofollow noopener">Code</a>' in page
    assert "Author 7, <small>" not in page  # eight authors, then a count
    assert "Author 7 <small>and 4 more</small>" in page.replace(",", "")


def test_a_short_abstract_is_shown_whole() -> None:
    item = ScoredPaper(paper=paper("Short. Cut mid"), matched=[], title_matched=[], rank=1)
    page = one_paper_page(item, sample=True)
    assert '<div class="tldr"><b>Abstract:</b> <p>Short. Cut mid…</p></div>' in page
    assert "<details>" not in page.split('<main id="papers">')[1].split("</main>")[0]
    assert "real papers of that day, abstracts cut to about 300 characters" in page


async def test_favicon_is_an_icon(client: httpx.AsyncClient) -> None:
    r = await client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/x-icon"
    reserved, kind, count = struct.unpack("<HHH", r.content[:6])
    assert (reserved, kind, count) == (0, 1, 1)
    width, height, *_, size, offset = struct.unpack("<BBBBHHII", r.content[6:22])
    image = r.content[offset : offset + size]
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", image[16:24]) == (width, height) == (32, 32)


async def test_csp_allows_only_the_inline_script_and_style(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    csp = r.headers["content-security-policy"]
    assert csp == CSP
    [script] = SCRIPT.findall(r.text)
    [style] = STYLE.findall(r.text)
    assert directive(csp, "script-src") == [sha256(script)]
    assert directive(csp, "style-src") == [sha256(style)]
    assert directive(csp, "default-src") == ["'none'"]
    assert directive(csp, "connect-src") == ["'self'"]
    assert "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_page_answers_304_to_a_current_copy(client: httpx.AsyncClient) -> None:
    first = await client.get("/")
    etag = first.headers["etag"]
    again = await client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert (await client.get("/")).content == first.content


async def test_hostile_title_is_escaped(tmp_path: Path) -> None:
    fake = FakeArxiv()
    fake.serve("stat.ML", body=listing("unicode"))
    settings = make_settings(
        tmp_path,
        {"categories": ["stat.ML"], "keywords": ["LLM"]},
        announce_types=list(AnnounceType),
    )
    app = create_app(settings, transport=httpx.MockTransport(fake), store=MemoryStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        page = (await c.get("/")).text
    assert "大语言模型 &lt;script&gt;alert(1)&lt;/script&gt; &amp; LLM Inference" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page  # the abstract's markup, as text
    assert page.count("<script") == 1  # only the page's own
    assert "<b>bold</b>" not in page
    assert "李华" in page


def test_summaries_are_sanitized() -> None:
    when = datetime(2026, 1, 6, 5, tzinfo=UTC)
    paper = Paper(
        arxiv_id="2601.00001", version=1, title="A <i>title</i>", authors=["A. Author"],
        abstract="x", categories=["cs.AI"], primary_category="cs.AI",
        announce_type=AnnounceType.NEW, announced=date(2026, 1, 6), published=when,
    )  # fmt: skip
    markdown = (
        "**Bold** claim <img src=x onerror=alert(1)> [click](javascript:alert(2))\n\n"
        "<script>alert(3)</script>"
    )
    summary = Summary(
        versioned_id="2601.00001v1", model="m<o>del", language="en", source="abstract",
        markdown=markdown, created_at=when,
    )  # fmt: skip
    item = ScoredPaper(paper=paper, matched=["x"], title_matched=[], rank=1, summary=summary)
    feed = RankedFeed(
        query=FeedQuery(categories=("cs.AI",)), listing_day=date(2026, 1, 6), fetched_at=when,
        total_listed=1, items=[item],
    )  # fmt: skip
    page = render_page(feed, PageMeta(title="T", base_url=BASE, categories=("cs.AI",))).decode()
    assert "<details><summary>Full AI summary (m&lt;o&gt;del)</summary>" in page
    assert "<b>TL;DR:</b> <p><strong>Bold</strong> claim" in page
    assert "<strong>Bold</strong>" in page
    assert "A &lt;i&gt;title&lt;/i&gt;" in page
    assert "onerror" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert 'href="javascript:' not in page
    assert page.count("<script") == 1
    assert "<img" not in page


@pytest.mark.parametrize(
    ("fmt", "path"), [("rss", "/rss"), ("atom", "/atom"), ("json", "/feed.json")]
)
async def test_build_redirects_to_the_feed(
    client: httpx.AsyncClient, fake_arxiv: FakeArxiv, fmt: str, path: str
) -> None:
    fake_arxiv.serve("cs.DC+cs.LG", body=listing("cs.DC-2026-01-06"))  # no recorded pair
    query = {
        "categories": ["cs.DC", "cs.LG"],
        "keywords": " Inference,  speculative   decoding,inference ",
        "exclude": "",
        "min_score": "0.5",
        "format": fmt,
    }
    r = await client.get("/build", params=query)
    assert r.status_code == 303
    location = r.headers["location"]
    want = f"{path}/cs.DC+cs.LG?keywords=Inference,speculative%20decoding&min_score=0.5"
    assert location == want
    feed = await client.get(location)
    assert feed.status_code == 200, feed.text
    if fmt == "json":
        items = feed.json()["items"]
    else:
        parsed = feedparser.parse(feed.content)
        assert parsed.bozo == 0
        items = parsed.entries
    assert items


async def test_build_passes_authors_and_likes_through(client: httpx.AsyncClient) -> None:
    # ids in any form arXiv uses come out as the ids the feed ranks by (a feed likes a paper,
    # whatever its version)
    likes = "arXiv:2601.01493%20https://arxiv.org/abs/2601.01209v1"
    query = f"authors=Jane%20Doe,%20%20J.%20Smith&like={likes}&format=json"
    r = await client.get(f"/build?keywords=&{query}")
    assert r.status_code == 303
    assert r.headers["location"] == (
        "/feed.json?authors=Jane%20Doe,J.%20Smith&like=2601.01493,2601.01209"
    )


async def test_build_without_categories_keeps_the_configured_ones(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/build?categories=&keywords=&exclude=survey&min_score=&format=atom")
    assert r.status_code == 303
    assert r.headers["location"] == "/atom?exclude=survey"
    r = await client.get("/build")
    assert r.headers["location"] == "/rss"
    r = await client.get("/build?categories=cs.AI%2Bcs.lg")  # "+"-joined, any case
    assert r.headers["location"] == "/rss/cs.AI+cs.LG"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("categories=cs.XX", 404, "unknown_category"),
        ("categories=cs.AI&categories=cs_AI", 422, "invalid_query"),
        ("format=xml", 422, "invalid_query"),
        ("min_score=lots", 422, "invalid_query"),
        ("min_score=-1", 422, "invalid_query"),
        ("like=2601.01493,not-an-id", 422, "invalid_query"),
    ],
)
async def test_build_rejects_bad_values(
    client: httpx.AsyncClient, query: str, status: int, code: str
) -> None:
    r = await client.get(f"/build?{query}")
    assert r.status_code == status
    assert r.json()["error"]["code"] == code


async def test_build_error_is_a_page_for_a_browser(client: httpx.AsyncClient) -> None:
    r = await client.get("/build?categories=cs.XX", headers={"Accept": "text/html,*/*"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "arXiv has no category &#x27;cs.XX&#x27;" in r.text
    assert "did you mean cs.AI" in r.text
    assert r.headers["content-security-policy"] == CSP


def test_the_feeds_notes_show_on_the_page_escaped() -> None:
    when = datetime(2026, 1, 6, 5, tzinfo=UTC)
    feed = RankedFeed(
        query=FeedQuery(categories=("cs.AI",)), listing_day=date(2026, 1, 6), fetched_at=when,
        total_listed=0, items=[], notes=("Not found on arXiv: <2601.99999>.",),
    )  # fmt: skip
    page = render_page(feed, PageMeta(title="T", base_url=BASE, categories=("cs.AI",))).decode()
    assert '<p class="notice" role="status">Not found on arXiv: &lt;2601.99999&gt;.</p>' in page
