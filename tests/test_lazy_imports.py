"""What a cold instance loads: ``import app.main`` and the first ``/rss`` leave out what they do
not use (the Redis driver for a SQLite store, the LLM and delivery clients when those features
are off, the HTTP client at import), each checked in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Serves /rss once through the ASGI app, then prints which of the named modules were loaded.
PROBE = """
import asyncio, json, sys
import app.main
at_import = sorted(m for m in sys.argv[1:] if m in sys.modules)
import httpx

async def main():
    async with app.main.app.router.lifespan_context(app.main.app):
        transport = httpx.ASGITransport(app=app.main.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.get("/rss")
            assert r.status_code == 200, r.text

asyncio.run(main())
print(json.dumps({"import": at_import, "rss": sorted(m for m in sys.argv[1:] if m in sys.modules)}))
"""
WATCHED = [
    "redis",
    "openai",
    "app.llm.client",
    "app.llm.embeddings",
    "app.summaries.relevance",
    "app.summaries.summarize",
    "app.delivery.deliver",
    "app.delivery.email",
    "app.delivery.webhooks",
    "httpx",
    "pydantic_settings",
    "lxml.etree",
    "feedgen.feed",
]


def loaded(tmp_path: Path, **env: str) -> dict[str, list[str]]:
    """Which ``WATCHED`` modules a fresh interpreter has after ``import app.main``, then /rss."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ARXIV_FEEDS_", "PYTHON"))}
    clean.pop("REDIS_URL", None)
    clean.pop("KV_URL", None)
    settings = {
        "ARXIV_FEEDS_ARXIV_SOURCE": "sample",
        "ARXIV_FEEDS_SQLITE_PATH": str(tmp_path / "store.sqlite3"),
        "ARXIV_FEEDS_CONFIG": str(tmp_path / "config.json"),
    }
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *WATCHED],
        cwd=ROOT,
        env=clean | settings | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_import_leaves_out_clients_and_settings(tmp_path: Path) -> None:
    assert loaded(tmp_path)["import"] == []


def test_first_rss_on_sqlite_loads_only_what_it_uses(tmp_path: Path) -> None:
    rss = loaded(tmp_path)["rss"]
    assert set(rss) == {"httpx", "pydantic_settings", "lxml.etree", "feedgen.feed"}


def test_a_redis_store_loads_redis(tmp_path: Path) -> None:
    pytest.importorskip("redis")
    # nothing listens on port 9: the store falls back to memory, but the driver is loaded
    rss = loaded(tmp_path, ARXIV_FEEDS_STORE_URL="redis://127.0.0.1:9/0")["rss"]
    assert "redis" in rss
