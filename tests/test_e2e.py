"""End to end: the real service under uvicorn, arXiv played by a loopback server.

``uvicorn app.main:app`` runs as a subprocess configured only through its environment and a
``config.json`` (as in production); ``tests.arxiv_server.ArxivServer`` answers its upstream
requests from the recorded listings of 2026-01-06. The feeds are read with ``feedparser``, the
way a feed reader reads them, and checked against the source listing: every entry is a paper of
the listing with its title, link, version-specific id, date and authors; the entries are exactly
the listed new papers matching a keyword, in descending order of the score each one states.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from lxml import etree

from tests.arxiv_server import ARXIV_DATA, ArxivServer, UvicornProcess

pytestmark = pytest.mark.e2e

DAY = "2026-01-06"
CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
ALL4 = "+".join(CATEGORIES)
KEYWORDS = ["LLM", "Inference", "Training", "Attention", "Distributed", "Reasoning", "Agent"]
MAX_PAPERS = 100  # above any day's matches, so the feed holds every match
UNICODE_CAT = "cs.IR"  # served from tests/data/arxiv/unicode.xml
DC = "{http://purl.org/dc/elements/1.1/}"
ARXIV = "{http://arxiv.org/schemas/atom}"
SCORE = re.compile(r"Score:</strong>\s*([0-9]+(?:\.[0-9]+)?)")
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True)
class Item:
    """One item of a source listing, read straight from its XML."""

    versioned_id: str
    title: str
    link: str
    authors: list[str]
    announce_type: str
    published: float
    abstract: str
    categories: list[str]


def source_items(name: str) -> dict[str, Item]:
    """The items of ``tests/data/arxiv/<name>.xml`` by versioned id (``2601.01046v1``)."""
    root = etree.parse(str(ARXIV_DATA / f"{name}.xml")).getroot()
    items: dict[str, Item] = {}
    for el in root.iterfind("channel/item"):
        guid = el.findtext("guid", "")
        description = el.findtext("description", "")
        items[guid.removeprefix("oai:arXiv.org:")] = Item(
            versioned_id=guid.removeprefix("oai:arXiv.org:"),
            title=" ".join(el.findtext("title", "").split()),
            link=el.findtext("link", ""),
            authors=[a.strip() for a in el.findtext(f"{DC}creator", "").split(",") if a.strip()],
            announce_type=el.findtext(f"{ARXIV}announce_type", ""),
            published=parsedate_to_datetime(el.findtext("pubDate", "")).timestamp(),
            abstract=" ".join(description.split("Abstract:", 1)[-1].split()),
            categories=[c.text or "" for c in el.iterfind("category")],
        )
    return items


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Whole word, any case, plural allowed (the matching rule README states)."""
    return re.compile(rf"(?<!\w){re.escape(keyword)}(?:e?s)?(?!\w)", re.IGNORECASE)


def expected_scores(items: dict[str, Item], keywords: list[str]) -> dict[str, float]:
    """Score of every new item that matches a keyword: 1 per keyword, +0.5 if in the title."""
    patterns = [keyword_pattern(k) for k in keywords]
    scores: dict[str, float] = {}
    for vid, item in items.items():
        if item.announce_type != "new":
            continue
        in_title = sum(1 for p in patterns if p.search(item.title))
        anywhere = sum(1 for p in patterns if p.search(item.title) or p.search(item.abstract))
        if anywhere:
            scores[vid] = anywhere + 0.5 * in_title
    return scores


def versioned_id(entry: Any) -> str:
    """``2601.01046v1`` from the entry id ``https://arxiv.org/abs/2601.01046v1``."""
    ident = str(entry.id)
    assert ident.startswith("https://arxiv.org/abs/"), ident
    return ident.removeprefix("https://arxiv.org/abs/")


def stated_score(entry: Any) -> float:
    """The score the item's HTML states (Atom: in ``content``, RSS: in ``description``)."""
    html = entry.content[0].value if "content" in entry else entry.summary
    match = SCORE.search(html)
    assert match, f"no score in {entry.id}"
    return float(match.group(1))


def read_feed(client: httpx.Client, path: str, media_type: str) -> Any:
    """GET ``path`` and parse it as a feed reader would; checks status, type and well-formedness."""
    response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    content_type = response.headers["content-type"]
    assert content_type.split(";")[0].strip() == media_type
    assert "charset=utf-8" in content_type.replace(" ", "").lower()
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.encoding.lower() == "utf-8"
    return parsed


def check_entries(parsed: Any, items: dict[str, Item], scores: dict[str, float]) -> None:
    """Every entry is a scored source item with its metadata, in descending score order."""
    entries = parsed.entries
    assert len(entries) == len(scores) > 0
    assert {versioned_id(e) for e in entries} == set(scores)
    stated = [stated_score(e) for e in entries]
    assert stated == sorted(stated, reverse=True)
    for entry, score in zip(entries, stated, strict=True):
        vid = versioned_id(entry)
        item = items[vid]
        assert score == scores[vid], vid
        assert entry.title == item.title
        assert entry.link == item.link
        assert entry.published_parsed is not None
        assert calendar.timegm(entry.published_parsed) == item.published
        assert entry.authors, vid
        assert all(a.get("name") for a in entry.authors), vid


def author_names(entry: Any) -> list[str]:
    return [a["name"] for a in entry.authors]


def rss_authors(entry: Any) -> str:
    """An RSS item's one ``dc:creator``: every author, comma-separated, as arXiv writes it."""
    assert len(entry.authors) == 1
    return str(entry.author)


