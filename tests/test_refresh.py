"""The daily refresh: the cron route's secret, resuming within a time budget, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.store import MemoryStore
from tests.conftest import open_client
from tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-token"


def llm_config(stub: OpenAIStub) -> dict[str, Any]:
    summary = {"enabled": True, "base_url": stub.base_url, "max_papers_to_summarize": 4}
    return {"ai_summary": summary}


async def test_refresh_needs_the_secret(tmp_path: Path) -> None:
    async for c in open_client(tmp_path, {}, MemoryStore()):
        disabled = await c.post("/api/cron/refresh")
        assert disabled.status_code == 403
        assert "CRON_SECRET" in disabled.json()["error"]["message"]
    async for c in open_client(tmp_path, {}, MemoryStore(), cron_secret=SECRET):
        for auth in (None, "Bearer wrong", f"Basic {SECRET}", "Bearer", f"Bearer {SECRET}x"):
            headers = {"Authorization": auth} if auth else {}
            r = await c.get("/api/cron/refresh", headers=headers)
            assert r.status_code == 401
            assert r.headers["www-authenticate"] == "Bearer"
            assert SECRET not in r.text
        ok = await c.get("/api/cron/refresh", headers={"Authorization": f"Bearer {SECRET}"})
        assert ok.status_code == 200
        report = ok.json()
        assert report["day"] == "2026-01-06"
        assert report["items"] == 30
        assert report["upstream_fetches"] == 1


async def test_refresh_summarizes_and_resumes(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.latency = 2.0
    store = MemoryStore()
    auth = {"Authorization": f"Bearer {SECRET}"}
    async for c in open_client(
        tmp_path, llm_config(stub), store, cron_secret=SECRET, refresh_time_budget=1.0
    ):
        first = (await c.post("/api/cron/refresh", headers=auth)).json()
        assert first["pending"] == 4  # cut short by the budget; shutting down cancels the calls
        assert first["run"]["pending"] == 1  # the feed waits for its summaries
        assert first["seconds"] < 1.5
    async for c in open_client(
        tmp_path, llm_config(stub), store, cron_secret=SECRET, refresh_time_budget=10
    ):
        second = (await c.post("/api/cron/refresh", headers=auth)).json()
        assert second["summarized"] == 4
        assert second["pending"] == 0
        assert second["run"]["run"] == first["run"]["run"]  # the same run, resumed
        assert second["run"]["done"] == 1
        third = (await c.post("/api/cron/refresh", headers=auth)).json()
        assert third["pending"] == 0
    assert 4 <= len(stub.chat_calls()) <= 8  # the cut-short calls may have been repeated once
    # the daily cap counts every call begun, cancelled ones included
    assert len(stub.chat_calls()) <= third["llm_calls_today"] <= 8


def test_cli_refresh_shows_progress(tmp_path: Path, stub: OpenAIStub) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(llm_config(stub)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARXIV_", "OPENAI_"))}
    env |= {
        "ARXIV_FEEDS_CONFIG": str(config),
        "ARXIV_SOURCE": "sample",
        "STORE_URL": "memory://",
        "ARXIV_FEEDS_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "app", "refresh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["summarized"] == 4
    assert "summaries [" in done.stderr
    assert "4/4" in done.stderr
    assert len(stub.chat_calls()) == 4


def test_cli_reports_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"max_papers": "many"}', encoding="utf-8")
    env = dict(os.environ, ARXIV_FEEDS_CONFIG=str(config))
    done = subprocess.run(
        [sys.executable, "-m", "app", "refresh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "max_papers" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_budget_counts_from_the_start_of_the_call() -> None:
    from app import STARTED
    from app.refresh import MARGIN, MAX_DURATION, call_budget

    config = json.loads((ROOT / "vercel.json").read_text(encoding="utf-8"))
    assert config["functions"]["api/index.py"]["maxDuration"] == MAX_DURATION
    cold = STARTED + 3.0  # the first request of a fresh instance
    assert call_budget(50.0, cold, capped=True) == (MAX_DURATION - MARGIN, STARTED)
    assert call_budget(20.0, cold, capped=True) == (20.0, STARTED)
    warm = STARTED + 3600.0
    assert call_budget(50.0, warm, capped=True) == (MAX_DURATION - MARGIN, warm)
    assert call_budget(300.0, warm, capped=False) == (300.0, warm)
    assert call_budget(300.0, cold, capped=False) == (300.0, cold)  # a server: from the call


async def test_a_budget_spent_before_the_fetch_leaves_the_summaries_to_the_next_run(
    tmp_path: Path, stub: OpenAIStub
) -> None:
    import time

    import httpx

    from app.refresh import refresh
    from app.wiring import build_services
    from tests.conftest import FakeArxiv, make_settings

    settings = make_settings(tmp_path, llm_config(stub))
    services = build_services(
        settings, transport=httpx.MockTransport(FakeArxiv()), store=MemoryStore()
    )
    try:
        spent = await refresh(services, 5.0, started=time.monotonic() - 5.0)
        assert spent.pending == 4
        assert stub.chat_calls() == []
        resumed = await refresh(services, 30.0)
        assert resumed.summarized == 4
        assert resumed.pending == 0
    finally:
        await services.aclose()


async def test_a_failing_feed_is_reported_and_the_others_are_refreshed_and_delivered(
    tmp_path: Path,
) -> None:
    import httpx

    from app.main import create_app
    from tests.conftest import FakeArxiv, make_settings
    from tests.delivery_servers import WebhookReceiver

    fake = FakeArxiv()
    fake.serve("cs.IR", 500, b"Internal Server Error")
    with WebhookReceiver() as rx:
        hook = {"webhooks": [{"kind": "generic", "url": f"{rx.url}/later"}]}
        profiles = {
            "a-broken": {"categories": ["cs.IR"], "keywords": []},  # refreshed before the others
            "b-later": {"categories": ["cs.DC"], "keywords": [], "delivery": hook},
        }
        config = {"public_url": "https://feeds.example.org", "profiles": profiles}
        app = create_app(
            make_settings(tmp_path, config, cron_secret=SECRET, delivery_allow_private=True),
            transport=httpx.MockTransport(fake),
            store=MemoryStore(),
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post("/api/cron/refresh", headers={"Authorization": f"Bearer {SECRET}"})
        await app.state.runtime.aclose()
        delivered = [x.path for x in rx.received]
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["failed"] == ["a-broken"]
    by_name = {p["name"]: p for p in report["profiles"]}
    assert by_name["a-broken"]["error"]["code"] == "upstream_unavailable"
    assert "arXiv" in by_name["a-broken"]["error"]["message"]
    assert by_name["b-later"]["error"] is None
    assert by_name["b-later"]["items"] > 0
    assert delivered == ["/later"]
    assert report["error"] is None
    assert report["items"] == 30  # the configured feed, refreshed as ever
