"""End to end: profiles under uvicorn, read the way a feed reader reads them.

One profile comes from config.json with a BibTeX library; another is created through the API
(``PUT /api/profiles/{name}`` with a bearer token) and then read like any feed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest

from tests.arxiv_server import ArxivServer, UvicornProcess

pytestmark = pytest.mark.e2e

LIBRARY = Path(__file__).parent / "data" / "library" / "zotero.bib"
TOKEN = "e2e-admin-token"
CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ArxivServer]]:
    folder = tmp_path_factory.mktemp("e2e-profiles")
    shutil.copy(LIBRARY, folder / "library.bib")
    profiles = {
        "reading": {"title": "My reading", "keywords": [], "library": "library.bib"},
        "systems": {"categories": ["cs.DC"], "keywords": ["Distributed", "GPU"]},
    }
    (folder / "config.json").write_text(
        json.dumps({"categories": CATEGORIES, "profiles": profiles}), encoding="utf-8"
    )
    upstream = ArxivServer(day="2026-01-06")
    upstream.start()
    env = {
        "ARXIV_RSS_URL": upstream.base_url,
        "ARXIV_SOURCE": "live",
        "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
        "ARXIV_FEEDS_CONFIG": str(folder / "config.json"),
        "ARXIV_FEEDS_SQLITE_PATH": str(folder / "store.sqlite3"),
        "ADMIN_TOKEN": TOKEN,
    }
    proc = UvicornProcess("app.main:app", env=env, startup_timeout=30)
    proc.start()
    try:
        yield proc.url, upstream
    finally:
        proc.stop()
        upstream.stop()


def read(client: httpx.Client, path: str) -> feedparser.FeedParserDict:
    response = client.get(path)
    assert response.status_code == 200, response.text[:300]
    assert "charset=utf-8" in response.headers["content-type"]
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def test_profiles_read_like_feeds(service: tuple[str, ArxivServer]) -> None:
    url, upstream = service
    with httpx.Client(base_url=url, timeout=30) as client:
        reading = read(client, "/p/reading/rss")
        assert reading.feed.title.startswith("My reading")
        assert len(reading.entries) == 30  # max_papers, ranked by the library alone
        assert all("Similarity:" in e.summary for e in reading.entries)  # and each says why
        systems = read(client, "/p/systems/atom")
        assert systems.entries
        for entry in systems.entries:
            assert "cs.DC" in [t.term for t in entry.tags]
        headers = {"Authorization": f"Bearer {TOKEN}"}
        made = client.put(
            "/api/profiles/new-one",
            json={"categories": ["cs.CL"], "keywords": ["LLM"], "max_papers": 5},
            headers=headers,
        )
        assert made.status_code == 200, made.text
        fresh = read(client, "/p/new-one/rss")
        assert 0 < len(fresh.entries) <= 5
        again = client.get("/p/new-one/rss", headers={"If-None-Match": client.get(
            "/p/new-one/rss").headers["etag"]})  # fmt: skip
        assert again.status_code == 304
        names = {p["name"] for p in client.get("/api/profiles").json()}
        assert names == {"reading", "systems", "new-one"}
    assert upstream.paths == [f"/rss/{'+'.join(CATEGORIES)}"]  # every profile from one fetch
