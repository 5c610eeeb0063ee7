"""What a new user meets first: the README's examples on the bundled samples, what an empty
feed says, the samples' dates, and what ``make run`` / ``make test`` announce.

Every ``curl`` line in the README runs against the app serving the samples (as ``make run``
does offline) and must return papers; the README's error examples have the status it gives;
``make -n`` shows the announcements and that ``BROWSERS=0`` skips the browser tests except
under CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest

from app.main import create_app
from app.store import MemoryStore
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
# The README's longer examples moved into the documentation site's pages
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").glob("*.md")))
CURLS = [  # the profiles' examples run on examples/config.json (tests/test_readme.py)
    url
    for url in re.findall(r"^curl '(http://127\.0\.0\.1:8000[^']+)'$", README, re.MULTILINE)
    if not url.startswith("http://127.0.0.1:8000/p/")
]


@pytest.fixture
async def samples(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the bundled samples, with the default configuration."""
    settings = make_settings(tmp_path, arxiv_source="sample")
    app = create_app(settings, store=MemoryStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await app.state.runtime.aclose()


def test_the_readme_has_examples() -> None:
    assert len(CURLS) >= 5


@pytest.mark.parametrize("url", CURLS)
async def test_readme_example_returns_papers(samples: httpx.AsyncClient, url: str) -> None:
    parts = urlsplit(url)
    r = await samples.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert r.status_code == 200, r.text
    if parts.path.startswith("/api/"):
        assert r.json()["total"] > 0
    elif parts.path.startswith("/feed.json"):
        assert r.json()["items"]
    else:
        parsed = feedparser.parse(r.content)
        assert parsed.bozo == 0
        assert parsed.entries


@pytest.mark.parametrize(
    ("example", "status", "hint"),
    [("/rss/cs.XY", 404, "did you mean cs.CY, cs.SY, cs.AI?"),
     ("/rss/cs.A", 422, "did you mean cs.AI, cs.AR, cs.MA?")],
)  # fmt: skip
async def test_readme_error_examples(
    samples: httpx.AsyncClient, example: str, status: int, hint: str
) -> None:
    said = re.search(rf"`{re.escape(example)}` -> \"([^\"]+)\"", DOCS)
    assert said is not None
    assert said.group(1) == hint
    context = DOCS[DOCS.index(f"`{example}`") - 120 : DOCS.index(f"`{example}`")]
    assert str(status) in context
    r = await samples.get(example)
    assert r.status_code == status
    assert r.json()["error"]["hint"].startswith(hint)


async def test_an_empty_feed_says_why_and_keeps_the_listings_dates(
    samples: httpx.AsyncClient,
) -> None:
    r = await samples.get("/rss/cs.AI+cs.CL?keywords=zebrafish")
    parsed = feedparser.parse(r.content)
    assert parsed.entries == []
    assert parsed.feed.description.endswith(
        "Empty: no matches for these keywords (zebrafish) in this listing (2026-01-06, 22 papers)."
    )
    assert parsed.feed.updated == "Tue, 06 Jan 2026 00:00:00 -0500"  # the day, not the clock
    assert r.headers["last-modified"] == "Tue, 06 Jan 2026 05:00:00 GMT"
    body = (await samples.get("/feed.json/cs.AI+cs.CL?keywords=zebrafish")).json()
    assert body["description"] == parsed.feed.description
    assert "Empty:" not in (await samples.get("/feed.json")).json()["description"]


async def test_sample_digest_is_dated_by_the_sample(samples: httpx.AsyncClient) -> None:
    digest = (await samples.get("/digest.md")).text
    assert "2026-01-06 05:00:02 UTC" in digest  # when the sample was built, not now


def make_dry_run(*args: str, ci: bool = False) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    drop = ("CI", "MAKELEVEL", "MAKEFLAGS", "MFLAGS")  # also when the suite runs under make
    env = {k: v for k, v in os.environ.items() if k not in drop} | ({"CI": "true"} if ci else {})
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_make_says_what_it_does() -> None:
    run = make_dry_run("run", "PORT=9123", "HOST=0.0.0.0")
    assert "starting the service on http://0.0.0.0:9123/" in run
    assert "--host 0.0.0.0 --port 9123" in run
    test = make_dry_run("test")
    assert "about 125 Debian packages" in test
    assert "BROWSERS=0 skips" in test
    assert test.rstrip().splitlines()[-1].strip() == ".venv/bin/pytest"


def test_browsers_0_skips_the_browser_tests_except_under_ci() -> None:
    local = make_dry_run("test", "BROWSERS=0")
    assert local.rstrip().splitlines()[-1] == '.venv/bin/pytest -m "not browser"'
    assert "apt-get install -y -qq chromium" not in local
    ci = make_dry_run("test", "BROWSERS=0", ci=True)
    assert ci.rstrip().splitlines()[-1].strip() == ".venv/bin/pytest"
    assert "apt-get install -y -qq chromium" in ci
