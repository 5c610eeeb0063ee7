"""End to end: the catalog under uvicorn, arXiv on loopback with its real 3-second spacing.

Readers ask for subsets and orders of the configured categories (served from the one combined
fetch) and for strangers' categories (fetched once each, within the day's budget), the way a
public instance is used.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import feedparser
import httpx
import pytest

from tests.arxiv_server import ARXIV_DATA, ArxivServer, UvicornProcess

pytestmark = pytest.mark.e2e

CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
ALL4 = "+".join(CATEGORIES)


@pytest.fixture(scope="module")
def upstream() -> Iterator[ArxivServer]:
    other = (ARXIV_DATA / "unicode.xml").read_bytes()  # strangers' categories: any listing
    server = ArxivServer(
        {"cs.IR": other, "cs.CV": other, "cs.CV+cs.IR": other}, day="2026-01-06", latency=0.3
    )
    with server:
        yield server


@pytest.fixture(scope="module")
def service(upstream: ArxivServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("e2e-catalog")
    (folder / "config.json").write_text(
        json.dumps({"categories": CATEGORIES, "keywords": []}), encoding="utf-8"
    )
    env = {
        "ARXIV_RSS_URL": upstream.base_url,
        "ARXIV_SOURCE": "live",
        "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "3",
        "ARXIV_FEEDS_CONFIG": str(folder / "config.json"),
        "ARXIV_FEEDS_SQLITE_PATH": str(folder / "store.sqlite3"),
        "ARXIV_FEEDS_ADHOC_FETCH_BUDGET": "2",
    }
    proc = UvicornProcess("app.main:app", env=env, startup_timeout=30)
    proc.start()
    try:
        yield proc.url
    finally:
        proc.stop()


def test_subsets_cost_nothing_and_strangers_wait_their_turn(
    service: str, upstream: ArxivServer
) -> None:
    with httpx.Client(base_url=service, timeout=30) as client:
        assert client.get("/rss").status_code == 200
        for path in ["/rss/cs.DC", "/atom/cs.LG+cs.AI", "/feed.json/cs.CL+cs.AI", "/rss/cs.LG"]:
            response = client.get(path)
            assert response.status_code == 200, path
            if not path.startswith("/feed.json"):
                assert feedparser.parse(response.content).bozo == 0
        assert upstream.paths == [f"/rss/{ALL4}"]

        def get(path: str) -> tuple[int, float]:
            start = time.monotonic()
            with httpx.Client(base_url=service, timeout=30) as c:
                return c.get(path).status_code, time.monotonic() - start

        with ThreadPoolExecutor(8) as pool:
            strangers = [pool.submit(get, f"/rss/{c}") for c in ("cs.IR", "cs.CV", "cs.IR")]
            owner = [pool.submit(get, p) for p in ("/rss/cs.DC", "/atom", "/api/papers")]
            owner_results = [f.result() for f in owner]
            stranger_results = [f.result() for f in strangers]
        assert all(code == 200 for code, _ in owner_results)
        # held already: served while the strangers' request (300 ms upstream) is under way
        assert max(s for _, s in owner_results) < min(s for _, s in stranger_results)
        assert [code for code, _ in stranger_results] == [200, 200, 200]
        assert sorted(upstream.paths[1:]) in (["/rss/cs.CV+cs.IR"], ["/rss/cs.CV", "/rss/cs.IR"])

        refused = client.get("/rss/cs.CR")  # a third stranger's category: over the budget
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "adhoc_budget_exhausted"
        assert int(refused.headers["retry-after"]) >= 60
        health = client.get("/health").json()
        assert health["adhoc_budget"] == {"limit": 2, "used_today": 2}
        assert set(CATEGORIES) | {"cs.IR", "cs.CV"} <= set(health["catalog"])
