"""The README's promises hold: it stays short, its example commands return papers on the
bundled samples, and ``examples/config.json`` works as it is."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.config import load_settings
from app.main import create_app
from app.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "examples" / "config.json"
MAX_WORDS = 1500


def readme_urls() -> list[str]:
    """The path and query of every ``curl`` example aimed at the local service."""
    urls = []
    for line in README.splitlines():
        if line.startswith("curl "):
            url = next(w for w in shlex.split(line) if w.startswith("http://127.0.0.1:8000"))
            parts = urlsplit(url)
            urls.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return urls


def papers_in(response: httpx.Response) -> int:
    """How many papers a feed or API answer holds."""
    kind = response.headers["content-type"]
    if "json" in kind:
        data = response.json()
        return len(data.get("items", data.get("papers", [])))
    return len(re.findall(r"<item>|<entry>|^### ", response.text, re.MULTILINE))


async def app_client(config: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(config_file=config, arxiv_source="sample", store_url="memory://")
    app = create_app(settings, store=MemoryStore())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c
    await app.state.runtime.aclose()


@pytest.fixture
async def default_service(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """``make run`` with no config.json: the built-in defaults, on the samples."""
    empty = tmp_path / "config.json"
    empty.write_text("{}", encoding="utf-8")
    async for c in app_client(empty):
        yield c


@pytest.fixture
async def example_service() -> AsyncIterator[httpx.AsyncClient]:
    """``ARXIV_FEEDS_CONFIG=examples/config.json make run``, on the samples."""
    async for c in app_client(EXAMPLE):
        yield c


def test_the_readme_is_short() -> None:
    words = len(re.findall(r"\S+", README))
    assert words < MAX_WORDS, f"README.md has {words} words"
    first_block = re.search(r"```sh\n(.*?)```", README, re.DOTALL)
    assert first_block is not None
    assert [ln.split()[:2] for ln in first_block[1].splitlines()[:2]] == [
        ["make", "run"],
        ["make", "test"],
    ]


def test_the_readme_has_examples_of_each_kind() -> None:
    urls = readme_urls()
    assert len(urls) >= 5
    assert any(u.startswith("/p/") for u in urls)
    assert any(u.startswith("/api/papers") for u in urls)
    assert "python -m app" not in README
    assert "python " not in README.replace("Python 3.12", "")


@pytest.mark.anyio
async def test_every_readme_example_returns_papers(
    default_service: httpx.AsyncClient, example_service: httpx.AsyncClient
) -> None:
    for url in readme_urls():
        services = [example_service] if url.startswith("/p/") else [default_service]
        for service in services:
            r = await service.get(url)
            assert r.status_code == 200, (url, r.text[:300])
            assert papers_in(r) > 0, url


@pytest.mark.anyio
async def test_the_example_config_serves_every_profile_with_papers(
    example_service: httpx.AsyncClient,
) -> None:
    config = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert (EXAMPLE.parent / config["profiles"]["systems"]["library"]).is_file()
    assert any(p.get("authors") and p.get("like") for p in config["profiles"].values())
    for path in ["/feed.json"] + [f"/p/{name}/feed.json" for name in config["profiles"]]:
        r = await example_service.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert papers_in(r) > 0, path
    page = await example_service.get("/p/systems/")
    assert page.status_code == 200
    assert "Papers like my library" in page.text


def test_the_readme_links_only_to_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if not re.match(r"[a-z]+:", target):
            assert (ROOT / target).exists(), target
