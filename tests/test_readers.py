"""Works in real readers: the feeds of the running service, read by three independent consumers.

The service runs under uvicorn against the loopback arXiv stand-in (the recorded listings of
2026-01-06, and ``unicode.xml`` with its ``<script>`` title as ``cs.IR``). Each consumer must
see every expected item with the source listing's title, link, authors and date, and report no
problem:

* feedparser (RSS and Atom: ``bozo == 0``); JSON Feed is checked against the 1.1 spec in
  Python, since feedparser 6.0 does not read JSON Feed;
* Node.js: ``rss-parser`` (RSS, Atom) and ``@extractus/feed-extractor`` (JSON Feed), pinned in
  ``tests/node/package.json``, through ``tests/node/read_feed.mjs``;
* ``newsboat`` (RSS, Atom; it does not read JSON Feed): ``newsboat -x reload`` fills its cache,
  read back with sqlite3; its error log must stay empty.

An RSS item has one ``dc:creator`` with every author, comma-separated, as in arXiv's own feeds
(newsboat and feedparser keep only the last of several): in RSS each reader sees that one
string, in Atom and JSON Feed one name per author.

Without node (or ``npm install --prefix tests/node``) or newsboat these are skipped, except under
CI (env ``CI`` set), where that is a failure (``make browsers-and-readers`` installs them).
"""

from __future__ import annotations

import calendar
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from tests.arxiv_server import ARXIV_DATA, REPO, ArxivServer, UvicornProcess
from tests.test_e2e import Item, keyword_pattern, source_items

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DAY = "2026-01-06"
CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
KEYWORDS = ["LLM", "Inference", "Distributed", "Agent"]
NODE_DIR = REPO / "tests" / "node"
FEEDS = {  # path -> (format, source listing, keywords, all announce types?)
    "/rss": ("rss", f"{'+'.join(CATEGORIES)}-{DAY}", KEYWORDS, False),
    "/atom": ("atom", f"{'+'.join(CATEGORIES)}-{DAY}", KEYWORDS, False),
    "/feed.json": ("json", f"{'+'.join(CATEGORIES)}-{DAY}", KEYWORDS, False),
    "/rss/cs.IR?types=all&keywords=LLM": ("rss", "unicode", ["LLM"], True),
    "/atom/cs.IR?types=all&keywords=LLM": ("atom", "unicode", ["LLM"], True),
    "/feed.json/cs.IR?types=all&keywords=LLM": ("json", "unicode", ["LLM"], True),
}
# source_items splits dc:creator on commas; this one author has a comma in the name
UNICODE_AUTHORS = ["Kurt Gödel", "Martin Luther King, Jr.", "Zoë Müller", "李华"]
XML_FEEDS = [path for path, spec in FEEDS.items() if spec[0] != "json"]


def need(tool: str, found: bool, install: str) -> None:
    """Skip without ``tool``, except under CI, where it must be there."""
    if found:
        return
    message = f"{tool} is not installed ({install}; or: make browsers-and-readers)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must provide it")
    pytest.skip(f"{message}: not tested")


def expected(path: str) -> dict[str, Item]:
    """The source items the feed at ``path`` must hold, by their GUID (``https://arxiv.org/abs/..v1``)."""
    _, name, keywords, every = FEEDS[path]
    patterns = [keyword_pattern(k) for k in keywords]
    out: dict[str, Item] = {}
    for vid, item in source_items(name).items():
        if not every and item.announce_type != "new":
            continue
        if any(p.search(item.title) or p.search(item.abstract) for p in patterns):
            if name == "unicode":
                item = replace(item, authors=UNICODE_AUTHORS)
            out[f"https://arxiv.org/abs/{vid}"] = item
    assert out, f"the source of {path} has no matching item: the test would prove nothing"
    return out


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service under uvicorn, arXiv on loopback; yields its base URL."""
    config = tmp_path_factory.mktemp("readers") / "config.json"
    config.write_text(
        json.dumps({"categories": CATEGORIES, "keywords": KEYWORDS, "max_papers": 200}),
        encoding="utf-8",
    )
    unicode_listing = (ARXIV_DATA / "unicode.xml").read_bytes()
    with ArxivServer({"cs.IR": unicode_listing}, day=DAY) as upstream_url:
        env = {
            "ARXIV_RSS_URL": upstream_url,
            "ARXIV_SOURCE": "live",
            "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
            "ARXIV_FEEDS_CONFIG": str(config),
        }
        with UvicornProcess("app.main:app", env=env, startup_timeout=30) as proc:
            yield proc.url


# -- feedparser (and a JSON Feed spec check in Python) -------------------------------------


@pytest.mark.parametrize("path", list(FEEDS))
def test_python_reads_every_item(service: str, path: str) -> None:
    want = expected(path)
    body = httpx.get(service + path, timeout=15).raise_for_status().content
    if FEEDS[path][0] == "json":
        items = json_feed_items(json.loads(body))
    else:
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        items = [
            {
                "id": e.id,
                "title": e.title,
                "link": e.link,
                "authors": [a["name"] for a in e.authors],
                "date": calendar.timegm(e.published_parsed),
            }
            for e in parsed.entries
        ]
    check(items, want, path)


def json_feed_items(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of a JSON Feed 1.1 document, after checking what the spec requires."""
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str)
    assert doc["feed_url"].startswith("http")
    out = []
    for item in doc["items"]:
        assert isinstance(item["id"], str)
        assert item["id"]
        assert "content_html" in item or "content_text" in item
        assert all(set(a) <= {"name", "url", "avatar"} for a in item["authors"])
        out.append(
            {
                "id": item["id"],
                "title": item["title"],
                "link": item["url"],
                "authors": [a["name"] for a in item["authors"]],
                "date": datetime.fromisoformat(item["date_published"]).timestamp(),
            }
        )
    return out


