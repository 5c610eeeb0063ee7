"""The web page (``/``) and the feed builder (``/build``).

Over ASGI: the page lists the configured feeds, escapes hostile titles and sanitizes summaries,
sends a Content-Security-Policy whose hashes match its one inline script and style, answers
304 to a current copy, and ``/build`` redirects to the feed its form describes. In a real
browser (Debian's chromium driven by Selenium, against the service under uvicorn): the script
runs under that CSP, the URL updates as you type, the preview lists papers and submitting
leads to a feed. Without chromium, chromedriver or selenium the browser test is skipped, except
under CI (env ``CI`` set), where that is a failure (``make browsers-and-readers``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from app.main import create_app
from app.models import AnnounceType, FeedQuery, Paper, RankedFeed, ScoredPaper, Summary
from app.render.page import CSP, PageMeta, render_page
from app.store import MemoryStore
from tests.arxiv_server import ARXIV_DATA, ArxivServer, UvicornProcess
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


async def test_page_lists_the_configured_feeds(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = r.text
    for path in ["/rss", "/atom", "/feed.json"]:
        assert f'href="{BASE}{path}"' in page
        for cat in ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]:
            assert f'href="{BASE}{path}/{cat}"' in page
            assert f'data-copy="{BASE}{path}/{cat}"' in page
    assert "cs.DC · Distributed, Parallel, and Cluster Computing" in page
    assert 'href="/feeds.opml"' in page
    assert 'href="/digest.md"' in page
    assert '<form id="builder" method="get" action="/build"' in page
    assert '<option value="cs.LG" selected>' in page
    assert '<option value="hep-th">' in page  # the whole taxonomy to pick from
    rss = feedparser.parse((await client.get("/rss")).content)
    assert rss.entries
    for entry in rss.entries[:20]:  # the feed's top papers, in the same order
        assert f'<a href="{entry.link}">' in page
    assert page.index(rss.entries[0].link) < page.index(rss.entries[1].link)
    assert "src=" not in page
    assert "<link" not in page


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
    item = ScoredPaper(
        paper=paper, score=1, matched=["x"], title_matched=[], rank=1, summary=summary
    )
    feed = RankedFeed(
        query=FeedQuery(categories=("cs.AI",)), listing_day=date(2026, 1, 6), fetched_at=when,
        total_listed=1, items=[item],
    )  # fmt: skip
    page = render_page(feed, PageMeta(title="T", base_url=BASE, categories=("cs.AI",))).decode()
    assert "<details><summary>AI summary (m&lt;o&gt;del)</summary>" in page
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


# -- in a real browser ------------------------------------------------------------------------

CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1200,1600",
]  # fmt: skip


def need_browser() -> tuple[str, str]:
    """chromium and chromedriver (and selenium), or skip (fail under CI)."""
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").is_file() else None
    )
    try:
        import selenium  # noqa: F401
    except ImportError:
        driver = None
    if chromium is None or driver is None:
        message = "chromium, chromium-driver or selenium is missing (make browsers-and-readers)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must provide them")
        pytest.skip(f"{message}: the page is not tested in a browser")
    return chromium, driver


@pytest.fixture(scope="module")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service under uvicorn, arXiv on loopback; yields its base URL."""
    config = tmp_path_factory.mktemp("web") / "config.json"
    config.write_text(json.dumps({"categories": ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]}))
    pair = (ARXIV_DATA / "cs.DC-2026-01-06.xml").read_bytes()  # no recorded cs.DC+cs.LG
    with ArxivServer({"cs.DC+cs.LG": pair}, day="2026-01-06") as upstream_url:
        env = {
            "ARXIV_RSS_URL": upstream_url,
            "ARXIV_SOURCE": "live",
            "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
            "ARXIV_FEEDS_CONFIG": str(config),
        }
        with UvicornProcess("app.main:app", env=env, startup_timeout=30) as proc:
            yield proc.url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    chromium, driver_path = need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.e2e
def test_builder_in_a_browser(live_service: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 15)
    browser.get(live_service + "/")
    assert browser.title == "arXiv papers"
    copy = browser.find_elements(By.CSS_SELECTOR, "button[data-copy]")
    assert copy
    assert all(b.is_displayed() for b in copy)
    built = browser.find_element(By.ID, "built")
    assert built.text == f"{live_service}/rss/cs.AI+cs.CL+cs.DC+cs.LG"

    categories = Select(browser.find_element(By.NAME, "categories"))
    categories.deselect_all()
    categories.select_by_value("cs.DC")
    categories.select_by_value("cs.LG")
    browser.find_element(By.NAME, "keywords").send_keys("Inference, distributed training")
    want = f"{live_service}/rss/cs.DC+cs.LG?keywords=Inference,distributed%20training"
    wait.until(lambda d: built.text == want)

    browser.find_element(By.ID, "preview-button").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#preview li"))
    previewed = browser.find_elements(By.CSS_SELECTOR, "#preview li a")
    assert previewed
    assert all(a.get_attribute("href").startswith("https://arxiv.org/abs/") for a in previewed)

    logged = browser.get_log("browser")
    problems = [e for e in logged if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert problems == []  # no CSP violation, no script error

    browser.find_element(By.CSS_SELECTOR, "#builder button[type=submit]").click()
    wait.until(lambda d: "/build" not in d.current_url and d.current_url != live_service + "/")
    assert browser.current_url == want
    parsed = feedparser.parse(httpx.get(browser.current_url, timeout=15).content)
    assert parsed.bozo == 0
    assert len(parsed.entries) > 0
    assert parsed.feed.title == "arXiv papers: cs.DC+cs.LG"