@pytest.fixture(scope="module")
def upstream() -> Iterator[ArxivServer]:
    """arXiv on loopback: the recorded listings of ``DAY``, and unicode.xml as ``cs.IR``."""
    unicode_listing = (ARXIV_DATA / "unicode.xml").read_bytes()
    server = ArxivServer({UNICODE_CAT: unicode_listing}, day=DAY)
    with server:
        yield server


@pytest.fixture(scope="module")
def service(upstream: ArxivServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``uvicorn app.main:app`` as a subprocess pointed at ``upstream``; yields its base URL."""
    config = tmp_path_factory.mktemp("e2e") / "config.json"
    config.write_text(
        json.dumps({"categories": CATEGORIES, "keywords": KEYWORDS, "max_papers": MAX_PAPERS}),
        encoding="utf-8",
    )
    env = {
        "ARXIV_RSS_URL": upstream.base_url,
        "ARXIV_SOURCE": "live",
        "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
        "ARXIV_FEEDS_CONFIG": str(config),
    }
    proc = UvicornProcess("app.main:app", env=env, startup_timeout=30)
    proc.start()
    try:
        yield proc.url
    finally:
        proc.stop()


@pytest.fixture
def client(service: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service, timeout=TIMEOUT) as c:
        yield c


def test_health_before_any_feed(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["arxiv_source"] == "live"


def test_rss_reads_like_a_feed_reader(client: httpx.Client) -> None:
    items = source_items(f"{ALL4}-{DAY}")
    parsed = read_feed(client, "/rss", "application/rss+xml")
    check_entries(parsed, items, expected_scores(items, KEYWORDS))
    for entry in parsed.entries:
        assert rss_authors(entry) == ", ".join(items[versioned_id(entry)].authors)


def test_atom_reads_like_a_feed_reader(client: httpx.Client) -> None:
    items = source_items(f"{ALL4}-{DAY}")
    parsed = read_feed(client, "/atom", "application/atom+xml")
    check_entries(parsed, items, expected_scores(items, KEYWORDS))


def test_atom_authors_are_listed_once(client: httpx.Client) -> None:
    items = source_items(f"{ALL4}-{DAY}")
    parsed = read_feed(client, "/atom", "application/atom+xml")
    for entry in parsed.entries:
        assert author_names(entry) == items[versioned_id(entry)].authors


def test_limit_keeps_the_top_of_the_ranking(client: httpx.Client) -> None:
    full = read_feed(client, "/rss", "application/rss+xml").entries
    top = read_feed(client, "/rss?limit=5", "application/rss+xml").entries
    assert [e.id for e in top] == [e.id for e in full[:5]]


def test_warm_requests_do_not_go_upstream(client: httpx.Client, upstream: ArxivServer) -> None:
    read_feed(client, "/rss", "application/rss+xml")
    read_feed(client, "/atom", "application/atom+xml")
    before = upstream.requests
    fetches = client.get("/health").json()["upstream_fetches"]
    first = client.get("/rss").content
    assert client.get("/rss").content == first
    read_feed(client, "/atom", "application/atom+xml")
    assert upstream.requests == before
    assert client.get("/health").json()["upstream_fetches"] == fetches


def test_category_feed(client: httpx.Client, upstream: ArxivServer) -> None:
    items = source_items(f"cs.DC-{DAY}")
    parsed = read_feed(client, "/rss/cs.DC", "application/rss+xml")
    check_entries(parsed, items, expected_scores(items, KEYWORDS))
    for entry in parsed.entries:
        assert rss_authors(entry) == ", ".join(items[versioned_id(entry)].authors)
        assert "cs.DC" in [t.term for t in entry.tags]
    assert parsed.feed.title.endswith("cs.DC")
    assert upstream.paths == [f"/rss/{ALL4}"]  # a subset of the configured set: no request


def test_unicode_survives_the_round_trip(client: httpx.Client) -> None:
    parsed = read_feed(client, f"/rss/{UNICODE_CAT}?types=all&keywords=LLM", "application/rss+xml")
    [entry] = parsed.entries
    assert entry.title == (
        "Gödel, Escher and $\\alpha$-Divergence: Naïve Bayes for 大语言模型 "
        "<script>alert(1)</script> & LLM Inference"
    )
    names = ["Kurt Gödel", "Martin Luther King, Jr.", "Zoë Müller", "李华"]
    assert rss_authors(entry) == ", ".join(names)  # as arXiv's own dc:creator
    atom = read_feed(client, f"/atom/{UNICODE_CAT}?types=all&keywords=LLM", "application/atom+xml")
    assert author_names(atom.entries[0]) == names  # one <author> each, the comma kept


def test_upstream_saw_one_polite_request_per_listing(
    client: httpx.Client, upstream: ArxivServer
) -> None:
    """However many feeds were read, each listing cost one request, with our User-Agent."""
    for path in ["/rss", "/atom", "/rss/cs.DC", "/rss?limit=3", "/atom/cs.DC"]:
        assert client.get(path).status_code == 200, path
    assert upstream.paths.count(f"/rss/{ALL4}") == 1
    assert upstream.paths.count("/rss/cs.DC") == 0  # held already, as part of the configured set
    assert len(upstream.paths) == len(set(upstream.paths))
    assert all((ua or "").startswith("arxiv-feeds/") for ua in upstream.user_agents)


def test_recorded_listing_files_exist() -> None:
    """The data this module relies on."""
    for name in [f"{ALL4}-{DAY}", f"cs.DC-{DAY}", "unicode"]:
        assert Path(ARXIV_DATA / f"{name}.xml").is_file(), name