def check(items: list[dict[str, Any]], want: dict[str, Item], path: str) -> None:
    """Exactly the expected items, each with its title, link, authors and date."""
    assert sorted(i["id"] for i in items) == sorted(want), path
    for item in items:
        source = want[item["id"]]
        assert item["title"] == source.title, item["id"]
        assert item["link"] == source.link, item["id"]
        if FEEDS[path][0] == "rss":  # one dc:creator, every author in it
            assert item["authors"] == [", ".join(source.authors)], item["id"]
        else:
            assert item["authors"] == source.authors, item["id"]
        assert item["date"] == source.published, item["id"]


# -- Node.js: rss-parser and @extractus/feed-extractor ---------------------------------------


@pytest.fixture(scope="module")
def node() -> str:
    binary = shutil.which("node")
    need("node", binary is not None, "apt install nodejs")
    installed = (NODE_DIR / "node_modules" / "rss-parser").is_dir()
    need("rss-parser", installed, "npm ci --prefix tests/node")
    assert binary is not None
    return binary


@pytest.mark.parametrize("path", list(FEEDS))
def test_node_reads_every_item(service: str, node: str, path: str) -> None:
    fmt = FEEDS[path][0]
    done = subprocess.run(
        [node, str(NODE_DIR / "read_feed.mjs"), service + path, fmt],
        capture_output=True,
        timeout=60,
        check=False,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    result = json.loads(done.stdout)
    assert result["warnings"] == []
    assert result["title"].startswith("arXiv papers: ")
    items = [
        item | {"date": datetime.fromisoformat(item["date"]).timestamp()}
        for item in result["items"]
    ]
    check(items, expected(path), path)


# -- newsboat ---------------------------------------------------------------------------------


def newsboat_items(service: str, path: str, workdir: Path) -> list[sqlite3.Row]:
    """Run ``newsboat -x reload`` on one feed (its own cache: newsboat keeps one item per GUID
    across feeds) and return the rows of its cache; its error log must stay empty."""
    binary = shutil.which("newsboat")
    need("newsboat", binary is not None, "apt install newsboat")
    assert binary is not None
    workdir.mkdir()
    urls, config, cache = workdir / "urls", workdir / "config", workdir / "cache.db"
    errors = workdir / "error.log"
    urls.write_text(service + path + "\n", encoding="utf-8")
    config.write_text(
        f'download-timeout 15\nreload-threads 1\nerror-log "{errors}"\n', encoding="utf-8"
    )
    env = {"HOME": str(workdir), "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    cmd = [binary, "-u", str(urls), "-c", str(cache), "-C", str(config), "-x", "reload"]
    done = subprocess.run(cmd, capture_output=True, timeout=60, check=False, env=env, cwd=workdir)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stderr == b"", done.stderr.decode(errors="replace")
    assert not errors.exists() or errors.read_text(encoding="utf-8") == ""
    with sqlite3.connect(cache) as db:
        db.row_factory = sqlite3.Row
        return db.execute(
            "SELECT guid, title, url, author, pubDate, feedurl FROM rss_item"
        ).fetchall()


@pytest.mark.parametrize("path", XML_FEEDS)
def test_newsboat_reads_every_item(service: str, path: str, tmp_path: Path) -> None:
    want = expected(path)
    rows = newsboat_items(service, path, tmp_path / "newsboat")
    assert sorted(r["guid"] for r in rows) == sorted(want)
    for row in rows:
        source = want[row["guid"]]
        assert row["feedurl"] == service + path
        assert row["title"] == source.title, row["guid"]
        assert row["url"] == source.link, row["guid"]
        assert row["pubDate"] == source.published, row["guid"]
        assert row["author"] == ", ".join(source.authors), row["guid"]
