"""The JSON Feed 1.1 renderer, pure: a ranked listing in, a document that follows the spec out."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from app.arxiv.parse import parse_listing
from app.models import AnnounceType, FeedQuery, RankedFeed
from app.ranking.rank import rank
from app.render.feeds import FeedMeta, item_html
from app.render.jsonfeed import render_json_feed
from tests.conftest import ALL4, listing

CATS = ("cs.AI", "cs.CL", "cs.DC", "cs.LG")
META = FeedMeta(
    title="arXiv papers", self_url="https://f.test/feed.json", site_url="https://f.test/"
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# https://jsonfeed.org/version/1.1: every top-level and item field the spec defines
FEED_FIELDS = {
    "version", "title", "home_page_url", "feed_url", "description", "user_comment", "next_url",
    "icon", "favicon", "authors", "language", "expired", "hubs", "items",
}  # fmt: skip
ITEM_FIELDS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "tags", "language",
    "attachments",
}  # fmt: skip


def ranked(name: str, keywords: tuple[str, ...] = ("LLM", "RL"), **kw: Any) -> RankedFeed:
    parsed = parse_listing(listing(name), list(CATS), datetime(2026, 1, 6, 12, tzinfo=UTC))
    query = FeedQuery(categories=CATS, keywords=keywords, types=frozenset(AnnounceType), limit=500)
    return RankedFeed(
        query=query,
        listing_day=parsed.day,
        fetched_at=parsed.fetched_at,
        total_listed=len(parsed.papers),
        items=rank(parsed.papers, query),
        **kw,
    )


def check_spec(doc: dict[str, Any]) -> None:
    """The JSON Feed 1.1 rules this service relies on (required fields, types, extensions)."""
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str)
    assert doc["title"]
    assert isinstance(doc["items"], list)
    for key in doc:
        assert key in FEED_FIELDS or re.match(r"^_[A-Za-z]", key), key
    for url in (doc["home_page_url"], doc["feed_url"]):
        assert url.startswith(("http://", "https://"))
    ids = [item["id"] for item in doc["items"]]
    assert len(ids) == len(set(ids))  # ids are unique
    for item in doc["items"]:
        for key in item:
            assert key in ITEM_FIELDS or re.match(r"^_[A-Za-z]", key), key
        assert isinstance(item["id"], str)
        assert item["id"]
        assert isinstance(item.get("content_html") or item.get("content_text"), str)
        assert RFC3339.match(item["date_published"]), item["date_published"]
        assert datetime.fromisoformat(item["date_published"]).tzinfo is not None
        assert item["authors"]
        assert all(set(a) == {"name"} and isinstance(a["name"], str) for a in item["authors"])
        assert all(isinstance(t, str) for t in item["tags"])
        assert isinstance(item["_arxiv"], dict)


def test_a_listing_renders_as_a_valid_json_feed() -> None:
    feed = ranked(f"{ALL4}-2026-01-06")
    body = render_json_feed(feed, META)
    doc = json.loads(body)
    check_spec(doc)
    assert doc["title"] == "arXiv papers: cs.AI+cs.CL+cs.DC+cs.LG"
    assert doc["feed_url"] == META.self_url
    assert doc["home_page_url"] == META.site_url
    assert len(doc["items"]) == len(feed.items) > 5
    for out, item in zip(doc["items"], feed.items, strict=True):
        p = item.paper
        assert out["id"] == p.guid
        assert out["url"] == p.link
        assert out["title"] == p.title
        assert out["content_html"] == item_html(item)  # the same HTML as the RSS description
        assert out["summary"] == p.abstract
        assert datetime.fromisoformat(out["date_published"]) == p.published
        assert [a["name"] for a in out["authors"]] == p.authors
        assert out["tags"] == p.categories
        ext = out["_arxiv"]
        assert ext["score"] == item.score
        assert ext["matched"] == item.matched
        assert ext["announce_type"] == p.announce_type.value
        assert ext["rank"] == item.rank
        assert ext["about"] == "https://f.test/docs"
    assert render_json_feed(feed, META) == body  # the same feed, the same bytes


def test_unicode_is_kept_and_markup_escaped() -> None:
    feed = ranked("unicode", keywords=())
    body = render_json_feed(feed, META)
    check_spec(json.loads(body))
    assert "李华".encode() in body  # UTF-8, not \u escapes
    (item,) = [i for i in json.loads(body)["items"] if "Gödel" in i["title"]]
    assert "大语言模型 <script>alert(1)</script>" in item["title"]  # text in a JSON string
    assert "&lt;b&gt;bold&lt;/b&gt;" in item["content_html"]
    assert "<b>bold</b>" not in item["content_html"]


def test_sample_data_says_so_and_empty_feeds_are_valid() -> None:
    feed = ranked(f"{ALL4}-2026-01-06", keywords=("no-such-keyword-anywhere",), sample=True)
    doc = json.loads(render_json_feed(feed, META))
    check_spec(doc)
    assert doc["items"] == []
    assert doc["title"].endswith("(sample data)")


def test_naive_dates_are_taken_as_utc() -> None:
    feed = ranked(f"{ALL4}-2026-01-06")
    first = feed.items[0]
    naive = first.paper.model_copy(update={"published": datetime(2026, 1, 6, 5)})
    feed = feed.model_copy(update={"items": [first.model_copy(update={"paper": naive})]})
    (item,) = json.loads(render_json_feed(feed, META))["items"]
    assert item["date_published"] == "2026-01-06T05:00:00Z"


def test_notes_reach_every_feed_description() -> None:
    from app.render.feeds import render_atom, render_rss

    note = "Not found on arXiv: 2601.99999."
    for keywords in (("LLM",), ("no-such-keyword-anywhere",)):
        feed = ranked(f"{ALL4}-2026-01-06", keywords=keywords, notes=(note,))
        assert note in json.loads(render_json_feed(feed, META))["description"]
        assert note.encode() in render_rss(feed, META)
        assert note.encode() in render_atom(feed, META)
    plain = ranked(f"{ALL4}-2026-01-06")
    assert "Not found" not in json.loads(render_json_feed(plain, META))["description"]
