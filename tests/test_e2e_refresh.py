"""End to end: the daily refresh under uvicorn, fanned out over calls the service starts at
its own ``public_url``, with the process killed mid-way and the units it held done again."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.arxiv_server import ArxivServer, UvicornProcess
from tests.delivery_servers import WebhookReceiver
from tests.loopback import free_port
from tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.e2e

SECRET = "e2e-cron-secret"
CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
PROFILES = 8
TOP = 3


def status(client: httpx.Client) -> dict[str, Any]:
    answer = client.get("/api/cron/status", headers={"Authorization": f"Bearer {SECRET}"})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_the_refresh_fans_out_and_survives_a_killed_call(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    upstream = ArxivServer(day="2026-01-06")
    with (
        upstream as rss,
        OpenAIStub(latency=1.5) as llm,
        WebhookReceiver() as rx,
    ):
        profiles = {
            f"p{n}": {
                "categories": [CATEGORIES[n % 4]],
                "keywords": [],
                "delivery": {"webhooks": [{"kind": "generic", "url": f"{rx.url}/p{n}"}]},
            }
            for n in range(PROFILES)
        }
        summary = {"enabled": True, "base_url": llm.base_url, "model": "stub-model",
                   "max_papers_to_summarize": TOP, "max_workers": 3, "timeout": 3}  # fmt: skip
        config = {"categories": CATEGORIES, "public_url": url, "profiles": profiles,
                  "ai_summary": summary}  # fmt: skip
        (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
        env = {
            "ARXIV_RSS_URL": rss,
            "ARXIV_SOURCE": "live",
            "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
            "ARXIV_FEEDS_CONFIG": str(tmp_path / "config.json"),
            "STORE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
            "CRON_SECRET": SECRET,
            "ARXIV_FEEDS_REFRESH_CALL_SECONDS": "3",
            "ARXIV_FEEDS_REFRESH_PARALLEL_CALLS": "2",
            "ARXIV_FEEDS_DELIVERY_ALLOW_PRIVATE": "true",
        }
        first = UvicornProcess(env=env, port=port)
        first.start()
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                began = client.post(
                    "/api/cron/refresh", headers={"Authorization": f"Bearer {SECRET}"}
                )
                assert began.status_code == 200, began.text
                assert began.json()["seconds"] <= 3.0
                time.sleep(1.0)  # the calls it started are at work
                mid = status(client)
        finally:
            log = first.log()
            killed_at = time.monotonic()
            first.kill()  # mid-way: the units its calls hold are left claimed
        assert mid["claimed"] >= 1, (mid, log)
        assert mid["pending"] >= 1
        assert mid["calls"] >= 2  # it started others at its public_url
        second = UvicornProcess(env=env, port=port)
        second.start()
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                again = client.post(
                    "/api/cron/refresh", headers={"Authorization": f"Bearer {SECRET}"}
                )
                assert again.status_code == 200, again.text
                assert again.json()["run"]["run"] == mid["run"]  # the same run, resumed
                deadline = time.monotonic() + 60
                while (now := status(client))["pending"] and time.monotonic() < deadline:
                    time.sleep(0.5)
        finally:
            second.stop()
        delivered = [r.path for r in rx.received]
    assert now["pending"] == 0, now
    assert now["done"] == PROFILES + 1, now
    assert now["failed"] == 0
    assert now["calls"] > mid["calls"] + 1  # more calls after the kill, chained by the service
    assert sorted(delivered) == sorted(f"/p{n}" for n in range(PROFILES))  # each once
    for received in rx.received:
        assert received.body.count(b"Stub summary of") >= TOP  # with its summaries
    assert upstream.requests == 1  # one batch of categories for the whole day
    calls = llm.chat_calls()
    asked = [c.body["messages"][-1]["content"] for c in calls]
    # a paper is asked for twice only when its answer was lost with the killed process: the
    # call was under way, or its answer had arrived and was not yet stored (a moment before
    # the kill, as the stub marks it finished when it has sent the answer)
    lost = [c for c in calls if c.started < killed_at and (c.finished or 1e18) > killed_at - 1]
    assert len(asked) - len(set(asked)) <= len(lost) <= 4
