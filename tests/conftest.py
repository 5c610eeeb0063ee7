"""Shared fixtures: recorded listings, an arXiv stand-in on an httpx MockTransport, settings."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings, load_settings
from app.main import create_app
from app.models import AnnounceType, Paper
from app.store import MemoryStore, Store
from tests.openai_stub import OpenAIStub

DATA = Path(__file__).parent / "data"
ARXIV = DATA / "arxiv"
DAYS = ("2025-12-09", "2025-12-16", "2026-01-06")
ALL4 = "cs.AI+cs.CL+cs.DC+cs.LG"


def listing(name: str) -> bytes:
    """A recorded listing, e.g. ``listing("cs.AI-2026-01-06")``."""
    return (ARXIV / f"{name}.xml").read_bytes()


class FakeArxiv:
    """Answers like rss.arxiv.org from the recorded listings of one day; counts requests."""

    def __init__(self, day: str = "2026-01-06") -> None:
        self.day = day
        self.requests: list[httpx.Request] = []
        self.responses: dict[str, Callable[[httpx.Request], httpx.Response]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        cats = request.url.path.rsplit("/", 1)[-1]
        if cats in self.responses:
            return self.responses[cats](request)
        path = ARXIV / f"{cats}-{self.day}.xml"
        if not path.is_file():
            return httpx.Response(200, content=listing("cs.AI-weekend"))
        return httpx.Response(200, content=path.read_bytes())

    def serve(self, cats: str, status: int = 200, body: bytes = b"", **headers: str) -> None:
        """Make ``/rss/<cats>`` answer with a fixed response."""
        self.responses[cats] = lambda r: httpx.Response(status, content=body, headers=headers)

    def paths(self) -> list[str]:
        """The paths requested so far."""
        return [r.url.path for r in self.requests]


# The keywords of the older bot's config.json (its digests in tests/data were made with them):
# tests that read "the configured feed" rank as such a user's deployment does, whatever the
# service's own default example list is.
LEGACY_KEYWORDS = [
    "LLM", "RL", "RLHF", "Inference", "Training", "Attention", "Pipeline", "MOE", "Sparse",
    "Quantization", "Speculative", "Efficient", "Efficiency", "Framework", "Parallel",
    "Distributed", "Kernel", "Decode", "Decoding", "Prefill", "Throughput", "Fast", "Network",
    "Hardware", "Cluster", "FP8", "FP4", "Optimization", "Scalable", "Communication",
]  # fmt: skip


def legacy(config: dict[str, Any] | None) -> dict[str, Any]:
    """``config`` as an older bot's config.json: its keywords unless it names its own."""
    config = dict(config or {})
    if "keywords" not in config and "ARXIV_FEEDS_KEYWORDS" not in os.environ:
        config["keywords"] = LEGACY_KEYWORDS
    return config


def make_settings(tmp_path: Path, config: dict[str, Any] | None = None, **kw: Any) -> Settings:
    """Settings from a config.json in ``tmp_path`` (the older bot's keywords unless it names
    its own), pointed at a loopback arXiv stand-in."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config if "keywords" in kw else legacy(config)), encoding="utf-8")
    base: dict[str, Any] = {
        "config_file": path,
        "arxiv_rss_url": "http://127.0.0.1:9/rss",
        "arxiv_source": "live",
        "min_request_interval": 0,
        "fetch_backoff": 0,
        "fetch_retries": 1,
        "sqlite_path": tmp_path / "store.sqlite3",
    }
    return load_settings(**(base | kw))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake_arxiv() -> FakeArxiv:
    return FakeArxiv()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def client(settings: Settings, fake_arxiv: FakeArxiv) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI, with arXiv answered by ``fake_arxiv``."""
    app = create_app(settings, transport=httpx.MockTransport(fake_arxiv), store=MemoryStore())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://feeds.test") as c:
        yield c
    await app.state.runtime.aclose()


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    """A loopback OpenAI-compatible server."""
    with OpenAIStub() as s:
        yield s


def ai_config(stub: OpenAIStub, **extra: Any) -> dict[str, Any]:
    """A config.json ``ai_summary`` block that points at ``stub``."""
    summary = {
        "enabled": True,
        "base_url": stub.base_url,
        "model": "stub-model",
        "max_papers_to_summarize": 5,
        "max_workers": 3,
        "timeout": 2,
        "time_budget": 10,
    }
    return {"ai_summary": summary | extra}


async def open_client(
    tmp_path: Path, config: dict[str, Any], store: Store, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI with the recorded arXiv (use as ``async for c in open_client(...)``)."""
    app = create_app(
        make_settings(tmp_path, config, **settings),
        transport=httpx.MockTransport(FakeArxiv()),
        store=store,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await app.state.runtime.aclose()


def make_paper(n: int, title: str, abstract: str) -> Paper:
    """A new cs.LG paper of 2026-01-06 with the given title and abstract."""
    return Paper(
        arxiv_id=f"2601.{n:05d}",
        version=1,
        title=title,
        authors=["A. Author"],
        abstract=abstract,
        categories=["cs.LG"],
        primary_category="cs.LG",
        announce_type=AnnounceType.NEW,
        announced=date(2026, 1, 6),
        published=datetime(2026, 1, 6, 5, 0, tzinfo=UTC),
    )
